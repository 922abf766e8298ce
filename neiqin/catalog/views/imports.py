"""Catalogue imports (SYS-3): products and price list items, on the shared import pages."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from neiqin.catalog.importers import PRICE_IMPORTER, PRODUCT_IMPORTER
from neiqin.core.importviews import ImportLabels, ImportPages

products = ImportPages(
    importer=PRODUCT_IMPORTER,
    name="import",
    route="import/",
    namespace="catalog",
    labels=ImportLabels(
        title=_("导入产品"),
        noun=_("个产品"),
        template_name=_("产品导入模板"),
        list_url="catalog:product_list",
        list_label=_("查看产品目录"),
        steps=(
            _("新的系列名称会在导入时自动创建；型号和规格相同的产品不能重复导入。"),
            _("底价只有副总、总经理或管理员可以填写，成本只有财务或管理层可以填写；没有权限请留空这两列。"),
        ),
    ),
)

prices = ImportPages(
    importer=PRICE_IMPORTER,
    name="prices_import",
    route="prices/import/",
    namespace="catalog",
    labels=ImportLabels(
        title=_("导入价格"),
        noun=_("条价格"),
        template_name=_("价格导入模板"),
        list_url="catalog:price_changes",
        list_label=_("查看调价记录"),
        steps=(
            _("“价格表”列填写：公司统一价；A 类客户价 / B 类客户价 / C 类客户价；或客户编号（客户专属价）。"),
            _("生效日期留空为今天，不能早于今天；价格不能低于产品底价。受影响客户的业务员会收到调价通知。"),
        ),
    ),
)

urlpatterns = [*products.urlpatterns, *prices.urlpatterns]
