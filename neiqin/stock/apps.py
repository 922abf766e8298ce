from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StockConfig(AppConfig):
    name = "neiqin.stock"
    label = "stock"
    verbose_name = _("库存")

    def ready(self) -> None:
        from neiqin.stock import services  # noqa: F401  (registers audited models)
