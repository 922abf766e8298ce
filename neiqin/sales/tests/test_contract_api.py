"""Contract API (ORD-2): draft, review, sign; reviewer roles, refusals and scoping."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from neiqin.sales.choices import ContractStatus
from neiqin.sales.models import Contract
from neiqin.sales.services import contracts, quotations
from neiqin.sales.tests.conftest import line

pytestmark = pytest.mark.django_db
BASE = "/api/v1/contracts"


def _call(client, method, url, body=None):
    return client.generic(method, url, json.dumps(body) if body is not None else "", content_type="application/json")


def _draft(world, customer=None, by=None):
    return contracts.contract_create(
        customer=customer or world.acme, by=by or world.cast.clerk, title="地板购销合同", lines=[line(world.floor, 100)]
    )


def test_the_whole_flow_through_the_api(world, client_for):
    clerk = client_for(world.cast.clerk)
    body = {"customer_id": world.acme.pk, "title": "年度合同", "lines": [{"model": "QH-1201", "quantity": "100"}]}
    created = _call(clerk, "POST", BASE, body)
    assert created.status_code == 201, created.content
    data = created.json()
    assert data["total"] == "10000.00" and data["total_upper"] == "壹万元整" and len(data["clauses"]) == 9
    assert data["buyer"]["name"] == "长沙宏达装饰工程有限公司"
    cid = data["id"]
    submitted = _call(clerk, "POST", f"{BASE}/{cid}/submit-review").json()
    assert submitted["status"] == "in_review" and submitted["number"].startswith("HT")
    assert (
        _call(
            client_for(world.cast.deputy), "POST", f"{BASE}/{cid}/review", {"kind": "legal", "approved": True}
        ).status_code
        == 200
    )
    reviewed = _call(
        client_for(world.cast.finance), "POST", f"{BASE}/{cid}/review", {"kind": "finance", "approved": True}
    )
    assert reviewed.json()["status"] == "reviewed"
    sign = {
        "signed_on": dt.date.today().isoformat(),
        "seller_signatory": "王经理",
        "buyer_signatory": "李总",
        "place": "长沙",
    }
    clerk = client_for(world.cast.clerk)  # the test client is shared: log the clerk in again
    signed = _call(clerk, "POST", f"{BASE}/{cid}/sign", sign)
    assert signed.status_code == 200, signed.content
    assert signed.json()["status"] == "effective"
    assert _call(clerk, "GET", f"{BASE}?status=effective").json()["count"] == 1


def test_from_a_quotation(world, client_for):
    quote = quotations.quotation_issue(
        quotation=quotations.quotation_create(customer=world.acme, lines=[line(world.floor, 3)], by=world.cast.sales1),
        by=world.cast.sales1,
    )
    response = _call(client_for(world.cast.sales1), "POST", BASE, {"quotation_id": quote.pk, "title": "合同"})
    assert response.status_code == 201 and response.json()["quotation_id"] == quote.pk
    assert response.json()["total"] == "300.00"


@pytest.mark.parametrize(
    "body",
    [
        {"title": "合同"},  # neither customer nor quotation
        {"title": "", "customer_id": 1, "lines": [{"model": "QH-1201", "quantity": "1"}]},
        {"title": "合同", "customer_id": 1},  # no lines
        {"title": "合同", "customer_id": 1, "lines": [{"model": "QH-1201", "quantity": "0"}]},
        {"title": "合同", "customer_id": 1, "lines": [{"model": "QH-1201", "quantity": "1"}], "status": "effective"},
    ],
)
def test_bad_drafts_are_422(world, client_for, body):
    if body.get("customer_id") == 1:
        body["customer_id"] = world.acme.pk
    assert _call(client_for(world.cast.clerk), "POST", BASE, body).status_code == 422
    assert not Contract.objects.exists()


def test_review_refusals(world, client_for):
    contract = contracts.contract_submit_review(contract=_draft(world), by=world.cast.clerk)
    url = f"{BASE}/{contract.pk}/review"
    assert _call(client_for(world.cast.sales1), "POST", url, {"kind": "legal", "approved": True}).status_code == 403
    assert _call(client_for(world.cast.finance), "POST", url, {"kind": "legal", "approved": True}).status_code == 403
    returned = _call(client_for(world.cast.finance), "POST", url, {"kind": "finance", "approved": False})
    assert returned.status_code == 422 and "comment" in returned.json()["extra"]["fields"]
    contract.refresh_from_db()
    assert contract.status == ContractStatus.IN_REVIEW
    assert all(r.approved is None for r in contract.reviews.all())


def test_signing_without_signatures_is_refused_and_changes_nothing(world, client_for):
    contract = contracts.contract_submit_review(contract=_draft(world), by=world.cast.clerk)
    contracts.contract_review(contract=contract, kind="legal", by=world.cast.gm, approved=True)
    contracts.contract_review(contract=contract, kind="finance", by=world.cast.finance, approved=True)
    clerk = client_for(world.cast.clerk)
    response = _call(clerk, "POST", f"{BASE}/{contract.pk}/sign", {"signed_on": dt.date.today().isoformat()})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "contract_incomplete" and "不能生效" in body["message"]
    assert set(body["extra"]["fields"]) == {"seller_signatory", "buyer_signatory"}
    future = (dt.date.today() + dt.timedelta(days=3)).isoformat()
    response = _call(
        clerk,
        "POST",
        f"{BASE}/{contract.pk}/sign",
        {"signed_on": future, "seller_signatory": "王", "buyer_signatory": "李"},
    )
    assert response.status_code == 422 and "signed_on" in response.json()["extra"]["fields"]
    contract.refresh_from_db()
    assert contract.status == ContractStatus.REVIEWED and contract.signed_on is None and contract.seller_signatory == ""


def test_a_draft_cannot_be_signed(world, client_for):
    contract = _draft(world)
    sign = {"signed_on": dt.date.today().isoformat(), "seller_signatory": "王", "buyer_signatory": "李"}
    response = _call(client_for(world.cast.clerk), "POST", f"{BASE}/{contract.pk}/sign", sign)
    assert response.status_code == 409
    contract.refresh_from_db()
    assert contract.status == ContractStatus.DRAFT


def test_sales1_never_sees_sales2s_contracts_through_the_api(world, client_for):
    theirs = _draft(world, customer=world.other, by=world.cast.sales2)
    client = client_for(world.cast.sales1)
    assert _call(client, "GET", BASE).json()["count"] == 0
    assert _call(client, "GET", f"{BASE}/{theirs.pk}").status_code == 404
    assert _call(client, "POST", f"{BASE}/{theirs.pk}/submit-review").status_code == 404
    sign = {"signed_on": dt.date.today().isoformat(), "seller_signatory": "王", "buyer_signatory": "李"}
    assert _call(client, "POST", f"{BASE}/{theirs.pk}/sign", sign).status_code == 404
    body = {"customer_id": world.other.pk, "title": "x", "lines": [{"model": "QH-1201", "quantity": "1"}]}
    assert _call(client, "POST", BASE, body).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == ContractStatus.DRAFT and Contract.objects.count() == 1


def test_the_warehouse_gets_403(world, client_for):
    assert _call(client_for(world.cast.warehouse), "GET", BASE).status_code == 403
