"""RELIABILITY R1 (through order confirmation), R3 (double confirmation) and R5 (credit limit) with
real processes, on both engines.

Eight ``spawn`` processes call the order services at once against the test database (SQLite file
or PostgreSQL). The assertions are exact: demand is larger than the supply (or the credit), so a
``<=`` that passes when nothing happened is not enough — every unit (every yuan) is accounted for.

The worker functions live in this module so that the child processes can import them.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from decimal import Decimal

import pytest
from django.db.models import Sum

from neiqin.catalog.services import product_create
from neiqin.core.testing import run_processes
from neiqin.customers import services as customers
from neiqin.sales.choices import ApprovalStatus, OrderStatus
from neiqin.sales.models import ApprovalRequest, SalesOrder
from neiqin.sales.services import orders
from neiqin.stock.models import ReplenishmentRequest, Reservation, StockLevel
from neiqin.stock.services import Line, stock_receive, warehouse_create

D = Decimal
WORKERS = 8
SEED = 20261124

pytestmark = [
    pytest.mark.concurrency,
    pytest.mark.django_db(transaction=True),
]


# --- child-process workers (importable, no fixtures) -------------------------------------------------


def _wait(start_at: float) -> None:
    while time.time() < start_at:
        time.sleep(0.005)


def _error(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def confirm_worker(worker: int, order_ids: list[int], start_at: float) -> dict:
    """Confirm each of ``order_ids`` (approved orders) as the clerk."""
    from neiqin.accounts.models import User
    from neiqin.sales.models import SalesOrder
    from neiqin.sales.services import orders as order_services

    clerk = User.objects.get(username="clerk")
    _wait(start_at)
    confirmed, errors = [], []
    for pk in order_ids:
        try:
            order = order_services.order_confirm(order=SalesOrder(pk=pk), by=clerk)
            confirmed.append((order.pk, order.waiting_for_stock))
        except Exception as exc:  # noqa: BLE001 - every failure is reported to the test
            errors.append(_error(exc))
    return {"confirmed": confirmed, "errors": errors}


def same_order_worker(worker: int, order_id: int, start_at: float) -> dict:
    """Confirm the same order as the seven other processes (a double click times eight)."""
    from neiqin.accounts.models import User
    from neiqin.core.errors import Conflict, InvalidTransition
    from neiqin.sales.models import SalesOrder
    from neiqin.sales.services import orders as order_services

    clerk = User.objects.get(username="clerk")
    _wait(start_at)
    try:
        order_services.order_confirm(order=SalesOrder(pk=order_id), by=clerk)
        return {"outcome": "confirmed"}
    except (Conflict, InvalidTransition) as exc:
        return {"outcome": "refused", "code": exc.code, "message": str(exc.message)}
    except Exception as exc:  # noqa: BLE001
        return {"outcome": "error", "message": _error(exc)}


def credit_worker(worker: int, customer_id: int, product_id: int, quantity: str, start_at: float) -> dict:
    """A monthly-settlement customer orders on credit: the clerk enters and submits the order, the
    GM approves the credit sale (never a credit-limit excess), the clerk confirms it. An order the
    desk cannot confirm is cancelled, so that it stops holding the customer's credit."""
    from neiqin.accounts.models import User
    from neiqin.core.errors import Conflict, InvalidTransition
    from neiqin.customers.models import Customer
    from neiqin.sales.choices import ApprovalStatus, OrderStatus
    from neiqin.sales.models import ApprovalRequest
    from neiqin.sales.services import approvals
    from neiqin.sales.services import orders as order_services

    clerk = User.objects.get(username="clerk")
    gm = User.objects.get(username="gm")
    customer = Customer.objects.get(pk=customer_id)
    delivery = (dt.date.today() + dt.timedelta(days=10)).isoformat()
    _wait(start_at)
    result: dict = {"order": None, "outcome": "", "needed": [], "errors": []}
    try:
        order = order_services.order_create(
            customer=customer,
            lines=[{"product_id": product_id, "quantity": quantity}],
            by=clerk,
            fields={"delivery_on": delivery, "customer_reference": f"R5-{worker}"},
        )
        result["order"] = order.pk
        order, checks = order_services.order_submit(order=order, by=clerk)
        result["needed"] = sorted(c.rule for c in checks if not c.ok and c.severity == "approval" and c.rule)
        for approval in ApprovalRequest.objects.filter(order=order, status=ApprovalStatus.PENDING):
            if approval.rule.code == "credit_sale":
                approvals.approval_decide(approval=approval, by=gm, approve=True, comment="月结客户，同意")
        try:
            confirmed = order_services.order_confirm(order=order, by=clerk)
            if confirmed.status == OrderStatus.CONFIRMED:
                result["outcome"] = "confirmed"
            else:  # the check found the credit used up meanwhile and asked for the approval
                result["outcome"] = "refused:approval_missing"
                order_services.order_cancel(order=order, by=clerk, reason="超出信用额度，客户改为款到发货另行下单")
        except (Conflict, InvalidTransition) as exc:
            result["outcome"] = f"refused:{exc.code}"
            order.refresh_from_db()
            if order.status != OrderStatus.CANCELLED:
                order_services.order_cancel(order=order, by=clerk, reason="超出信用额度，客户改为款到发货另行下单")
    except Exception as exc:  # noqa: BLE001
        result["errors"].append(_error(exc))
    return result


# --- fixtures and helpers ----------------------------------------------------------------------------


def _start_at() -> float:
    return time.time() + 3.0  # spawned interpreters import Django first; start them together


@pytest.fixture
def scarce(cast):
    """One scarce product: 60 in 长沙库, 40 in 郑州库 (100 in all), a prepay customer of sales1."""
    w1 = warehouse_create(fields={"code": "W1", "name": "长沙库", "sort_order": 1}, by=cast.admin)
    w2 = warehouse_create(fields={"code": "W2", "name": "郑州库", "sort_order": 2}, by=cast.admin)
    product = product_create(
        fields={"name": "稀缺地板", "model": "XQ-100", "unit": "箱", "standard_price": "100"}, by=cast.admin
    )
    stock_receive(warehouse=w1, lines=[Line(product, "60")], by=cast.warehouse)
    stock_receive(warehouse=w2, lines=[Line(product, "40")], by=cast.warehouse)
    customer = customers.customer_create(
        fields={"name": "长沙宏达装饰工程有限公司", "phone": "0731-88886666", "address": "长沙市岳麓区麓谷大道 1 号"},
        by=cast.clerk,
        owner=cast.sales1,
    )
    return {"w1": w1, "w2": w2, "product": product, "customer": customer, "cast": cast}


def _approved_order(world: dict, quantity: int) -> SalesOrder:
    order = orders.order_create(
        customer=world["customer"],
        lines=[{"product_id": world["product"].pk, "quantity": str(quantity)}],
        by=world["cast"].clerk,
        fields={"delivery_on": (dt.date.today() + dt.timedelta(days=7)).isoformat()},
    )
    order, _checks = orders.order_submit(order=order, by=world["cast"].clerk)
    assert order.status == OrderStatus.APPROVED
    return order


def _active(product, **filters) -> Decimal:
    qs = Reservation.objects.filter(product=product, status="active", **filters)
    return qs.aggregate(s=Sum("quantity"))["s"] or D("0")


# --- tests -------------------------------------------------------------------------------------------


def test_eight_processes_confirming_orders_for_a_scarce_product_reserve_exactly_the_stock(scarce):
    """16 approved orders of 3–20 units (demand > 100) confirmed by 8 processes at once: exactly the
    100 units in stock are reserved, each shortage became a replenishment request."""
    product, w1, w2 = scarce["product"], scarce["w1"], scarce["w2"]
    rng = random.Random(SEED)
    quantities = [rng.randint(3, 20) for _ in range(2 * WORKERS)]
    while sum(quantities) <= 120:  # make sure the demand clearly exceeds the stock
        quantities[rng.randrange(len(quantities))] = 20
    demand = sum(quantities)
    made = [_approved_order(scarce, q) for q in quantities]
    ids = [o.pk for o in made]
    start_at = _start_at()
    results = run_processes(confirm_worker, [(w, ids[w::WORKERS], start_at) for w in range(WORKERS)])

    assert [e for r in results for e in r["errors"]] == []  # no deadlock, no 'database is locked'
    assert sorted(pk for r in results for pk, _waiting in r["confirmed"]) == sorted(ids)
    levels = {lv.warehouse_id: lv for lv in StockLevel.objects.filter(product=product)}
    assert (levels[w1.pk].on_hand, levels[w2.pk].on_hand) == (D("60"), D("40"))  # confirming moves nothing
    for level in levels.values():
        assert level.reserved == level.on_hand  # everything is taken, nothing beyond it
        assert level.reserved == _active(product, warehouse_id=level.warehouse_id)
    reserved_on_lines = D("0")
    shortage_total = D("0")
    for order in SalesOrder.objects.filter(pk__in=ids).prefetch_related("lines"):
        assert order.status == OrderStatus.CONFIRMED
        line = order.lines.get()
        assert 0 <= line.reserved_quantity <= line.quantity
        assert line.reserved_quantity == _active(product, document_type="order", document_id=str(order.pk))
        short = line.quantity - line.reserved_quantity
        requests = ReplenishmentRequest.objects.filter(demand_type="order", demand_id=str(order.pk))
        requested = requests.aggregate(s=Sum("quantity"))["s"] or D("0")
        assert requested == short  # every missing unit was asked for, exactly once
        assert order.waiting_for_stock == (short > 0)
        reserved_on_lines += line.reserved_quantity
        shortage_total += short
    assert reserved_on_lines == min(demand, 100) == 100
    assert shortage_total == demand - 100 > 0


def test_the_same_order_confirmed_by_eight_processes_is_confirmed_once(scarce):
    product = scarce["product"]
    order = _approved_order(scarce, 30)
    start_at = _start_at()
    results = run_processes(same_order_worker, [(w, order.pk, start_at) for w in range(WORKERS)])

    outcomes = [r["outcome"] for r in results]
    assert outcomes.count("confirmed") == 1, results
    assert outcomes.count("refused") == WORKERS - 1, results
    refusals = [r for r in results if r["outcome"] == "refused"]
    assert {r["code"] for r in refusals} <= {"already_confirmed", "invalid_transition"}
    assert all(r["message"] for r in refusals)
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED and order.lines.get().reserved_quantity == 30
    assert _active(product) == 30  # reserved once, not eight times
    assert Reservation.objects.filter(product=product, document_id=str(order.pk)).aggregate(s=Sum("quantity"))[
        "s"
    ] == D("30")
    assert sum(lv.reserved for lv in StockLevel.objects.filter(product=product)) == 30
    assert not ReplenishmentRequest.objects.filter(demand_id=str(order.pk)).exists()


def test_r5_orders_on_credit_beyond_the_limit_are_never_confirmed_without_a_credit_limit_approval(scarce):
    """A monthly-settlement customer with a credit limit of 10 000 and 2 000 already open: eight
    processes each enter, submit, get the credit sale approved and confirm an order of 1 500
    (12 000 in all). No credit-limit approval is ever given, so what is confirmed plus what was open
    stays within the limit; every other order was stopped by the credit-limit check."""
    from neiqin.sales.services import approvals

    approvals.ensure_default_rules()  # a transactional test may run after another one flushed them
    cast, product = scarce["cast"], scarce["product"]
    limit = D("10000.00")
    monthly = customers.customer_create(
        fields={
            "name": "株洲华源建材有限公司",
            "phone": "0731-22223333",
            "address": "株洲市天元区 8 号",
            "payment_mode": "monthly",
            "payment_term_days": 30,
            "credit_limit": limit,
        },
        by=cast.admin,
        owner=cast.sales1,
    )
    # Already open for this customer: one confirmed order of 2 000 (credit sale approved).
    opening = orders.order_create(
        customer=monthly,
        lines=[{"product_id": product.pk, "quantity": "20"}],
        by=cast.clerk,
        fields={"delivery_on": (dt.date.today() + dt.timedelta(days=7)).isoformat()},
    )
    opening, _checks = orders.order_submit(order=opening, by=cast.clerk)
    approvals.approval_decide(approval=ApprovalRequest.objects.get(order=opening), by=cast.gm, approve=True)
    orders.order_confirm(order=opening, by=cast.clerk)

    start_at = _start_at()
    results = run_processes(credit_worker, [(w, monthly.pk, product.pk, "15", start_at) for w in range(WORKERS)])

    assert [e for r in results for e in r["errors"]] == []
    by_order = {r["order"]: r for r in results}
    assert len(by_order) == WORKERS
    confirmed = SalesOrder.objects.filter(pk__in=list(by_order), status=OrderStatus.CONFIRMED)
    others = SalesOrder.objects.filter(pk__in=list(by_order)).exclude(status=OrderStatus.CONFIRMED)
    confirmed_total = confirmed.aggregate(s=Sum("total"))["s"] or D("0")
    assert confirmed.count() >= 1  # not vacuous: some orders fit and went through
    assert confirmed.count() + others.count() == WORKERS
    assert D("2000.00") + confirmed_total <= limit  # R5: never beyond the limit without approval
    assert {r["outcome"] for r in results if r["order"] in {o.pk for o in confirmed}} == {"confirmed"}
    for order in confirmed:
        live = ApprovalRequest.objects.filter(order=order, status=ApprovalStatus.APPROVED)
        assert set(live.values_list("rule__code", flat=True)) == {"credit_sale"}
        assert "credit_limit" not in by_order[order.pk]["needed"]
    for order in others:
        result = by_order[order.pk]
        assert order.status == OrderStatus.CANCELLED
        # Stopped by the credit-limit check: a request was raised at submission, or the check
        # failed again at confirmation (an order submitted at the same moment as another).
        assert "credit_limit" in result["needed"] or result["outcome"] == "refused:approval_missing", result
        assert not ApprovalRequest.objects.filter(
            order=order, rule__code="credit_limit", status=ApprovalStatus.APPROVED
        ).exists()
    assert not ApprovalRequest.objects.filter(rule__code="credit_limit", status=ApprovalStatus.APPROVED).exists()


def test_orders_naming_two_scarce_products_in_opposite_orders_confirm_without_deadlock(scarce):
    """16 two-line orders, half listing 地板 then 踢脚线 and half the other way round, confirmed by 8
    processes at once. Locking each line's levels in turn would let two confirmations wait on each
    other (PostgreSQL aborts one with a deadlock); confirmation locks every level of the order in
    the ledger's one order, so all 16 confirm and both products are reserved to the last unit.
    The two directions belong to two customers: confirmations of one customer's orders queue on
    the customer row (R5), so only orders of different customers can meet in the levels."""
    cast, first, w1, w2 = scarce["cast"], scarce["product"], scarce["w1"], scarce["w2"]
    second = product_create(
        fields={"name": "稀缺踢脚线", "model": "XQ-TJ", "unit": "根", "standard_price": "20"}, by=cast.admin
    )
    stock_receive(warehouse=w1, lines=[Line(second, "30")], by=cast.warehouse)
    stock_receive(warehouse=w2, lines=[Line(second, "30")], by=cast.warehouse)
    other = customers.customer_create(
        fields={"name": "郑州嘉禾建材有限公司", "phone": "0371-66667777", "address": "郑州市金水区花园路 9 号"},
        by=cast.clerk,
        owner=cast.sales1,
    )
    rng = random.Random(SEED + 1)
    made = []
    for n in range(2 * WORKERS):
        pair = [(first, rng.randint(5, 12)), (second, rng.randint(4, 9))]
        if n % 2:
            pair.reverse()
        order = orders.order_create(
            customer=other if n % 2 else scarce["customer"],
            lines=[{"product_id": p.pk, "quantity": str(q)} for p, q in pair],
            by=cast.clerk,
            fields={"delivery_on": (dt.date.today() + dt.timedelta(days=7)).isoformat()},
        )
        order, _checks = orders.order_submit(order=order, by=cast.clerk)
        assert order.status == OrderStatus.APPROVED
        made.append(order)
    ids = [o.pk for o in made]
    start_at = _start_at()
    results = run_processes(confirm_worker, [(w, ids[w::WORKERS], start_at) for w in range(WORKERS)])

    assert [e for r in results for e in r["errors"]] == []  # no deadlock, no 'database is locked'
    assert sorted(pk for r in results for pk, _waiting in r["confirmed"]) == sorted(ids)
    for product, stock in ((first, D("100")), (second, D("60"))):
        demand = sum(line.quantity for o in made for line in o.lines.filter(product=product))
        assert demand > stock  # every unit is contested
        levels = list(StockLevel.objects.filter(product=product))
        assert all(lv.reserved == lv.on_hand for lv in levels)
        assert sum(lv.reserved for lv in levels) == _active(product) == stock
        held_on_lines = sum(
            line.reserved_quantity for line in orders.OrderLine.objects.filter(order_id__in=ids, product=product)
        )
        asked = ReplenishmentRequest.objects.filter(
            demand_type="order", demand_id__in=[str(pk) for pk in ids], product=product
        ).aggregate(s=Sum("quantity"))["s"]
        assert held_on_lines == stock and asked == demand - stock


def ship_or_edit_worker(worker: int, order_ids: list[int], start_at: float) -> dict:
    """Even workers ship every order's reservations a unit at a time (the warehouse); odd workers
    keep editing the same orders' headers (the desk, which re-runs checks and locks levels)."""
    from neiqin.accounts.models import User
    from neiqin.sales.models import SalesOrder
    from neiqin.sales.services import orders as order_services
    from neiqin.stock.models import Reservation
    from neiqin.stock.services import Document, reservation_consume

    keeper = User.objects.get(username="warehouse")
    clerk = User.objects.get(username="clerk")
    _wait(start_at)
    done, errors = 0, []
    for round_ in range(3):
        for pk in order_ids:
            try:
                if worker % 2 == 0:
                    # A header edit may re-reserve the order (new reservation rows): a shipment
                    # that finds its reservation closed looks again, as the warehouse would.
                    for _attempt in range(20):
                        held = Reservation.objects.filter(
                            document_type="order", document_id=str(pk), status="active"
                        ).first()
                        if held is None:
                            break
                        try:
                            reservation_consume(
                                reservation=held, quantity="1", by=keeper, document=Document("order", str(pk), "")
                            )
                        except Exception as exc:  # noqa: BLE001
                            if "reservation_closed" in getattr(exc, "code", ""):
                                continue
                            raise
                        done += 1
                        break
                else:
                    order = SalesOrder.objects.get(pk=pk)
                    order_services.order_update(
                        order=order, by=clerk, version=None, fields={"customer_reference": f"W{worker}-{round_}"}
                    )
                    done += 1
            except Exception as exc:  # noqa: BLE001
                errors.append(_error(exc))
    return {"done": done, "errors": errors}


def test_shipping_while_the_desk_edits_the_same_orders_neither_deadlocks_nor_loses_a_unit(scarce):
    """The shipment hook locks the order before the stock rows, the order desk's own lock order,
    so a warehouse shipping an order while a clerk edits it never deadlocks; the lines' shipped
    quantities equal the ledger's shipments to the unit."""
    made = [_approved_order(scarce, 6) for _ in range(4)]
    for order in made:
        orders.order_confirm(order=order, by=scarce["cast"].clerk, promised_on=dt.date.today())
    ids = [o.pk for o in made]
    start_at = _start_at()
    results = run_processes(ship_or_edit_worker, [(w, ids, start_at) for w in range(4)])

    assert [e for r in results for e in r["errors"]] == []
    assert all(r["done"] > 0 for r in results)
    from neiqin.sales.choices import Progress
    from neiqin.stock.models import StockMove

    for order in SalesOrder.objects.filter(pk__in=ids):
        line = order.lines.get()
        ledger = -(
            StockMove.objects.filter(kind="shipment", document_type="order", document_id=str(order.pk)).aggregate(
                s=Sum("quantity")
            )["s"]
            or D("0")
        )
        assert line.shipped_quantity == ledger > 0
        assert line.reserved_quantity == _active(scarce["product"], document_id=str(order.pk))
        assert line.reserved_quantity + line.shipped_quantity == line.quantity
        assert order.shipped == (Progress.FULL if ledger == line.quantity else Progress.PARTIAL)
