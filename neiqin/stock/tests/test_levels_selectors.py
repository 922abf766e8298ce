"""The level matrix, one product's availability and the ledger filters (INV-1)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from neiqin.catalog import services as catalog
from neiqin.stock import services
from neiqin.stock.choices import MoveKind
from neiqin.stock.selectors.levels import (
    LevelFilters,
    MoveFilters,
    availability,
    level_page,
    level_rows,
    levels_for_product,
    move_list,
    warehouse_totals,
    warehouses_active,
)
from neiqin.stock.services import For, Line
from neiqin.stock.tests.test_levels_support import make_product, make_warehouse, receive

D = Decimal


@pytest.fixture
def world(cast):
    cs = make_warehouse(cast, "CS", "长沙库", sort_order=1)
    zz = make_warehouse(cast, "ZZ", "郑州库", sort_order=2)
    series = catalog.series_create(name="强化复合地板", by=cast.admin)
    floor = make_product(cast, "NQ-801", name="橡木强化地板", series=series.pk)
    board = make_product(cast, "XPS-30", name="挤塑板")
    empty = make_product(cast, "EMPTY-1", name="空白产品")
    receive(cast, cs, floor, "10")
    receive(cast, zz, floor, "4")
    receive(cast, cs, board, "2")
    services.reserve(product=floor, warehouse=cs, quantity="3", document=For("order", 1, "SO-1"), by=cast.clerk)
    services.level_set_min_quantity(warehouse=cs, product=board, min_quantity="5", by=cast.warehouse)
    return cs, zz, floor, board, empty


def _by_model(rows):
    return {row["product"].model: row for row in rows}


def test_level_rows_annotate_each_active_warehouse_and_totals(cast, world):
    cs, zz, floor, _board, _empty = world
    product = level_rows(filters=LevelFilters()).get(pk=floor.pk)
    assert getattr(product, f"w{cs.pk}_on_hand") == D("10")
    assert getattr(product, f"w{cs.pk}_reserved") == D("3")
    assert getattr(product, f"w{zz.pk}_on_hand") == D("4")
    assert (product.total_on_hand, product.total_reserved, product.total_available) == (D("14"), D("3"), D("11"))


def test_level_page_rows_have_cells_with_available_and_low_flag(cast, world):
    cs, zz, _floor, _board, _empty = world
    rows, total = level_page(filters=LevelFilters(), page=1, per_page=50)
    assert total == 3
    rows = _by_model(rows)
    floor_cells = {c["warehouse"].pk: c for c in rows["NQ-801"]["cells"]}
    assert (floor_cells[cs.pk]["available"], floor_cells[zz.pk]["available"]) == (D("7"), D("4"))
    assert rows["XPS-30"]["low"] is True and rows["NQ-801"]["low"] is False
    assert rows["EMPTY-1"]["on_hand"] == D("0")


def test_filters_low_in_stock_search_series_and_warehouse(cast, world):
    cs, zz, _floor, _board, _empty = world
    models = lambda f: sorted(p.model for p in level_rows(filters=f))  # noqa: E731
    assert models(LevelFilters(low_only=True)) == ["XPS-30"]
    assert models(LevelFilters(in_stock_only=True)) == ["NQ-801", "XPS-30"]
    assert models(LevelFilters(q="橡木")) == ["NQ-801"]
    assert models(LevelFilters(q="xps")) == ["XPS-30"]
    series_id = level_rows(filters=LevelFilters(q="NQ-801")).get().series_id
    assert models(LevelFilters(series=series_id)) == ["NQ-801"]
    assert models(LevelFilters(warehouse=zz.pk, in_stock_only=True)) == ["NQ-801"]
    only_zz = level_rows(filters=LevelFilters(warehouse=zz.pk)).get(model="NQ-801")
    assert only_zz.total_on_hand == D("4") and not hasattr(only_zz, f"w{cs.pk}_on_hand")


def test_inactive_products_hidden_unless_asked(cast, world):
    _cs, _zz, _floor, _board, empty = world
    catalog.product_update(product=empty, fields={"is_active": False}, by=cast.admin)
    assert not level_rows(filters=LevelFilters()).filter(pk=empty.pk).exists()
    assert level_rows(filters=LevelFilters(include_inactive=True)).filter(pk=empty.pk).exists()


def test_sort_by_available(cast, world):
    rows = list(level_rows(filters=LevelFilters(sort="-available")))
    assert [p.model for p in rows] == ["NQ-801", "XPS-30", "EMPTY-1"]


def test_inactive_warehouse_has_no_column(cast, world):
    cs, zz, floor, _board, _empty = world
    services.warehouse_update(warehouse=zz, fields={"is_active": False}, by=cast.admin)
    assert list(warehouses_active()) == [cs]
    product = level_rows(filters=LevelFilters()).get(pk=floor.pk)
    assert product.total_on_hand == D("10") and not hasattr(product, f"w{zz.pk}_on_hand")


def test_level_page_query_count_does_not_grow_with_rows(cast, world):
    for index in range(30):
        product = make_product(cast, f"BULK-{index:02d}")
        receive(cast, world[0], product, "1")
    with CaptureQueriesContext(connection) as small:
        level_page(filters=LevelFilters(), page=1, per_page=5)
    with CaptureQueriesContext(connection) as large:
        rows, total = level_page(filters=LevelFilters(), page=1, per_page=30)
    assert total == 33 and len(rows) == 30
    assert len(large) == len(small) <= 3


def test_levels_for_product_has_zero_rows_for_missing_warehouses(cast, world):
    cs, zz, _floor, board, _empty = world
    levels = levels_for_product(product=board)
    assert [(lv.warehouse_id, lv.on_hand, lv.pk is None) for lv in levels] == [
        (cs.pk, D("2"), False),
        (zz.pk, D("0"), True),
    ]


def test_availability_per_warehouse_and_total(cast, world):
    cs, zz, floor, _board, _empty = world
    data = availability(product=floor)
    rows = {r["warehouse_id"]: r for r in data["warehouses"]}
    assert (rows[cs.pk]["on_hand"], rows[cs.pk]["reserved"], rows[cs.pk]["available"]) == (D("10"), D("3"), D("7"))
    assert rows[zz.pk]["available"] == D("4")
    assert data["total"] == {"on_hand": D("14"), "reserved": D("3"), "available": D("11")}


def test_move_list_filters(cast, world):
    cs, zz, floor, board, _empty = world
    posted = services.stock_transfer(source=cs, target=zz, lines=[Line(floor, "1")], by=cast.warehouse)
    assert move_list(filters=MoveFilters(document_number=posted.number)).count() == 2
    assert move_list(filters=MoveFilters(kind="transfer")).count() == 2
    assert move_list(filters=MoveFilters(kind=MoveKind.TRANSFER_IN)).get().warehouse == zz
    assert move_list(filters=MoveFilters(warehouse=cs.pk, product=board.pk)).count() == 1
    assert move_list(filters=MoveFilters(q="橡木")).count() == 4  # 2 receipts + 2 transfer rows
    today = dt.date.today()
    assert move_list(filters=MoveFilters(date_from=today + dt.timedelta(days=1))).count() == 0
    assert move_list(filters=MoveFilters(date_to=today + dt.timedelta(days=1))).count() == 5


def test_warehouse_totals(cast, world):
    cs, zz, _floor, _board, _empty = world
    totals = {row["warehouse"].pk: row for row in warehouse_totals()}
    assert (totals[cs.pk]["products"], totals[cs.pk]["on_hand"], totals[cs.pk]["reserved"]) == (2, D("12"), D("3"))
    assert totals[cs.pk]["low"] == 1
    assert totals[cs.pk]["value"] == D("720.00")  # 12 × 60 cost
    assert totals[zz.pk]["available"] == D("4")
