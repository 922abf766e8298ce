"""Promotional materials (促销品): issue records take the material off the warehouse's stock in
the same transaction; goods are refused; the records are scoped like customers."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from neiqin.core.errors import PermissionDenied, ValidationFailed
from neiqin.core.models import Event
from neiqin.stock.choices import MoveKind
from neiqin.stock.models import PromoIssue, StockMove
from neiqin.stock.selectors import materials as selectors
from neiqin.stock.services import InsufficientStock
from neiqin.stock.services import materials as services
from neiqin.stock.tests.test_loans_support import ledger_agrees, on_hand, stage

pytestmark = pytest.mark.django_db


def _post(client, body):
    return client.post("/api/v1/stock/promo-issues", json.dumps(body), content_type="application/json")


def _issue(cast, st, **kwargs):
    args = {
        "product": st.promo,
        "warehouse": st.warehouse,
        "quantity": "30",
        "recipient": "王经理",
        "customer": st.customer1,
        "salesperson": cast.sales1,
        "purpose": "客户拜访",
        "by": cast.clerk,
    }
    return services.promo_issue(**(args | kwargs))


def test_issue_takes_material_off_the_stock_with_its_move(cast):
    st = stage(cast)

    issue = _issue(cast, st)

    assert issue.number.startswith("CX")
    assert issue.issued_on == timezone.localdate()
    assert on_hand(st, st.promo) == Decimal("70")
    move = StockMove.objects.get(document_type="promo_issue", document_id=issue.number)
    assert issue.move == move
    assert (move.kind, move.quantity, move.customer, move.created_by) == (
        MoveKind.PROMO_ISSUE,
        Decimal("-30.000"),
        st.customer1,
        cast.clerk,
    )
    assert ledger_agrees(st, st.promo)
    assert Event.objects.filter(action="stock.promo_issue.created", object_id=str(issue.pk)).count() == 1
    assert on_hand(st) == Decimal("10")  # goods untouched


def test_goods_are_not_promotional_material(cast):
    st = stage(cast)

    with pytest.raises(ValidationFailed) as exc:
        _issue(cast, st, product=st.goods, quantity="1")

    assert "product" in exc.value.extra["fields"]
    assert on_hand(st) == Decimal("10")
    assert PromoIssue.objects.count() == 0 and not StockMove.objects.filter(kind=MoveKind.PROMO_ISSUE).exists()


def test_more_than_in_stock_refused_nothing_changed(cast):
    st = stage(cast, promo_quantity="5")

    with pytest.raises(InsufficientStock):
        _issue(cast, st, quantity="6")

    assert on_hand(st, st.promo) == Decimal("5")
    assert PromoIssue.objects.count() == 0


@pytest.mark.parametrize(
    ("field", "change"),
    [
        ("quantity", {"quantity": "-1"}),
        ("quantity", {"quantity": "十本"}),
        ("quantity", {"quantity": "0"}),
        ("recipient", {"recipient": " "}),
        ("issued_on", {"issued_on": dt.date(2099, 1, 1)}),
        ("issued_on", {"issued_on": "2026-13-01"}),
    ],
)
def test_bad_input_refused(cast, field, change):
    st = stage(cast)
    with pytest.raises(ValidationFailed) as exc:
        _issue(cast, st, **change)
    assert field in exc.value.extra["fields"]
    assert on_hand(st, st.promo) == Decimal("100") and PromoIssue.objects.count() == 0


@pytest.mark.parametrize("user", ["sales1", "manager", "finance", "gm"])
def test_only_desk_and_warehouse_issue(cast, user):
    st = stage(cast)
    with pytest.raises(PermissionDenied):
        _issue(cast, st, by=cast.by_name(user))
    assert PromoIssue.objects.count() == 0


def test_warehouse_issues_without_naming_a_customer(cast):
    st = stage(cast)
    issue = _issue(cast, st, by=cast.warehouse, customer=None, quantity="2")
    assert issue.customer is None and on_hand(st, st.promo) == Decimal("98")


def test_records_are_scoped(cast):
    st = stage(cast)
    for_sales1 = _issue(cast, st)
    for_sales2 = _issue(cast, st, customer=st.customer2, salesperson=cast.sales2)
    handed_to_sales1 = _issue(cast, st, customer=st.customer2, salesperson=cast.sales1, quantity="1")

    def visible(user):
        return set(selectors.promo_issue_list(user=cast.by_name(user)).values_list("pk", flat=True))

    assert visible("sales1") == {for_sales1.pk, handed_to_sales1.pk}
    assert visible("sales2") == {for_sales2.pk, handed_to_sales1.pk}
    assert (
        visible("warehouse")
        == visible("manager")
        == visible("gm")
        == {
            for_sales1.pk,
            for_sales2.pk,
            handed_to_sales1.pk,
        }
    )


def test_promo_stock_lists_materials_per_warehouse(cast):
    st = stage(cast)
    _issue(cast, st, quantity="12.5")

    stock = selectors.promo_stock()

    assert [w.name for w in stock.warehouses] == ["长沙库"]
    assert [(row.product, row.on_hand, row.total) for row in stock.rows] == [
        (st.promo, [Decimal("87.500")], Decimal("87.500"))
    ]


def test_page_shows_stock_and_filtered_records(cast, client_for):
    st = stage(cast)
    first = _issue(cast, st)
    second = _issue(cast, st, customer=st.customer2, salesperson=cast.sales2, quantity="5")

    page = client_for(cast.warehouse).get(reverse("stock:promo_issues"))
    assert page.status_code == 200
    assert "样品册" in page.text and "65" in page.text
    assert first.number in page.text and second.number in page.text

    clerk = client_for(cast.clerk)
    page = clerk.get(reverse("stock:promo_issues"), {"customer": "恒达"})
    assert second.number in page.text and first.number not in page.text
    page = clerk.get(reverse("stock:promo_issues"), {"salesperson": cast.sales1.pk})
    assert first.number in page.text and second.number not in page.text
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    page = clerk.get(reverse("stock:promo_issues"), {"date_from": tomorrow})
    assert first.number not in page.text and "没有符合条件的发放记录" in page.text

    page = client_for(cast.sales2).get(reverse("stock:promo_issues"))
    assert second.number in page.text and first.number not in page.text


def test_issue_through_the_page(cast, client_for):
    st = stage(cast)
    clerk = client_for(cast.clerk)
    assert clerk.get(reverse("stock:promo_issue_create")).status_code == 200
    form = {
        "product": st.promo.pk,
        "warehouse": st.warehouse.pk,
        "quantity": "8",
        "recipient": "李工",
        "customer": st.customer1.code,
        "salesperson": cast.sales1.pk,
        "purpose": "展会赠送",
        "issued_on": timezone.localdate().isoformat(),
    }

    response = clerk.post(reverse("stock:promo_issue_create"), form)

    assert response.status_code == 302
    assert on_hand(st, st.promo) == Decimal("92")
    response = clerk.post(reverse("stock:promo_issue_create"), form | {"quantity": "1000"})
    assert response.status_code == 409 and "可用库存只有" in response.text
    response = clerk.post(reverse("stock:promo_issue_create"), form | {"product": st.goods.pk})
    assert response.status_code == 422
    assert on_hand(st, st.promo) == Decimal("92") and PromoIssue.objects.count() == 1
    assert client_for(cast.sales1).get(reverse("stock:promo_issue_create")).status_code == 403


def test_api_create_and_list(cast, client_for):
    st = stage(cast)
    body = {
        "product_id": st.promo.pk,
        "warehouse_id": st.warehouse.pk,
        "quantity": "3",
        "recipient": "张三",
        "customer_id": st.customer1.pk,
        "salesperson_id": cast.sales1.pk,
    }
    warehouse = client_for(cast.warehouse)

    # the warehouse may not see customers: naming one is refused
    response = _post(warehouse, body)
    assert response.status_code == 422 and "customer_id" in response.json()["extra"]["fields"]
    response = _post(warehouse, body | {"customer_id": None})
    assert response.status_code == 201 and response.json()["quantity"] == "3.000"
    for change, field in (({"product_id": st.goods.pk}, "product_id"), ({"quantity": "-3"}, "quantity")):
        response = warehouse.post(
            "/api/v1/stock/promo-issues",
            json.dumps(body | {"customer_id": None} | change),
            content_type="application/json",
        )
        assert response.status_code == 422 and field in response.json()["extra"]["fields"]

    listed = client_for(cast.sales1).get("/api/v1/stock/promo-issues").json()
    assert listed["count"] == 1 and listed["items"][0]["recipient"] == "张三"
    assert client_for(cast.sales2).get("/api/v1/stock/promo-issues").json()["count"] == 0
    response = client_for(cast.sales1).post(
        "/api/v1/stock/promo-issues", json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 403
    assert on_hand(st, st.promo) == Decimal("97")
