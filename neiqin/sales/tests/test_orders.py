"""Orders: entry, checks (ORD-4), approvals (ORD-5, R6), confirmation (ORD-8), changes (ORD-6)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from neiqin.core.errors import Conflict, InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from neiqin.sales.choices import ApprovalStatus, OrderStatus
from neiqin.sales.models import ApprovalRequest
from neiqin.sales.services import approvals, orders
from neiqin.sales.tests.conftest import line
from neiqin.stock.models import Reservation, StockLevel

pytestmark = pytest.mark.django_db

SOON = {"delivery_on": (dt.date.today() + dt.timedelta(days=7)).isoformat()}


def _order(world, customer=None, lines=None, by=None, **fields):
    return orders.order_create(
        customer=customer or world.acme,
        lines=lines or [line(world.floor, 10)],
        by=by or world.cast.clerk,
        fields={**SOON, **fields},
    )


def _pending(order):
    return {a.rule.code: a for a in ApprovalRequest.objects.filter(order=order, status=ApprovalStatus.PENDING)}


def test_a_draft_takes_prices_from_the_price_list_and_no_number(world):
    order = _order(world)
    first = order.lines.get()
    assert (first.unit_price, first.amount, first.price_source) == (Decimal("100"), Decimal("1000.00"), "company")
    assert order.total == Decimal("1000.00") and order.number is None and order.status == OrderStatus.DRAFT


def test_submit_without_problems_numbers_the_order_and_makes_it_ready(world):
    order, checks = orders.order_submit(order=_order(world), by=world.cast.clerk)
    assert order.status == OrderStatus.APPROVED and order.number.startswith("XS")
    assert all(c.ok for c in checks if c.severity != "warn")


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("delivery_on", "", "delivery_date"),
        ("delivery_address", "", "delivery_address"),
        ("payment_mode", "", "payment_terms"),
    ],
)
def test_blocking_checks_refuse_submission_and_change_nothing(world, field, value, code):
    order = _order(world, **{field: value})
    with pytest.raises(ValidationFailed) as exc:
        orders.order_submit(order=order, by=world.cast.clerk)
    failing = {c["code"] for c in exc.value.extra["checks"] if not c["ok"]}
    assert code in failing
    order.refresh_from_db()
    assert order.status == OrderStatus.DRAFT and order.number is None


def test_below_floor_needs_the_deputy_gm(world):
    order = _order(world, lines=[line(world.floor, 5, unit_price="75")])
    order, _checks = orders.order_submit(order=order, by=world.cast.clerk)
    assert order.status == OrderStatus.PENDING_APPROVAL
    pending = _pending(order)
    assert set(pending) == {"below_floor", "discount_manager", "discount_deputy"}
    assert pending["below_floor"].approver_role == "deputy_gm"
    assert "底价" in pending["below_floor"].reason


def test_credit_sale_needs_the_gm_and_credit_limit_is_checked(world):
    order = _order(world, customer=world.monthly, lines=[line(world.floor, 120)])  # 12 000 > 10 000
    order, checks = orders.order_submit(order=order, by=world.cast.clerk)
    codes = {c.code: c for c in checks}
    assert not codes["credit_sale"].ok and codes["credit_sale"].approver_role == "gm"
    assert not codes["credit_limit"].ok and "超出信用额度" in codes["credit_limit"].message
    assert set(_pending(order)) == {"credit_sale", "credit_limit"}


def test_special_product_needs_a_manager(world):
    order, _c = orders.order_submit(order=_order(world, lines=[line(world.special, 1)]), by=world.cast.clerk)
    assert set(_pending(order)) == {"special_product"}


def test_large_amounts_need_the_next_level(world):
    order = _order(world, lines=[line(world.floor, 140, unit_price="1500")])  # 210 000
    order, _c = orders.order_submit(order=order, by=world.cast.clerk)
    assert "amount_manager" in _pending(order) and "amount_gm" not in _pending(order)


def test_the_requester_cannot_approve_their_own_request(world):
    order = _order(world, lines=[line(world.floor, 5, unit_price="75")], by=world.cast.deputy)
    order, _c = orders.order_submit(order=order, by=world.cast.deputy)
    with pytest.raises(PermissionDenied):
        approvals.approval_decide(approval=_pending(order)["below_floor"], by=world.cast.deputy, approve=True)


def test_an_approver_without_the_role_is_refused(world):
    order, _c = orders.order_submit(
        order=_order(world, lines=[line(world.floor, 5, unit_price="75")]), by=world.cast.clerk
    )
    with pytest.raises(PermissionDenied):
        approvals.approval_decide(approval=_pending(order)["below_floor"], by=world.cast.manager, approve=True)


def _approve_all(order, world):
    for approval in _pending(order).values():
        approver = {"deputy_gm": world.cast.deputy, "gm": world.cast.gm, "sales_manager": world.cast.manager}[
            approval.approver_role
        ]
        approvals.approval_decide(approval=approval, by=approver, approve=True, comment="同意")
    order.refresh_from_db()
    return order


def test_approved_order_is_ready_and_confirmation_reserves_stock(world):
    order, _c = orders.order_submit(
        order=_order(world, lines=[line(world.floor, 5, unit_price="75")]), by=world.cast.clerk
    )
    order = _approve_all(order, world)
    assert order.status == OrderStatus.APPROVED
    order = orders.order_confirm(order=order, by=world.cast.clerk, promised_on=dt.date.today())
    assert order.status == OrderStatus.CONFIRMED
    level = StockLevel.objects.get(product=world.floor, warehouse=world.cs)
    assert level.reserved == Decimal("5")
    assert order.lines.get().reserved_quantity == Decimal("5")


def test_any_change_voids_the_approval(world):
    order, _c = orders.order_submit(
        order=_order(world, lines=[line(world.floor, 5, unit_price="75")]), by=world.cast.clerk
    )
    order = _approve_all(order, world)
    order = orders.order_update(
        order=order, by=world.cast.clerk, version=order.version, lines=[line(world.floor, 6, unit_price="75")]
    )
    assert order.status == OrderStatus.PENDING_APPROVAL
    assert ApprovalRequest.objects.filter(order=order, status=ApprovalStatus.VOID).count() == 3
    with pytest.raises(InvalidTransition):
        orders.order_confirm(order=order, by=world.cast.clerk)


def test_changing_terms_voids_the_approval(world):
    order, _c = orders.order_submit(
        order=_order(world, customer=world.monthly, lines=[line(world.floor, 10)]), by=world.cast.clerk
    )
    order = _approve_all(order, world)
    order = orders.order_update(
        order=order, by=world.cast.clerk, version=order.version, fields={"payment_term_days": 60}
    )
    assert order.status == OrderStatus.PENDING_APPROVAL


def test_a_copy_carries_no_approval(world):
    order, _c = orders.order_submit(
        order=_order(world, lines=[line(world.floor, 5, unit_price="75")]), by=world.cast.clerk
    )
    order = _approve_all(order, world)
    copy = orders.order_copy(order=order, by=world.cast.clerk)
    assert copy.delivery_on is None  # a new order asks for its own delivery date
    copy = orders.order_update(order=copy, by=world.cast.clerk, version=copy.version, fields=SOON)
    copy, _c = orders.order_submit(order=copy, by=world.cast.clerk)
    assert copy.status == OrderStatus.PENDING_APPROVAL and copy.copied_from_id == order.pk


def test_confirming_twice_is_refused_with_a_clear_message(world):
    order, _c = orders.order_submit(order=_order(world), by=world.cast.clerk)
    orders.order_confirm(order=order, by=world.cast.clerk)
    with pytest.raises(Conflict) as exc:
        orders.order_confirm(order=order, by=world.cast.clerk)
    assert "已" in str(exc.value.message) and exc.value.code == "already_confirmed"
    assert Reservation.objects.filter(document_id=str(order.pk)).count() == 1


def test_a_stale_save_names_who_changed_it(world):
    order = _order(world)
    orders.order_update(order=order, by=world.cast.clerk, version=order.version, fields={"notes": "第一次"})
    with pytest.raises(Conflict) as exc:
        orders.order_update(order=order, by=world.cast.admin, version=order.version, fields={"notes": "第二次"})
    assert world.cast.clerk.display_name in str(exc.value.message)


def test_cancel_releases_the_reservations(world):
    order, _c = orders.order_submit(order=_order(world), by=world.cast.clerk)
    order = orders.order_confirm(order=order, by=world.cast.clerk)
    orders.order_cancel(order=order, by=world.cast.clerk, reason="客户取消")
    assert StockLevel.objects.get(product=world.floor, warehouse=world.cs).reserved == 0


def test_a_salesperson_cannot_order_for_another_salespersons_customer(world):
    with pytest.raises(NotFound):
        _order(world, customer=world.other, by=world.cast.sales1)


def test_bad_lines_are_refused_with_the_row_named(world):
    with pytest.raises(ValidationFailed) as exc:
        _order(world, lines=[line(world.floor, "-3"), {"product_id": 999999, "quantity": "1"}])
    fields = exc.value.extra["fields"]
    assert "lines.1.quantity" in fields and "lines.2.product" in fields


def test_a_change_after_confirmation_notifies_the_owner_at_once_and_by_e_mail(world, settings):
    """ORD-6: the salesperson who owns the order hears of a change made by the desk in the inbox
    immediately and by e-mail on the next 5-minute pass, with the link to the order; their own
    changes do not notify them."""
    from django.core import mail
    from django.urls import reverse

    from neiqin.accounts.services import user_set_notification_email
    from neiqin.core.models import Notification
    from neiqin.core.notifications import notifications_send_emails

    settings.NEIQIN_BASE_URL = "https://neiqin.example.cn"
    sales1 = world.cast.sales1
    user_set_notification_email(user=sales1, email="sales1@example.cn", enabled=True, by=sales1)
    Notification.objects.filter(user=sales1).update(read_at=dt.datetime.now(dt.UTC))  # earlier news
    order, _checks = orders.order_submit(order=_order(world), by=world.cast.clerk)
    order = orders.order_confirm(order=order, by=world.cast.clerk, promised_on=dt.date.today())
    assert order.owner == sales1

    order = orders.order_update(
        order=order, by=world.cast.clerk, version=order.version, lines=[line(world.floor, 12)], reason="客户加量"
    )
    notice = Notification.objects.get(user=sales1, read_at__isnull=True)
    assert notice.title == f"订单 {order.number} 已变更" and "客户加量" in notice.body
    assert notifications_send_emails().mails == 1
    (message,) = mail.outbox
    assert message.to == ["sales1@example.cn"] and message.subject == f"【内勤】订单 {order.number} 已变更"
    assert "https://neiqin.example.cn" + reverse("sales:order_detail", args=[order.pk]) in message.body

    orders.order_update(order=order, by=sales1, version=order.version, fields={"customer_reference": "PO-7"})
    assert Notification.objects.filter(user=sales1, read_at__isnull=True).count() == 1  # not for own edits
