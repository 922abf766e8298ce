from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StockConfig(AppConfig):
    name = "neiqin.stock"
    label = "stock"
    verbose_name = _("库存")

    def ready(self) -> None:
        # pages of its objects (links) and its audited models (services)
        from neiqin.stock import links, services  # noqa: F401
