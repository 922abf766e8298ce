from django.urls import include, path

from neiqin.api.main import api

urlpatterns = [
    path("api/", api.urls),
    path("customers/", include("neiqin.customers.urls")),
    path("", include("neiqin.web.urls")),
]
