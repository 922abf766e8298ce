"""Access matrix part: catalog_products (the product catalogue pages and API, PRD-1).

Everybody signed in sees the catalogue (the warehouse without prices); products and series are
maintained by the clerk, the deputy GM, the GM and the admin (``CAN_EDIT_PRODUCTS``).
``{PRODUCT}`` is a product created by the clerk (version 1).
"""

from __future__ import annotations

EVERYONE = frozenset(
    {"admin", "clerk", "sales1", "sales2", "manager", "manager2", "finance", "warehouse", "gm", "deputy"}
)
EDITS_PRODUCTS = frozenset({"admin", "clerk", "deputy", "gm"})

WEB: dict[str, tuple[str, str, dict | None, frozenset[str]]] = {
    "catalog:product_list": ("GET", "/catalog/products/", None, EVERYONE),
    "catalog:product_export": ("GET", "/catalog/products/export/?format=csv", None, EVERYONE),
    "catalog:product_create": ("GET", "/catalog/products/new/", None, EDITS_PRODUCTS),
    "catalog:product_detail": ("GET", "/catalog/products/{PRODUCT}/", None, EVERYONE),
    "catalog:product_edit": ("GET", "/catalog/products/{PRODUCT}/edit/", None, EDITS_PRODUCTS),
    "catalog:series_list": ("GET", "/catalog/series/", None, EVERYONE),
    "catalog:series_create": ("POST", "/catalog/series/new/", {"name": "矩阵系列"}, EDITS_PRODUCTS),
}
API: dict[str, tuple[str, str, dict | None, frozenset[str]]] = {
    "products_list": ("GET", "/api/v1/products", None, EVERYONE),
    "products_get": ("GET", "/api/v1/products/{PRODUCT}", None, EVERYONE),
    "products_create": (
        "POST",
        "/api/v1/products",
        {"name": "矩阵地板", "model": "JZ-001", "unit": "平方米", "standard_price": "88.00"},
        EDITS_PRODUCTS,
    ),
    "products_update": ("PATCH", "/api/v1/products/{PRODUCT}", {"notes": "矩阵", "version": 1}, EDITS_PRODUCTS),
    "product_series_list": ("GET", "/api/v1/product-series", None, EVERYONE),
    "product_series_create": ("POST", "/api/v1/product-series", {"name": "矩阵系列"}, EDITS_PRODUCTS),
}


def world(cast) -> dict:
    """Objects the paths above refer to; keys are the placeholders used in the paths."""
    from neiqin.catalog import services

    product = services.product_create(
        fields={"name": "矩阵产品", "model": "JZ-PRODUCT", "unit": "件", "standard_price": "100"}, by=cast.clerk
    )
    return {"PRODUCT": product.pk}
