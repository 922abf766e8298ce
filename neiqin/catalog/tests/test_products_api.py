"""The product API: list/search/filters, create and update with role-based price fields,
duplicates, optimistic locking, strict input, clear refusals that change nothing, series."""

from __future__ import annotations

from decimal import Decimal

import pytest

from neiqin.api.tests.tools import assert_error, call
from neiqin.catalog.models import Product, ProductSeries
from neiqin.catalog.tests.test_products_data import Catalog, build_catalog, state

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalog(cast) -> Catalog:
    return build_catalog(cast)


NEW = {"name": "木塑墙板", "model": "WPC-2025", "unit": "米", "standard_price": "66.80"}


def _models(response) -> list[str]:
    assert response.status_code == 200, response.content.decode()
    return [row["model"] for row in response.json()["items"]]


# ---- list and get --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["DJ-5", "QH-1208", "XPS-B 30"]),  # active and inactive
        ("?active=true", ["DJ-5", "QH-1208"]),
        ("?active=false", ["XPS-B 30"]),
        ("?q=qhfh", ["QH-1208"]),
        ("?q=xps-b30", ["XPS-B 30"]),
        ("?q=Qh-1208", ["QH-1208"]),
        ("?kind=promo", []),
        ("?brand=%E5%A4%A7%E8%87%AA%E7%84%B6", ["QH-1208"]),  # 大自然
        ("?limit=1&offset=1", ["QH-1208"]),
    ],
)
def test_list(cast, client_for, catalog, query, expected):
    response = call(client_for(cast.warehouse), "GET", f"/products{query}")

    assert _models(response) == expected
    assert response.json()["count"] == (3 if "limit" in query else len(expected))


def test_list_by_series(cast, client_for, catalog):
    response = call(client_for(cast.clerk), "GET", f"/products?series={catalog.floors.pk}")

    assert _models(response) == ["QH-1208"]
    assert response.json()["items"][0]["series"] == {"id": catalog.floors.pk, "name": "强化复合地板"}


@pytest.mark.parametrize("query", ["?limit=0", "?limit=201", "?offset=-1", "?kind=food", "?series=0", "?active=maybe"])
def test_list_refuses_bad_parameters(cast, client_for, catalog, query):
    assert_error(call(client_for(cast.clerk), "GET", f"/products{query}"), 422, "validation_error")


def test_get_missing_product_is_404(cast, client_for):
    assert_error(call(client_for(cast.clerk), "GET", "/products/999999"), 404)


def test_get_shows_the_product_and_the_callers_permissions(cast, client_for, catalog):
    body = call(client_for(cast.clerk), "GET", f"/products/{catalog.floor.pk}").json()

    assert body["code"] == catalog.floor.code and body["vat_rate"] == "0.13" and body["version"] == 1
    assert body["permissions"] == {"edit": True, "set_price": True, "set_floor_price": False, "set_cost": False}


# ---- create --------------------------------------------------------------------------------------


def test_clerk_creates_a_product(cast, client_for, catalog):
    response = call(client_for(cast.clerk), "POST", "/products", {**NEW, "series_id": catalog.floors.pk})

    assert response.status_code == 201, response.content.decode()
    body = response.json()
    product = Product.objects.get(pk=body["id"])
    assert product.standard_price == Decimal("66.80") and product.series == catalog.floors
    assert body["standard_price"] == "66.80" and body["floor_price"] is None and "cost" not in body


def test_deputy_creates_with_floor_price_and_cost(cast, client_for):
    response = call(client_for(cast.deputy), "POST", "/products", {**NEW, "floor_price": "60", "cost": "41.5"})

    assert response.status_code == 201, response.content.decode()
    assert (response.json()["floor_price"], response.json()["cost"]) == ("60.00", "41.50")


@pytest.mark.parametrize(("field", "message"), [("floor_price", "底价"), ("cost", "成本")])
def test_clerk_cannot_set_floor_price_or_cost(cast, client_for, catalog, field, message):
    before = Product.objects.count()

    body = assert_error(call(client_for(cast.clerk), "POST", "/products", {**NEW, field: "50"}), 403)

    assert message in body["message"]
    assert Product.objects.count() == before


@pytest.mark.parametrize("role", ["sales1", "manager", "finance", "warehouse"])
def test_roles_without_product_maintenance_cannot_create(cast, client_for, role):
    assert_error(call(client_for(cast.by_name(role)), "POST", "/products", NEW), 403)
    assert not Product.objects.filter(model="WPC-2025").exists()


def test_duplicate_model_and_spec_is_refused(cast, client_for, catalog):
    before = Product.objects.count()
    payload = {**NEW, "model": "qh - 1208", "spec": "1215×195×12mm"}

    body = assert_error(call(client_for(cast.clerk), "POST", "/products", payload), 422, "validation_error")

    assert "型号和规格与已有产品" in body["message"] and catalog.floor.code in body["message"]
    assert list(body["extra"]["fields"]) == ["model"]
    assert Product.objects.count() == before


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"standard_price": "-5"}, "standard_price", "标准价不能为负数"),
        ({"standard_price": "abc"}, "standard_price", "标准价必须是数字"),
        ({"standard_price": "NaN"}, "standard_price", "标准价必须是数字"),
        ({"floor_price": "80"}, "floor_price", "底价不能高于标准价"),
        ({"cost": "-0.01"}, "cost", "成本不能为负数"),
        ({"series_id": 999999}, "series_id", "没有这个产品系列"),
        ({"vat_rate": "7%"}, "vat_rate", "税率只能是 13%、9%、6%、3% 或 0%"),
        ({"vat_rate": "0.07"}, "vat_rate", "税率只能是 13%、9%、6%、3% 或 0%"),
        ({"model": "   "}, "model", "请填写型号"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(cast, client_for, catalog, overrides, field, message):
    before = Product.objects.count()

    body = assert_error(call(client_for(cast.deputy), "POST", "/products", {**NEW, **overrides}), 422)

    assert message in " ".join(body["extra"]["fields"][field])
    assert Product.objects.count() == before


@pytest.mark.parametrize(
    "overrides",
    [
        {"standard_price": 66.8},  # a JSON number, not a string
        {"standard_price": None},
        {"is_special": "yes"},
        {"kind": "food"},
        {"model_normalized": "X"},  # not an input field
        {"version": 3},
        {"name": ""},
    ],
)
def test_create_input_is_strict(cast, client_for, overrides):
    assert_error(call(client_for(cast.clerk), "POST", "/products", {**NEW, **overrides}), 422, "validation_error")
    assert not Product.objects.filter(model="WPC-2025").exists()


def test_inactive_promo_product_with_vat_in_percent(cast, client_for):
    payload = {**NEW, "kind": "promo", "is_active": False, "vat_rate": "9%", "price_includes_tax": False}

    response = call(client_for(cast.clerk), "POST", "/products", payload)

    assert response.status_code == 201, response.content.decode()
    product = Product.objects.get(pk=response.json()["id"])
    assert (product.kind, product.is_active, product.vat_rate, product.price_includes_tax) == (
        "promo",
        False,
        "0.09",
        False,
    )


# ---- update --------------------------------------------------------------------------------------


def test_update_changes_only_the_keys_sent(cast, client_for, catalog):
    response = call(
        client_for(cast.clerk),
        "PATCH",
        f"/products/{catalog.floor.pk}",
        {"brand": "圣象", "series_id": None, "version": 1},
    )

    assert response.status_code == 200, response.content.decode()
    product = Product.objects.get(pk=catalog.floor.pk)
    assert (product.brand, product.series, product.name, product.version) == ("圣象", None, "强化复合地板", 2)
    assert product.floor_price == Decimal("110.25")
    assert response.json()["version"] == 2


def test_update_with_a_stale_version_is_refused(cast, client_for, catalog):
    client = client_for(cast.clerk)
    call(client, "PATCH", f"/products/{catalog.floor.pk}", {"brand": "圣象", "version": 1})
    before = state(catalog.floor)

    body = assert_error(call(client, "PATCH", f"/products/{catalog.floor.pk}", {"notes": "x", "version": 1}), 409)

    assert body["code"] == "stale_version" and "该产品已被他人修改" in body["message"]
    assert state(catalog.floor) == before


def test_update_without_version_is_refused(cast, client_for, catalog):
    before = state(catalog.floor)

    assert_error(call(client_for(cast.clerk), "PATCH", f"/products/{catalog.floor.pk}", {"notes": "x"}), 422)
    assert state(catalog.floor) == before


@pytest.mark.parametrize(
    ("role", "payload", "status", "message"),
    [
        ("clerk", {"floor_price": "100"}, 403, "底价"),
        ("clerk", {"floor_price": None}, 403, "底价"),
        ("clerk", {"cost": "80"}, 403, "成本"),
        ("deputy", {"standard_price": "150"}, 422, "调价"),
        ("deputy", {"floor_price": "200"}, 422, "底价不能高于标准价"),
        ("deputy", {"cost": "abc"}, 422, "成本必须是数字"),
        ("deputy", {"vat_rate": "7%"}, 422, "税率只能是"),
        ("deputy", {"series_id": 999999}, 422, "没有这个产品系列"),
        ("deputy", {"model": "DJ-5", "spec": ""}, 422, "型号和规格与已有产品"),
        ("sales1", {"notes": "x"}, 403, "产品资料"),
        ("finance", {"notes": "x"}, 403, "产品资料"),
        ("finance", {"cost": "80", "notes": "x"}, 403, "产品资料"),
        ("warehouse", {"notes": "x"}, 403, "产品资料"),
    ],
)
def test_refused_updates_change_nothing(cast, client_for, catalog, role, payload, status, message):
    before = state(catalog.floor)

    body = assert_error(
        call(client_for(cast.by_name(role)), "PATCH", f"/products/{catalog.floor.pk}", {**payload, "version": 1}),
        status,
    )

    assert message in body["message"]
    assert state(catalog.floor) == before


def test_finance_may_set_the_cost_alone(cast, client_for, catalog):
    response = call(client_for(cast.finance), "PATCH", f"/products/{catalog.floor.pk}", {"cost": "66.5", "version": 1})

    assert response.status_code == 200, response.content
    catalog.floor.refresh_from_db()
    assert str(catalog.floor.cost) == "66.5000"


def test_deputy_sets_floor_price_and_clears_cost(cast, client_for, catalog):
    response = call(
        client_for(cast.deputy),
        "PATCH",
        f"/products/{catalog.floor.pk}",
        {"floor_price": "100.5", "cost": None, "version": 1},
    )

    assert response.status_code == 200, response.content.decode()
    assert (response.json()["floor_price"], response.json()["cost"]) == ("100.50", None)
    product = Product.objects.get(pk=catalog.floor.pk)
    assert (product.floor_price, product.cost) == (Decimal("100.5"), None)


# ---- series --------------------------------------------------------------------------------------


def test_series_list(cast, client_for, catalog):
    response = call(client_for(cast.warehouse), "GET", "/product-series")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert [(s["name"], s["product_count"]) for s in body["items"]] == [("强化复合地板", 1), ("挤塑聚苯板", 1)]


def test_series_create(cast, client_for):
    response = call(client_for(cast.clerk), "POST", "/product-series", {"name": "木塑墙板", "sort_order": 5})

    assert response.status_code == 201, response.content.decode()
    assert response.json()["product_count"] == 0
    assert ProductSeries.objects.get(name="木塑墙板").sort_order == 5


@pytest.mark.parametrize(
    ("role", "payload", "status"),
    [
        ("clerk", {"name": "强化复合地板"}, 422),
        ("clerk", {"name": ""}, 422),
        ("clerk", {"name": "x", "sort_order": -1}, 422),
        ("clerk", {"name": "x", "is_active": False}, 422),
        ("sales1", {"name": "木塑墙板"}, 403),
        ("warehouse", {"name": "木塑墙板"}, 403),
    ],
)
def test_series_create_refusals(cast, client_for, catalog, role, payload, status):
    before = ProductSeries.objects.count()

    assert_error(call(client_for(cast.by_name(role)), "POST", "/product-series", payload), status)
    assert ProductSeries.objects.count() == before


def test_operation_ids_are_published():
    from neiqin.api.main import api

    schema = api.get_openapi_schema()
    ids = {op["operationId"] for ops in schema["paths"].values() for op in ops.values()}
    assert {
        "products_list",
        "products_get",
        "products_create",
        "products_update",
        "product_series_list",
        "product_series_create",
    } <= ids
