"""Access matrix part: catalog_prices (price lists, price changes, 查价; PRD-2).

World: ``PRICE_PRODUCT`` a product (standard 100, floor 80), ``PRICE_LIST`` the A-grade list,
``PRICE_CUSTOMER`` a customer owned by sales1 (team A) and ``PRICE_CUSTOMER_LIST`` its own list,
``PRICE_CHANGE`` a change on the A-grade list. The warehouse sees no prices at all; customer
lists follow the customer scope (sales1's customer: not sales2, not manager2).
"""

from __future__ import annotations

ALL_ROLES = frozenset(
    {"admin", "clerk", "sales1", "sales2", "manager", "manager2", "finance", "warehouse", "gm", "deputy"}
)
SEES_PRICES = ALL_ROLES - {"warehouse"}
SETS_PRICES = frozenset({"admin", "clerk", "manager", "manager2", "gm", "deputy"})
# sales1's customer: its owner, team A's manager and the desk roles.
SEES_CUSTOMER = frozenset({"admin", "clerk", "sales1", "manager", "finance", "gm", "deputy"})
SETS_CUSTOMER_PRICE = SEES_CUSTOMER & SETS_PRICES
# Exporting the affected customers is a customer export (finance may not export customers).
EXPORTS_AFFECTED = SEES_PRICES - {"finance"}

WEB: dict[str, tuple[str, str, dict | None, frozenset[str]]] = {
    "catalog:price_lists": ("GET", "/catalog/prices/", None, SEES_PRICES),
    "catalog:price_list_create": ("POST", "/catalog/prices/new/", {"kind": "grade", "grade": "B"}, SETS_PRICES),
    "catalog:price_customer_options": ("GET", "/catalog/prices/customer-options/?customer_q=矩阵", None, SEES_PRICES),
    "catalog:price_product_options": ("GET", "/catalog/prices/product-options/?product=MXP", None, SEES_PRICES),
    "catalog:price_list_detail": ("GET", "/catalog/prices/{PRICE_CUSTOMER_LIST}/", None, SEES_CUSTOMER),
    "catalog:price_list_set_price": (
        "POST",
        "/catalog/prices/{PRICE_CUSTOMER_LIST}/set/",
        {"product": "MXP-9001", "unit_price": "90", "min_quantity": "0", "reason": "矩阵"},
        SETS_CUSTOMER_PRICE,
    ),
    "catalog:price_list_export": ("GET", "/catalog/prices/{PRICE_LIST}/export/", None, SEES_PRICES),
    "catalog:price_changes": ("GET", "/catalog/price-changes/", None, SEES_PRICES),
    "catalog:price_change_detail": ("GET", "/catalog/price-changes/{PRICE_CHANGE}/", None, SEES_PRICES),
    "catalog:price_change_export": ("GET", "/catalog/price-changes/{PRICE_CHANGE}/export/", None, EXPORTS_AFFECTED),
    "catalog:price_lookup": (
        "GET",
        "/catalog/price-lookup/?customer={PRICE_CUSTOMER}&product=MXP-9001&quantity=1",
        None,
        SEES_CUSTOMER,
    ),
}
API: dict[str, tuple[str, str, dict | None, frozenset[str]]] = {
    "price_lists_list": ("GET", "/api/v1/price-lists", None, SEES_PRICES),
    "price_lists_get": ("GET", "/api/v1/price-lists/{PRICE_CUSTOMER_LIST}", None, SEES_CUSTOMER),
    "price_lists_create": ("POST", "/api/v1/price-lists", {"kind": "grade", "grade": "B"}, SETS_PRICES),
    "price_lists_set_price": (
        "POST",
        "/api/v1/price-lists/{PRICE_CUSTOMER_LIST}/prices",
        {"product_id": "{PRICE_PRODUCT}", "unit_price": "90.00"},
        SETS_CUSTOMER_PRICE,
    ),
    "prices_resolve": (
        "GET",
        "/api/v1/prices/resolve?product={PRICE_PRODUCT}&customer={PRICE_CUSTOMER}&quantity=2",
        None,
        SEES_CUSTOMER,
    ),
    "price_changes_list": ("GET", "/api/v1/price-changes", None, SEES_PRICES),
    "price_changes_get": ("GET", "/api/v1/price-changes/{PRICE_CHANGE}", None, SEES_PRICES),
}


def world(cast) -> dict:
    """Objects the paths above refer to; keys are the placeholders used in the paths."""
    from neiqin.catalog import services as catalog
    from neiqin.catalog.choices import PriceListKind
    from neiqin.customers import services as customers

    product = catalog.product_create(
        fields={
            "name": "矩阵调价测试地板",
            "model": "MXP-9001",
            "unit": "平方米",
            "standard_price": "100",
            "floor_price": "80",
        },
        by=None,
    )
    grade_list = catalog.price_list_create(kind=PriceListKind.GRADE, grade="A", by=None)
    customer = customers.customer_create(fields={"name": "矩阵价格客户有限公司"}, by=cast.clerk, owner=cast.sales1)
    customer_list = catalog.price_list_create(kind=PriceListKind.CUSTOMER, customer=customer, by=None)
    change = catalog.price_set(price_list=grade_list, product=product, unit_price="95", effective_from=None, by=None)
    return {
        "PRICE_PRODUCT": product.pk,
        "PRICE_LIST": grade_list.pk,
        "PRICE_CUSTOMER": customer.pk,
        "PRICE_CUSTOMER_LIST": customer_list.pk,
        "PRICE_CHANGE": change.pk,
    }
