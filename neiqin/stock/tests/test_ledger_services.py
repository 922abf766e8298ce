"""The ledger through the document services: every move kind changes the level and writes one
ledger row with the balance after it; refusals change nothing (INV-2)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from neiqin.core.errors import PermissionDenied, ValidationFailed
from neiqin.stock import services
from neiqin.stock.choices import MoveKind
from neiqin.stock.models import StockMove
from neiqin.stock.services import For, InsufficientStock, Line
from neiqin.stock.tests.test_levels_support import level, make_product, make_warehouse, on_hand, receive, snapshot

D = Decimal


@pytest.fixture
def world(cast):
    cs = make_warehouse(cast, "CS", "长沙库")
    zz = make_warehouse(cast, "ZZ", "郑州库")
    floor = make_product(cast, "NQ-801")
    board = make_product(cast, "XPS-30")
    return cs, zz, floor, board


def test_receipt_raises_on_hand_and_writes_one_row_with_balance(cast, world):
    cs, _zz, floor, _board = world
    receive(cast, cs, floor, "10")
    posted = services.stock_receive(warehouse=cs, lines=[Line(floor, "2.5")], by=cast.warehouse, reason="到货")
    assert on_hand(cs, floor) == D("12.5")
    moves = list(StockMove.objects.filter(document_number=posted.number))
    assert len(moves) == 1
    assert (moves[0].kind, moves[0].quantity, moves[0].balance_after) == (MoveKind.RECEIPT, D("2.5"), D("12.5"))
    assert moves[0].created_by == cast.warehouse
    assert level(cs, floor).last_inbound_on is not None


def test_shipment_lowers_on_hand_and_records_customer_and_reason(cast, world):
    from neiqin.customers import services as customers

    cs, _zz, floor, _board = world
    customer = customers.customer_create(fields={"name": "出库测试有限公司"}, by=cast.clerk, owner=cast.sales1)
    receive(cast, cs, floor, "10")
    posted = services.stock_ship(
        warehouse=cs, lines=[Line(floor, "4")], by=cast.warehouse, reason="样品", customer=customer
    )
    (move,) = StockMove.objects.filter(document_number=posted.number)
    assert (move.kind, move.quantity, move.balance_after) == (MoveKind.SHIPMENT, D("-4"), D("6"))
    assert move.customer == customer and move.reason == "样品"
    assert on_hand(cs, floor) == D("6")
    assert level(cs, floor).last_outbound_on is not None


def test_adjustment_signed_both_ways(cast, world):
    cs, _zz, floor, board = world
    receive(cast, cs, floor, "10")
    posted = services.stock_adjust(
        warehouse=cs, lines=[Line(floor, "-3"), Line(board, "7")], by=cast.warehouse, reason="盘点差异"
    )
    moves = {m.product_id: m for m in StockMove.objects.filter(document_number=posted.number)}
    assert (moves[floor.pk].quantity, moves[floor.pk].balance_after) == (D("-3"), D("7"))
    assert (moves[board.pk].quantity, moves[board.pk].balance_after) == (D("7"), D("7"))
    assert {m.kind for m in moves.values()} == {MoveKind.ADJUSTMENT}


def test_transfer_is_two_rows_under_one_number(cast, world):
    cs, zz, floor, _board = world
    receive(cast, cs, floor, "10")
    posted = services.stock_transfer(source=cs, target=zz, lines=[Line(floor, "4")], by=cast.warehouse)
    moves = list(StockMove.objects.filter(document_number=posted.number).order_by("quantity"))
    assert [(m.warehouse_id, m.kind, m.quantity, m.balance_after, m.counterpart_id) for m in moves] == [
        (cs.pk, MoveKind.TRANSFER_OUT, D("-4"), D("6"), zz.pk),
        (zz.pk, MoveKind.TRANSFER_IN, D("4"), D("4"), cs.pk),
    ]
    assert (on_hand(cs, floor), on_hand(zz, floor)) == (D("6"), D("4"))


def test_on_hand_always_equals_the_ledger(cast, world):
    cs, zz, floor, _board = world
    receive(cast, cs, floor, "10")
    services.stock_transfer(source=cs, target=zz, lines=[Line(floor, "3")], by=cast.warehouse)
    services.stock_ship(warehouse=zz, lines=[Line(floor, "1")], by=cast.warehouse, reason="补发")
    services.stock_adjust(warehouse=cs, lines=[Line(floor, "-2")], by=cast.warehouse, reason="破损")
    for warehouse in (cs, zz):
        assert on_hand(warehouse, floor) == services.ledger_balance(warehouse=warehouse, product=floor)
    assert (on_hand(cs, floor), on_hand(zz, floor)) == (D("5"), D("2"))


@pytest.mark.parametrize(
    ("quantity", "message"),
    [("-1", "不能为负数"), ("abc", "必须是数字"), ("0", "必须大于 0"), ("", "请填写"), ("1.2345", "最多保留 3 位小数")],
)
def test_bad_quantity_refused_with_message_and_nothing_changed(cast, world, quantity, message):
    cs, _zz, floor, _board = world
    receive(cast, cs, floor, "10")
    before = snapshot()
    with pytest.raises(ValidationFailed) as exc:
        services.stock_receive(warehouse=cs, lines=[Line(floor, quantity)], by=cast.warehouse)
    assert message in str(exc.value.message)
    assert exc.value.extra["fields"]["lines.1.quantity"]
    assert snapshot() == before


def test_adjustment_of_zero_refused(cast, world):
    cs, _zz, floor, _board = world
    before = snapshot()
    with pytest.raises(ValidationFailed) as exc:
        services.stock_adjust(warehouse=cs, lines=[Line(floor, "0")], by=cast.warehouse, reason="x")
    assert "不能为 0" in exc.value.message
    assert snapshot() == before


def test_transfer_to_the_same_warehouse_refused(cast, world):
    cs, _zz, floor, _board = world
    receive(cast, cs, floor, "10")
    before = snapshot()
    with pytest.raises(ValidationFailed) as exc:
        services.stock_transfer(source=cs, target=cs, lines=[Line(floor, "1")], by=cast.warehouse)
    assert "不能相同" in exc.value.message
    assert snapshot() == before


def test_move_that_would_make_stock_negative_refused_with_available_figures(cast, world):
    cs, _zz, floor, board = world
    receive(cast, cs, floor, "5")
    receive(cast, cs, board, "5")
    before = snapshot()
    with pytest.raises(InsufficientStock) as exc:
        # the first line is fine, the second is not: nothing at all is posted
        services.stock_ship(warehouse=cs, lines=[Line(board, "1"), Line(floor, "8")], by=cast.warehouse, reason="x")
    assert exc.value.extra["available"] == "5.000" and exc.value.extra["requested"] == "8.000"
    assert "只有 5" in exc.value.message and "不够 8" in exc.value.message
    assert snapshot() == before


def test_adjustment_cannot_go_below_zero(cast, world):
    cs, _zz, floor, _board = world
    receive(cast, cs, floor, "2")
    before = snapshot()
    with pytest.raises(InsufficientStock):
        services.stock_adjust(warehouse=cs, lines=[Line(floor, "-3")], by=cast.warehouse, reason="丢失")
    assert snapshot() == before


def test_shipment_of_reserved_stock_beyond_available_refused(cast, world):
    cs, _zz, floor, _board = world
    receive(cast, cs, floor, "10")
    services.reserve(product=floor, warehouse=cs, quantity="7", document=For("order", 1, "SO-1"), by=cast.clerk)
    before = snapshot()
    with pytest.raises(InsufficientStock) as exc:
        services.stock_ship(warehouse=cs, lines=[Line(floor, "4")], by=cast.warehouse, reason="样品")
    assert exc.value.extra["available"] == "3.000"
    assert snapshot() == before
    services.stock_ship(warehouse=cs, lines=[Line(floor, "3")], by=cast.warehouse, reason="样品")
    assert (on_hand(cs, floor), level(cs, floor).reserved) == (D("7"), D("7"))


def test_transfer_out_of_reserved_stock_refused(cast, world):
    cs, zz, floor, _board = world
    receive(cast, cs, floor, "10")
    services.reserve(product=floor, warehouse=cs, quantity="10", document=For("order", 2, "SO-2"), by=cast.clerk)
    before = snapshot()
    with pytest.raises(InsufficientStock):
        services.stock_transfer(source=cs, target=zz, lines=[Line(floor, "1")], by=cast.warehouse)
    assert snapshot() == before


def test_inactive_warehouse_refused(cast, world):
    cs, zz, floor, _board = world
    receive(cast, cs, floor, "10")
    services.warehouse_update(warehouse=zz, fields={"is_active": False}, by=cast.admin)
    zz.refresh_from_db()
    before = snapshot()
    with pytest.raises(ValidationFailed) as exc:
        services.stock_receive(warehouse=zz, lines=[Line(floor, "1")], by=cast.warehouse)
    assert "已停用" in exc.value.message
    with pytest.raises(ValidationFailed):
        services.stock_transfer(source=cs, target=zz, lines=[Line(floor, "1")], by=cast.warehouse)
    assert snapshot() == before


def test_allow_negative_warehouse_permits_negative_stock(cast, world):
    _cs, _zz, floor, _board = world
    site = make_warehouse(cast, "GD", "工地临时库", allow_negative=True)
    posted = services.stock_ship(warehouse=site, lines=[Line(floor, "3")], by=cast.warehouse, reason="先发后补")
    (move,) = StockMove.objects.filter(document_number=posted.number)
    assert move.balance_after == D("-3")
    assert on_hand(site, floor) == D("-3")


def test_only_movers_post(cast, world):
    cs, _zz, floor, _board = world
    before = snapshot()
    for user in (cast.clerk, cast.sales1, cast.finance):
        with pytest.raises(PermissionDenied):
            services.stock_receive(warehouse=cs, lines=[Line(floor, "1")], by=user)
    assert snapshot() == before


def test_document_numbers_follow_the_business_date(cast, world):
    cs, _zz, floor, _board = world
    posted = services.stock_receive(
        warehouse=cs, lines=[Line(floor, "1")], by=cast.warehouse, moved_on=dt.date(2025, 3, 1)
    )
    (move,) = StockMove.objects.filter(document_number=posted.number)
    assert move.moved_on == dt.date(2025, 3, 1)
    assert posted.number
