"""Export of the product list (PRD-1, SYS-3) as XLSX or CSV.

The columns follow the list page and carry only the price columns the user may see
(``catalog.visibility``): the warehouse's file has no price at all, a salesperson's no cost.
Text cells are neutralised against formula injection by ``core.spreadsheets``; every export is
recorded in the audit trail with the filters, the row count and the price columns it contained.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Literal

from django.utils import timezone
from django.utils.translation import gettext as _

from neiqin.catalog import selectors
from neiqin.catalog.models import Product
from neiqin.catalog.selectors import ProductFilters
from neiqin.catalog.visibility import PRICE_FIELDS, visible_price_fields
from neiqin.core import audit
from neiqin.core.errors import ValidationFailed
from neiqin.core.spreadsheets import Column, write_csv, write_xlsx

FORMATS = ("xlsx", "csv")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"


def _columns(visible: frozenset[str]) -> list[Column]:
    columns = [
        Column("code", _("产品编码"), width=14),
        Column("model", _("型号"), width=18),
        Column("name", _("品名"), width=24),
        Column("spec", _("规格"), width=18),
        Column("unit", _("单位"), width=8),
        Column("series", _("系列"), width=16),
        Column("brand", _("品牌"), width=12),
        Column("kind", _("类别"), width=8),
    ]
    if "standard_price" in visible:
        columns += [Column("standard_price", _("标准价"), "money"), Column("price_includes_tax", _("含税"), width=6)]
    if "floor_price" in visible:
        columns.append(Column("floor_price", _("底价"), "money"))
    if "cost" in visible:
        columns.append(Column("cost", _("成本"), "money"))
    columns += [
        Column("vat_rate", _("税率"), width=8),
        Column("is_special", _("特殊/定制"), width=10),
        Column("is_active", _("状态"), width=8),
        Column("barcode", _("条形码"), width=16),
    ]
    return columns


def _row(product: Product, visible: frozenset[str]) -> dict[str, Any]:
    yes, no = _("是"), _("否")
    row: dict[str, Any] = {
        "code": product.code,
        "model": product.model,
        "name": product.name,
        "spec": product.spec,
        "unit": product.unit,
        "series": product.series.name if product.series_id else "",
        "brand": product.brand,
        "kind": product.get_kind_display(),
        "vat_rate": product.get_vat_rate_display(),
        "is_special": yes if product.is_special else no,
        "is_active": _("在售") if product.is_active else _("停售"),
        "barcode": product.barcode,
    }
    for name in PRICE_FIELDS:
        if name in visible:
            row[name] = getattr(product, name)
    if "standard_price" in visible:
        row["price_includes_tax"] = yes if product.price_includes_tax else no
    return row


def export_products(
    *, user: Any, filters: ProductFilters, fmt: Literal["xlsx", "csv"] = "xlsx", shown_filters: dict | None = None
) -> tuple[bytes, str, str]:
    """The filtered product list as (content, file name, content type), recorded in the audit trail."""
    if fmt not in FORMATS:
        raise ValidationFailed(_("不支持的导出格式：%(fmt)s。请选择 xlsx 或 csv。") % {"fmt": fmt})
    visible = visible_price_fields(user)
    qs = selectors.product_list(filters=filters)
    counter = {"rows": 0}

    def rows() -> Iterator[dict[str, Any]]:
        for product in qs.iterator(chunk_size=2000):
            counter["rows"] += 1
            yield _row(product, visible)

    columns = _columns(visible)
    if fmt == "xlsx":
        content, content_type = write_xlsx(columns=columns, rows=rows(), sheet_title=_("产品目录")), XLSX_TYPE
    else:
        content, content_type = write_csv(columns=columns, rows=rows()), CSV_TYPE
    audit.record_collection(
        action="catalog.product.exported",
        model=Product,
        by=user,
        data={
            "format": fmt,
            "count": counter["rows"],
            "filters": {k: str(v) for k, v in (shown_filters or {}).items()},
            "price_columns": sorted(visible),
        },
    )
    filename = f"{_('产品目录')}_{timezone.localdate():%Y%m%d}.{fmt}"
    return content, filename, content_type
