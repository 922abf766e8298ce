"""Orders and approvals through the JSON API (ORD-3 … ORD-8, RELIABILITY R3, R6)."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.test import Client

from neiqin.accounts.services import token_create
from neiqin.core.models import IdempotencyRecord
from neiqin.sales.choices import ApprovalStatus, OrderStatus
from neiqin.sales.models import ApprovalRequest, OrderLine, SalesOrder
from neiqin.sales.services import orders
from neiqin.sales.tests.conftest import line
from neiqin.stock.models import Reservation

pytestmark = pytest.mark.django_db

SOON = (dt.date.today() + dt.timedelta(days=7)).isoformat()


class Api:
    """A test client speaking JSON with a bearer token of ``user``."""

    def __init__(self, user):
        _token, plain = token_create(user=user, name="api-test", by=user)
        self.client = Client()
        self.auth = f"Bearer {plain}"

    def __call__(self, method, path, body=None, key=None):
        headers = {"Authorization": self.auth}
        if key:
            headers["Idempotency-Key"] = key
        data = json.dumps(body) if body is not None else ""
        return self.client.generic(method, "/api/v1" + path, data, content_type="application/json", headers=headers)


def _create_body(world, customer=None, **extra):
    return {
        "customer_id": (customer or world.acme).pk,
        "delivery_on": SOON,
        "lines": [{"product_id": world.floor.pk, "quantity": "10"}],
        **extra,
    }


def _draft(world, customer=None, lines=None, by=None):
    return orders.order_create(
        customer=customer or world.acme,
        lines=lines or [line(world.floor, 10)],
        by=by or world.cast.clerk,
        fields={"delivery_on": SOON},
    )


def _ready(world, **kw):
    order, _checks = orders.order_submit(order=_draft(world, **kw), by=world.cast.clerk)
    assert order.status == OrderStatus.APPROVED
    return order


def _pending_special(world):
    order, _checks = orders.order_submit(order=_draft(world, lines=[line(world.special, 2)]), by=world.cast.clerk)
    assert order.status == OrderStatus.PENDING_APPROVAL
    return order


# ---- create / read ---------------------------------------------------------------------------


def test_create_answers_201_with_the_priced_draft(world):
    response = Api(world.cast.clerk)("POST", "/orders", _create_body(world))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "draft" and body["number"] is None
    assert body["total"] == "1000.00"
    assert body["lines"][0]["unit_price"] == "100.0000" and body["lines"][0]["quantity"] == "10.000"
    assert body["customer"] == {"id": world.acme.pk, "name": world.acme.name}
    assert SalesOrder.objects.get(pk=body["id"]).created_by == world.cast.clerk


def test_get_shows_lines_checks_approvals_versions_timeline_and_progress(world):
    order = _pending_special(world)
    body = Api(world.cast.sales1)("GET", f"/orders/{order.pk}").json()
    assert body["status"] == "pending_approval" and body["number"].startswith("XS")
    assert {c["code"] for c in body["checks"]} >= {"customer_data", "special_product", "stock"}
    assert [a["rule"] for a in body["approvals"]] == ["special_product"]
    assert body["approvals"][0]["status"] == "pending"
    assert [v["number"] for v in body["versions"]] == [order.version]
    assert [e["action"] for e in body["timeline"]] == ["sales.order.created", "sales.order.submitted"]
    assert body["progress"] == {
        "shipped": "none",
        "invoiced": "none",
        "paid": "none",
        "ordered_quantity": "2.000",
        "reserved_quantity": "0.000",
        "shipped_quantity": "0.000",
    }


def test_list_filters_by_status_customer_and_text_and_pages(world):
    draft = _draft(world)
    ready = _ready(world)
    _draft(world, customer=world.monthly)
    api = Api(world.cast.clerk)
    assert api("GET", "/orders").json()["count"] == 3
    assert [o["id"] for o in api("GET", "/orders?status=approved").json()["items"]] == [ready.pk]
    assert api("GET", f"/orders?customer={world.monthly.pk}").json()["count"] == 1
    assert [o["id"] for o in api("GET", f"/orders?q={ready.number}").json()["items"]] == [ready.pk]
    paged = api("GET", "/orders?limit=1&offset=2").json()
    assert paged["count"] == 3 and [o["id"] for o in paged["items"]] == [draft.pk]
    assert api("GET", "/orders?limit=201").status_code == 422
    assert api("GET", "/orders?status=bogus").status_code == 422


def test_the_warehouse_reads_no_orders_and_finance_writes_none(world):
    order = _draft(world)
    assert Api(world.cast.warehouse)("GET", "/orders").status_code == 403
    assert Api(world.cast.warehouse)("GET", f"/orders/{order.pk}").status_code == 403
    finance = Api(world.cast.finance)
    assert finance("GET", f"/orders/{order.pk}").status_code == 200
    refused = finance("POST", "/orders", _create_body(world))
    assert refused.status_code == 403 and set(refused.json()) == {"code", "message", "extra"}
    assert SalesOrder.objects.count() == 1


# ---- scoping ---------------------------------------------------------------------------------


def test_sales1_never_reaches_sales2s_orders_by_any_route(world):
    theirs = _ready(world, customer=world.other, by=world.cast.sales2)
    pending = _pending_special(world)  # sales1's, to check the queue does not leak the other way
    api = Api(world.cast.sales1)
    listed = api("GET", "/orders").json()
    assert theirs.pk not in [o["id"] for o in listed["items"]] and pending.pk in [o["id"] for o in listed["items"]]
    assert api("GET", f"/orders?customer={world.other.pk}").json()["count"] == 0
    probes = [
        ("GET", f"/orders/{theirs.pk}", None),
        ("PATCH", f"/orders/{theirs.pk}", {"version": theirs.version, "notes": "x"}),
        ("POST", f"/orders/{theirs.pk}/submit", None),
        ("POST", f"/orders/{theirs.pk}/confirm", {}),
        ("POST", f"/orders/{theirs.pk}/cancel", {"reason": "x"}),
        ("POST", f"/orders/{theirs.pk}/copy", None),
    ]
    for method, path, body in probes:
        response = api(method, path, body)
        assert response.status_code == 404, (method, path, response.status_code)
        assert response.json()["code"] == "not_found"
    # Entering an order for the other salesperson's customer: the customer is unknown to sales1.
    refused = api("POST", "/orders", _create_body(world, customer=world.other))
    assert refused.status_code == 422 and "customer_id" in refused.json()["extra"]["fields"]
    theirs.refresh_from_db()
    assert theirs.status == OrderStatus.APPROVED and theirs.notes == ""
    assert SalesOrder.objects.count() == 2
    # …and sales2 sees none of sales1's orders nor their approvals.
    other = Api(world.cast.sales2)
    assert other("GET", f"/orders/{pending.pk}").status_code == 404
    approval = pending.approvals.get()
    assert other("POST", f"/approvals/{approval.pk}/decide", {"decision": "approve"}).status_code == 403
    manager2 = Api(world.cast.manager2)
    assert manager2("GET", "/approvals").json()["count"] == 0
    assert manager2("POST", f"/approvals/{approval.pk}/decide", {"decision": "approve"}).status_code == 404


# ---- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"lines": [{"product_id": "PRODUCT", "quantity": "-3"}]}, "lines.1.quantity"),
        ({"lines": [{"product_id": "PRODUCT", "quantity": "abc"}]}, "lines.1.quantity"),
        ({"lines": [{"product_id": "PRODUCT", "quantity": "0"}]}, "lines.1.quantity"),
        ({"lines": [{"product_id": 999999, "quantity": "1"}]}, "lines.1.product"),
        ({"lines": [{"product_id": "PRODUCT", "quantity": 5}]}, "lines.0.quantity"),
        ({"lines": [{"product_id": "PRODUCT", "quantity": "1", "price": "1"}]}, "lines.0.price"),
        ({"lines": []}, "lines"),
        ({"status": "confirmed"}, "status"),
        ({"owner_id": 1}, "owner_id"),
        ({"warehouse_id": 999999}, "warehouse_id"),
        ({"payment_mode": "cash"}, "payment_mode"),
        ({"ordered_on": "2026-13-01"}, "ordered_on"),
    ],
)
def test_bad_input_is_422_and_changes_nothing(world, change, field):
    body = _create_body(world)
    for row in change.get("lines", []):
        if row.get("product_id") == "PRODUCT":
            row["product_id"] = world.floor.pk
    body.update(change)
    response = Api(world.cast.clerk)("POST", "/orders", body, key="bad-input")
    assert response.status_code == 422, response.content
    error = response.json()
    assert set(error) == {"code", "message", "extra"} and field in error["extra"]["fields"], error
    assert SalesOrder.objects.count() == 0 and not IdempotencyRecord.objects.exists()


def test_bad_line_in_a_patch_changes_nothing(world):
    order = _draft(world)
    api = Api(world.cast.clerk)
    for lines in ([{"product_id": world.floor.pk, "quantity": "-1"}], [{"product_id": 999999, "quantity": "1"}]):
        response = api("PATCH", f"/orders/{order.pk}", {"version": order.version, "lines": lines})
        assert response.status_code == 422, response.content
    assert api("PATCH", f"/orders/{order.pk}", {"version": order.version, "bogus": 1}).status_code == 422
    order.refresh_from_db()
    assert order.version == 1 and [(x.quantity, x.product_id) for x in order.lines.all()] == [
        (Decimal("10.000"), world.floor.pk)
    ]


# ---- update / submit / confirm / cancel / copy ----------------------------------------------


def test_patch_replaces_lines_and_refuses_a_stale_version(world):
    order = _draft(world)
    api = Api(world.cast.clerk)
    response = api(
        "PATCH",
        f"/orders/{order.pk}",
        {"version": 1, "notes": "加急", "lines": [{"product_id": world.floor.pk, "quantity": "3", "unit_price": "90"}]},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["version"] == 2 and body["notes"] == "加急" and body["total"] == "270.00"
    assert [(x["quantity"], x["unit_price"]) for x in body["lines"]] == [("3.000", "90.0000")]
    stale = api("PATCH", f"/orders/{order.pk}", {"version": 1, "notes": "旧"})
    assert stale.status_code == 409 and stale.json()["code"] == "stale_version"
    order.refresh_from_db()
    assert order.notes == "加急"


def test_submit_returns_the_checks_and_blocking_failures_are_422_with_checks(world):
    api = Api(world.cast.clerk)
    ok = api("POST", f"/orders/{_draft(world).pk}/submit")
    assert ok.status_code == 200, ok.content
    assert ok.json()["order"]["status"] == "approved" and {c["code"] for c in ok.json()["checks"]} >= {"lines"}
    blocked = orders.order_create(customer=world.acme, lines=[line(world.floor, 1)], by=world.cast.clerk)
    refused = api("POST", f"/orders/{blocked.pk}/submit")
    assert refused.status_code == 422 and refused.json()["code"] == "checks_failed"
    failing = {c["code"] for c in refused.json()["extra"]["checks"] if not c["ok"]}
    assert "delivery_date" in failing
    blocked.refresh_from_db()
    assert blocked.status == OrderStatus.DRAFT and blocked.number is None


def test_confirm_reserves_and_a_second_confirm_without_key_is_409(world):
    order = _ready(world)
    api = Api(world.cast.clerk)
    response = api("POST", f"/orders/{order.pk}/confirm", {"promised_on": SOON})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "confirmed" and response.json()["promised_on"] == SOON
    again = api("POST", f"/orders/{order.pk}/confirm", {})
    assert again.status_code == 409 and again.json()["code"] == "already_confirmed"
    assert order.number in again.json()["message"] and "无需重复确认" in again.json()["message"]
    assert Reservation.objects.filter(document_type="order", document_id=order.pk).count() == 1


def test_confirm_accepts_an_empty_body(world):
    order = _ready(world)
    response = Api(world.cast.clerk)("POST", f"/orders/{order.pk}/confirm")
    assert response.status_code == 200, response.content


def test_cancel_needs_a_reason_and_copy_makes_a_new_draft(world):
    order = _ready(world)
    api = Api(world.cast.clerk)
    refused = api("POST", f"/orders/{order.pk}/cancel", {"reason": " "})
    assert refused.status_code == 422 and "reason" in refused.json()["extra"]["fields"]
    copied = api("POST", f"/orders/{order.pk}/copy")
    assert copied.status_code == 201 and copied.json()["copied_from_id"] == order.pk
    assert copied.json()["status"] == "draft" and copied.json()["approvals"] == []
    cancelled = api("POST", f"/orders/{order.pk}/cancel", {"reason": "客户取消"})
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert api("POST", f"/orders/{order.pk}/cancel", {"reason": "again"}).status_code == 409


# ---- approvals -------------------------------------------------------------------------------


def test_queue_lists_what_the_caller_may_decide(world):
    order = _pending_special(world)
    approval = order.approvals.get()
    manager = Api(world.cast.manager)("GET", "/approvals").json()
    assert [a["id"] for a in manager["items"]] == [approval.pk]
    assert manager["items"][0]["document_number"] == order.number
    assert Api(world.cast.clerk)("GET", "/approvals").status_code == 403
    assert Api(world.cast.sales1)("GET", "/approvals").status_code == 403


def test_approve_moves_the_order_and_reject_needs_a_comment(world):
    order = _pending_special(world)
    approval = order.approvals.get()
    api = Api(world.cast.manager)
    refused = api("POST", f"/approvals/{approval.pk}/decide", {"decision": "reject"})
    assert refused.status_code == 422 and "comment" in refused.json()["extra"]["fields"]
    assert api("POST", f"/approvals/{approval.pk}/decide", {"decision": "maybe"}).status_code == 422
    response = api("POST", f"/approvals/{approval.pk}/decide", {"decision": "approve", "comment": "同意"})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "approved" and response.json()["decided_by"]["id"] == world.cast.manager.pk
    order.refresh_from_db()
    assert order.status == OrderStatus.APPROVED
    again = api("POST", f"/approvals/{approval.pk}/decide", {"decision": "approve"})
    assert again.status_code == 409 and again.json()["code"] == "approval_decided"


def test_the_requester_never_decides_their_own_request(world):
    order = orders.order_create(
        customer=world.acme, lines=[line(world.special, 1)], by=world.cast.manager, fields={"delivery_on": SOON}
    )
    orders.order_submit(order=order, by=world.cast.manager)
    approval = order.approvals.get()
    response = Api(world.cast.manager)("POST", f"/approvals/{approval.pk}/decide", {"decision": "approve"})
    assert response.status_code == 403
    approval.refresh_from_db()
    assert approval.status == ApprovalStatus.PENDING


def test_a_patch_voids_the_approval_and_the_confirm_is_then_refused(world):
    """R6 through the API: approve a below-floor order, change the price by PATCH; the approval
    no longer covers it and the confirm is refused until a new approval."""
    order = _pending_special(world)
    approval = order.approvals.get(status=ApprovalStatus.PENDING)
    manager = Api(world.cast.manager)
    assert manager("POST", f"/approvals/{approval.pk}/decide", {"decision": "approve"}).status_code == 200
    order.refresh_from_db()
    assert order.status == OrderStatus.APPROVED
    clerk = Api(world.cast.clerk)
    changed = clerk(
        "PATCH",
        f"/orders/{order.pk}",
        {"version": order.version, "lines": [{"product_id": world.special.pk, "quantity": "3"}], "reason": "加量"},
    )
    assert changed.status_code == 200, changed.content
    approval.refresh_from_db()
    assert approval.status == ApprovalStatus.VOID
    assert changed.json()["status"] == "pending_approval"
    refused = clerk("POST", f"/orders/{order.pk}/confirm", {})
    assert refused.status_code == 409
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING_APPROVAL and order.confirmed_at is None
    assert not Reservation.objects.filter(document_type="order", document_id=order.pk).exists()
    # The new request is in the queue; once approved the confirm goes through.
    fresh = ApprovalRequest.objects.get(order=order, status=ApprovalStatus.PENDING)
    assert manager("POST", f"/approvals/{fresh.pk}/decide", {"decision": "approve"}).status_code == 200
    assert clerk("POST", f"/orders/{order.pk}/confirm", {}).status_code == 200
    assert OrderLine.objects.get(order=order).reserved_quantity == Decimal("3.000")
