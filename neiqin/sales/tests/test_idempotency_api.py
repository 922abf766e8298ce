"""RELIABILITY R3 through the API: double submits are harmless.

Two threads behind a barrier send the same request with the same ``Idempotency-Key`` to a live
server (so the requests really run concurrently, each on its own database connection): exactly
one effect, the other answer is the same response (a replay) or 409 (still in flight). Then a
sequential replay returns the first response, and the same key with another body is a 422.
"""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from neiqin.accounts.services import token_create
from neiqin.core.models import Event, IdempotencyRecord
from neiqin.sales.choices import ApprovalStatus, OrderStatus
from neiqin.sales.models import ApprovalRequest, SalesOrder
from neiqin.sales.services import approvals, orders
from neiqin.sales.tests.conftest import line
from neiqin.stock.models import Reservation, StockLevel

SOON = (dt.date.today() + dt.timedelta(days=7)).isoformat()
LATER = (dt.date.today() + dt.timedelta(days=9)).isoformat()


@pytest.fixture(autouse=True)
def _rules(request):
    """A transactional test flushes the tables afterwards, the default approval rules (a data
    migration) included: put them back for the next one."""
    if "live_server" in request.fixturenames:
        request.getfixturevalue("transactional_db")
        approvals.ensure_default_rules()


def _bearer(user) -> str:
    _token, plain = token_create(user=user, name="r3", by=user)
    return f"Bearer {plain}"


def _race(url: str, *, auth: str, key: str | None, body: dict) -> list[httpx.Response]:
    barrier = threading.Barrier(2)

    def send() -> httpx.Response:
        headers = {"Authorization": auth}
        if key:
            headers["Idempotency-Key"] = key
        barrier.wait(timeout=30)
        return httpx.post(url, json=body, headers=headers, timeout=60)

    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [pool.submit(send) for _ in range(2)]
        return [f.result() for f in futures]


def _one_effect(responses: list[httpx.Response], success: int) -> httpx.Response:
    """One request did the work; the other got the same answer (replayed) or 409 (in flight)."""
    statuses = sorted(r.status_code for r in responses)
    assert statuses in ([success, success], [success, 409]), [(r.status_code, r.text) for r in responses]
    first = next(r for r in responses if r.status_code == success and r.headers.get("Idempotent-Replayed") != "true")
    for other in responses:
        if other is first:
            continue
        if other.status_code == success:
            assert other.headers.get("Idempotent-Replayed") == "true" and other.json() == first.json()
        else:
            assert other.json()["code"] == "idempotency_in_flight"
    return first


def _events(action: str) -> int:
    return Event.objects.filter(action=action).count()


def _ready(world):
    order = orders.order_create(
        customer=world.acme, lines=[line(world.floor, 10)], by=world.cast.clerk, fields={"delivery_on": SOON}
    )
    order, _checks = orders.order_submit(order=order, by=world.cast.clerk)
    assert order.status == OrderStatus.APPROVED
    return order


def _replay_then_reuse(url: str, *, auth: str, key: str, body: dict, first: httpx.Response, other_body: dict):
    replay = httpx.post(url, json=body, headers={"Authorization": auth, "Idempotency-Key": key}, timeout=60)
    assert replay.status_code == first.status_code and replay.json() == first.json()
    assert replay.headers.get("Idempotent-Replayed") == "true"
    reused = httpx.post(url, json=other_body, headers={"Authorization": auth, "Idempotency-Key": key}, timeout=60)
    assert reused.status_code == 422 and reused.json()["code"] == "idempotency_key_reused"
    assert set(reused.json()) == {"code", "message", "extra"}


@pytest.mark.django_db(transaction=True)
def test_confirm_twice_at_once_with_one_key_reserves_once(world, live_server):
    order = _ready(world)
    auth = _bearer(world.cast.clerk)
    url = f"{live_server.url}/api/v1/orders/{order.pk}/confirm"
    body = {"promised_on": SOON}

    first = _one_effect(_race(url, auth=auth, key="confirm-1", body=body), 200)

    assert first.json()["status"] == "confirmed" and first.json()["promised_on"] == SOON
    assert Reservation.objects.filter(document_type="order", document_id=order.pk).count() == 1
    assert sum(level.reserved for level in StockLevel.objects.filter(product=world.floor)) == 10
    assert _events("sales.order.confirmed") == 1
    _replay_then_reuse(url, auth=auth, key="confirm-1", body=body, first=first, other_body={"promised_on": LATER})
    order.refresh_from_db()
    assert order.promised_on.isoformat() == SOON and _events("sales.order.confirmed") == 1


@pytest.mark.django_db(transaction=True)
def test_confirm_twice_at_once_without_a_key_is_one_confirm_and_one_409(world, live_server):
    order = _ready(world)
    auth = _bearer(world.cast.clerk)
    url = f"{live_server.url}/api/v1/orders/{order.pk}/confirm"

    responses = _race(url, auth=auth, key=None, body={})

    assert sorted(r.status_code for r in responses) == [200, 409], [r.text for r in responses]
    refused = next(r for r in responses if r.status_code == 409).json()
    assert refused["code"] == "already_confirmed" and "无需重复确认" in refused["message"]
    assert Reservation.objects.filter(document_type="order", document_id=order.pk).count() == 1
    assert _events("sales.order.confirmed") == 1


@pytest.mark.django_db(transaction=True)
def test_approve_twice_at_once_with_one_key_decides_once(world, live_server):
    order = orders.order_create(
        customer=world.acme, lines=[line(world.special, 2)], by=world.cast.clerk, fields={"delivery_on": SOON}
    )
    order, _checks = orders.order_submit(order=order, by=world.cast.clerk)
    approval = order.approvals.get(status=ApprovalStatus.PENDING)
    auth = _bearer(world.cast.manager)
    url = f"{live_server.url}/api/v1/approvals/{approval.pk}/decide"
    body = {"decision": "approve", "comment": "同意"}

    first = _one_effect(_race(url, auth=auth, key="approve-1", body=body), 200)

    assert first.json()["status"] == "approved"
    assert _events("sales.approval.approved") == 1 and _events("sales.order.approved") == 1
    approval.refresh_from_db()
    order.refresh_from_db()
    assert approval.status == ApprovalStatus.APPROVED and order.status == OrderStatus.APPROVED
    _replay_then_reuse(
        url, auth=auth, key="approve-1", body=body, first=first, other_body={"decision": "reject", "comment": "不同意"}
    )
    assert ApprovalRequest.objects.get(pk=approval.pk).status == ApprovalStatus.APPROVED


@pytest.mark.django_db(transaction=True)
def test_create_twice_at_once_with_one_key_makes_one_order(world, live_server):
    auth = _bearer(world.cast.sales1)
    url = f"{live_server.url}/api/v1/orders"
    body = {
        "customer_id": world.acme.pk,
        "delivery_on": SOON,
        "lines": [{"product_id": world.floor.pk, "quantity": "4"}],
    }

    first = _one_effect(_race(url, auth=auth, key="create-1", body=body), 201)

    assert SalesOrder.objects.count() == 1 and first.json()["id"] == SalesOrder.objects.get().pk
    assert _events("sales.order.created") == 1
    other = {**body, "lines": [{"product_id": world.floor.pk, "quantity": "5"}]}
    _replay_then_reuse(url, auth=auth, key="create-1", body=body, first=first, other_body=other)
    assert SalesOrder.objects.count() == 1


@pytest.mark.django_db
def test_a_refusal_is_not_stored_so_the_key_can_be_retried(world, client):
    """A business refusal leaves no record: after fixing the cause the same key runs."""
    order = orders.order_create(customer=world.acme, lines=[line(world.floor, 1)], by=world.cast.clerk)
    auth = _bearer(world.cast.clerk)
    headers = {"Authorization": auth, "Idempotency-Key": "submit-1"}
    url = f"/api/v1/orders/{order.pk}/submit"
    refused = client.post(url, "", content_type="application/json", headers=headers)
    assert refused.status_code == 422 and not IdempotencyRecord.objects.exists()
    orders.order_update(order=order, by=world.cast.clerk, version=order.version, fields={"delivery_on": SOON})
    done = client.post(url, "", content_type="application/json", headers=headers)
    assert done.status_code == 200 and "Idempotent-Replayed" not in done.headers
    replay = client.post(url, "", content_type="application/json", headers=headers)
    assert replay.status_code == 200 and replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json() == done.json()
    assert _events("sales.order.submitted") == 1


@pytest.mark.django_db
def test_keys_belong_to_their_user(world, client):
    """The same key from another user is another request (no response leaks across users)."""
    first_order = _ready(world)
    url = f"/api/v1/orders/{first_order.pk}/copy"
    clerk = client.post(
        url,
        "",
        content_type="application/json",
        headers={"Authorization": _bearer(world.cast.clerk), "Idempotency-Key": "k"},
    )
    sales1 = client.post(
        url,
        "",
        content_type="application/json",
        headers={"Authorization": _bearer(world.cast.sales1), "Idempotency-Key": "k"},
    )
    assert clerk.status_code == sales1.status_code == 201
    assert clerk.json()["id"] != sales1.json()["id"] and "Idempotent-Replayed" not in sales1.headers
