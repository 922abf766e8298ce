"""Per-area parts of the role × route matrix (see ``neiqin/access_matrix.py``).

Each module defines ``WEB`` and ``API`` dicts in the same shape as the main matrix and a
``world(cast) -> dict`` function that creates the objects its paths refer to (placeholders such
as ``{PRODUCT}``); the matrix test merges them all.
"""

PARTS = (
    "catalog_products",
    "catalog_prices",
    "catalog_imports",
    "stock_levels",
    "stock_counts",
    "stock_replenishment",
    "stock_materials",
    "stock_imports",
    "sales_orders",
    "sales_approvals",
    "sales_quotations",
    "sales_contracts",
    "sales_opportunities",
    "sales_imports",
    "sales_rules",
    "sales_exports",
)
