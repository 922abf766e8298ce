"""Demo step 3: catalogue, price lists, warehouses and a year of stock, built through the services."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal

import pytest
from django.db.models import F, Sum
from django.utils import timezone

from neiqin.catalog.choices import PriceListKind
from neiqin.catalog.models import PriceChange, PriceList, Product
from neiqin.demo import builder
from neiqin.demo import vocabulary_catalog as goods
from neiqin.demo.builder import build_demo
from neiqin.stock.choices import MoveKind, ReservationStatus
from neiqin.stock.models import Reservation, StockLevel, StockMove, Warehouse


def quiet(_line: str) -> None:
    pass


def test_the_range_has_about_150_distinct_models_and_its_special_lists_name_real_ones():
    models = [f"{family.prefix}{variant.suffix}" for family in goods.FAMILIES for variant in family.variants]

    assert 140 <= len(models) <= 160
    assert len(set(models)) == len(models)
    assert set(goods.SPECIAL) | goods.INACTIVE | goods.SLOW <= set(models)
    assert {family.unit for family in goods.FAMILIES} >= {"平方米", "张", "块", "卷", "米", "箱", "吨"}


@pytest.mark.django_db
def test_tiny_demo_has_catalogue_prices_warehouses_and_a_consistent_year_of_stock(monkeypatch):
    steps = [step for step in builder.STEPS if step[0] in ("organisation", "customers", "catalog")]
    monkeypatch.setattr(builder, "STEPS", steps)

    ctx = build_demo(seed=7, scale="tiny", log=quiet)

    today = timezone.localdate()
    products = list(Product.objects.select_related("series"))
    assert 140 <= len(products) <= 160
    assert all(p.series_id and p.floor_price and p.cost for p in products)
    assert all(p.cost < p.floor_price <= p.standard_price for p in products)
    assert all(p.search_initials and p.model_normalized for p in products)
    assert sum(p.is_special for p in products) >= 4 and sum(not p.is_active for p in products) >= 3
    assert {p.unit for p in products} >= {"平方米", "张", "块", "卷", "米", "箱", "吨"}

    warehouses = {w.code: w for w in Warehouse.objects.select_related("keeper")}
    assert {code: w.name for code, w in warehouses.items()} == {"CS": "长沙库", "ZZ": "郑州库", "XA": "西安库"}
    assert {w.keeper.username for w in warehouses.values()} == {"warehouse"}

    levels = list(StockLevel.objects.select_related("warehouse", "product"))
    ledger = {
        (row["warehouse_id"], row["product_id"]): row["total"]
        for row in StockMove.objects.values("warehouse_id", "product_id").annotate(total=Sum("quantity"))
    }
    held = {
        (row["warehouse_id"], row["product_id"]): row["total"]
        for row in Reservation.objects.filter(status=ReservationStatus.ACTIVE)
        .values("warehouse_id", "product_id")
        .annotate(total=Sum("quantity"))
    }
    assert len(levels) > 300
    for level in levels:
        key = (level.warehouse_id, level.product_id)
        assert level.on_hand == ledger.get(key, Decimal("0")), level
        assert level.reserved == held.get(key, Decimal("0")), level
        assert level.on_hand >= 0 and level.reserved <= level.on_hand

    kinds = Counter(StockMove.objects.values_list("kind", flat=True))
    assert kinds[MoveKind.OPENING] > 300 and kinds[MoveKind.RECEIPT] > 50 and kinds[MoveKind.SHIPMENT] > 200
    assert kinds[MoveKind.TRANSFER_OUT] == kinds[MoveKind.TRANSFER_IN] > 5
    assert kinds[MoveKind.RETURN] >= 3 and kinds[MoveKind.ADJUSTMENT] >= 3
    opening_day = StockMove.objects.filter(kind=MoveKind.OPENING).values_list("moved_on", flat=True).first()
    assert opening_day <= today - dt.timedelta(days=360)
    assert StockMove.objects.filter(kind=MoveKind.SHIPMENT, customer__isnull=True).count() == 0
    assert StockMove.objects.filter(kind=MoveKind.SHIPMENT, document_type="delivery").exists()

    assert Reservation.objects.filter(status=ReservationStatus.ACTIVE).count() >= 5
    assert Reservation.objects.filter(status=ReservationStatus.CONSUMED).exists()
    slow = StockLevel.objects.filter(on_hand__gt=0, last_outbound_on__isnull=True)
    assert slow.count() >= len(goods.SLOW)
    assert StockLevel.objects.filter(min_quantity__gt=0, on_hand__lt=F("min_quantity")).count() >= 2
    assert StockLevel.objects.filter(min_quantity__gt=0, on_hand__gte=F("min_quantity")).exists()

    changes = PriceChange.objects.filter(price_list__kind=PriceListKind.COMPANY)
    assert changes.filter(applied=True, old_price__isnull=False).count() >= 10
    assert changes.filter(applied=False, effective_from__gt=today).count() >= 5
    assert PriceList.objects.filter(kind=PriceListKind.GRADE).count() == 2
    assert 5 <= PriceList.objects.filter(kind=PriceListKind.CUSTOMER).count() <= 10
    grade_a = PriceList.objects.get(kind=PriceListKind.GRADE, grade="A")
    for item in grade_a.items.select_related("product")[:20]:
        assert item.unit_price >= item.product.floor_price

    assert set(ctx.extra) >= {"warehouses", "products", "sellable_products", "slow_products", "price_lists"}
    assert set(ctx.extra["warehouses"]) == {"CS", "ZZ", "XA"}
