from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """The demo company (涵瑞建筑): generator steps and the ``build_demo`` command. No models."""

    name = "neiqin.demo"
    label = "demo"
    verbose_name = _("演示数据")
