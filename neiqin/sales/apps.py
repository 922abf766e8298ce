from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SalesConfig(AppConfig):
    name = "neiqin.sales"
    label = "sales"
    verbose_name = _("销售订单")

    def ready(self) -> None:
        from neiqin.sales import services  # noqa: F401  (registers audited models)
