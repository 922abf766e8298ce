from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SalesConfig(AppConfig):
    name = "neiqin.sales"
    label = "sales"
    verbose_name = _("销售订单")

    def ready(self) -> None:
        # pages of its objects (links) and its audited models (services)
        from neiqin.sales import links, services  # noqa: F401
        from neiqin.sales.services import shipping

        shipping.register()
