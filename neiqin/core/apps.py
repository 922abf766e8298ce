from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "neiqin.core"
    label = "core"
    verbose_name = "Core"
