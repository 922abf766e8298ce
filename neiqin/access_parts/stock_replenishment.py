"""Access matrix part: stock_replenishment (replenishment requests, slow-moving stock,
turnover, low stock).

Everybody sees stock, so the lists, reports and exports are open to every signed-in role (the
slow-moving value column is hidden from roles without cost, which is not an access refusal).
Requests are raised by the clerk, the warehouse and sales managers, handled by the warehouse and
the clerk; the requester (the clerk in this world) may also cancel their own request.
"""

from __future__ import annotations

EVERYONE = frozenset(
    {"admin", "clerk", "sales1", "sales2", "manager", "manager2", "finance", "warehouse", "gm", "deputy"}
)
REQUESTS = frozenset({"admin", "clerk", "warehouse", "manager", "manager2"})
HANDLES = frozenset({"admin", "clerk", "warehouse"})
CANCELS = HANDLES  # handlers, plus the requester (the clerk)

WEB: dict[str, tuple[str, str, dict | None, frozenset[str]]] = {
    "stock:replenishments": ("GET", "/stock/replenishments/", None, EVERYONE),
    "stock:replenishment_create": ("GET", "/stock/replenishments/new/", None, REQUESTS),
    "stock:replenishment_detail": ("GET", "/stock/replenishments/{REPL}/", None, EVERYONE),
    "stock:replenishment_start": ("POST", "/stock/replenishments/{REPL}/start/", {"response": "已下采购单"}, HANDLES),
    "stock:replenishment_fulfil": ("POST", "/stock/replenishments/{REPL}/fulfil/", {}, HANDLES),
    "stock:replenishment_cancel": ("POST", "/stock/replenishments/{REPL}/cancel/", {"response": "订单取消"}, CANCELS),
    "stock:slow_moving": ("GET", "/stock/slow-moving/", None, EVERYONE),
    "stock:slow_moving_export": ("GET", "/stock/slow-moving/export/", None, EVERYONE),
    "stock:turnover": ("GET", "/stock/turnover/", None, EVERYONE),
    "stock:low_stock": ("GET", "/stock/low-stock/", None, EVERYONE),
    "stock:low_stock_export": ("GET", "/stock/low-stock/export/", None, EVERYONE),
}
API: dict[str, tuple[str, str, dict | None, frozenset[str]]] = {
    "stock_replenishments_list": ("GET", "/api/v1/stock/replenishments", None, EVERYONE),
    "stock_replenishments_create": (
        "POST",
        "/api/v1/stock/replenishments",
        # "7.5", not "7": the matrix turns digit-only strings into integers, and quantities are strings.
        {"product_id": "{REPL_PRODUCT}", "warehouse_id": "{REPL_WAREHOUSE}", "quantity": "7.5"},
        REQUESTS,
    ),
    "stock_replenishments_get": ("GET", "/api/v1/stock/replenishments/{REPL}", None, EVERYONE),
    "stock_replenishments_transition": (
        "POST",
        "/api/v1/stock/replenishments/{REPL}/status",
        {"status": "in_progress", "response": "已下采购单"},
        HANDLES,
    ),
    "stock_slow_moving": ("GET", "/api/v1/stock/slow-moving", None, EVERYONE),
    "stock_low_stock": ("GET", "/api/v1/stock/low-stock", None, EVERYONE),
}


def world(cast) -> dict:
    """A warehouse, a product and an open request raised by the clerk."""
    from neiqin.catalog.services import product_create
    from neiqin.stock.services import warehouse_create
    from neiqin.stock.services.replenishment import replenishment_request

    warehouse = warehouse_create(fields={"code": "RPLMX", "name": "补货矩阵库"}, by=cast.admin)
    product = product_create(fields={"name": "补货矩阵地板", "model": "RPL-MX-01", "unit": "箱"}, by=cast.admin)
    request = replenishment_request(product=product, warehouse=warehouse, quantity="12", by=cast.clerk)
    return {"REPL": request.pk, "REPL_PRODUCT": product.pk, "REPL_WAREHOUSE": warehouse.pk}
