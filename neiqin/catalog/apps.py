from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogConfig(AppConfig):
    name = "neiqin.catalog"
    label = "catalog"
    verbose_name = _("产品与价格")

    def ready(self) -> None:
        # pages of its objects (links) and its audited models (services)
        from neiqin.catalog import links, services  # noqa: F401
