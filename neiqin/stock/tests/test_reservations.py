"""Reservations (INV-3): reserve, reserve_from, release, consume and release_for, unit by unit.

Every refusal must leave the levels, the reservations and the audit trail exactly as they were.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from neiqin.catalog.services import product_create
from neiqin.core.errors import Conflict, ValidationFailed
from neiqin.core.models import Event
from neiqin.stock.choices import MoveKind, ReservationStatus
from neiqin.stock.models import Reservation, StockLevel, StockMove
from neiqin.stock.services import (
    Document,
    For,
    InsufficientStock,
    Line,
    Want,
    ledger_balance,
    reservation_consume,
    reservation_release,
    reservations_release_for,
    reserve,
    reserve_available,
    reserve_from,
    stock_receive,
    stock_ship,
    warehouse_create,
)

D = Decimal


@pytest.fixture
def world(cast):
    """Two warehouses and one product with 5 in 长沙库 and 10 in 郑州库."""
    w1 = warehouse_create(fields={"code": "CS", "name": "长沙库", "sort_order": 1}, by=cast.admin)
    w2 = warehouse_create(fields={"code": "ZZ", "name": "郑州库", "sort_order": 2}, by=cast.admin)
    product = product_create(fields={"name": "强化复合地板", "model": "QH-801", "unit": "箱"}, by=cast.admin)
    stock_receive(warehouse=w1, lines=[Line(product, "5")], by=cast.warehouse)
    stock_receive(warehouse=w2, lines=[Line(product, "10")], by=cast.warehouse)
    return {"w1": w1, "w2": w2, "product": product, "by": cast.clerk, "cast": cast}


def level(warehouse, product) -> StockLevel:
    return StockLevel.objects.get(warehouse=warehouse, product=product)


def snapshot() -> tuple:
    """Everything a refused call must leave untouched."""
    levels = tuple(StockLevel.objects.order_by("pk").values_list("pk", "on_hand", "reserved"))
    reservations = tuple(
        Reservation.objects.order_by("pk").values_list("pk", "quantity", "original_quantity", "status")
    )
    return levels, reservations, StockMove.objects.count(), Event.objects.count()


def order(n: int, line: str = "") -> For:
    return For("order", f"o{n}", number=f"XS-{n:05d}", line=line)


# --- reserve ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_reserve_holds_stock_and_records_it(world):
    w1, product = world["w1"], world["product"]
    r = reserve(product=product, warehouse=w1, quantity="3", document=order(1, "1"), by=world["by"])
    assert (r.quantity, r.original_quantity, r.status) == (D("3"), D("3"), ReservationStatus.ACTIVE)
    assert (r.document_type, r.document_id, r.document_number, r.line_key) == ("order", "o1", "XS-00001", "1")
    lv = level(w1, product)
    assert (lv.on_hand, lv.reserved, lv.available) == (D("5"), D("3"), D("2"))
    assert Event.objects.filter(action="stock.reservation.reserved", object_id=str(r.pk)).count() == 1


@pytest.mark.django_db
def test_reserve_refuses_more_than_available_and_changes_nothing(world):
    w1, product, by = world["w1"], world["product"], world["by"]
    reserve(product=product, warehouse=w1, quantity="4", document=order(1), by=by)
    before = snapshot()
    with pytest.raises(InsufficientStock) as info:
        reserve(product=product, warehouse=w1, quantity="2", document=order(2), by=by)
    assert info.value.extra["requested"] == "2.000"
    assert info.value.extra["available"] == "1.000"
    assert info.value.extra["warehouse"] == w1.pk
    assert isinstance(info.value, Conflict) and info.value.code == "insufficient_stock"
    assert "可用库存只有 1" in str(info.value.message)
    assert snapshot() == before


@pytest.mark.django_db
def test_reserve_exactly_the_available_quantity(world):
    w1, product, by = world["w1"], world["product"], world["by"]
    reserve(product=product, warehouse=w1, quantity="5", document=order(1), by=by)
    assert level(w1, product).available == 0
    with pytest.raises(InsufficientStock):
        reserve(product=product, warehouse=w1, quantity="0.001", document=order(2), by=by)


@pytest.mark.django_db
def test_reserve_in_a_warehouse_without_any_level_row_is_refused(world):
    cast = world["cast"]
    w3 = warehouse_create(fields={"code": "XA", "name": "西安库"}, by=cast.admin)
    with pytest.raises(InsufficientStock):
        reserve(product=world["product"], warehouse=w3, quantity="1", document=order(1), by=world["by"])
    assert Reservation.objects.count() == 0
    assert not StockLevel.objects.filter(warehouse=w3, reserved__gt=0).exists()


@pytest.mark.django_db
def test_duplicate_reserve_for_the_same_document_line_merges(world):
    w2, product, by = world["w2"], world["product"], world["by"]
    first = reserve(product=product, warehouse=w2, quantity="2", document=order(1, "L1"), by=by)
    again = reserve(product=product, warehouse=w2, quantity="3", document=order(1, "L1"), by=by)
    assert again.pk == first.pk
    assert Reservation.objects.count() == 1
    again.refresh_from_db()
    assert (again.quantity, again.original_quantity) == (D("5"), D("5"))
    other_line = reserve(product=product, warehouse=w2, quantity="1", document=order(1, "L2"), by=by)
    assert other_line.pk != first.pk
    assert level(w2, product).reserved == D("6")


@pytest.mark.django_db
def test_reserve_again_after_full_release_creates_a_new_reservation(world):
    w2, product, by = world["w2"], world["product"], world["by"]
    first = reserve(product=product, warehouse=w2, quantity="2", document=order(1), by=by)
    reservation_release(reservation=first, by=by)
    second = reserve(product=product, warehouse=w2, quantity="4", document=order(1), by=by)
    assert second.pk != first.pk
    first.refresh_from_db()
    assert first.status == ReservationStatus.RELEASED
    assert level(w2, product).reserved == D("4")


# --- reserve_from ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_reserve_from_takes_the_first_warehouse_in_order_that_has_it_all(world):
    w1, w2, product, by = world["w1"], world["w2"], world["product"], world["by"]
    (r,) = reserve_from(product=product, warehouses=[w1, w2], quantity="3", document=order(1), by=by)
    assert r.warehouse_id == w1.pk
    (r,) = reserve_from(product=product, warehouses=[w2, w1], quantity="3", document=order(2), by=by)
    assert r.warehouse_id == w2.pk
    # 长沙库 has 2 left: 8 comes whole from 郑州库 (7 left there), no split needed
    (r,) = reserve_from(product=product, warehouses=[w1, w2], quantity="7", document=order(3), by=by)
    assert (r.warehouse_id, r.quantity) == (w2.pk, D("7"))
    assert (level(w1, product).reserved, level(w2, product).reserved) == (D("3"), D("10"))


@pytest.mark.django_db
def test_reserve_from_without_split_refuses_when_no_single_warehouse_has_it(world):
    w1, w2, product, by = world["w1"], world["w2"], world["product"], world["by"]
    before = snapshot()
    with pytest.raises(InsufficientStock) as info:
        reserve_from(product=product, warehouses=[w1, w2], quantity="12", document=order(1), by=by)
    assert info.value.extra["available"] == "15.000"  # the total over the warehouses asked
    assert info.value.extra["warehouse"] is None
    assert "各仓库" in str(info.value.message)
    assert snapshot() == before


@pytest.mark.django_db
def test_reserve_from_with_split_fills_in_the_given_order(world):
    w1, w2, product, by = world["w1"], world["w2"], world["product"], world["by"]
    reservations = reserve_from(
        product=product, warehouses=[w1, w2], quantity="12", document=order(1), by=by, split=True
    )
    assert [(r.warehouse_id, r.quantity) for r in reservations] == [(w1.pk, D("5")), (w2.pk, D("7"))]
    reservations = reserve_from(
        product=product, warehouses=[w2, w1], quantity="2", document=order(2), by=by, split=True
    )
    assert [(r.warehouse_id, r.quantity) for r in reservations] == [(w2.pk, D("2"))]
    assert (level(w1, product).reserved, level(w2, product).reserved) == (D("5"), D("9"))


@pytest.mark.django_db
def test_reserve_from_with_split_is_all_or_nothing(world):
    w1, w2, product, by = world["w1"], world["w2"], world["product"], world["by"]
    reserve(product=product, warehouse=w2, quantity="1", document=order(9), by=by)
    before = snapshot()
    with pytest.raises(InsufficientStock) as info:
        reserve_from(product=product, warehouses=[w1, w2], quantity="15", document=order(1), by=by, split=True)
    assert info.value.extra["available"] == "14.000"
    assert snapshot() == before
    assert not Reservation.objects.filter(document_id="o1").exists()


@pytest.mark.django_db
def test_reserve_from_needs_a_warehouse(world):
    with pytest.raises(ValidationFailed) as info:
        reserve_from(product=world["product"], warehouses=[], quantity="1", document=order(1), by=world["by"])
    assert "warehouse" in info.value.extra["fields"]


# --- release -----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_partial_then_full_release(world):
    w2, product, by = world["w2"], world["product"], world["by"]
    r = reserve(product=product, warehouse=w2, quantity="6", document=order(1), by=by)
    r = reservation_release(reservation=r, by=by, quantity="2.5")
    assert (r.quantity, r.original_quantity, r.status) == (D("3.5"), D("6"), ReservationStatus.ACTIVE)
    assert level(w2, product).reserved == D("3.5")
    r = reservation_release(reservation=r, by=by)
    assert (r.quantity, r.status) == (D("0"), ReservationStatus.RELEASED)
    assert level(w2, product).reserved == 0
    assert level(w2, product).on_hand == D("10")
    assert Event.objects.filter(action="stock.reservation.released", object_id=str(r.pk)).count() == 2


@pytest.mark.django_db
def test_releasing_twice_is_a_conflict_and_changes_nothing(world):
    w2, product, by = world["w2"], world["product"], world["by"]
    r = reserve(product=product, warehouse=w2, quantity="6", document=order(1), by=by)
    reservation_release(reservation=r, by=by)
    before = snapshot()
    with pytest.raises(Conflict) as info:
        reservation_release(reservation=r, by=by)
    assert info.value.code == "reservation_closed"
    assert snapshot() == before


@pytest.mark.django_db
def test_release_more_than_held_is_refused(world):
    w2, product, by = world["w2"], world["product"], world["by"]
    r = reserve(product=product, warehouse=w2, quantity="2", document=order(1), by=by)
    before = snapshot()
    with pytest.raises(ValidationFailed) as info:
        reservation_release(reservation=r, by=by, quantity="2.001")
    assert "quantity" in info.value.extra["fields"]
    assert snapshot() == before


@pytest.mark.django_db
def test_release_for_a_document_releases_only_its_active_reservations(world):
    w1, w2, product, by = world["w1"], world["w2"], world["product"], world["by"]
    reserve_from(product=product, warehouses=[w1, w2], quantity="12", document=order(1, "1"), by=by, split=True)
    reserve(product=product, warehouse=w2, quantity="1", document=order(1, "2"), by=by)
    other = reserve(product=product, warehouse=w2, quantity="2", document=order(2), by=by)
    assert reservations_release_for(document_type="order", document_id="o1", by=by) == 3
    assert (level(w1, product).reserved, level(w2, product).reserved) == (D("0"), D("2"))
    other.refresh_from_db()
    assert other.status == ReservationStatus.ACTIVE
    assert set(Reservation.objects.filter(document_id="o1").values_list("status", flat=True)) == {"released"}
    assert reservations_release_for(document_type="order", document_id="o1", by=by) == 0
    assert reservations_release_for(document_type="quote", document_id="o2", by=by) == 0  # other type
    assert level(w2, product).reserved == D("2")


# --- consume -----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_consume_ships_reserved_goods(world):
    w1, product, by = world["w1"], world["product"], world["by"]
    r = reserve(product=product, warehouse=w1, quantity="4", document=order(1), by=by)
    move = reservation_consume(reservation=r, quantity="1.5", by=by, document=Document("shipment", "s1", "FH-1"))
    assert (move.kind, move.quantity, move.balance_after) == (MoveKind.SHIPMENT, D("-1.5"), D("3.5"))
    assert (move.document_type, move.document_number) == ("shipment", "FH-1")
    lv = level(w1, product)
    assert (lv.on_hand, lv.reserved) == (D("3.5"), D("2.5"))
    assert lv.last_outbound_on is not None
    r.refresh_from_db()
    assert (r.quantity, r.status) == (D("2.5"), ReservationStatus.ACTIVE)
    reservation_consume(reservation=r, quantity="2.5", by=by, document=Document("shipment", "s2", "FH-2"))
    r.refresh_from_db()
    assert (r.quantity, r.status) == (D("0"), ReservationStatus.CONSUMED)
    assert ledger_balance(warehouse=w1, product=product) == level(w1, product).on_hand == D("1")
    with pytest.raises(Conflict):
        reservation_consume(reservation=r, quantity="1", by=by, document=Document("shipment", "s3", "FH-3"))


@pytest.mark.django_db
def test_consume_more_than_reserved_is_refused(world):
    w1, product, by = world["w1"], world["product"], world["by"]
    r = reserve(product=product, warehouse=w1, quantity="2", document=order(1), by=by)
    before = snapshot()
    with pytest.raises(ValidationFailed) as info:
        reservation_consume(reservation=r, quantity="3", by=by, document=Document("shipment", "s1", "FH-1"))
    assert "quantity" in info.value.extra["fields"]
    assert snapshot() == before


@pytest.mark.django_db
def test_consume_works_when_everything_is_reserved_but_others_cannot_ship(world, cast):
    w1, product, by = world["w1"], world["product"], world["by"]
    mine = reserve(product=product, warehouse=w1, quantity="3", document=order(1), by=by)
    reserve(product=product, warehouse=w1, quantity="2", document=order(2), by=by)
    assert level(w1, product).available == 0
    with pytest.raises(InsufficientStock):
        stock_ship(warehouse=w1, lines=[Line(product, "1")], by=cast.warehouse, reason="样品")
    reservation_consume(reservation=mine, quantity="3", by=by, document=Document("shipment", "s1", "FH-1"))
    lv = level(w1, product)
    assert (lv.on_hand, lv.reserved) == (D("2"), D("2"))


# --- reserve_available (a whole document at once) ----------------------------------------------------


@pytest.mark.django_db
def test_reserve_available_takes_what_is_there_line_by_line_in_warehouse_order(world, cast):
    """Three lines of one document: the first fits in 长沙库; the second (same product) no longer
    does, so it comes whole from 郑州库 (one warehouse that has it all beats a split); the third
    prefers 郑州库 and gets only what is left of both; the fourth finds nothing. The levels, the
    reservations and the audit trail agree."""
    w1, w2, product, by = world["w1"], world["w2"], world["product"], world["by"]
    other = product_create(fields={"name": "踢脚线", "model": "TJ-60", "unit": "根"}, by=cast.admin)
    events = Event.objects.filter(action="stock.reservation.reserved").count()
    taken = reserve_available(
        wants=[
            Want(product, [w1, w2], D("3"), line="a"),
            Want(product, [w1, w2], D("6"), line="b"),
            Want(product, [w2, w1], D("9"), line="c"),
            Want(other, [w1, w2], D("2"), line="d"),  # nothing in stock anywhere
        ],
        document=order(7),
        by=by,
    )
    assert taken == [D("3"), D("6"), D("6"), D("0")]
    assert (level(w1, product).reserved, level(w2, product).reserved) == (D("5"), D("10"))
    held = {
        (r.line_key, r.warehouse_id): r.quantity
        for r in Reservation.objects.filter(document_id="o7", status=ReservationStatus.ACTIVE)
    }
    assert held == {("a", w1.pk): D("3"), ("b", w2.pk): D("6"), ("c", w2.pk): D("4"), ("c", w1.pk): D("2")}
    assert Event.objects.filter(action="stock.reservation.reserved").count() == events + 4
    assert not StockLevel.objects.filter(product=other, reserved__gt=0).exists()


@pytest.mark.django_db
def test_reserve_available_adds_to_a_line_that_already_holds_stock(world):
    w1, w2, product, by = world["w1"], world["w2"], world["product"], world["by"]
    first = reserve(product=product, warehouse=w1, quantity="2", document=order(8, "x"), by=by)
    taken = reserve_available(wants=[Want(product, [w1, w2], D("3"), line="x")], document=order(8), by=by)
    assert taken == [D("3")]
    first.refresh_from_db()
    assert (first.quantity, first.original_quantity) == (D("5"), D("5"))  # 长沙库 had exactly 3 more
    assert Reservation.objects.filter(document_id="o8").count() == 1
    assert (level(w1, product).reserved, level(w2, product).reserved) == (D("5"), D("0"))


@pytest.mark.django_db
@pytest.mark.parametrize("bad", ["-1", "0", "abc", None])
def test_reserve_available_refuses_bad_quantities_and_changes_nothing(world, bad):
    w1, w2, product, by = world["w1"], world["w2"], world["product"], world["by"]
    before = snapshot()
    with pytest.raises(ValidationFailed) as info:
        reserve_available(
            wants=[Want(product, [w1, w2], D("1"), line="1"), Want(product, [w1, w2], bad, line="2")],
            document=order(9),
            by=by,
        )
    assert list(info.value.extra["fields"]) == ["quantity"]
    assert snapshot() == before


# --- bad input ---------------------------------------------------------------------------------------

BAD_QUANTITIES = ["-1", "0", "abc", "", None, "1.2345", "NaN", "1e400", float("nan")]


@pytest.mark.django_db
@pytest.mark.parametrize("bad", BAD_QUANTITIES)
def test_bad_quantity_is_refused_everywhere_and_changes_nothing(world, bad):
    w1, w2, product, by = world["w1"], world["w2"], world["product"], world["by"]
    held = reserve(product=product, warehouse=w2, quantity="2", document=order(1), by=by)
    before = snapshot()
    calls = [
        lambda: reserve(product=product, warehouse=w1, quantity=bad, document=order(2), by=by),
        lambda: reserve_from(product=product, warehouses=[w1, w2], quantity=bad, document=order(2), by=by),
        lambda: reserve_from(product=product, warehouses=[w1, w2], quantity=bad, document=order(2), by=by, split=True),
        # quantity=None means "release all" for a release, so only the other inputs apply there
        *([lambda: reservation_release(reservation=held, quantity=bad, by=by)] if bad is not None else []),
        lambda: reservation_consume(reservation=held, quantity=bad, by=by, document=Document("shipment", "s", "FH")),
    ]
    for call in calls:
        with pytest.raises(ValidationFailed) as info:
            call()
        assert list(info.value.extra["fields"]) == ["quantity"], (bad, info.value.extra)
        assert str(info.value.message)
    assert snapshot() == before
