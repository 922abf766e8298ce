"""Exports of the stock level matrix and of the ledger (XLSX or CSV, formula injection neutralised).

Exports show what the page shows to the same user: no prices ever, unit cost only to roles that
see cost (``catalog.visibility.sees_cost``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Literal

from django.utils import timezone
from django.utils.translation import gettext as _

from neiqin.catalog.visibility import sees_cost
from neiqin.core.errors import ValidationFailed
from neiqin.core.spreadsheets import Column, write_csv, write_xlsx
from neiqin.stock.selectors.levels import (
    LevelFilters,
    MoveFilters,
    level_row,
    level_rows,
    matrix_warehouses,
    move_list,
    visible_customer_ids,
)

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"
FORMATS = ("xlsx", "csv")


def _write(columns: list[Column], rows: Iterator[dict[str, Any]], *, title: str, fmt: str) -> tuple[bytes, str, str]:
    if fmt not in FORMATS:
        raise ValidationFailed(_("不支持的导出格式：%(fmt)s。请选择 xlsx 或 csv。") % {"fmt": fmt})
    if fmt == "xlsx":
        content, content_type = write_xlsx(columns=columns, rows=rows, sheet_title=title), XLSX_TYPE
    else:
        content, content_type = write_csv(columns=columns, rows=rows), CSV_TYPE
    return content, f"{title}_{timezone.localdate():%Y%m%d}.{fmt}", content_type


def export_levels(*, user: Any, filters: LevelFilters, fmt: Literal["xlsx", "csv"] = "xlsx") -> tuple[bytes, str, str]:
    """The level matrix as filtered: per warehouse 库存/已占用/可用/安全库存, then the totals."""
    warehouses = matrix_warehouses(filters)
    columns = [
        Column("code", _("产品编码")),
        Column("model", _("型号")),
        Column("name", _("品名")),
        Column("spec", _("规格")),
        Column("series", _("系列")),
        Column("unit", _("单位"), width=8),
    ]
    for warehouse in warehouses:
        prefix = f"w{warehouse.pk}"
        columns += [
            Column(f"{prefix}_on_hand", f"{warehouse.name} {_('库存')}", kind="quantity"),
            Column(f"{prefix}_reserved", f"{warehouse.name} {_('已占用')}", kind="quantity"),
            Column(f"{prefix}_available", f"{warehouse.name} {_('可用')}", kind="quantity"),
            Column(f"{prefix}_min", f"{warehouse.name} {_('安全库存')}", kind="quantity"),
        ]
    columns += [
        Column("on_hand", _("合计库存"), kind="quantity"),
        Column("reserved", _("合计已占用"), kind="quantity"),
        Column("available", _("合计可用"), kind="quantity"),
        Column("low", _("低于安全库存"), width=12),
    ]

    def rows() -> Iterator[dict[str, Any]]:
        for product in level_rows(filters=filters, warehouses=warehouses).iterator(chunk_size=2000):
            data = level_row(product, warehouses)
            row: dict[str, Any] = {
                "code": product.code,
                "model": product.model,
                "name": product.name,
                "spec": product.spec,
                "series": product.series.name if product.series_id else "",
                "unit": product.unit,
                "on_hand": data["on_hand"],
                "reserved": data["reserved"],
                "available": data["available"],
                "low": _("是") if data["low"] else "",
            }
            for cell in data["cells"]:
                prefix = f"w{cell['warehouse'].pk}"
                row[f"{prefix}_on_hand"] = cell["on_hand"]
                row[f"{prefix}_reserved"] = cell["reserved"]
                row[f"{prefix}_available"] = cell["available"]
                row[f"{prefix}_min"] = cell["min_quantity"]
            yield row

    return _write(columns, rows(), title=_("库存查询"), fmt=fmt)


def export_moves(*, user: Any, filters: MoveFilters, fmt: Literal["xlsx", "csv"] = "xlsx") -> tuple[bytes, str, str]:
    """The ledger as filtered; the unit cost column only for roles that see cost."""
    show_cost = sees_cost(user)
    columns = [
        Column("moved_on", _("业务日期"), kind="date"),
        Column("document_number", _("单据号")),
        Column("kind", _("类型"), width=12),
        Column("warehouse", _("仓库"), width=12),
        Column("counterpart", _("对方仓库"), width=12),
        Column("code", _("产品编码")),
        Column("model", _("型号")),
        Column("name", _("品名")),
        Column("spec", _("规格")),
        Column("unit", _("单位"), width=8),
        Column("quantity", _("数量"), kind="quantity"),
        Column("balance_after", _("结存"), kind="quantity"),
    ]
    if show_cost:
        columns.append(Column("unit_cost", _("单位成本"), kind="money"))
    columns += [
        Column("customer", _("客户")),
        Column("reason", _("原因/备注"), width=30),
        Column("created_by", _("经办人"), width=12),
        Column("created_at", _("记录时间"), kind="datetime"),
    ]
    qs = move_list(filters=filters)

    def rows() -> Iterator[dict[str, Any]]:
        batch: list[Any] = []
        for move in qs.iterator(chunk_size=2000):
            batch.append(move)
            if len(batch) == 2000:
                yield from _move_rows(user, batch, show_cost)
                batch = []
        yield from _move_rows(user, batch, show_cost)

    return _write(columns, rows(), title=_("库存流水"), fmt=fmt)


def _move_rows(user: Any, moves: list[Any], show_cost: bool) -> Iterator[dict[str, Any]]:
    visible = visible_customer_ids(user=user, moves=moves)
    for move in moves:
        product = move.product
        yield {
            "moved_on": move.moved_on,
            "document_number": move.document_number,
            "kind": move.get_kind_display(),
            "warehouse": move.warehouse.name,
            "counterpart": move.counterpart.name if move.counterpart_id else "",
            "code": product.code,
            "model": product.model,
            "name": product.name,
            "spec": product.spec,
            "unit": product.unit,
            "quantity": move.quantity,
            "balance_after": move.balance_after,
            "unit_cost": move.unit_cost if show_cost else None,
            "customer": move.customer.name if move.customer_id and move.customer_id in visible else "",
            "reason": move.reason,
            "created_by": str(move.created_by) if move.created_by_id else "",
            "created_at": move.created_at,
        }
