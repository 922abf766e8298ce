"""Test data shared by the product tests (no tests here): a small catalogue built through the
services, with price values distinctive enough to be searched for in pages, JSON and files."""

from __future__ import annotations

from dataclasses import dataclass

from django.forms.models import model_to_dict

from neiqin.catalog import services
from neiqin.catalog.models import Product, ProductSeries

# Distinctive values: they appear nowhere else on the pages (not in codes, dates or counts).
STANDARD = "128.50"
FLOOR = "110.25"
COST = "85.75"
PRICE_VALUES = {"standard_price": STANDARD, "floor_price": FLOOR, "cost": COST}
PRICE_KEYS = {"standard_price", "price_includes_tax", "floor_price", "cost"}

# What each role may see, from the issue (not computed from catalog.visibility on purpose).
SEES = {
    "admin": {"standard_price", "floor_price", "cost"},
    "clerk": {"standard_price", "floor_price"},
    "sales1": {"standard_price", "floor_price"},
    "sales2": {"standard_price", "floor_price"},
    "manager": {"standard_price", "floor_price"},
    "manager2": {"standard_price", "floor_price"},
    "finance": {"standard_price", "floor_price", "cost"},
    "warehouse": set(),
    "gm": {"standard_price", "floor_price", "cost"},
    "deputy": {"standard_price", "floor_price", "cost"},
}
ROLES = sorted(SEES)


@dataclass
class Catalog:
    floors: ProductSeries
    boards: ProductSeries
    floor: Product  # 强化复合地板 QH-1208, all three prices
    board: Product  # 挤塑聚苯板 XPS-B 30, inactive
    glue: Product  # 地板胶, no floor price, no cost


def build_catalog(cast) -> Catalog:
    floors = services.series_create(name="强化复合地板", by=cast.admin)
    boards = services.series_create(name="挤塑聚苯板", by=cast.admin, sort_order=2)
    floor = services.product_create(
        fields={
            "name": "强化复合地板",
            "model": "QH-1208",
            "spec": "1215×195×12mm",
            "unit": "平方米",
            "brand": "大自然",
            "series": floors.pk,
            "standard_price": STANDARD,
            "floor_price": FLOOR,
            "cost": COST,
            "barcode": "6901234567892",
        },
        by=cast.deputy,
    )
    board = services.product_create(
        fields={
            "name": "挤塑聚苯板",
            "model": "XPS-B 30",
            "spec": "1200×600×30mm",
            "unit": "张",
            "brand": "北新",
            "series": boards.pk,
            "standard_price": "46.00",
            "is_active": False,
        },
        by=cast.clerk,
    )
    glue = services.product_create(
        fields={"name": "地板胶", "model": "DJ-5", "unit": "桶", "standard_price": "35.00", "vat_rate": "13%"},
        by=cast.clerk,
    )
    return Catalog(floors=floors, boards=boards, floor=floor, board=board, glue=glue)


def state(product: Product) -> dict:
    """Every stored value of a product, to prove a refused request changed nothing."""
    fresh = Product.objects.get(pk=product.pk)
    data = model_to_dict(fresh)
    data.update(version=fresh.version, updated_at=fresh.updated_at)
    return data
