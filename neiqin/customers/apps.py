from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "neiqin.customers"
    label = "customers"
    verbose_name = _("客户管理")

    def ready(self) -> None:
        from neiqin.customers import links  # noqa: F401  (pages of its objects)
