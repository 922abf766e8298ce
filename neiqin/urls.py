from django.urls import include, path

from neiqin.api.main import api

urlpatterns = [
    path("api/", api.urls),
    path("", include("neiqin.web.urls")),
]
