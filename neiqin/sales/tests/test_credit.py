"""Order checks (ORD-4) around credit and data: the overdue-receivables rule and the credit limit
with a receivable source registered (``sales.credit.register_receivable_source``, the door the
finance module will use), each blocking data check, and the warning for oral orders without a
written record."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from neiqin.catalog import services as catalog
from neiqin.core.errors import ValidationFailed
from neiqin.customers import services as customers
from neiqin.sales import credit
from neiqin.sales.choices import ApprovalStatus, OrderStatus
from neiqin.sales.models import ApprovalRequest
from neiqin.sales.services import approvals, orders
from neiqin.sales.services.approvals import ensure_default_rules
from neiqin.sales.services.checks import run_checks
from neiqin.sales.tests.conftest import line

pytestmark = pytest.mark.django_db

SOON = (dt.date.today() + dt.timedelta(days=7)).isoformat()


@pytest.fixture(autouse=True)
def _rules(db):
    ensure_default_rules()


@pytest.fixture
def receivables(world):
    """The monthly customer owes 5 000.00, of which 1 200.00 is overdue; nobody else owes."""
    owed = {world.monthly.pk: (Decimal("5000.00"), Decimal("1200.00"))}

    def source(customer):
        return owed.get(customer.pk, (Decimal("0.00"), Decimal("0.00")))

    before = list(credit._RECEIVABLE_SOURCES)
    credit.register_receivable_source(source)
    yield owed
    credit._RECEIVABLE_SOURCES.remove(source)
    assert credit._RECEIVABLE_SOURCES == before


def _order(world, customer=None, lines=None, **fields):
    return orders.order_create(
        customer=customer or world.monthly,
        lines=lines or [line(world.floor, 10)],
        by=world.cast.clerk,
        fields={"delivery_on": SOON, **fields},
    )


def _checks(order) -> dict:
    return {c.code: c for c in run_checks(order)}


def _pending(order) -> dict[str, ApprovalRequest]:
    return {a.rule.code: a for a in ApprovalRequest.objects.filter(order=order, status=ApprovalStatus.PENDING)}


# ---- receivables ----------------------------------------------------------------------------------


def test_without_a_source_nothing_is_overdue(world):
    check = _checks(_order(world))["overdue"]
    assert check.ok and check.figures == {"overdue": "0.00"}


def test_an_overdue_customer_needs_the_gm(world, receivables):
    order = _order(world)
    check = _checks(order)["overdue"]
    assert not check.ok and check.rule == "overdue" and check.approver_role == "gm"
    assert "1,200.00" in check.message and check.figures == {"overdue": "1200.00"}

    order, _checks_run = orders.order_submit(order=order, by=world.cast.clerk)
    assert order.status == OrderStatus.PENDING_APPROVAL
    assert _pending(order)["overdue"].approver_role == "gm"


def test_an_overdue_customer_needs_the_gm_even_when_paying_in_advance(world, receivables):
    receivables[world.acme.pk] = (Decimal("300.00"), Decimal("300.00"))
    order, _checks_run = orders.order_submit(order=_order(world, customer=world.acme), by=world.cast.clerk)
    assert set(_pending(order)) == {"overdue"}


def test_a_customer_without_overdue_debts_needs_no_overdue_approval(world, receivables):
    order, _checks_run = orders.order_submit(order=_order(world, customer=world.acme), by=world.cast.clerk)
    assert order.status == OrderStatus.APPROVED and _pending(order) == {}


def test_the_credit_limit_counts_the_open_receivable(world, receivables):
    # limit 10 000: 4 000 of goods + 5 000 receivable fits; that order open, 6 000 more does not
    first = _order(world, lines=[line(world.floor, 40)])
    fits = _checks(first)["credit_limit"]
    assert fits.ok and fits.figures["receivable"] == "5000.00"
    first, _checks_ = orders.order_submit(order=first, by=world.cast.clerk)
    for approval in ApprovalRequest.objects.filter(order=first, status="pending"):
        approvals.approval_decide(approval=approval, by=world.cast.gm, approve=True, comment="同意")
    orders.order_confirm(order=first, by=world.cast.clerk)  # accepted: it now uses credit

    over = _checks(_order(world, lines=[line(world.floor, 60)]))["credit_limit"]
    assert not over.ok and over.approver_role == "gm"
    assert over.figures == {"limit": "10000.00", "open_orders": "4000.00", "receivable": "5000.00", "order": "6000.00"}
    assert "应收 ¥5,000.00" in over.message and "超出 ¥5,000.00" in over.message


def test_the_same_order_fits_the_limit_without_the_receivable(world):
    check = _checks(_order(world, lines=[line(world.floor, 60)]))["credit_limit"]
    assert check.ok and check.figures["receivable"] == "0.00"


def test_the_source_is_gone_after_the_fixture(world):
    exposure = credit.exposure(world.monthly)
    assert (exposure.receivable, exposure.overdue) == (Decimal("0.00"), Decimal("0.00"))


# ---- blocking data checks -------------------------------------------------------------------------


def _refused(order, code: str) -> str:
    with pytest.raises(ValidationFailed) as exc:
        orders.order_submit(order=order, by=order.created_by)
    failing = {c["code"]: c for c in exc.value.extra["checks"] if not c["ok"]}
    assert code in failing and failing[code]["severity"] == "block"
    order.refresh_from_db()
    assert order.status == OrderStatus.DRAFT and order.number is None
    return failing[code]["message"]


def test_a_customer_without_phone_or_contact_blocks(world):
    bare = customers.customer_create(
        fields={"name": "长沙无电话建材商行", "address": "长沙市雨花区 3 号"},
        by=world.cast.clerk,
        owner=world.cast.sales1,
    )
    order = _order(world, customer=bare, delivery_address="长沙市雨花区 3 号", payment_mode="prepay")
    assert "客户电话或联系人" in _refused(order, "customer_data")

    customers.contact_create(customer=bare, fields={"name": "赵六", "mobile": "13800138000"}, by=world.cast.clerk)
    assert _checks(order)["customer_data"].ok
    order, _checks_run = orders.order_submit(order=order, by=world.cast.clerk)
    assert order.status == OrderStatus.APPROVED


def test_a_discontinued_product_blocks(world):
    old = catalog.product_create(
        fields={"name": "旧款地板", "model": "JK-0001", "unit": "平方米", "standard_price": "60"}, by=world.cast.admin
    )
    order = _order(world, customer=world.acme, lines=[line(old, 5)])
    assert _checks(order)["product_active"].ok
    catalog.product_update(product=old, fields={"is_active": False}, by=world.cast.admin, version=old.version)
    assert "JK-0001" in _refused(order, "product_active")


@pytest.mark.parametrize(
    ("field", "code", "message"),
    [
        ("delivery_on", "delivery_date", "交货日期"),
        ("payment_mode", "payment_terms", "结算方式"),
        ("delivery_address", "delivery_address", "收货地址"),
    ],
)
def test_missing_terms_block(world, field, code, message):
    order = _order(world, customer=world.acme, **{field: ""})
    assert message in _refused(order, code)


def test_a_delivery_date_on_every_line_is_enough(world):
    order = _order(world, customer=world.acme, lines=[line(world.floor, 2, delivery_on=SOON)], delivery_on="")
    assert _checks(order)["delivery_date"].ok


def test_a_delivery_date_on_only_some_lines_is_not(world):
    lines = [line(world.floor, 2, delivery_on=SOON), line(world.special, 1)]
    order = _order(world, customer=world.acme, lines=lines, delivery_on="")
    assert not _checks(order)["delivery_date"].ok


# ---- oral orders ----------------------------------------------------------------------------------


def test_an_oral_order_without_a_written_record_is_warned_but_not_blocked(world):
    order = _order(world, customer=world.acme, channel="oral")
    check = _checks(order)["written_record"]
    assert not check.ok and check.severity == "warn" and "书面确认" in check.message
    order, _checks_run = orders.order_submit(order=order, by=world.cast.clerk)
    assert order.status == OrderStatus.APPROVED and order.is_oral_unrecorded


def test_an_oral_order_with_a_written_record_is_fine(world):
    order = _order(world, customer=world.acme, channel="oral", written_record="传真确认-0312.pdf")
    assert _checks(order)["written_record"].ok


def test_a_phone_order_needs_no_written_record(world):
    assert _checks(_order(world, customer=world.acme, channel="phone"))["written_record"].ok
