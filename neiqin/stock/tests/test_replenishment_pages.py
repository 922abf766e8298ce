"""Replenishment pages and API: lists with the customer shown only within scope, overdue needs
highlighted, the request form with its refusals, the actions, and the JSON API."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.utils import timezone

from neiqin.catalog.services import product_create
from neiqin.customers import services as customer_services
from neiqin.stock.choices import ReplenishmentStatus
from neiqin.stock.models import ReplenishmentRequest
from neiqin.stock.services import warehouse_create
from neiqin.stock.services.replenishment import replenishment_for_shortage, replenishment_request

pytestmark = pytest.mark.django_db


@pytest.fixture
def cs(cast):
    return warehouse_create(fields={"code": "CS", "name": "长沙库"}, by=cast.admin)


@pytest.fixture
def product(cast):
    return product_create(fields={"name": "强化复合地板", "model": "HR-1208", "unit": "箱"}, by=cast.admin)


@pytest.fixture
def customer(cast):
    return customer_services.customer_create(fields={"name": "长沙涵瑞建材有限公司"}, by=cast.clerk, owner=cast.sales1)


@pytest.fixture
def overdue(cast, cs, product, customer):
    """A shortage of order XS-0009 for sales1's customer, needed two days ago."""
    return replenishment_for_shortage(
        product=product,
        warehouse=cs,
        shortage="6",
        needed_by=timezone.localdate() - dt.timedelta(days=2),
        demand_type="order",
        demand_id="9",
        demand_number="XS-0009",
        customer=customer,
        by=cast.clerk,
    )


# ---- list and detail ----------------------------------------------------------------------------------


def test_list_shows_the_customer_only_to_those_who_see_it(overdue, cast, client_for):
    for user in (cast.clerk, cast.sales1, cast.manager, cast.gm):
        html = client_for(user).get("/stock/replenishments/").content.decode()
        assert "长沙涵瑞建材有限公司" in html, user
    for user in (cast.sales2, cast.manager2, cast.warehouse):
        response = client_for(user).get("/stock/replenishments/")
        html = response.content.decode()
        assert response.status_code == 200 and overdue.number in html
        assert "长沙涵瑞建材有限公司" not in html, user


def test_overdue_requests_are_highlighted_and_filterable(overdue, cast, cs, product, client_for):
    fine = replenishment_request(
        product=product,
        warehouse=cs,
        quantity="3",
        needed_by=timezone.localdate() + dt.timedelta(days=9),
        by=cast.clerk,
    )
    client = client_for(cast.clerk)
    html = client.get("/stock/replenishments/").content.decode()
    assert 'class="table-danger"' in html and "已逾期" in html
    only = client.get("/stock/replenishments/?overdue=on").content.decode()
    assert overdue.number in only and fine.number not in only
    fragment = client.get(
        "/stock/replenishments/?status=in_progress", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="replenishment-table"
    )
    assert "<html" not in fragment.content.decode() and "没有符合条件的补货申请" in fragment.content.decode()


def test_detail_shows_actions_by_role_and_masks_the_customer(overdue, cast, client_for):
    url = f"/stock/replenishments/{overdue.pk}/"
    warehouse = client_for(cast.warehouse).get(url).content.decode()
    sales2 = client_for(cast.sales2).get(url).content.decode()
    sales1 = client_for(cast.sales1).get(url).content.decode()
    assert "开始采购/生产" in warehouse and "确认到货" in warehouse and "长沙涵瑞建材有限公司" not in warehouse
    assert "开始采购/生产" not in sales1 and "长沙涵瑞建材有限公司" in sales1 and "XS-0009" in sales1
    assert "开始采购/生产" not in sales2 and "长沙涵瑞建材有限公司" not in sales2
    assert client_for(cast.clerk).get("/stock/replenishments/999999/").status_code == 404


def test_actions_move_the_request_and_refusals_come_back_as_messages(overdue, cast, client_for):
    client = client_for(cast.warehouse)
    expected = (timezone.localdate() + dt.timedelta(days=4)).isoformat()
    started = client.post(
        f"/stock/replenishments/{overdue.pk}/start/",
        {"response": "已下单", "expected_on": expected, "version": "1"},
        follow=True,
    )
    assert "已开始处理" in started.content.decode()
    overdue.refresh_from_db()
    assert overdue.status == ReplenishmentStatus.IN_PROGRESS and overdue.expected_on.isoformat() == expected

    again = client.post(f"/stock/replenishments/{overdue.pk}/start/", {}, follow=True).content.decode()
    assert "已经是“采购/生产中”状态，无需重复操作。" in again
    no_reason = client.post(f"/stock/replenishments/{overdue.pk}/cancel/", {"response": ""}, follow=True)
    assert "请填写取消原因" in no_reason.content.decode()
    stale = client.post(f"/stock/replenishments/{overdue.pk}/fulfil/", {"version": "1"}, follow=True)
    assert "已被他人修改" in stale.content.decode()
    denied = client_for(cast.sales1).post(f"/stock/replenishments/{overdue.pk}/fulfil/", {})
    assert denied.status_code == 403
    overdue.refresh_from_db()
    assert overdue.status == ReplenishmentStatus.IN_PROGRESS and overdue.version == 2

    client = client_for(cast.warehouse)  # the test client is shared: log the warehouse back in
    done = client.post(f"/stock/replenishments/{overdue.pk}/fulfil/", {"version": "2"}, follow=True).content.decode()
    assert "已确认到货" in done
    overdue.refresh_from_db()
    assert overdue.status == ReplenishmentStatus.FULFILLED


# ---- the request form ---------------------------------------------------------------------------------------


def form(cs, **overrides):
    data = {"model": "hr-1208 ", "spec": "", "warehouse": cs.pk, "quantity": "25", "needed_by": "", "note": "备货"}
    data.update(overrides)
    return data


def test_create_by_model_with_a_customer_in_scope(cs, product, customer, cast, client_for):
    response = client_for(cast.clerk).post("/stock/replenishments/new/", form(cs, customer=customer.code))
    created = ReplenishmentRequest.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/stock/replenishments/{created.pk}/"
    assert (created.product, created.quantity, created.customer, created.note) == (
        product,
        Decimal("25.000"),
        customer,
        "备货",
    )


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"model": "NOPE-1"}, "找不到型号“NOPE-1”的产品"),
        ({"quantity": "-5"}, "需求数量不能为负数。"),
        ({"quantity": "abc"}, "需求数量必须是数字"),
        ({"needed_by": "2000-01-01"}, "需求日期不能早于今天。"),
        ({"customer": "甲方不存在公司"}, "找不到客户“甲方不存在公司”"),
        ({"warehouse": "999999"}, "选择一个有效的选项"),
    ],
)
def test_create_refusals_are_shown_next_to_the_field(cs, product, cast, client_for, overrides, message):
    response = client_for(cast.clerk).post("/stock/replenishments/new/", form(cs, **overrides))
    assert response.status_code == 422
    assert message in response.content.decode()
    assert ReplenishmentRequest.objects.count() == 0


def test_customer_field_depends_on_scope(cs, product, customer, cast, client_for):
    """The warehouse sees no customers, so the form has no customer field; a manager of another
    team cannot name a customer outside their team."""
    assert 'name="customer"' not in client_for(cast.warehouse).get("/stock/replenishments/new/").content.decode()
    outside = client_for(cast.manager2).post("/stock/replenishments/new/", form(cs, customer=customer.name))
    assert outside.status_code == 422 and ReplenishmentRequest.objects.count() == 0
    assert client_for(cast.sales1).get("/stock/replenishments/new/").status_code == 403
    prefilled = client_for(cast.warehouse).get(f"/stock/replenishments/new/?model=HR-1208&warehouse={cs.pk}")
    assert 'value="HR-1208"' in prefilled.content.decode()


# ---- API ---------------------------------------------------------------------------------------------------------


def api_post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def test_api_create_list_get_and_transition(cs, product, customer, cast, client_for):
    clerk = client_for(cast.clerk)
    created = api_post(
        clerk,
        "/api/v1/stock/replenishments",
        {"product_id": product.pk, "warehouse_id": cs.pk, "quantity": "12.5", "customer_id": customer.pk},
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["quantity"] == "12.500" and body["status"] == "open" and body["customer"]["name"] == customer.name
    pk = body["id"]

    seen_by_warehouse = client_for(cast.warehouse).get(f"/api/v1/stock/replenishments/{pk}").json()
    assert seen_by_warehouse["customer"] is None and seen_by_warehouse["number"] == body["number"]
    listed = client_for(cast.sales2).get("/api/v1/stock/replenishments?status=open").json()
    assert listed["count"] == 1 and listed["items"][0]["customer"] is None

    warehouse = client_for(cast.warehouse)
    started = api_post(warehouse, f"/api/v1/stock/replenishments/{pk}/status", {"status": "in_progress"})
    assert started.status_code == 200 and started.json()["status"] == "in_progress"
    refused = api_post(warehouse, f"/api/v1/stock/replenishments/{pk}/status", {"status": "in_progress"})
    assert refused.status_code == 409 and refused.json()["code"] == "already_in_state"
    no_reason = api_post(warehouse, f"/api/v1/stock/replenishments/{pk}/status", {"status": "cancelled"})
    assert no_reason.status_code == 422 and "response" in no_reason.json()["extra"]["fields"]
    done = api_post(warehouse, f"/api/v1/stock/replenishments/{pk}/status", {"status": "fulfilled", "version": 2})
    assert done.status_code == 200 and done.json()["status"] == "fulfilled" and done.json()["closed_at"]
    forbidden = api_post(client_for(cast.sales1), f"/api/v1/stock/replenishments/{pk}/status", {"status": "cancelled"})
    assert forbidden.status_code == 403


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"quantity": 5}, 422, "quantity"),  # quantities are strings
        ({"quantity": "0"}, 422, "quantity"),
        ({"product_id": 999999}, 422, "product_id"),
        ({"warehouse_id": 999999}, 422, "warehouse_id"),
        ({"needed_by": "2000-01-01"}, 422, "needed_by"),
        ({"status": "open"}, 422, "status"),  # unknown key
    ],
)
def test_api_create_refusals(cs, product, cast, client_for, body, status, field):
    payload = {"product_id": product.pk, "warehouse_id": cs.pk, "quantity": "3", **body}
    response = api_post(client_for(cast.clerk), "/api/v1/stock/replenishments", payload)
    assert response.status_code == status
    assert field in response.json()["extra"]["fields"]
    assert ReplenishmentRequest.objects.count() == 0


def test_api_customer_outside_scope_is_refused(cs, product, customer, cast, client_for):
    payload = {"product_id": product.pk, "warehouse_id": cs.pk, "quantity": "3", "customer_id": customer.pk}
    response = api_post(client_for(cast.manager2), "/api/v1/stock/replenishments", payload)
    assert response.status_code == 422 and "customer_id" in response.json()["extra"]["fields"]
    assert ReplenishmentRequest.objects.count() == 0


def test_list_page_is_a_fixed_number_of_queries(cs, product, customer, cast, client_for, django_assert_max_num_queries):
    for index in range(8):
        replenishment_request(
            product=product,
            warehouse=cs,
            quantity="1",
            customer=customer,
            demand_type="o",
            demand_id=str(index),
            by=cast.clerk,
        )
    client = client_for(cast.sales1)
    client.get("/stock/replenishments/")  # warm up session and caches
    with django_assert_max_num_queries(12):
        response = client.get("/stock/replenishments/")
    assert response.content.decode().count("长沙涵瑞建材有限公司") == 8
