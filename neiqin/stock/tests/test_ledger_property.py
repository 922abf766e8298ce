"""INV-2/INV-3 as properties: random sequences of stock operations against a model.

Hypothesis draws sequences of receipts, shipments, transfers, adjustments, reservations (single and
multi-warehouse, split or not), releases, consumptions and document releases over 3 products × 3
warehouses (the third allows negative stock). A small Python model says, before each call, whether
the service must accept or refuse it. After every call: accepted == model, a refusal changed nothing;
after every sequence, for every level: on-hand == Σ moves == model, reserved == Σ active
reservations == model, on-hand ≥ 0 unless allowed, and the last move's balance_after == on-hand.

Each example runs in a transaction that is rolled back, so examples start from the same stock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from neiqin.catalog.services import product_create
from neiqin.core.errors import Conflict, DomainError, ValidationFailed
from neiqin.stock.models import Reservation, StockLevel, StockMove
from neiqin.stock.services import (
    Document,
    For,
    InsufficientStock,
    Line,
    ledger_balance,
    reservation_consume,
    reservation_release,
    reservations_release_for,
    reserve,
    reserve_from,
    stock_adjust,
    stock_receive,
    stock_ship,
    stock_transfer,
    warehouse_create,
)

D = Decimal
ZERO = D("0")
N_PRODUCTS = 3
N_WAREHOUSES = 3  # index 2 allows negative stock

quantities = st.one_of(
    st.integers(min_value=1, max_value=12).map(D),
    st.decimals(min_value=D("0.001"), max_value=D("6"), places=3),
)
product_ix = st.integers(0, N_PRODUCTS - 1)
warehouse_ix = st.integers(0, N_WAREHOUSES - 1)
documents = st.integers(0, 3)

operations = st.one_of(
    st.tuples(st.just("receive"), warehouse_ix, product_ix, quantities),
    st.tuples(st.just("ship"), warehouse_ix, product_ix, quantities),
    st.tuples(st.just("transfer"), warehouse_ix, warehouse_ix, product_ix, quantities),
    st.tuples(st.just("adjust"), warehouse_ix, product_ix, quantities, st.booleans()),
    st.tuples(st.just("reserve"), warehouse_ix, product_ix, quantities, documents),
    st.tuples(
        st.just("reserve_from"),
        st.permutations(range(N_WAREHOUSES)).flatmap(lambda p: st.integers(1, N_WAREHOUSES).map(lambda n: p[:n])),
        product_ix,
        quantities,
        documents,
        st.booleans(),
    ),
    st.tuples(st.just("release"), st.integers(0, 50), st.one_of(st.none(), quantities)),
    st.tuples(st.just("consume"), st.integers(0, 50), quantities),
    st.tuples(st.just("release_for"), documents),
)


@dataclass
class Held:
    pk: int
    key: tuple  # (document id, warehouse ix, product ix)
    quantity: Decimal
    active: bool = True


@dataclass
class Model:
    allow_negative: list[bool]
    on_hand: dict[tuple[int, int], Decimal] = field(default_factory=dict)
    reserved: dict[tuple[int, int], Decimal] = field(default_factory=dict)
    held: list[Held] = field(default_factory=list)

    def free(self, w: int, p: int) -> Decimal:
        return self.on_hand.get((w, p), ZERO) - self.reserved.get((w, p), ZERO)

    def move(self, w: int, p: int, q: Decimal) -> None:
        self.on_hand[(w, p)] = self.on_hand.get((w, p), ZERO) + q

    def hold(self, w: int, p: int, q: Decimal) -> None:
        self.reserved[(w, p)] = self.reserved.get((w, p), ZERO) + q

    def active(self, key: tuple) -> Held | None:
        return next((h for h in self.held if h.active and h.key == key), None)


@pytest.fixture
def world(cast):
    warehouses = [
        warehouse_create(fields={"code": f"P{i}", "name": f"性质库{i}", "allow_negative": i == 2}, by=cast.admin)
        for i in range(N_WAREHOUSES)
    ]
    products = [
        product_create(fields={"name": f"性质产品{i}", "model": f"PT-{i}", "unit": "件"}, by=cast.admin)
        for i in range(N_PRODUCTS)
    ]
    # Opening stock in some levels so that outbound operations often succeed.
    for w in range(2):
        for p in range(N_PRODUCTS):
            stock_receive(warehouse=warehouses[w], lines=[Line(products[p], "10")], by=cast.warehouse)
    return {"w": warehouses, "p": products, "keeper": cast.warehouse, "clerk": cast.clerk}


def _state() -> tuple:
    levels = tuple(StockLevel.objects.order_by("warehouse_id", "product_id").values_list("on_hand", "reserved"))
    reservations = tuple(Reservation.objects.order_by("pk").values_list("pk", "quantity", "status"))
    return levels, reservations, StockMove.objects.count()


def _expect(op: tuple, model: Model) -> bool:
    """Whether the service must accept ``op`` in the model's state (the model is updated later)."""
    kind = op[0]
    if kind == "receive":
        return True
    if kind == "ship":
        _k, w, p, q = op
        return model.allow_negative[w] or q <= model.free(w, p)
    if kind == "transfer":
        _k, src, dst, p, q = op
        return src != dst and (model.allow_negative[src] or q <= model.free(src, p))
    if kind == "adjust":
        _k, w, p, q, up = op
        # a count may take on-hand below the reserved quantity, never below zero (unless allowed)
        return up or model.allow_negative[w] or q <= model.on_hand.get((w, p), ZERO)
    if kind == "reserve":
        _k, w, p, q, _doc = op
        return model.allow_negative[w] or q <= model.free(w, p)
    if kind == "reserve_from":
        return bool(_plan(op, model))
    if kind in ("release", "consume"):
        held = _pick(op[1], model)
        if held is None or not held.active:
            return False
        q = op[2] if op[2] is not None else held.quantity
        if q > held.quantity:
            return False
        if kind == "consume":
            w, p = held.key[1], held.key[2]
            # shipping reserved goods takes what is physically there (first shipped, first served)
            return model.allow_negative[w] or q <= model.on_hand.get((w, p), ZERO)
        return True
    if kind == "release_for":
        return True
    raise AssertionError(kind)


def _plan(op: tuple, model: Model) -> list[tuple[int, Decimal]]:
    _k, order, p, q, _doc, split = op
    for w in order:
        if model.free(w, p) >= q:
            return [(w, q)]
    if not split:
        return []
    plan, left = [], q
    for w in order:
        take = min(max(model.free(w, p), ZERO), left)
        if take > 0:
            plan.append((w, take))
            left -= take
        if left == 0:
            return plan
    return []


def _pick(index: int, model: Model) -> Held | None:
    return model.held[index % len(model.held)] if model.held else None


def _apply(op: tuple, model: Model, world: dict) -> None:
    """Call the service for ``op`` and, as it succeeded, update the model."""
    W, P, keeper, clerk = world["w"], world["p"], world["keeper"], world["clerk"]
    kind = op[0]
    if kind == "receive":
        _k, w, p, q = op
        stock_receive(warehouse=W[w], lines=[Line(P[p], q)], by=keeper)
        model.move(w, p, q)
    elif kind == "ship":
        _k, w, p, q = op
        stock_ship(warehouse=W[w], lines=[Line(P[p], q)], by=keeper, reason="性质测试")
        model.move(w, p, -q)
    elif kind == "transfer":
        _k, src, dst, p, q = op
        stock_transfer(source=W[src], target=W[dst], lines=[Line(P[p], q)], by=keeper)
        model.move(src, p, -q)
        model.move(dst, p, q)
    elif kind == "adjust":
        _k, w, p, q, up = op
        signed = q if up else -q
        stock_adjust(warehouse=W[w], lines=[Line(P[p], signed)], by=keeper, reason="盘点差异")
        model.move(w, p, signed)
    elif kind == "reserve":
        _k, w, p, q, doc = op
        r = reserve(product=P[p], warehouse=W[w], quantity=q, document=For("order", f"d{doc}"), by=clerk)
        _held(model, r.pk, (f"d{doc}", w, p), q)
    elif kind == "reserve_from":
        _k, order, p, q, doc, split = op
        plan = _plan(op, model)
        made = reserve_from(
            product=P[p], warehouses=[W[w] for w in order], quantity=q, document=For("order", f"d{doc}"),
            by=clerk, split=split,
        )  # fmt: skip
        # (a reservation merged into an earlier one of the same document line returns the total)
        assert [r.warehouse_id for r in made] == [W[w].pk for w, _t in plan]
        for r, (w, t) in zip(made, plan, strict=True):
            _held(model, r.pk, (f"d{doc}", w, p), t)
    elif kind in ("release", "consume"):
        held = _pick(op[1], model)
        reservation = Reservation.objects.get(pk=held.pk)
        q = op[2] if op[2] is not None else held.quantity
        w, p = held.key[1], held.key[2]
        if kind == "release":
            reservation_release(reservation=reservation, by=clerk, quantity=op[2])
        else:
            reservation_consume(reservation=reservation, quantity=q, by=keeper, document=Document("shipment", "s"))
            model.move(w, p, -q)
        held.quantity -= q
        held.active = held.quantity > 0
        model.hold(w, p, -q)
    elif kind == "release_for":
        _k, doc = op
        expected = [h for h in model.held if h.active and h.key[0] == f"d{doc}"]
        assert reservations_release_for(document_type="order", document_id=f"d{doc}", by=clerk) == len(expected)
        for h in expected:
            model.hold(h.key[1], h.key[2], -h.quantity)
            h.quantity, h.active = ZERO, False


def _held(model: Model, pk: int, key: tuple, q: Decimal) -> None:
    existing = model.active(key)
    if existing is not None:
        assert existing.pk == pk, "a second reservation for the same document line must merge"
        existing.quantity += q
    else:
        assert pk not in {h.pk for h in model.held}
        model.held.append(Held(pk=pk, key=key, quantity=q))
    model.hold(key[1], key[2], q)


def _check(model: Model, world: dict) -> None:
    W, P = world["w"], world["p"]
    for w, warehouse in enumerate(W):
        for p, product in enumerate(P):
            level = StockLevel.objects.filter(warehouse=warehouse, product=product).first()
            on_hand = level.on_hand if level else ZERO
            reserved = level.reserved if level else ZERO
            assert on_hand == ledger_balance(warehouse=warehouse, product=product) == model.on_hand.get((w, p), ZERO)
            active = Reservation.objects.filter(warehouse=warehouse, product=product, status="active")
            assert reserved == (active.aggregate(s=Sum("quantity"))["s"] or ZERO) == model.reserved.get((w, p), ZERO)
            assert reserved >= 0
            if not warehouse.allow_negative:
                assert on_hand >= 0
            last = StockMove.objects.filter(warehouse=warehouse, product=product).order_by("-id").first()
            assert (last.balance_after if last else ZERO) == on_hand
    for held in model.held:
        r = Reservation.objects.get(pk=held.pk)
        assert r.quantity == held.quantity
        assert (r.status == "active") == held.active


class _Rollback(Exception):
    pass


@pytest.mark.django_db
@settings(max_examples=50, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(ops=st.lists(operations, min_size=1, max_size=25))
def test_random_operations_keep_the_ledger_levels_and_reservations_consistent(world, ops):
    model = Model(allow_negative=[w.allow_negative for w in world["w"]])
    for w in range(2):
        for p in range(N_PRODUCTS):
            model.move(w, p, D("10"))
    try:
        with transaction.atomic():
            for op in ops:
                if op[0] in ("release", "consume") and not model.held:
                    continue  # nothing reserved yet to release or ship
                expected = _expect(op, model)
                before = _state()
                try:
                    _apply(op, model, world)
                    accepted = True
                except (InsufficientStock, Conflict, ValidationFailed) as exc:
                    accepted = False
                    assert _state() == before, f"refused {op} changed something: {exc.as_dict()}"
                except DomainError as exc:  # pragma: no cover - any other refusal is a bug here
                    raise AssertionError(f"{op}: {exc.as_dict()}") from exc
                assert accepted == expected, f"{op}: service {'accepted' if accepted else 'refused'}"
            _check(model, world)
            raise _Rollback
    except _Rollback:
        pass
