from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "neiqin.web"
    label = "web"
