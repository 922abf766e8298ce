"""Access matrix part: stock_counts (盘点, INV-4).

Counts are for those who count (warehouse, admin) and those who approve (finance, deputy GM,
GM, admin). The probe world has two warehouses: ``{COUNT}`` is a count in progress (all lines
counted, no variance) in one, ``{COUNT_SUBMITTED}`` a count waiting for approval (submitted by
the warehouse user, so every approver may decide it) in the other.
"""

from __future__ import annotations

SEES = frozenset({"admin", "warehouse", "finance", "gm", "deputy"})
COUNTS = frozenset({"admin", "warehouse"})
APPROVES = frozenset({"admin", "finance", "gm", "deputy"})

WEB: dict[str, tuple[str, str, dict | None, frozenset[str]]] = {
    "stock:counts": ("GET", "/stock/counts/", None, SEES),
    "stock:count_create": ("POST", "/stock/counts/new/", {"warehouse": "{COUNT_WAREHOUSE}"}, COUNTS),
    "stock:count_detail": ("GET", "/stock/counts/{COUNT}/", None, SEES),
    "stock:count_enter": (
        "POST",
        "/stock/counts/{COUNT}/enter/",
        {"product": "{COUNT_PRODUCT}", "counted": "9.5", "reason": ""},
        COUNTS,
    ),
    "stock:count_submit": ("POST", "/stock/counts/{COUNT}/submit/", {}, COUNTS),
    "stock:count_approve": ("POST", "/stock/counts/{COUNT_SUBMITTED}/approve/", {"comment": "同意"}, APPROVES),
    "stock:count_reject": ("POST", "/stock/counts/{COUNT_SUBMITTED}/reject/", {"comment": "请复盘"}, APPROVES),
    "stock:count_cancel": ("POST", "/stock/counts/{COUNT}/cancel/", {}, COUNTS),
    "stock:count_sheet": ("GET", "/stock/counts/{COUNT}/sheet/?blind=1", None, SEES),
    "stock:count_sheet_xlsx": ("GET", "/stock/counts/{COUNT}/sheet.xlsx", None, SEES),
    "stock:count_upload": ("POST", "/stock/counts/{COUNT}/upload/", {}, COUNTS),
}
API: dict[str, tuple[str, str, dict | None, frozenset[str]]] = {
    "stock_counts_list": ("GET", "/api/v1/stock/counts", None, SEES),
    "stock_counts_create": ("POST", "/api/v1/stock/counts", {"warehouse_id": "{COUNT_WAREHOUSE}"}, COUNTS),
    "stock_counts_get": ("GET", "/api/v1/stock/counts/{COUNT}", None, SEES),
    "stock_counts_enter": (
        "POST",
        "/api/v1/stock/counts/{COUNT}/entries",
        {"entries": [{"model": "MX-PD-01", "spec": "1200×600", "counted": "9.5", "reason": ""}]},
        COUNTS,
    ),
    "stock_counts_submit": ("POST", "/api/v1/stock/counts/{COUNT}/submit", None, COUNTS),
    "stock_counts_approve": (
        "POST",
        "/api/v1/stock/counts/{COUNT_SUBMITTED}/approve",
        {"comment": "同意"},
        APPROVES,
    ),
    "stock_counts_reject": (
        "POST",
        "/api/v1/stock/counts/{COUNT_SUBMITTED}/reject",
        {"comment": "请复盘"},
        APPROVES,
    ),
    "stock_counts_cancel": ("POST", "/api/v1/stock/counts/{COUNT}/cancel", {}, COUNTS),
}


def world(cast) -> dict:
    """Objects the paths above refer to; keys are the placeholders used in the paths."""
    from neiqin.catalog.services import product_create
    from neiqin.stock.services import Line, stock_receive, warehouse_create
    from neiqin.stock.services.counts import count_create, count_enter, count_submit

    product = product_create(
        fields={"name": "矩阵盘点板", "model": "MX-PD-01", "spec": "1200×600", "unit": "张", "cost": "1000"}, by=None
    )
    first = warehouse_create(fields={"code": "MXPD1", "name": "矩阵盘点一库"}, by=None)
    second = warehouse_create(fields={"code": "MXPD2", "name": "矩阵盘点二库"}, by=None)
    for warehouse in (first, second):
        stock_receive(warehouse=warehouse, lines=[Line(product, "10")], by=cast.warehouse)
    counting = count_create(warehouse=first, by=cast.warehouse)
    count_enter(count=counting, entries={product.pk: {"counted": "10", "reason": ""}}, by=cast.warehouse)
    waiting = count_create(warehouse=second, by=cast.warehouse)
    count_enter(count=waiting, entries={product.pk: {"counted": "5", "reason": "破损"}}, by=cast.warehouse)
    count_submit(count=waiting, by=cast.warehouse)  # 5 × 1000 = 5000 > threshold: waits
    return {
        "COUNT": counting.pk,
        "COUNT_SUBMITTED": waiting.pk,
        "COUNT_WAREHOUSE": first.pk,
        "COUNT_PRODUCT": product.pk,
    }
