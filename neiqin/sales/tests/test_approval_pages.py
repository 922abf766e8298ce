"""The approver's queue and decisions through the pages (ORD-5, R6): only what the user may
decide, never one's own request, in place with htmx, and a change of the order voids it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from neiqin.sales.choices import ApprovalStatus, OrderStatus
from neiqin.sales.models import ApprovalRequest
from neiqin.sales.services import approvals, orders
from neiqin.sales.tests.conftest import line

pytestmark = pytest.mark.django_db

SOON = (dt.date.today() + dt.timedelta(days=7)).isoformat()
HTMX = {"HTTP_HX_REQUEST": "true"}


def _submitted(world, customer=None, lines=None, by=None):
    order = orders.order_create(
        customer=customer or world.acme,
        lines=lines or [line(world.special, 1)],
        by=by or world.cast.clerk,
        fields={"delivery_on": SOON},
    )
    order, _checks = orders.order_submit(order=order, by=by or world.cast.clerk)
    return order


def _pending(order, code=None):
    qs = ApprovalRequest.objects.filter(order=order, status=ApprovalStatus.PENDING)
    return qs.get(rule__code=code) if code else qs.get()


def _htmx(approval):
    return {**HTMX, "HTTP_HX_TARGET": f"approval-{approval.pk}"}


def _edit(client, order, quantity):
    data = {
        "channel": order.channel,
        "ordered_on": order.ordered_on.isoformat(),
        "delivery_on": SOON,
        "payment_mode": order.payment_mode,
        "payment_term_days": order.payment_term_days,
        "delivery_address": order.delivery_address,
        "version": order.version,
        "reason": "客户改数量",
        "line_product": [order.lines.first().product.model],
        "line_quantity": [str(quantity)],
        "line_unit_price": [""],
        "line_discount": [""],
        "line_delivery_on": [""],
        "line_note": [""],
    }
    return client.post(reverse("sales:order_edit", args=[order.pk]), data)


def test_the_queue_shows_the_request_with_its_reason_and_figures(world, client_for):
    order = _submitted(world, customer=world.monthly, lines=[line(world.floor, 120)])
    body = client_for(world.cast.gm).get(reverse("sales:approval_queue")).content.decode()
    for approval in ApprovalRequest.objects.filter(order=order):
        assert f'id="approval-{approval.pk}"' in body
    assert "超出信用额度" in body and "信用额度" in body and "¥10,000.00" in body and "本单金额" in body
    assert "株洲华源建材有限公司" in body and order.number in body and "clerk" in body


def test_approvers_see_only_what_their_role_may_decide(world, client_for):
    order = _submitted(world, customer=world.monthly, lines=[line(world.floor, 120)])  # GM rules only
    body = client_for(world.cast.manager).get(reverse("sales:approval_queue")).content.decode()
    assert order.number not in body and "没有待您审批的申请" in body


def test_the_requester_never_sees_an_approve_button_on_own_requests(world, client_for):
    order = _submitted(world, lines=[line(world.floor, 5, unit_price="75")], by=world.cast.deputy)
    client = client_for(world.cast.deputy)
    assert order.number not in client.get(reverse("sales:approval_queue")).content.decode()
    detail = client.get(reverse("sales:order_detail", args=[order.pk])).content.decode()
    assert 'name="decision"' not in detail
    response = client.post(
        reverse("sales:approval_decide", args=[_pending(order, "below_floor").pk]), {"decision": "approve"}
    )
    assert response.status_code == 403 and _pending(order, "below_floor").status == ApprovalStatus.PENDING
    gm_detail = client_for(world.cast.gm).get(reverse("sales:order_detail", args=[order.pk])).content.decode()
    assert gm_detail.count('name="decision" value="approve"') == 1  # the deputy's discounts need none


def test_approving_in_place_with_htmx_swaps_the_card(world, client_for):
    order = _submitted(world)
    approval = _pending(order)
    response = client_for(world.cast.manager).post(
        reverse("sales:approval_decide", args=[approval.pk]),
        {"decision": "approve", "comment": "同意"},
        **_htmx(approval),
    )
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body
    assert f'id="approval-{approval.pk}" data-approval-status="approved"' in body and "同意" in body
    assert "待确认" in body  # the order moved on
    order.refresh_from_db()
    assert order.status == OrderStatus.APPROVED


def test_rejecting_needs_a_comment(world, client_for):
    order = _submitted(world)
    approval = _pending(order)
    response = client_for(world.cast.manager).post(
        reverse("sales:approval_decide", args=[approval.pk]), {"decision": "reject", "comment": ""}, **_htmx(approval)
    )
    assert response.status_code == 409 and "请填写意见" in response.content.decode().replace("驳回时", "")
    approval.refresh_from_db()
    assert approval.status == ApprovalStatus.PENDING


def test_rejecting_from_the_order_page_sends_the_order_back_to_draft(world, client_for):
    order = _submitted(world)
    approval = _pending(order)
    detail = reverse("sales:order_detail", args=[order.pk])
    response = client_for(world.cast.manager).post(
        reverse("sales:approval_decide", args=[approval.pk]),
        {"decision": "reject", "comment": "价格不对", "next": detail},
    )
    assert response["Location"] == detail
    order.refresh_from_db()
    assert order.status == OrderStatus.DRAFT


def test_an_unknown_decision_is_refused(world, client_for):
    approval = _pending(_submitted(world))
    response = client_for(world.cast.manager).post(
        reverse("sales:approval_decide", args=[approval.pk]), {"decision": "maybe"}, **_htmx(approval)
    )
    assert response.status_code == 409 and "请选择批准或驳回" in response.content.decode()
    approval.refresh_from_db()
    assert approval.status == ApprovalStatus.PENDING


def test_a_change_through_the_edit_page_voids_the_approval(world, client_for):
    order = _submitted(world, lines=[line(world.special, 1)])
    approval = _pending(order)
    assert _edit(client_for(world.cast.clerk), order, 2).status_code == 302
    approval.refresh_from_db()
    assert approval.status == ApprovalStatus.VOID and "单据内容已变更" in approval.void_reason
    detail = client_for(world.cast.manager).get(reverse("sales:order_detail", args=[order.pk])).content.decode()
    assert f'id="approval-{approval.pk}" data-approval-status="void"' in detail and "<del" in detail
    # the old request is refused from the page and from the htmx card; the new one is open
    client = client_for(world.cast.manager)
    page = client.post(reverse("sales:approval_decide", args=[approval.pk]), {"decision": "approve"}, follow=True)
    assert any("该审批已失效，不能重复处理" in str(m) for m in page.context["messages"])
    card = client.post(reverse("sales:approval_decide", args=[approval.pk]), {"decision": "approve"}, **_htmx(approval))
    assert card.status_code == 409 and 'data-approval-status="void"' in card.content.decode()
    assert "该审批已失效" in card.content.decode() and 'name="decision"' not in card.content.decode()
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING_APPROVAL and _pending(order).pk != approval.pk


def test_a_request_outdated_by_a_draft_edit_is_voided_when_decided(world, client_for):
    order = _submitted(world, lines=[line(world.floor, 5, unit_price="75")])
    approvals.approval_decide(
        approval=_pending(order, "discount_manager"), by=world.cast.manager, approve=False, comment="不行"
    )
    order.refresh_from_db()
    assert order.status == OrderStatus.DRAFT
    stale = _pending(order, "below_floor")
    assert _edit(client_for(world.cast.clerk), order, 6).status_code == 302
    response = client_for(world.cast.deputy).post(
        reverse("sales:approval_decide", args=[stale.pk]), {"decision": "approve"}, **_htmx(stale)
    )
    assert response.status_code == 409 and "单据在申请审批后已被修改" in response.content.decode()
    stale.refresh_from_db()
    assert stale.status == ApprovalStatus.VOID and stale.decided_by is None  # the voiding is kept


def test_approvals_of_another_team_are_out_of_reach(world, client_for):
    theirs = _submitted(world, customer=world.other, by=world.cast.sales2)
    approval = _pending(theirs)
    client = client_for(world.cast.manager)
    assert theirs.number not in client.get(reverse("sales:approval_queue")).content.decode()
    response = client.post(reverse("sales:approval_decide", args=[approval.pk]), {"decision": "approve"})
    assert response.status_code == 404
    sales1 = client_for(world.cast.sales1)
    assert sales1.get(reverse("sales:order_detail", args=[theirs.pk])).status_code == 404
    assert sales1.post(reverse("sales:approval_decide", args=[approval.pk]), {"decision": "approve"}).status_code == 403
    approval.refresh_from_db()
    assert approval.status == ApprovalStatus.PENDING


@pytest.mark.parametrize("role", ["sales1", "clerk", "finance", "warehouse"])
def test_non_approvers_cannot_open_the_queue_or_decide(world, client_for, role):
    approval = _pending(_submitted(world))
    client = client_for(getattr(world.cast, role))
    assert client.get(reverse("sales:approval_queue")).status_code == 403
    assert client.post(reverse("sales:approval_decide", args=[approval.pk]), {"decision": "approve"}).status_code == 403
    approval.refresh_from_db()
    assert approval.status == ApprovalStatus.PENDING


@pytest.mark.parametrize("role", ["manager", "deputy", "gm"])
def test_the_queue_renders_for_each_approver(world, client_for, role):
    _submitted(world)
    _submitted(world, lines=[line(world.floor, 5, unit_price="75")])
    _submitted(world, customer=world.monthly, lines=[line(world.floor, 120)])
    response = client_for(getattr(world.cast, role)).get(reverse("sales:approval_queue"))
    assert response.status_code == 200
    expected = {"manager": 2, "deputy": 4, "gm": 6}[role]  # special + discount; + floor, 15%; + credit
    assert response.content.decode().count('name="decision" value="approve"') == expected
