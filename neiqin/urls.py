from django.urls import include, path

urlpatterns = [
    path("", include("neiqin.web.urls")),
]
