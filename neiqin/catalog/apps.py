from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogConfig(AppConfig):
    name = "neiqin.catalog"
    label = "catalog"
    verbose_name = _("产品与价格")

    def ready(self) -> None:
        from neiqin.catalog import services  # noqa: F401  (registers audited models)
