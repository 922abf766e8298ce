"""Access matrix part: stock_levels (levels, ledger, stock documents, warehouses — INV-1, INV-2).

Everybody signed in sees stock; the warehouse and the admin post documents and set 安全库存; only
the admin manages warehouses. Document bodies in the API probe carry no lines (``_fill`` does not
reach into lists): an allowed role gets the service's 422 "no lines", a refused one 403 first.
"""

from __future__ import annotations

ROLES = ("admin", "clerk", "sales1", "sales2", "manager", "manager2", "finance", "warehouse", "gm", "deputy")
EVERYONE = frozenset(ROLES)
MOVERS = frozenset({"warehouse", "admin"})
ADMIN = frozenset({"admin"})

WEB: dict[str, tuple[str, str, dict | None, frozenset[str]]] = {
    "stock:levels": ("GET", "/stock/?q=SL&low_only=on", None, EVERYONE),
    "stock:levels_export": ("GET", "/stock/export/?fmt=xlsx", None, EVERYONE),
    "stock:product_levels": ("GET", "/stock/products/{SL_PRODUCT}/levels/", None, EVERYONE),
    "stock:set_min_quantity": (
        "POST",
        "/stock/products/{SL_PRODUCT}/min-quantity/",
        {"warehouse": "{SL_WAREHOUSE}", "min_quantity": "5"},
        MOVERS,
    ),
    "stock:moves": ("GET", "/stock/moves/?warehouse={SL_WAREHOUSE}", None, EVERYONE),
    "stock:moves_export": ("GET", "/stock/moves/export/?fmt=csv", None, EVERYONE),
    "stock:receipt_new": (
        "POST",
        "/stock/receipts/new/",
        {"warehouse": "{SL_WAREHOUSE}", "moved_on": "2020-01-01", "product": "SL-MATRIX-1", "quantity": "1"},
        MOVERS,
    ),
    "stock:shipment_new": (
        "POST",
        "/stock/shipments/new/",
        {"warehouse": "{SL_WAREHOUSE}", "moved_on": "2020-01-01", "product": "SL-MATRIX-1", "quantity": "1"},
        MOVERS,
    ),
    "stock:transfer_new": ("GET", "/stock/transfers/new/", None, MOVERS),
    "stock:adjustment_new": ("GET", "/stock/adjustments/new/", None, MOVERS),
    "stock:warehouses": ("GET", "/stock/warehouses/", None, EVERYONE),
    "stock:warehouse_create": ("GET", "/stock/warehouses/new/", None, ADMIN),
    "stock:warehouse_edit": ("GET", "/stock/warehouses/{SL_WAREHOUSE}/edit/", None, ADMIN),
}

API: dict[str, tuple[str, str, dict | None, frozenset[str]]] = {
    "warehouses_list": ("GET", "/api/v1/warehouses", None, EVERYONE),
    "stock_levels_list": ("GET", "/api/v1/stock/levels?low_only=true&limit=5", None, EVERYONE),
    "stock_availability": ("GET", "/api/v1/stock/availability?product={SL_PRODUCT}", None, EVERYONE),
    "stock_moves_list": ("GET", "/api/v1/stock/moves?warehouse={SL_WAREHOUSE}", None, EVERYONE),
    "stock_receipts_create": (
        "POST",
        "/api/v1/stock/receipts",
        {"warehouse_id": "{SL_WAREHOUSE}", "lines": []},
        MOVERS,
    ),
    "stock_shipments_create": (
        "POST",
        "/api/v1/stock/shipments",
        {"warehouse_id": "{SL_WAREHOUSE}", "lines": [], "reason": "样品"},
        MOVERS,
    ),
    "stock_transfers_create": (
        "POST",
        "/api/v1/stock/transfers",
        {"source_warehouse_id": "{SL_WAREHOUSE}", "target_warehouse_id": "{SL_WAREHOUSE2}", "lines": []},
        MOVERS,
    ),
    "stock_adjustments_create": (
        "POST",
        "/api/v1/stock/adjustments",
        {"warehouse_id": "{SL_WAREHOUSE}", "lines": [], "reason": "盘盈"},
        MOVERS,
    ),
}


def world(cast) -> dict:
    """Two warehouses and a product with some stock in the first one."""
    from neiqin.catalog import services as catalog
    from neiqin.stock import services

    first = services.warehouse_create(fields={"code": "SLW1", "name": "矩阵库存甲库"}, by=cast.admin)
    second = services.warehouse_create(fields={"code": "SLW2", "name": "矩阵库存乙库"}, by=cast.admin)
    product = catalog.product_create(
        fields={"name": "矩阵测试地板", "model": "SL-MATRIX-1", "unit": "箱", "standard_price": "100"}, by=cast.admin
    )
    services.stock_receive(warehouse=first, lines=[services.Line(product, "10")], by=cast.admin)
    return {"SL_WAREHOUSE": first.pk, "SL_WAREHOUSE2": second.pk, "SL_PRODUCT": product.pk}
