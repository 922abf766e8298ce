"""Stock pages: the opening stock import (SYS-3), on the shared import pages."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from neiqin.core.importviews import ImportLabels, ImportPages
from neiqin.stock.importers import OPENING_STOCK_IMPORTER

opening = ImportPages(
    importer=OPENING_STOCK_IMPORTER,
    name="import",
    route="import/",
    namespace="stock",
    labels=ImportLabels(
        title=_("导入期初库存"),
        noun=_("行库存"),
        template_name=_("期初库存导入模板"),
        list_url="stock:levels",
        list_label=_("查看库存"),
        steps=(
            _("“仓库”列填写仓库名称或编码；每个仓库生成一张期初入库单。"),
            _("单位成本只有财务或管理层可以填写，仓库人员请留空。"),
        ),
    ),
)

urlpatterns = [*opening.urlpatterns]
