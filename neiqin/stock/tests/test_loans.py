"""Product loans (INV-6): request → approve → lend → return / charge → closed, with the stock
ledger checked at each step, and every refusal leaving nothing changed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from neiqin.core.errors import InvalidTransition, PermissionDenied, ValidationFailed
from neiqin.core.models import Event, Notification
from neiqin.stock.choices import LoanStatus, MoveKind
from neiqin.stock.models import ProductLoan
from neiqin.stock.services import InsufficientStock
from neiqin.stock.services import materials as services
from neiqin.stock.tests.test_loans_support import ledger_agrees, lent_loan, loan_moves, on_hand, request_loan, stage

pytestmark = pytest.mark.django_db


def _actions(loan):
    return list(
        Event.objects.filter(object_type="stock.productloan", object_id=str(loan.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )


def test_full_lifecycle_moves_stock_and_closes_when_settled(cast):
    st = stage(cast)

    # request: numbered, approvers told, no stock moved
    loan = request_loan(cast, st, quantity="5")
    assert loan.status == LoanStatus.REQUESTED
    assert loan.number.startswith("JY")
    assert on_hand(st) == Decimal("10")
    told = set(
        Notification.objects.filter(object_type="stock.productloan", object_id=str(loan.pk)).values_list(
            "user__username", flat=True
        )
    )
    assert told == {"admin", "gm", "deputy"}

    # approve
    loan = services.loan_approve(loan=loan, by=cast.deputy, comment="同意")
    assert (loan.status, loan.decided_by, loan.decision_comment) == (LoanStatus.APPROVED, cast.deputy, "同意")
    assert (
        Notification.objects.filter(user=cast.sales1, object_type="stock.productloan", object_id=str(loan.pk)).count()
        == 1
    )
    assert on_hand(st) == Decimal("10")

    # lend: the whole quantity leaves
    loan = services.loan_lend(loan=loan, by=cast.warehouse)
    assert loan.status == LoanStatus.LENT
    assert loan.lent_on == timezone.localdate()
    assert on_hand(st) == Decimal("5")
    assert loan_moves(loan) == [(MoveKind.LOAN_OUT, Decimal("-5.000"))]
    assert ledger_agrees(st)

    # partial return
    loan = services.loan_return(loan=loan, quantity="2", by=cast.warehouse)
    assert (loan.status, loan.returned_quantity, loan.outstanding) == (LoanStatus.LENT, Decimal("2"), Decimal("3"))
    assert on_hand(st) == Decimal("7")
    assert loan_moves(loan) == [(MoveKind.LOAN_OUT, Decimal("-5.000")), (MoveKind.LOAN_RETURN, Decimal("2.000"))]
    assert ledger_agrees(st)

    # the customer keeps the rest and pays the standard price: no stock move, loan closed
    loan = services.loan_charge(loan=loan, quantity="3", by=cast.finance)
    assert loan.status == LoanStatus.CLOSED
    assert loan.closed_on == timezone.localdate()
    assert (loan.charged_quantity, loan.charge_unit_price, loan.charge_amount) == (
        Decimal("3"),
        Decimal("100.0000"),
        Decimal("300.00"),
    )
    assert on_hand(st) == Decimal("7")
    assert len(loan_moves(loan)) == 2
    assert ledger_agrees(st)

    loan.refresh_from_db()
    assert loan.status == LoanStatus.CLOSED and loan.outstanding == 0
    assert _actions(loan) == [
        "stock.loan.requested",
        "stock.loan.approved",
        "stock.loan.lent",
        "stock.loan.returned",
        "stock.loan.charged",
    ]


def test_full_return_closes_the_loan(cast):
    st = stage(cast)
    loan = lent_loan(cast, st, quantity="4")

    loan = services.loan_return(loan=loan, quantity="4", by=cast.warehouse)

    assert loan.status == LoanStatus.CLOSED
    assert on_hand(st) == Decimal("10")
    assert loan.charge_amount == Decimal("0.00")


def test_charge_with_explicit_price_rounds_once_at_the_line(cast):
    st = stage(cast)
    loan = lent_loan(cast, st, quantity="3")

    loan = services.loan_charge(loan=loan, quantity="1.5", by=cast.clerk, unit_price="88.333")

    assert loan.charge_amount == Decimal("132.50")  # 1.5 × 88.333 = 132.4995
    assert loan.status == LoanStatus.LENT and loan.outstanding == Decimal("1.5")


def test_requester_cannot_decide_own_request(cast):
    st = stage(cast)
    loan = request_loan(cast, st, by=cast.admin, customer=st.customer1)  # admin may both request and approve

    with pytest.raises(PermissionDenied, match="自己"):
        services.loan_approve(loan=loan, by=cast.admin)
    with pytest.raises(PermissionDenied, match="自己"):
        services.loan_reject(loan=loan, by=cast.admin, comment="不批")

    loan.refresh_from_db()
    assert loan.status == LoanStatus.REQUESTED and loan.decided_by is None
    assert _actions(loan) == ["stock.loan.requested"]
    # another approver may
    assert services.loan_approve(loan=loan, by=cast.gm).status == LoanStatus.APPROVED


@pytest.mark.parametrize("user", ["sales1", "manager", "clerk", "finance", "warehouse"])
def test_only_approver_roles_decide(cast, user):
    st = stage(cast)
    loan = request_loan(cast, st)

    with pytest.raises(PermissionDenied):
        services.loan_approve(loan=loan, by=cast.by_name(user))

    loan.refresh_from_db()
    assert loan.status == LoanStatus.REQUESTED


def test_reject_needs_a_reason_and_tells_the_requester(cast):
    st = stage(cast)
    loan = request_loan(cast, st)

    with pytest.raises(ValidationFailed) as exc:
        services.loan_reject(loan=loan, by=cast.gm, comment="  ")
    assert "comment" in exc.value.extra["fields"]
    loan.refresh_from_db()
    assert loan.status == LoanStatus.REQUESTED

    loan = services.loan_reject(loan=loan, by=cast.gm, comment="库存紧张")
    assert loan.status == LoanStatus.REJECTED
    note = Notification.objects.get(user=cast.sales1, object_type="stock.productloan", object_id=str(loan.pk))
    assert "库存紧张" in note.body


def test_over_return_and_over_charge_refused_nothing_changed(cast):
    st = stage(cast)
    loan = lent_loan(cast, st, quantity="5")

    with pytest.raises(ValidationFailed) as exc:
        services.loan_return(loan=loan, quantity="6", by=cast.warehouse)
    assert "quantity" in exc.value.extra["fields"]
    assert "5" in exc.value.message

    services.loan_return(loan=loan, quantity="2", by=cast.warehouse)
    with pytest.raises(ValidationFailed):
        services.loan_charge(loan=loan, quantity="3.001", by=cast.clerk)

    loan.refresh_from_db()
    assert (loan.returned_quantity, loan.charged_quantity, loan.charge_amount) == (Decimal("2"), 0, Decimal("0"))
    assert on_hand(st) == Decimal("7")
    assert len(loan_moves(loan)) == 2
    assert ledger_agrees(st)


@pytest.mark.parametrize("quantity", ["-1", "0", "abc", "", "1.0001"])
def test_bad_return_quantity_refused(cast, quantity):
    st = stage(cast)
    loan = lent_loan(cast, st)

    with pytest.raises(ValidationFailed) as exc:
        services.loan_return(loan=loan, quantity=quantity, by=cast.warehouse)

    assert "quantity" in exc.value.extra["fields"]
    loan.refresh_from_db()
    assert loan.returned_quantity == 0 and on_hand(st) == Decimal("5")


def test_lend_without_enough_stock_refused_nothing_changed(cast):
    st = stage(cast, goods_quantity="3")
    loan = services.loan_approve(loan=request_loan(cast, st, quantity="5"), by=cast.gm)

    with pytest.raises(InsufficientStock) as exc:
        services.loan_lend(loan=loan, by=cast.warehouse)

    assert exc.value.extra["available"] == "3.000"
    loan.refresh_from_db()
    assert (loan.status, loan.lent_on) == (LoanStatus.APPROVED, None)
    assert on_hand(st) == Decimal("3")
    assert loan_moves(loan) == []
    assert "stock.loan.lent" not in _actions(loan)


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("quantity", {"quantity": "-2"}),
        ("quantity", {"quantity": "两箱"}),
        ("due_on", {"due_on": "2020-01-01"}),
        ("due_on", {"due_on": "明天"}),
        ("purpose", {"purpose": ""}),
        ("product", {"product": "promo"}),
        ("customer", {"customer": "other"}),
    ],
)
def test_bad_request_refused_nothing_created(cast, field, kwargs):
    st = stage(cast)
    args = {
        "product": st.goods,
        "warehouse": st.warehouse,
        "quantity": "1",
        "customer": st.customer1,
        "purpose": "样品",
        "due_on": timezone.localdate() + dt.timedelta(days=3),
        "by": cast.sales1,
    }
    args.update(kwargs)
    if args["product"] == "promo":
        args["product"] = st.promo
    if args["customer"] == "other":
        args["customer"] = st.customer2  # sales2's customer: outside sales1's scope

    with pytest.raises(ValidationFailed) as exc:
        services.loan_request(**args)

    assert field in exc.value.extra["fields"]
    assert ProductLoan.objects.count() == 0


@pytest.mark.parametrize("user", ["warehouse", "finance", "gm"])
def test_roles_without_request_right_cannot_request(cast, user):
    st = stage(cast)
    with pytest.raises(PermissionDenied):
        request_loan(cast, st, by=cast.by_name(user), customer=st.customer1)
    assert ProductLoan.objects.count() == 0


def test_transitions_follow_the_flow(cast):
    st = stage(cast)
    loan = request_loan(cast, st)

    with pytest.raises(InvalidTransition):
        services.loan_lend(loan=loan, by=cast.warehouse)  # not approved yet
    with pytest.raises(InvalidTransition):
        services.loan_return(loan=loan, quantity="1", by=cast.warehouse)
    with pytest.raises(InvalidTransition):
        services.loan_charge(loan=loan, quantity="1", by=cast.clerk)
    with pytest.raises(PermissionDenied):
        services.loan_lend(loan=loan, by=cast.sales1)
    with pytest.raises(PermissionDenied):
        services.loan_charge(loan=loan, quantity="1", by=cast.warehouse)

    loan = services.loan_approve(loan=loan, by=cast.gm)
    with pytest.raises(InvalidTransition):
        services.loan_approve(loan=loan, by=cast.deputy)  # already decided
    loan = services.loan_lend(loan=loan, by=cast.warehouse)
    with pytest.raises(InvalidTransition):
        services.loan_cancel(loan=loan, by=cast.sales1)  # the goods are out

    loan.refresh_from_db()
    assert loan.status == LoanStatus.LENT
    assert on_hand(st) == Decimal("5")


def test_cancel_by_requester_or_approver_only(cast):
    st = stage(cast)
    loan = request_loan(cast, st)

    with pytest.raises(PermissionDenied):
        services.loan_cancel(loan=loan, by=cast.sales2)
    with pytest.raises(PermissionDenied):
        services.loan_cancel(loan=loan, by=cast.warehouse)
    loan.refresh_from_db()
    assert loan.status == LoanStatus.REQUESTED

    assert services.loan_cancel(loan=loan, by=cast.sales1).status == LoanStatus.CANCELLED
    approved = services.loan_approve(loan=request_loan(cast, st), by=cast.gm)
    assert services.loan_cancel(loan=approved, by=cast.deputy).status == LoanStatus.CANCELLED
    assert on_hand(st) == Decimal("10")


def _overdue_notes(loan):
    return list(
        Notification.objects.filter(object_type="stock.productloan", object_id=str(loan.pk), title__contains="逾期")
        .order_by("user__username")
        .values_list("user__username", flat=True)
    )


def test_overdue_reminder_once_per_day_to_requester_and_manager(cast):
    start = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        st = stage(cast)
        overdue = lent_loan(cast, st, quantity="2", due_in=3)  # due 03-05
        on_time = lent_loan(cast, st, quantity="1", due_in=30)
        settled = lent_loan(cast, st, quantity="1", due_in=1)
        services.loan_return(loan=settled, quantity="1", by=cast.warehouse)

    with time_machine.travel(dt.datetime(2026, 3, 5, 2, 0, tzinfo=dt.UTC), tick=False):  # due day: not yet
        assert services.loans_overdue_remind(today=timezone.localdate()) == 0

    with time_machine.travel(dt.datetime(2026, 3, 7, 1, 0, tzinfo=dt.UTC), tick=False):
        today = timezone.localdate()
        assert services.loans_overdue_remind(today=today) == 1
        assert _overdue_notes(overdue) == ["manager", "sales1"]
        body = Notification.objects.filter(object_id=str(overdue.pk), title__contains="逾期").first().body
        assert "已逾期 2 天" in body
        assert services.loans_overdue_remind(today=today) == 0  # once a day
        assert _overdue_notes(overdue) == ["manager", "sales1"]

    with time_machine.travel(dt.datetime(2026, 3, 8, 1, 0, tzinfo=dt.UTC), tick=False):
        assert services.loans_overdue_remind(today=timezone.localdate()) == 1
        assert _overdue_notes(overdue) == ["manager", "manager", "sales1", "sales1"]

    assert _overdue_notes(on_time) == [] and _overdue_notes(settled) == []
