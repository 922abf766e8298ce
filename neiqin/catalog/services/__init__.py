"""Catalogue services: every write to products and prices goes through here."""

from neiqin.core import audit

audit.register("catalog.product")
audit.register("catalog.productseries")
audit.register("catalog.pricelist")

from neiqin.catalog.services.prices import (  # noqa: E402
    apply_due_price_changes,
    company_price_list,
    price_list_create,
    price_set,
)
from neiqin.catalog.services.products import product_create, product_update, series_create  # noqa: E402
from neiqin.catalog.services.validation import clean_product_fields, normalize_model  # noqa: E402

__all__ = [
    "apply_due_price_changes",
    "clean_product_fields",
    "company_price_list",
    "normalize_model",
    "price_list_create",
    "price_set",
    "product_create",
    "product_update",
    "series_create",
]
