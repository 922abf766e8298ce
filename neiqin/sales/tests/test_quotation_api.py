"""Quotation API (ORD-1): create, read, change, request approval, issue; scoping and refusals."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from neiqin.sales.choices import ApprovalStatus, QuotationStatus
from neiqin.sales.models import Quotation
from neiqin.sales.services import approvals, quotations
from neiqin.sales.tests.conftest import line

pytestmark = pytest.mark.django_db
BASE = "/api/v1/quotations"


def _call(client, method, url, body=None):
    return client.generic(method, url, json.dumps(body) if body is not None else "", content_type="application/json")


def test_create_read_and_issue(world, client_for):
    client = client_for(world.cast.sales1)
    body = {
        "customer_id": world.acme.pk,
        "lines": [
            {"model": "QH-1201", "quantity": "12"},
            {"product_id": world.floor.pk, "quantity": "1", "unit_price": "100.5"},
        ],
        "contact_name": "张采购",
        "valid_until": (dt.date.today() + dt.timedelta(days=7)).isoformat(),
    }
    response = _call(client, "POST", BASE, body)
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["total"] == "1300.50" and data["status"] == "draft" and data["number"] is None
    assert data["total_upper"] == "壹仟叁佰元零伍角" and data["lines"][1]["unit_price"] == "100.5000"
    assert _call(client, "GET", f"{BASE}/{data['id']}").json()["contact_name"] == "张采购"
    issued = _call(client, "POST", f"{BASE}/{data['id']}/issue")
    assert issued.status_code == 200 and issued.json()["number"].startswith("BJ")
    listed = _call(client, "GET", f"{BASE}?status=issued").json()
    assert listed["count"] == 1 and listed["items"][0]["total"] == "1300.50"


@pytest.mark.parametrize(
    "body",
    [
        {"lines": [{"model": "QH-1201", "quantity": "1"}]},  # no customer
        {"customer_id": 0, "lines": [{"model": "QH-1201", "quantity": "1"}]},
        {"customer_id": 1, "lines": []},
        {"customer_id": 1, "lines": [{"model": "QH-1201", "quantity": 1}]},  # a number, not a string
        {"customer_id": 1, "lines": [{"model": "QH-1201", "quantity": "1"}], "status": "issued"},  # unknown key
        {"customer_id": 1, "lines": [{"model": "QH-1201", "quantity": "1", "price": "1"}]},
    ],
)
def test_malformed_bodies_are_422(world, client_for, body):
    if body.get("customer_id") == 1:
        body["customer_id"] = world.acme.pk
    response = _call(client_for(world.cast.sales1), "POST", BASE, body)
    assert response.status_code == 422
    assert not Quotation.objects.exists()


@pytest.mark.parametrize(
    ("line_in", "field"),
    [
        ({"model": "NOPE", "quantity": "1"}, "lines.1.model"),
        ({"model": "QH-1201", "quantity": "-1"}, "lines.1.quantity"),
        ({"model": "QH-1201", "quantity": "abc"}, "lines.1.quantity"),
        ({"product_id": 999999, "quantity": "1"}, "lines.1.product"),
        ({"model": "QH-1201", "quantity": "1", "discount_rate": "2"}, "lines.1.discount_rate"),
    ],
)
def test_bad_lines_are_field_errors(world, client_for, line_in, field):
    response = _call(client_for(world.cast.sales1), "POST", BASE, {"customer_id": world.acme.pk, "lines": [line_in]})
    assert response.status_code == 422
    assert field in response.json()["extra"]["fields"]
    assert not Quotation.objects.exists()


def test_issue_beyond_authority_is_409_until_approved_and_a_change_voids_the_approval(world, client_for):
    client = client_for(world.cast.sales1)
    body = {"customer_id": world.acme.pk, "lines": [{"model": "QH-1201", "quantity": "10", "discount_rate": "8%"}]}
    quote = _call(client, "POST", BASE, body).json()
    assert quote["needs_approval"] == ["discount_manager"]
    refused = _call(client, "POST", f"{BASE}/{quote['id']}/issue")
    assert refused.status_code == 409 and refused.json()["code"] == "approval_missing"
    requested = _call(client, "POST", f"{BASE}/{quote['id']}/request-approval").json()
    assert [a["status"] for a in requested["approvals"]] == ["pending"]
    request = Quotation.objects.get(pk=quote["id"]).approvals.get()
    approvals.approval_decide(approval=request, by=world.cast.manager, approve=True, comment="同意")
    changed = _call(
        client,
        "PATCH",
        f"{BASE}/{quote['id']}",
        {"version": requested["version"], "lines": [{"model": "QH-1201", "quantity": "20", "discount_rate": "8%"}]},
    )
    assert changed.status_code == 200 and changed.json()["total"] == "1840.00"
    request.refresh_from_db()
    assert request.status == ApprovalStatus.VOID
    assert _call(client, "POST", f"{BASE}/{quote['id']}/issue").status_code == 409
    assert Quotation.objects.get(pk=quote["id"]).status == QuotationStatus.DRAFT


def test_a_stale_version_is_409_and_an_issued_quotation_cannot_change(world, client_for):
    quote = quotations.quotation_create(customer=world.acme, lines=[line(world.floor, 1)], by=world.cast.sales1)
    client = client_for(world.cast.sales1)
    stale = _call(client, "PATCH", f"{BASE}/{quote.pk}", {"version": quote.version + 5, "notes": "x"})
    assert stale.status_code == 409 and stale.json()["code"] == "stale_version"
    quotations.quotation_issue(quotation=quote, by=world.cast.sales1)
    quote.refresh_from_db()
    issued = _call(client, "PATCH", f"{BASE}/{quote.pk}", {"version": quote.version, "notes": "x"})
    assert issued.status_code == 409 and issued.json()["code"] == "quotation_issued"


def test_sales1_never_sees_sales2s_quotations_through_the_api(world, client_for):
    theirs = quotations.quotation_create(customer=world.other, lines=[line(world.floor, 1)], by=world.cast.sales2)
    client = client_for(world.cast.sales1)
    assert _call(client, "GET", BASE).json()["count"] == 0
    assert _call(client, "GET", f"{BASE}?customer_id={world.other.pk}").json()["count"] == 0
    assert _call(client, "GET", f"{BASE}/{theirs.pk}").status_code == 404
    assert _call(client, "POST", f"{BASE}/{theirs.pk}/issue").status_code == 404
    assert _call(client, "POST", f"{BASE}/{theirs.pk}/request-approval").status_code == 404
    assert _call(client, "PATCH", f"{BASE}/{theirs.pk}", {"version": theirs.version, "notes": "x"}).status_code == 404
    body = {"customer_id": world.other.pk, "lines": [{"model": "QH-1201", "quantity": "1"}]}
    assert _call(client, "POST", BASE, body).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == QuotationStatus.DRAFT and theirs.notes == ""


def test_the_warehouse_gets_403_and_finance_reads_only(world, client_for):
    quote = quotations.quotation_create(customer=world.acme, lines=[line(world.floor, 1)], by=world.cast.sales1)
    assert _call(client_for(world.cast.warehouse), "GET", BASE).status_code == 403
    finance = client_for(world.cast.finance)
    assert _call(finance, "GET", f"{BASE}/{quote.pk}").status_code == 200
    assert _call(finance, "POST", f"{BASE}/{quote.pk}/issue").status_code == 403


def test_the_expired_filter(world, client_for):
    old = quotations.quotation_create(
        customer=world.acme,
        lines=[line(world.floor, 1)],
        by=world.cast.sales1,
        fields={
            "quoted_on": dt.date.today() - dt.timedelta(days=30),
            "valid_until": dt.date.today() - dt.timedelta(days=1),
        },
    )
    quotations.quotation_create(customer=world.acme, lines=[line(world.floor, 1)], by=world.cast.sales1)
    data = _call(client_for(world.cast.sales1), "GET", f"{BASE}?expired=true").json()
    assert [item["id"] for item in data["items"]] == [old.pk] and data["items"][0]["expired"] is True
    assert _call(client_for(world.cast.sales1), "GET", f"{BASE}?limit=500").status_code == 422
