"""RELIABILITY R1: no oversell, on both engines, with real processes.

Eight ``spawn`` processes hit the stock services at once against the test database (SQLite file or
PostgreSQL). The assertions are exact (vendure#4930: a ``<=`` passes when nothing was allocated):
demand is several times the supply, so every unit must be allocated exactly once.

The worker functions live in this module so that the child processes can import them.
"""

from __future__ import annotations

import multiprocessing
import random
import time
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Sum

from neiqin.catalog.services import product_create
from neiqin.core.testing import run_processes
from neiqin.stock.models import Reservation, StockLevel, StockMove
from neiqin.stock.services import Line, ledger_balance, reserve, stock_receive, warehouse_create

D = Decimal
WORKERS = 8
ATTEMPTS = 40
SEED = 20261123

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]


# --- child-process workers (importable, no fixtures) -------------------------------------------------


def _wait(start_at: float) -> None:
    while time.time() < start_at:
        time.sleep(0.005)


def _error(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def reserve_worker(worker: int, product_id: int, warehouse_ids: list[int], start_at: float) -> dict:
    """40 attempts to reserve 1–3 units for a new order line, from both warehouses in a random
    order, splitting or not at random (all seeded)."""
    from neiqin.accounts.models import User
    from neiqin.catalog.models import Product
    from neiqin.stock.models import Warehouse
    from neiqin.stock.services import For, InsufficientStock, reserve_from

    rng = random.Random(SEED * 100 + worker)
    clerk = User.objects.get(username="clerk")
    product = Product.objects.get(pk=product_id)
    warehouses = list(Warehouse.objects.filter(pk__in=warehouse_ids))
    _wait(start_at)
    taken: list[tuple[int, str]] = []
    refused, errors = 0, []
    for attempt in range(ATTEMPTS):
        quantity = rng.randint(1, 3)
        split = rng.random() < 0.5
        order = rng.sample(warehouses, len(warehouses))
        document = For("order", f"w{worker}-{attempt}", number=f"XS-{worker}-{attempt}")
        try:
            made = reserve_from(
                product=product, warehouses=order, quantity=quantity, document=document, by=clerk, split=split
            )
            taken += [(r.pk, str(r.quantity)) for r in made]
        except InsufficientStock:
            refused += 1
        except Exception as exc:  # noqa: BLE001 - every other failure is reported to the test
            errors.append(_error(exc))
    return {"taken": taken, "refused": refused, "errors": errors}


def ship_worker(worker: int, product_id: int, warehouse_ids: list[int], start_at: float) -> dict:
    """40 attempts to ship 1–3 unreserved units (no order) from a random warehouse."""
    from neiqin.accounts.models import User
    from neiqin.catalog.models import Product
    from neiqin.stock.models import Warehouse
    from neiqin.stock.services import InsufficientStock, Line, stock_ship

    rng = random.Random(SEED * 200 + worker)
    keeper = User.objects.get(username="warehouse")
    product = Product.objects.get(pk=product_id)
    warehouses = list(Warehouse.objects.filter(pk__in=warehouse_ids).order_by("pk"))
    _wait(start_at)
    shipped: list[tuple[int, str]] = []
    refused, errors = 0, []
    for _attempt in range(ATTEMPTS):
        quantity = rng.randint(1, 3)
        warehouse = rng.choice(warehouses)
        try:
            posted = stock_ship(warehouse=warehouse, lines=[Line(product, quantity)], by=keeper, reason="并发样品出库")
            shipped.append((warehouse.pk, str(-posted.moves[0].quantity)))
        except InsufficientStock:
            refused += 1
        except Exception as exc:  # noqa: BLE001
            errors.append(_error(exc))
    return {"shipped": shipped, "refused": refused, "errors": errors}


def consume_worker(worker: int, reservation_ids: list[int], start_at: float) -> dict:
    """Ship every reservation one unit at a time, in a shuffled order; other processes do the same
    with the same reservations, so most attempts find the reservation already shipped."""
    from neiqin.accounts.models import User
    from neiqin.core.errors import Conflict, ValidationFailed
    from neiqin.stock.models import Reservation
    from neiqin.stock.services import Document, reservation_consume

    rng = random.Random(SEED * 300 + worker)
    keeper = User.objects.get(username="warehouse")
    ids = rng.sample(reservation_ids, len(reservation_ids))
    _wait(start_at)
    consumed: list[tuple[int, str]] = []
    closed, short, errors = 0, 0, []
    for n, pk in enumerate(ids):
        reservation = Reservation.objects.get(pk=pk)
        while True:
            try:
                move = reservation_consume(
                    reservation=reservation, quantity="1", by=keeper, document=Document("shipment", f"c{worker}-{n}")
                )
                consumed.append((move.warehouse_id, str(-move.quantity)))
            except ValidationFailed:  # less than 1 left for us (cannot happen with whole units)
                short += 1
                break
            except Conflict as exc:  # shipped out or released completely (by us or by someone else)
                if exc.code == "reservation_closed":
                    closed += 1
                else:
                    errors.append(_error(exc))
                break
            except Exception as exc:  # noqa: BLE001
                errors.append(_error(exc))
                break
    return {"consumed": consumed, "closed": closed, "short": short, "errors": errors}


def release_worker(worker: int, reservation_ids: list[int], start_at: float) -> dict:
    """Cancel (release) the given reservations in a shuffled order while others ship them."""
    from neiqin.accounts.models import User
    from neiqin.core.errors import Conflict
    from neiqin.stock.models import Reservation
    from neiqin.stock.services import reservation_release

    rng = random.Random(SEED * 400 + worker)
    clerk = User.objects.get(username="clerk")
    ids = rng.sample(reservation_ids, len(reservation_ids))
    _wait(start_at)
    released: list[str] = []
    closed, errors = 0, []
    for pk in ids:
        try:
            r = Reservation.objects.get(pk=pk)
            before = r.quantity
            after = reservation_release(reservation=r, by=clerk, reason="订单取消")
            released.append(str(before if after.quantity == 0 else before - after.quantity))
        except Conflict as exc:
            if exc.code == "reservation_closed":
                closed += 1
            else:
                errors.append(_error(exc))
        except Exception as exc:  # noqa: BLE001
            errors.append(_error(exc))
    return {"released": released, "closed": closed, "errors": errors}


def cancel_worker(worker: int, document_ids: list[str], start_at: float) -> dict:
    """Cancel the same orders as the other processes (a double-submitted cancel)."""
    from neiqin.accounts.models import User
    from neiqin.stock.services import reservations_release_for

    clerk = User.objects.get(username="clerk")
    ids = random.Random(SEED * 500 + worker).sample(document_ids, len(document_ids))
    _wait(start_at)
    released, errors = 0, []
    for document_id in ids:
        try:
            released += reservations_release_for(document_type="order", document_id=document_id, by=clerk)
        except Exception as exc:  # noqa: BLE001
            errors.append(_error(exc))
    return {"released": released, "errors": errors}


def naive_worker(worker: int, level_id: int, rounds: int, barrier, between_read_and_write: bool) -> dict:
    """The broken pattern of RELIABILITY T1: read the level without a lock, check in Python, write
    the Python value back. ``barrier`` lines the processes up every round, either between the read
    and the write (PostgreSQL) or before the transaction starts (SQLite, see the test)."""
    from django.db import transaction

    from neiqin.stock.models import StockLevel

    allocated, errors = 0, []
    for _round in range(rounds):
        try:
            if not between_read_and_write:
                barrier.wait(timeout=60)
            with transaction.atomic():
                level = StockLevel.objects.get(pk=level_id)
                available = level.on_hand - level.reserved
                if between_read_and_write:
                    barrier.wait(timeout=60)
                if available >= 1:
                    StockLevel.objects.filter(pk=level_id).update(reserved=level.reserved + 1)
                    allocated += 1
        except Exception as exc:  # noqa: BLE001
            errors.append(_error(exc))
    return {"allocated": allocated, "errors": errors}


# --- helpers -----------------------------------------------------------------------------------------


@pytest.fixture
def scarce(cast):
    """One scarce product: 60 in warehouse 1, 40 in warehouse 2 (100 in all)."""
    w1 = warehouse_create(fields={"code": "W1", "name": "长沙库", "sort_order": 1}, by=cast.admin)
    w2 = warehouse_create(fields={"code": "W2", "name": "郑州库", "sort_order": 2}, by=cast.admin)
    product = product_create(fields={"name": "稀缺地板", "model": "XQ-100", "unit": "箱"}, by=cast.admin)
    stock_receive(warehouse=w1, lines=[Line(product, "60")], by=cast.warehouse)
    stock_receive(warehouse=w2, lines=[Line(product, "40")], by=cast.warehouse)
    return {"w1": w1, "w2": w2, "product": product, "cast": cast}


def _levels(product) -> dict[int, StockLevel]:
    return {lv.warehouse_id: lv for lv in StockLevel.objects.filter(product=product)}


def _active_reserved(level: StockLevel) -> Decimal:
    total = Reservation.objects.filter(
        warehouse_id=level.warehouse_id, product_id=level.product_id, status="active"
    ).aggregate(s=Sum("quantity"))["s"]
    return total or D("0")


def _assert_ledger_replays(product) -> None:
    """Per level, the moves in id order (= the order the level lock was held in) add up to each
    move's ``balance_after`` and never go below zero: no lost update, never negative on the way."""
    for level in StockLevel.objects.filter(product=product):
        running = D("0")
        for quantity, balance_after in (
            StockMove.objects.filter(warehouse_id=level.warehouse_id, product=product)
            .order_by("id")
            .values_list("quantity", "balance_after")
        ):
            running += quantity
            assert balance_after == running
            assert running >= 0
        assert running == level.on_hand == ledger_balance(warehouse=level.warehouse, product=product)


def _start_at() -> float:
    return time.time() + 3.0  # spawned interpreters import Django first; start them together


# --- tests -------------------------------------------------------------------------------------------


def test_eight_processes_reserving_a_scarce_product_allocate_exactly_the_stock(scarce):
    """8 × 40 attempts of 1–3 units (≈ 640 units asked for 100 in stock): exactly 100 allocated."""
    w1, w2, product = scarce["w1"], scarce["w2"], scarce["product"]
    start_at = _start_at()
    results = run_processes(reserve_worker, [(w, product.pk, [w1.pk, w2.pk], start_at) for w in range(WORKERS)])

    errors = [e for r in results for e in r["errors"]]
    assert errors == []  # no 'database is locked', no deadlock, no IntegrityError
    taken = [(pk, D(q)) for r in results for pk, q in r["taken"]]
    refused = sum(r["refused"] for r in results)
    allocated = sum((q for _pk, q in taken), D("0"))
    assert allocated == 100
    assert refused > 0  # demand > supply: the refusals are business errors, reported as such
    assert len({pk for pk, _q in taken}) == len(taken) == Reservation.objects.filter(product=product).count()
    levels = _levels(product)
    assert (levels[w1.pk].on_hand, levels[w2.pk].on_hand) == (D("60"), D("40"))  # reserving moves nothing
    for level in levels.values():
        assert 0 <= level.reserved <= level.on_hand
        assert level.reserved == _active_reserved(level)
        assert level.on_hand - level.reserved == 0  # 100 − allocated, per warehouse
    assert StockMove.objects.filter(product=product).count() == 2  # the two receipts only
    per_reservation = dict(Reservation.objects.filter(product=product).values_list("pk", "quantity"))
    assert per_reservation == {pk: q for pk, q in taken}


def test_eight_processes_shipping_take_stock_to_exactly_zero_never_below(scarce):
    """4 processes ship unreserved goods (stock_ship) while 4 ship reservations (reservation_consume)
    of the same product: free stock 50 (30 + 20), reserved 50 (30 + 20) in 10 reservations of 5."""
    w1, w2, product, cast = scarce["w1"], scarce["w2"], scarce["product"], scarce["cast"]
    from neiqin.stock.services import For

    reservation_ids = []
    for i in range(10):
        warehouse = w1 if i < 6 else w2
        r = reserve(product=product, warehouse=warehouse, quantity="5", document=For("order", f"pre{i}"), by=cast.clerk)
        reservation_ids.append(r.pk)
    start_at = _start_at()
    shippers = [(w, product.pk, [w1.pk, w2.pk], start_at) for w in range(4)]
    consumers = [(w, reservation_ids, start_at) for w in range(4)]
    results = run_processes(_dispatch, [("ship", a) for a in shippers] + [("consume", a) for a in consumers])

    errors = [e for r in results for e in r["errors"]]
    assert errors == []
    shipped = [(wh, D(q)) for r in results for wh, q in r.get("shipped", [])]
    consumed = [(wh, D(q)) for r in results for wh, q in r.get("consumed", [])]
    assert sum(q for _w, q in shipped) == 50  # all the free stock went out, not a unit of reserved stock
    assert sum(q for _w, q in consumed) == 50 and len(consumed) == 50  # each reserved unit shipped once
    assert sum(q for w, q in shipped + consumed if w == w1.pk) == 60
    assert sum(r.get("short", 0) for r in results) == 0
    levels = _levels(product)
    for level in levels.values():
        assert (level.on_hand, level.reserved) == (D("0"), D("0"))
    assert set(Reservation.objects.filter(product=product).values_list("status", flat=True)) == {"consumed"}
    _assert_ledger_replays(product)
    assert StockMove.objects.filter(product=product).count() == 2 + len(shipped) + len(consumed)


def test_releasing_and_shipping_the_same_reservations_at_once(scarce):
    """An order cancelled while the warehouse ships it: 4 processes release, 4 consume the same 20
    reservations. Whatever wins, nothing deadlocks, nothing is counted twice, and every unit is
    either shipped or back in stock."""
    w1, w2, product, cast = scarce["w1"], scarce["w2"], scarce["product"], scarce["cast"]
    from neiqin.stock.services import For

    ids = []
    for i in range(20):
        warehouse = w1 if i % 2 else w2
        r = reserve(product=product, warehouse=warehouse, quantity="2", document=For("order", f"x{i}"), by=cast.clerk)
        ids.append(r.pk)
    start_at = _start_at()
    jobs = [("release", (w, ids, start_at)) for w in range(4)] + [("consume", (w, ids, start_at)) for w in range(4)]
    results = run_processes(_dispatch, jobs)

    assert [e for r in results for e in r["errors"]] == []
    consumed = sum((D(q) for r in results for _w, q in r.get("consumed", [])), D("0"))
    # What each release gave back, as the service recorded it under the lock (a worker's own
    # "before" figure may be stale: a shipment can land between its read and its release).
    from neiqin.core.models import Event

    events = Event.objects.filter(action="stock.reservation.released", object_id__in=[str(pk) for pk in ids])
    released = sum((D(e.data["quantity"]) for e in events), D("0"))
    assert consumed + released == 40
    levels = _levels(product)
    assert sum(lv.on_hand for lv in levels.values()) == 100 - consumed
    for level in levels.values():
        assert level.reserved == 0 == _active_reserved(level)
    assert not Reservation.objects.filter(product=product, status="active").exists()
    _assert_ledger_replays(product)


def test_the_same_orders_cancelled_by_eight_processes_release_each_reservation_once(scarce):
    """reservations_release_for on the same 10 orders from 8 processes: every reservation is
    released exactly once, the others find nothing left to release (no 409, no deadlock)."""
    w1, w2, product, cast = scarce["w1"], scarce["w2"], scarce["product"], scarce["cast"]
    from neiqin.stock.services import For

    documents = [f"k{i}" for i in range(10)]
    for document_id in documents:  # 2 + 3 units, split over both warehouses: 2 reservations each
        reserve(product=product, warehouse=w1, quantity="2", document=For("order", document_id), by=cast.clerk)
        reserve(product=product, warehouse=w2, quantity="3", document=For("order", document_id), by=cast.clerk)
    results = run_processes(cancel_worker, [(w, documents, _start_at()) for w in range(WORKERS)])

    assert [e for r in results for e in r["errors"]] == []
    assert sum(r["released"] for r in results) == 20
    for level in _levels(product).values():
        assert level.reserved == 0 == _active_reserved(level)
    assert Reservation.objects.filter(product=product, status="released").count() == 20


def _dispatch(kind: str, args: tuple) -> dict:
    return {"ship": ship_worker, "consume": consume_worker, "release": release_worker}[kind](*args)


def test_the_naive_read_then_write_reservation_oversells_on_postgresql_only(scarce):
    """The check the R1 tests above rely on: would they notice a broken implementation?

    PostgreSQL (READ COMMITTED): 8 processes read the level without a lock, all wait at a barrier,
    then each writes ``reserved = <what it read> + 1``. Every round allocates 8 units but records at
    most 1 (lost updates), so after 20 rounds 160 units were handed out of 60 and the level says ≤ 20.

    SQLite: ``transaction_mode = IMMEDIATE`` takes the database's single write lock at BEGIN, before
    the read, so no two transactions can be between read and write at the same time; a barrier at
    that point would deadlock (the lock holder waits for processes that wait for its lock). The
    barrier therefore lines the processes up just before BEGIN, they still race every round, and
    the same naive code is exact: allocated == recorded == 100 and the remaining rounds refuse.
    """
    product = scarce["product"]
    level = StockLevel.objects.get(warehouse=scarce["w1"], product=product)
    level_before = (level.on_hand, level.reserved)
    postgres = connection.vendor == "postgresql"
    rounds = 20 if postgres else 15  # SQLite: 8 × 15 = 120 attempts for 60 units
    manager = multiprocessing.get_context("spawn").Manager()
    try:
        barrier = manager.Barrier(WORKERS)
        results = run_processes(naive_worker, [(w, level.pk, rounds, barrier, postgres) for w in range(WORKERS)])
    finally:
        manager.shutdown()
    assert [e for r in results for e in r["errors"]] == []
    allocated = sum(r["allocated"] for r in results)
    level.refresh_from_db()
    recorded = level.reserved
    assert level_before == (D("60"), D("0"))
    if postgres:
        assert allocated > level.on_hand  # oversold
        assert allocated != recorded  # lost updates: the level does not know what was handed out
        assert allocated == WORKERS * rounds and recorded <= rounds
    else:
        assert allocated == recorded == level.on_hand == 60
