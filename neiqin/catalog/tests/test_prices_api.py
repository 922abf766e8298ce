"""The price API: lists, set price (with the affected customers), changes, resolution; the
warehouse gets 403 everywhere, salespeople only resolve and see their own customers."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from neiqin.accounts.services import token_create
from neiqin.api.tests.tools import assert_error, call
from neiqin.catalog import services
from neiqin.catalog.models import PriceChange, PriceList
from neiqin.catalog.tests.test_prices_support import customer_list, grade_list, make_customer, make_product

pytestmark = pytest.mark.django_db


def today() -> dt.date:
    return timezone.localdate()


@pytest.fixture
def api(cast):
    tokens: dict[str, str] = {}

    def as_user(user, method, path, body=None):
        if user.username not in tokens:
            tokens[user.username] = token_create(user=user, name="t", by=user)[1]
        return call(Client(), method, path, body, token=tokens[user.username])

    return as_user


@pytest.fixture
def shop(cast):
    product = make_product(price="100", floor="80", model="API-1")
    mine = make_customer(cast, "长沙接口甲建材有限公司", owner=cast.sales1, grade="A")
    theirs = make_customer(cast, "郑州接口乙建材有限公司", owner=cast.sales2, grade="B")
    own_list, their_list = customer_list(mine), customer_list(theirs)
    graded = grade_list("A")
    services.price_set(price_list=own_list, product=product, unit_price="88", effective_from=None, by=None)
    services.price_set(price_list=their_list, product=product, unit_price="87", effective_from=None, by=None)
    return {"product": product, "mine": mine, "theirs": theirs, "own": own_list, "their": their_list, "graded": graded}


def test_warehouse_is_refused_every_price_operation(cast, api, shop):
    change = PriceChange.objects.first()
    for method, path, body in [
        ("GET", "/price-lists", None),
        ("GET", f"/price-lists/{shop['graded'].pk}", None),
        ("POST", "/price-lists", {"kind": "grade", "grade": "B"}),
        ("POST", f"/price-lists/{shop['graded'].pk}/prices", {"product_id": shop["product"].pk, "unit_price": "90"}),
        ("GET", f"/prices/resolve?product={shop['product'].pk}", None),
        ("GET", "/price-changes", None),
        ("GET", f"/price-changes/{change.pk}", None),
    ]:
        assert_error(api(cast.warehouse, method, path, body), 403)
    assert not PriceList.objects.filter(kind="grade", grade="B").exists()


def test_salesperson_lists_only_own_customer_lists(cast, api, shop):
    ids = {row["id"] for row in api(cast.sales1, "GET", "/price-lists?kind=customer").json()["items"]}
    all_ids = {row["id"] for row in api(cast.clerk, "GET", "/price-lists?limit=200").json()["items"]}

    assert ids == {shop["own"].pk}
    assert {shop["own"].pk, shop["their"].pk, shop["graded"].pk} <= all_ids
    assert_error(api(cast.sales1, "GET", f"/price-lists/{shop['their'].pk}"), 404)


def test_get_price_list_has_current_and_scheduled_items(cast, api, shop):
    services.price_set(
        price_list=shop["own"],
        product=shop["product"],
        unit_price="86",
        effective_from=today() + dt.timedelta(days=5),
        by=None,
    )

    body = api(cast.sales1, "GET", f"/price-lists/{shop['own'].pk}").json()

    assert body["kind"] == "customer" and body["customer"]["id"] == shop["mine"].pk and body["product_count"] == 1
    assert [(i["product"]["model"], i["unit_price"], i["floor_price"]) for i in body["items"]] == [
        ("API-1", "88.0000", "80.0000")
    ]
    assert [i["unit_price"] for i in body["scheduled"]] == ["86.0000"]


def test_create_lists_through_the_api(cast, api, shop):
    created = api(cast.clerk, "POST", "/price-lists", {"kind": "grade", "grade": "C"})
    assert created.status_code == 201 and created.json()["name"] == "C 类客户价"

    customer = make_customer(cast, "长沙接口新专属建材有限公司", owner=cast.sales1)
    own = api(cast.manager, "POST", "/price-lists", {"kind": "customer", "customer_id": customer.pk})
    assert own.status_code == 201 and own.json()["customer"]["id"] == customer.pk

    assert_error(api(cast.clerk, "POST", "/price-lists", {"kind": "grade", "grade": "C"}), 409)
    assert_error(api(cast.sales1, "POST", "/price-lists", {"kind": "grade", "grade": "B"}), 403)
    assert_error(api(cast.clerk, "POST", "/price-lists", {"kind": "company"}), 422)
    assert_error(api(cast.clerk, "POST", "/price-lists", {"kind": "grade", "grade": "B", "is_active": False}), 422)
    other = make_customer(cast, "郑州接口越权建材有限公司", owner=cast.sales2)
    assert_error(api(cast.manager, "POST", "/price-lists", {"kind": "customer", "customer_id": other.pk}), 404)


def test_set_price_returns_the_change_with_affected_customers(cast, api, shop):
    response = api(
        cast.clerk,
        "POST",
        f"/price-lists/{shop['graded'].pk}/prices",
        {"product_id": shop["product"].pk, "unit_price": "92.50", "reason": "A 类优惠"},
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["old_price"], body["new_price"], body["effective_from"]) == (None, "92.5000", today().isoformat())
    # sales1's A-grade customer has an own price for this product: the grade change does not affect it.
    assert body["affected_count"] == 0 and body["affected"] == {"count": 0, "items": []}


def test_set_price_refusals(cast, api, shop):
    url = f"/price-lists/{shop['graded'].pk}/prices"
    product = shop["product"].pk
    before = PriceChange.objects.count()

    below = assert_error(api(cast.clerk, "POST", url, {"product_id": product, "unit_price": "79.99"}), 422)
    past = assert_error(
        api(cast.clerk, "POST", url, {"product_id": product, "unit_price": "90", "effective_from": "2020-01-01"}), 422
    )
    bad = assert_error(api(cast.clerk, "POST", url, {"product_id": product, "unit_price": "abc"}), 422)
    negative_break = assert_error(
        api(cast.clerk, "POST", url, {"product_id": product, "unit_price": "90", "min_quantity": "-2"}), 422
    )
    float_price = assert_error(api(cast.clerk, "POST", url, {"product_id": product, "unit_price": 90.5}), 422)
    assert_error(api(cast.clerk, "POST", url, {"product_id": 999999, "unit_price": "90"}), 404)
    assert_error(api(cast.sales1, "POST", url, {"product_id": product, "unit_price": "90"}), 403)
    assert_error(
        api(
            cast.manager, "POST", f"/price-lists/{shop['their'].pk}/prices", {"product_id": product, "unit_price": "90"}
        ),
        404,
    )

    assert "低于底价" in below["message"] and "unit_price" in below["extra"]["fields"]
    assert "effective_from" in past["extra"]["fields"]
    assert "unit_price" in bad["extra"]["fields"] and "min_quantity" in negative_break["extra"]["fields"]
    assert "unit_price" in float_price["extra"]["fields"]
    assert PriceChange.objects.count() == before


def test_price_changes_are_scoped_with_affected_customers(cast, api, shop):
    first = make_customer(cast, "长沙接口受影响建材有限公司", owner=cast.sales1, grade="C")
    second = make_customer(cast, "郑州接口受影响建材有限公司", owner=cast.sales2, grade="C")
    change = services.price_set(
        price_list=services.company_price_list(),
        product=shop["product"],
        unit_price="103",
        effective_from=None,
        by=None,
    )

    mine = api(cast.sales1, "GET", f"/price-changes/{change.pk}").json()
    desk = api(cast.clerk, "GET", f"/price-changes/{change.pk}?limit=1").json()
    listed = {row["price_list"]["id"] for row in api(cast.sales1, "GET", "/price-changes").json()["items"]}
    filtered = api(cast.clerk, "GET", f"/price-changes?price_list={shop['their'].pk}").json()

    assert [row["id"] for row in mine["affected"]["items"]] == [first.pk]
    assert mine["affected"]["items"][0]["owner"]["id"] == cast.sales1.pk
    assert desk["affected"]["count"] == 2 and len(desk["affected"]["items"]) == 1
    assert second.pk in {
        row["id"] for row in api(cast.clerk, "GET", f"/price-changes/{change.pk}").json()["affected"]["items"]
    }
    assert shop["their"].pk not in listed and shop["own"].pk in listed
    assert filtered["count"] == 1 and filtered["items"][0]["new_price"] == "87.0000"
    their_change = PriceChange.objects.get(price_list=shop["their"])
    assert_error(api(cast.sales1, "GET", f"/price-changes/{their_change.pk}"), 404)


def test_resolve_with_source_and_floor(cast, api, shop):
    product = shop["product"].pk

    own = api(
        cast.sales1, "GET", f"/prices/resolve?product={product}&customer={shop['mine'].pk}&quantity=3&price=79"
    ).json()
    plain = api(cast.clerk, "GET", f"/prices/resolve?product={product}").json()

    assert (own["unit_price"], own["source"], own["source_label"]) == ("88.0000", "customer", "客户专属价")
    assert own["price_list"]["id"] == shop["own"].pk and own["effective_from"] == today().isoformat()
    assert (own["floor_price"], own["below_floor"], own["offered_below_floor"]) == ("80.0000", False, True)
    assert (plain["unit_price"], plain["source"], plain["customer_id"]) == ("100.0000", "company", None)
    assert Decimal(plain["quantity"]) == 1


def test_resolve_scoping_and_bad_input(cast, api, shop):
    product = shop["product"].pk

    assert_error(api(cast.sales1, "GET", f"/prices/resolve?product={product}&customer={shop['theirs'].pk}"), 404)
    assert_error(api(cast.clerk, "GET", "/prices/resolve?product=999999"), 404)
    assert_error(api(cast.clerk, "GET", f"/prices/resolve?product={product}&quantity=-1"), 422)
    assert_error(api(cast.clerk, "GET", f"/prices/resolve?product={product}&quantity=abc"), 422)
    assert_error(api(cast.clerk, "GET", f"/prices/resolve?product={product}&on=yesterday"), 422)
    assert_error(api(cast.clerk, "GET", "/prices/resolve"), 422)
