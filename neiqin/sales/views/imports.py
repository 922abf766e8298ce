"""Order import pages (ORD-3, SYS-3) on the shared import pages: upload, template, preview with
the row errors, commit (draft orders) and discard."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from neiqin.core.importviews import ImportLabels, ImportPages
from neiqin.sales.importers import ORDER_IMPORTER

orders = ImportPages(
    importer=ORDER_IMPORTER,
    name="import",
    route="orders/import/",
    namespace="sales",
    labels=ImportLabels(
        title=_("导入订单"),
        noun=_("行订单明细"),
        template_name=_("订单导入模板"),
        list_url="sales:order_inbox",
        list_label=_("查看订单"),
        steps=(
            _("每行是订单的一行产品；同一客户、同一客户订单号的各行合成一张订单。"),
            _("单价留空时按客户适用的价格表取价；收货地址留空时取客户档案中的地址。"),
            _("导入的订单是草稿，请逐张检查后提交审单。"),
        ),
    ),
)

urlpatterns = [*orders.urlpatterns]
