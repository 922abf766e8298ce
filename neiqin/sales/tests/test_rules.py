"""Approval rules as configurable data (ORD-5): the admin's changes apply to the next order check,
approval requests already opened keep their role, bad input changes nothing, every change is
audited; the list and edit pages with their permissions."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from neiqin.core.errors import PermissionDenied, ValidationFailed
from neiqin.core.models import Event
from neiqin.sales.choices import ApprovalStatus, OrderStatus
from neiqin.sales.models import ApprovalRequest, ApprovalRule
from neiqin.sales.services import orders
from neiqin.sales.services.approvals import ensure_default_rules
from neiqin.sales.services.checks import run_checks
from neiqin.sales.services.rules import rule_update
from neiqin.sales.tests.conftest import line

pytestmark = [pytest.mark.django_db, pytest.mark.urls("neiqin.sales.tests.test_rules_urlconf")]

SOON = {"delivery_on": (dt.date.today() + dt.timedelta(days=7)).isoformat()}


@pytest.fixture(autouse=True)
def _rules(db):
    ensure_default_rules()


def _rule(code: str) -> ApprovalRule:
    return ApprovalRule.objects.get(code=code)


def _submit(world, product, quantity, customer=None, **extra):
    order = orders.order_create(
        customer=customer or world.acme,
        lines=[line(product, quantity, **extra)],
        by=world.cast.clerk,
        fields=SOON,
    )
    return orders.order_submit(order=order, by=world.cast.clerk)


def _pending(order) -> dict[str, ApprovalRequest]:
    return {a.rule.code: a for a in ApprovalRequest.objects.filter(order=order, status=ApprovalStatus.PENDING)}


# ---- the next check uses the new settings ---------------------------------------------------------


def test_raising_the_amount_threshold_lifts_the_managers_approval_for_the_next_order(world):
    before, _checks = _submit(world, world.floor, 2100)  # 210 000 > 200 000
    assert "amount_manager" in _pending(before)

    rule_update(rule=_rule("amount_manager"), fields={"threshold": "500000"}, by=world.cast.admin)

    after, checks = _submit(world, world.floor, 2100)
    amount = next(c for c in checks if c.code == "amount:amount_manager")
    assert amount.ok and amount.figures["threshold"] == "500000.00"
    assert after.status == OrderStatus.APPROVED and _pending(after) == {}
    assert "amount_manager" in _pending(before)  # the earlier request stays as it was


def test_lowering_the_amount_threshold_makes_a_small_order_need_approval(world):
    rule_update(rule=_rule("amount_manager"), fields={"threshold": "999.99"}, by=world.cast.admin)
    order, _checks = _submit(world, world.floor, 10)  # 1 000.00 > 999.99 by one fen
    assert order.status == OrderStatus.PENDING_APPROVAL
    assert _pending(order)["amount_manager"].approver_role == "sales_manager"


def test_deactivating_the_special_product_rule_means_no_approval(world):
    needs, _checks = _submit(world, world.special, 1)
    assert set(_pending(needs)) == {"special_product"}

    rule_update(rule=_rule("special_product"), fields={"is_active": False}, by=world.cast.admin)

    order, checks = _submit(world, world.special, 1)
    assert order.status == OrderStatus.APPROVED and _pending(order) == {}
    assert "special_product" not in {c.code for c in checks}


def test_a_reactivated_rule_applies_again(world):
    rule_update(rule=_rule("special_product"), fields={"is_active": "0"}, by=world.cast.admin)
    rule_update(rule=_rule("special_product"), fields={"is_active": "1"}, by=world.cast.admin)
    order, _checks = _submit(world, world.special, 1)
    assert set(_pending(order)) == {"special_product"}


def test_a_new_approver_role_applies_to_new_requests_only(world):
    old, _checks = _submit(world, world.special, 1)

    rule_update(rule=_rule("special_product"), fields={"approver_role": "gm"}, by=world.cast.admin)

    new, _checks = _submit(world, world.special, 2)
    assert _pending(new)["special_product"].approver_role == "gm"
    assert _pending(old)["special_product"].approver_role == "sales_manager"


def test_raising_the_discount_threshold_lifts_the_managers_approval(world):
    order = orders.order_create(
        customer=world.acme, lines=[line(world.floor, 10, discount_rate="8%")], by=world.cast.clerk, fields=SOON
    )
    failing = {c.code for c in run_checks(order, requester=world.cast.clerk) if not c.ok}
    assert "discount:discount_manager" in failing

    rule_update(rule=_rule("discount_manager"), fields={"threshold": "10"}, by=world.cast.admin)

    failing = {c.code for c in run_checks(order, requester=world.cast.clerk) if not c.ok}
    assert "discount:discount_manager" not in failing


# ---- the service: who, what and the audit -------------------------------------------------------


def test_the_change_is_exact_and_audited_with_before_and_after(world):
    rule = rule_update(
        rule=_rule("amount_manager"),
        fields={"name": "订单金额超 30 万", "threshold": "300000.10", "approver_role": "deputy_gm"},
        by=world.cast.admin,
    )
    rule.refresh_from_db()
    assert (rule.name, rule.threshold, rule.approver_role) == ("订单金额超 30 万", Decimal("300000.10"), "deputy_gm")
    event = Event.objects.get(action="sales.approval_rule.updated", object_id=str(rule.pk))
    assert event.actor == world.cast.admin
    assert event.changes == {
        "name": ["订单金额超 20 万", "订单金额超 30 万"],
        "threshold": ["200000.00", "300000.10"],
        "approver_role": ["sales_manager", "deputy_gm"],
    }


def test_saving_the_same_values_writes_no_event(world):
    rule_update(rule=_rule("amount_gm"), fields={"threshold": "1000000", "is_active": True}, by=world.cast.admin)
    assert not Event.objects.filter(action="sales.approval_rule.updated").exists()


@pytest.mark.parametrize("who", ["gm", "deputy", "manager", "clerk", "sales1", "finance", "warehouse"])
def test_only_the_admin_changes_rules(world, who):
    with pytest.raises(PermissionDenied):
        rule_update(rule=_rule("amount_manager"), fields={"threshold": "1"}, by=world.cast.by_name(who))
    assert _rule("amount_manager").threshold == Decimal("200000.00")


@pytest.mark.parametrize(
    ("code", "fields", "field"),
    [
        ("amount_manager", {"threshold": "-1"}, "threshold"),
        ("amount_manager", {"threshold": "abc"}, "threshold"),
        ("amount_manager", {"threshold": "1.005"}, "threshold"),
        ("amount_manager", {"threshold": ""}, "threshold"),
        ("amount_manager", {"threshold": None}, "threshold"),
        ("amount_manager", {"threshold": "NaN"}, "threshold"),
        ("amount_manager", {"threshold": "1e40"}, "threshold"),
        ("amount_manager", {"threshold": 1.5}, "threshold"),
        ("discount_manager", {"threshold": "100.01"}, "threshold"),
        ("credit_sale", {"threshold": "1000"}, "threshold"),
        ("amount_manager", {"approver_role": "finance"}, "approver_role"),
        ("amount_manager", {"approver_role": "admin"}, "approver_role"),
        ("amount_manager", {"name": "   "}, "name"),
        ("amount_manager", {"name": "长" * 61}, "name"),
        ("amount_manager", {"is_active": "maybe"}, "is_active"),
        ("amount_manager", {"kind": "discount"}, "kind"),
        ("amount_manager", {"code": "x"}, "code"),
    ],
)
def test_bad_input_is_refused_with_field_errors_and_changes_nothing(world, code, fields, field):
    rule = _rule(code)
    before = (rule.name, rule.kind, rule.approver_role, rule.threshold, rule.is_active, rule.code)
    with pytest.raises(ValidationFailed) as exc:
        rule_update(rule=rule, fields={**fields, "name": fields.get("name", "改名")}, by=world.cast.admin)
    assert field in exc.value.extra["fields"]
    rule.refresh_from_db()
    assert (rule.name, rule.kind, rule.approver_role, rule.threshold, rule.is_active, rule.code) == before
    assert not Event.objects.filter(action="sales.approval_rule.updated").exists()


def test_thresholds_may_be_zero_and_a_discount_percent_may_carry_two_decimals(world):
    rule_update(rule=_rule("discount_manager"), fields={"threshold": "2.5%"}, by=world.cast.admin)
    rule_update(rule=_rule("amount_manager"), fields={"threshold": "0"}, by=world.cast.admin)
    assert _rule("discount_manager").threshold == Decimal("2.50")
    assert _rule("amount_manager").threshold == Decimal("0.00")


# ---- pages ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["manager", "manager2", "deputy", "gm", "admin"])
def test_approvers_and_the_admin_see_the_rules(world, client_for, who):
    response = client_for(world.cast.by_name(who)).get(reverse("sales:approval_rules"))
    assert response.status_code == 200
    text = response.content.decode()
    assert "amount_manager" in text and "订单金额超 20 万" in text and "¥200,000.00" in text
    assert "5%" in text and "销售经理" in text and "总经理" in text
    edit = reverse("sales:approval_rule_edit", args=[_rule("amount_manager").pk])
    assert (edit in text) == (who == "admin")


@pytest.mark.parametrize("who", ["clerk", "sales1", "finance", "warehouse"])
def test_others_do_not_see_the_rules(world, client_for, who):
    client = client_for(world.cast.by_name(who))
    assert client.get(reverse("sales:approval_rules")).status_code == 403
    assert client.get(reverse("sales:approval_rule_edit", args=[_rule("amount_manager").pk])).status_code == 403


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("sales:approval_rules"))
    assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.parametrize("who", ["gm", "deputy", "manager"])
def test_approvers_cannot_edit(world, client_for, who):
    rule = _rule("amount_manager")
    client = client_for(world.cast.by_name(who))
    url = reverse("sales:approval_rule_edit", args=[rule.pk])
    data = {"name": "x", "approver_role": "gm", "threshold": "1", "is_active": "on"}
    assert client.post(url, data).status_code == 403
    assert _rule("amount_manager").threshold == Decimal("200000.00")


def test_the_admin_edits_a_rule_on_the_page(world, client_for):
    rule = _rule("amount_manager")
    client = client_for(world.cast.admin)
    url = reverse("sales:approval_rule_edit", args=[rule.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert "金额阈值（元）" in page.content.decode() and 'value="200000"' in page.content.decode()

    response = client.post(
        url, {"name": "订单金额超 50 万", "approver_role": "sales_manager", "threshold": "500000", "is_active": "on"}
    )
    assert response.status_code == 302 and response["Location"] == reverse("sales:approval_rules")
    rule.refresh_from_db()
    assert (rule.name, rule.threshold, rule.is_active) == ("订单金额超 50 万", Decimal("500000.00"), True)
    assert "¥500,000.00" in client.get(reverse("sales:approval_rules")).content.decode()


def test_unticking_active_on_the_page_deactivates(world, client_for):
    rule = _rule("special_product")
    url = reverse("sales:approval_rule_edit", args=[rule.pk])
    page = client_for(world.cast.admin).get(url).content.decode()
    assert 'name="threshold"' not in page  # no threshold for this kind
    response = client_for(world.cast.admin).post(url, {"name": rule.name, "approver_role": "sales_manager"})
    assert response.status_code == 302
    assert _rule("special_product").is_active is False


@pytest.mark.parametrize(
    ("threshold", "message"),
    [("-5", "阈值不能为负数"), ("abc", "阈值必须是数字"), ("", "请填写阈值"), ("0.001", "两位小数")],
)
def test_bad_input_on_the_page_is_shown_and_changes_nothing(world, client_for, threshold, message):
    rule = _rule("amount_manager")
    url = reverse("sales:approval_rule_edit", args=[rule.pk])
    response = client_for(world.cast.admin).post(
        url, {"name": "改了", "approver_role": "gm", "threshold": threshold, "is_active": "on"}
    )
    assert response.status_code == 422
    assert message in response.content.decode()
    rule.refresh_from_db()
    unchanged = ("订单金额超 20 万", "sales_manager", Decimal("200000.00"))
    assert (rule.name, rule.approver_role, rule.threshold) == unchanged


def test_an_unknown_role_on_the_page_is_refused(world, client_for):
    rule = _rule("amount_manager")
    url = reverse("sales:approval_rule_edit", args=[rule.pk])
    response = client_for(world.cast.admin).post(url, {"name": "x", "approver_role": "finance", "threshold": "1"})
    assert response.status_code == 422
    assert _rule("amount_manager").approver_role == "sales_manager"


def test_an_unknown_rule_is_404(world, client_for):
    url = reverse("sales:approval_rule_edit", args=[999999])
    assert client_for(world.cast.admin).get(url).status_code == 404
