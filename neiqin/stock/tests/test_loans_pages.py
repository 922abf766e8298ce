"""Loan pages and API: scoping (a salesperson never sees another's loans), actions by role,
overdue highlighting, and no amounts for the warehouse."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from neiqin.stock.choices import LoanStatus
from neiqin.stock.models import ProductLoan
from neiqin.stock.services import materials as services
from neiqin.stock.tests.test_loans_support import lent_loan, on_hand, request_loan, stage

pytestmark = pytest.mark.django_db


def _api(client, method, path, body=None):
    payload = json.dumps(body) if body is not None else ""
    return client.generic(method, f"/api/v1{path}", payload, content_type="application/json")


@pytest.fixture
def two_loans(cast):
    st = stage(cast)
    mine = request_loan(cast, st, by=cast.sales1)
    theirs = request_loan(cast, st, by=cast.sales2)
    return st, mine, theirs


def test_salesperson_sees_only_own_loans_on_page_and_api(cast, client_for, two_loans):
    _st, mine, theirs = two_loans
    client = client_for(cast.sales2)

    page = client.get(reverse("stock:loans"))
    assert page.status_code == 200
    assert theirs.number in page.text and mine.number not in page.text

    assert client.get(reverse("stock:loan_detail", args=[mine.pk])).status_code == 404
    assert client.get(reverse("stock:loan_detail", args=[theirs.pk])).status_code == 200

    listed = _api(client, "GET", "/stock/loans").json()
    assert [row["number"] for row in listed["items"]] == [theirs.number]
    assert listed["count"] == 1
    response = _api(client, "GET", f"/stock/loans/{mine.pk}")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    # acting on it is a 404 too, not a hint that it exists
    assert _api(client, "POST", f"/stock/loans/{mine.pk}/cancel").status_code == 404
    mine.refresh_from_db()
    assert mine.status == LoanStatus.REQUESTED


def test_manager_sees_the_team_loans_only(cast, client_for, two_loans):
    _st, mine, theirs = two_loans

    numbers = [row["number"] for row in _api(client_for(cast.manager), "GET", "/stock/loans").json()["items"]]
    assert numbers == [mine.number]
    numbers = [row["number"] for row in _api(client_for(cast.manager2), "GET", "/stock/loans").json()["items"]]
    assert numbers == [theirs.number]
    numbers = {row["number"] for row in _api(client_for(cast.warehouse), "GET", "/stock/loans").json()["items"]}
    assert numbers == {mine.number, theirs.number}


def test_salesperson_sees_loans_for_own_customers_requested_by_others(cast, client_for):
    st = stage(cast)
    loan = request_loan(cast, st, by=cast.clerk, customer=st.customer1)

    assert client_for(cast.sales1).get(reverse("stock:loan_detail", args=[loan.pk])).status_code == 200
    assert client_for(cast.sales2).get(reverse("stock:loan_detail", args=[loan.pk])).status_code == 404


def test_lifecycle_through_the_pages(cast, client, two_loans):
    st, loan, _theirs = two_loans
    detail = reverse("stock:loan_detail", args=[loan.pk])

    client.force_login(cast.deputy)
    page = client.get(detail)
    assert reverse("stock:loan_approve", args=[loan.pk]) in page.text
    assert reverse("stock:loan_lend", args=[loan.pk]) not in page.text
    assert client.post(reverse("stock:loan_approve", args=[loan.pk]), {"comment": "同意"}).status_code == 302

    client.force_login(cast.warehouse)
    page = client.get(detail)
    assert reverse("stock:loan_lend", args=[loan.pk]) in page.text
    assert reverse("stock:loan_approve", args=[loan.pk]) not in page.text
    assert client.post(reverse("stock:loan_lend", args=[loan.pk]), {}).status_code == 302
    assert on_hand(st) == Decimal("5")

    response = client.post(reverse("stock:loan_return", args=[loan.pk]), {"quantity": "两个"}, follow=True)
    assert "数量必须是数字" in response.text
    response = client.post(reverse("stock:loan_return", args=[loan.pk]), {"quantity": "9"}, follow=True)
    assert "超过未归还数量" in response.text
    assert on_hand(st) == Decimal("5")
    client.post(reverse("stock:loan_return", args=[loan.pk]), {"quantity": "1"})
    assert on_hand(st) == Decimal("6")

    client.force_login(cast.clerk)
    response = client.post(reverse("stock:loan_charge", args=[loan.pk]), {"quantity": "4"}, follow=True)
    assert response.status_code == 200
    loan.refresh_from_db()
    assert (loan.status, loan.charge_amount) == (LoanStatus.CLOSED, Decimal("400.00"))
    page = client.get(detail)
    for label in ("提交借用申请", "审批通过", "仓库借出", "归还入库", "转为销售"):
        assert label in page.text


def test_requester_sees_no_approve_button_and_gets_403(cast, client_for):
    st = stage(cast)
    loan = request_loan(cast, st, by=cast.admin, customer=st.customer1)
    client = client_for(cast.admin)

    page = client.get(reverse("stock:loan_detail", args=[loan.pk]))
    assert reverse("stock:loan_approve", args=[loan.pk]) not in page.text
    assert reverse("stock:loan_cancel", args=[loan.pk]) in page.text
    response = client.post(reverse("stock:loan_approve", args=[loan.pk]), {"comment": ""})
    assert response.status_code == 403
    assert _api(client, "POST", f"/stock/loans/{loan.pk}/approve", {}).status_code == 403
    loan.refresh_from_db()
    assert loan.status == LoanStatus.REQUESTED


def test_warehouse_sees_no_amounts(cast, client_for):
    st = stage(cast)
    loan = lent_loan(cast, st, quantity="3")
    services.loan_charge(loan=loan, quantity="3", by=cast.finance, unit_price="123.45")

    warehouse = client_for(cast.warehouse)
    page = warehouse.get(reverse("stock:loan_detail", args=[loan.pk]))
    assert page.status_code == 200
    assert "370.35" not in page.text and "123.45" not in page.text and "转销售金额" not in page.text
    listing = warehouse.get(reverse("stock:loans"))
    assert "370.35" not in listing.text and "转销售金额" not in listing.text
    data = _api(warehouse, "GET", f"/stock/loans/{loan.pk}").json()
    assert data["charge_amount"] is None and data["charge_unit_price"] is None
    assert data["charged_quantity"] == "3.000"

    finance = client_for(cast.finance)
    assert "370.35" in finance.get(reverse("stock:loan_detail", args=[loan.pk])).text
    data = _api(finance, "GET", f"/stock/loans/{loan.pk}").json()
    assert (data["charge_amount"], data["charge_unit_price"]) == ("370.35", "123.4500")


def test_overdue_loans_are_red_with_days(cast, client_for):
    with time_machine.travel(dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC), tick=False):
        st = stage(cast)
        late = lent_loan(cast, st, quantity="1", due_in=2)
        fine = lent_loan(cast, st, quantity="1", due_in=30)
    with time_machine.travel(dt.datetime(2026, 3, 9, 2, 0, tzinfo=dt.UTC), tick=False):
        client = client_for(cast.clerk)
        page = client.get(reverse("stock:loans"), {"status": "overdue"})
        assert late.number in page.text and fine.number not in page.text
        assert "table-danger" in page.text and "逾期 5 天" in page.text
        items = _api(client, "GET", "/stock/loans?status=overdue").json()["items"]
        assert [(i["number"], i["overdue"], i["overdue_days"]) for i in items] == [(late.number, True, 5)]
        assert "逾期 5 天" in client.get(reverse("stock:loan_detail", args=[late.pk])).text


def test_create_loan_through_page_and_api(cast, client_for):
    st = stage(cast)
    client = client_for(cast.sales1)
    due = (timezone.localdate() + dt.timedelta(days=10)).isoformat()

    assert client.get(reverse("stock:loan_create")).status_code == 200
    form = {
        "product": st.goods.pk,
        "warehouse": st.warehouse.pk,
        "quantity": "2",
        "customer": st.customer1.code,
        "purpose": "展厅陈列",
        "due_on": due,
    }
    response = client.post(reverse("stock:loan_create"), form)
    loan = ProductLoan.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("stock:loan_detail", args=[loan.pk])
    assert (loan.customer, loan.requested_by, loan.quantity) == (st.customer1, cast.sales1, Decimal("2"))

    # another salesperson's customer is not found; nothing created
    response = client.post(reverse("stock:loan_create"), form | {"customer": st.customer2.code})
    assert response.status_code == 422 and "找不到这个客户" in response.text
    response = client.post(reverse("stock:loan_create"), form | {"quantity": "-3"})
    assert response.status_code == 422 and "不能为负数" in response.text

    body = {
        "product_id": st.goods.pk,
        "warehouse_id": st.warehouse.pk,
        "quantity": "1.5",
        "customer_id": st.customer1.pk,
        "purpose": "客户试铺",
        "due_on": due,
    }
    created = _api(client, "POST", "/stock/loans", body)
    assert created.status_code == 201
    assert created.json()["status"] == "requested" and created.json()["quantity"] == "1.500"
    for change, field in (
        ({"quantity": "abc"}, "quantity"),
        ({"customer_id": st.customer2.pk}, "customer_id"),
        ({"product_id": st.promo.pk}, "product_id"),
        ({"product_id": 999999}, "product_id"),
        ({"due_on": "2020-01-01"}, "due_on"),
    ):
        response = _api(client, "POST", "/stock/loans", body | change)
        assert response.status_code == 422, change
        assert field in response.json()["extra"]["fields"], change
    assert ProductLoan.objects.count() == 2
    assert _api(client_for(cast.warehouse), "POST", "/stock/loans", body).status_code == 403


def test_api_actions(cast, client_for):
    st = stage(cast)
    loan = request_loan(cast, st, quantity="4")

    assert _api(client_for(cast.gm), "POST", f"/stock/loans/{loan.pk}/approve", {"comment": "好"}).status_code == 200
    response = _api(client_for(cast.warehouse), "POST", f"/stock/loans/{loan.pk}/lend", {})
    assert response.status_code == 200 and response.json()["status"] == "lent"
    response = _api(client_for(cast.warehouse), "POST", f"/stock/loans/{loan.pk}/return", {"quantity": "5"})
    assert response.status_code == 422
    response = _api(client_for(cast.warehouse), "POST", f"/stock/loans/{loan.pk}/return", {"quantity": "1"})
    assert response.json()["outstanding"] == "3.000"
    response = _api(client_for(cast.finance), "POST", f"/stock/loans/{loan.pk}/charge", {"quantity": "3"})
    assert response.status_code == 200
    assert response.json()["status"] == "closed" and response.json()["charge_amount"] == "300.00"
    response = _api(client_for(cast.finance), "POST", f"/stock/loans/{loan.pk}/charge", {"quantity": "1"})
    assert response.status_code == 409 and response.json()["code"] == "invalid_transition"
    assert on_hand(st) == Decimal("7")
