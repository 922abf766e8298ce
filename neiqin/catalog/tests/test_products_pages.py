"""Product pages: list and search, create/edit with role-based price fields, duplicates,
optimistic locking, bad input refused with a clear message and nothing changed, series."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import NoReverseMatch, reverse

from neiqin.catalog import services
from neiqin.catalog.models import Product, ProductSeries
from neiqin.catalog.tests.test_products_data import Catalog, build_catalog, state
from neiqin.core.models import Event

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalog(cast) -> Catalog:
    return build_catalog(cast)


LIST = "/catalog/products/"
NEW = "/catalog/products/new/"


def _models(response) -> list[str]:
    """The 型号 shown in the table, in order."""
    assert response.status_code == 200, response.content.decode()[:300]
    return [p.model for p in response.context["page"].object_list]


def _valid_post(**overrides) -> dict:
    data = {
        "model": "WPC-2025",
        "name": "木塑墙板",
        "spec": "195×12mm",
        "unit": "米",
        "kind": "goods",
        "vat_rate": "0.13",
        "price_includes_tax": "on",
        "is_active": "on",
        "standard_price": "66.80",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def _edit_post(product: Product, **overrides) -> dict:
    data = {
        "version": product.version,
        "code": product.code,
        "model": product.model,
        "name": product.name,
        "spec": product.spec,
        "unit": product.unit,
        "series": product.series_id or "",
        "brand": product.brand,
        "kind": product.kind,
        "vat_rate": product.vat_rate,
        "barcode": product.barcode,
        "notes": product.notes,
    }
    for flag in ("price_includes_tax", "is_special", "is_active"):
        if getattr(product, flag):
            data[flag] = "on"
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


# ---- list and search -------------------------------------------------------------------------------


def test_list_shows_active_products_by_model_with_links(cast, client_for, catalog):
    response = client_for(cast.clerk).get(LIST)

    assert _models(response) == ["DJ-5", "QH-1208"]  # XPS-B 30 is inactive
    html = response.content.decode()
    assert f'href="/catalog/products/{catalog.floor.pk}/"' in html
    assert "新建产品" in html and "导出 Excel" in html


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("qhfh", ["QH-1208"]),  # pinyin initials of 强化复合地板
        ("QHFHDB", ["QH-1208"]),  # initials in capitals
        ("qiangHua", ["QH-1208"]),  # full pinyin
        ("qh-1208", ["QH-1208"]),  # model, other case
        ("xps-b30", ["XPS-B 30"]),  # model without its space
        (" XPS - B 30 ", ["XPS-B 30"]),  # model with extra spaces
        ("6901234567892", ["QH-1208"]),  # barcode
        ("地板", ["DJ-5", "QH-1208"]),  # name
        ("大自然", ["QH-1208"]),  # brand
        ("nothing-like-this", []),
    ],
)
def test_search(cast, client_for, catalog, query, expected):
    response = client_for(cast.sales1).get(LIST, {"q": query, "active": "all"})

    assert _models(response) == expected


def test_search_by_code(cast, client_for, catalog):
    response = client_for(cast.sales1).get(LIST, {"q": catalog.glue.code.lower()})

    assert _models(response) == ["DJ-5"]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"active": "0"}, ["XPS-B 30"]),
        ({"active": "all"}, ["DJ-5", "QH-1208", "XPS-B 30"]),
        ({"brand": "大自然"}, ["QH-1208"]),
        ({"special": "1"}, []),
        ({"kind": "promo"}, []),
        ({"sort": "-model", "active": "all"}, ["XPS-B 30", "QH-1208", "DJ-5"]),
        ({"sort": "price", "active": "all"}, ["DJ-5", "XPS-B 30", "QH-1208"]),
    ],
)
def test_filters_and_sorting(cast, client_for, catalog, params, expected):
    assert _models(client_for(cast.clerk).get(LIST, params)) == expected


def test_series_filter(cast, client_for, catalog):
    response = client_for(cast.clerk).get(LIST, {"series": catalog.boards.pk, "active": "all"})

    assert _models(response) == ["XPS-B 30"]


def test_invalid_filters_are_ignored_with_a_notice(cast, client_for, catalog):
    response = client_for(cast.clerk).get(LIST, {"series": "999999", "sort": "cost", "page": "x"})

    assert _models(response) == ["DJ-5", "QH-1208"]
    assert "部分筛选条件无效" in response.content.decode()


def test_htmx_swaps_only_the_table(cast, client_for, catalog):
    response = client_for(cast.clerk).get(LIST, {"q": "qh"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="product-table")

    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html and "QH-1208" in html and "DJ-5" not in html
    assert "HX-Target" in response["Vary"]


def test_list_pages_by_50_with_a_bounded_number_of_queries(cast, client_for, django_assert_max_num_queries):
    for index in range(55):
        services.product_create(
            fields={"name": f"测试产品{index}", "model": f"T-{index:03d}", "unit": "件", "standard_price": "1"}, by=None
        )
    client = client_for(cast.clerk)

    with django_assert_max_num_queries(12):
        first = client.get(LIST)
    second = client.get(LIST, {"page": 2})

    assert len(_models(first)) == 50 and len(_models(second)) == 5
    assert "1 / 2" in first.content.decode()


# ---- detail --------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["admin", "clerk", "sales1", "manager", "finance", "warehouse", "gm", "deputy"])
def test_detail_renders_for_every_role(cast, client_for, catalog, role):
    response = client_for(cast.by_name(role)).get(f"/catalog/products/{catalog.floor.pk}/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "1215×195×12mm" in html and "大自然" in html and "新建产品" in html  # history: creation
    assert (f"/catalog/products/{catalog.floor.pk}/edit/" in html) == (role in {"admin", "clerk", "gm", "deputy"})


def test_detail_of_a_missing_product_is_404(cast, client_for):
    assert client_for(cast.clerk).get("/catalog/products/999999/").status_code == 404


def test_detail_loads_the_stock_panel_when_the_stock_page_exists(cast, client_for, catalog):
    html = client_for(cast.warehouse).get(f"/catalog/products/{catalog.floor.pk}/").content.decode()
    try:
        url = reverse("stock:product_levels", args=[catalog.floor.pk])
    except NoReverseMatch:
        assert 'id="stock-panel"' not in html
    else:
        assert f'hx-get="{url}"' in html and 'hx-trigger="load"' in html


def test_detail_lists_the_company_price_and_the_history_of_changes(cast, client_for, catalog):
    from neiqin.catalog.services import company_price_list, price_set

    price_set(
        price_list=company_price_list(),
        product=catalog.floor,
        unit_price="132.00",
        effective_from=None,
        by=cast.clerk,
        reason="原材料上涨",
    )
    html = client_for(cast.sales1).get(f"/catalog/products/{catalog.floor.pk}/").content.decode()

    assert "公司统一价" in html and "132.00" in html and "原材料上涨" in html
    assert "128.50" in html  # the old price in the change history


# ---- create --------------------------------------------------------------------------------------


def test_clerk_creates_a_product_with_a_standard_price(cast, client_for, catalog):
    response = client_for(cast.clerk).post(NEW, _valid_post(series=catalog.floors.pk))

    product = Product.objects.get(model="WPC-2025")
    assert response.status_code == 302 and response["Location"] == f"/catalog/products/{product.pk}/"
    assert product.standard_price == Decimal("66.80") and product.floor_price is None and product.cost is None
    assert product.series == catalog.floors and product.created_by == cast.clerk and product.code
    assert Event.objects.filter(action="catalog.product.created", object_id=str(product.pk)).exists()


def test_the_create_form_shows_price_fields_by_role(cast, client_for):
    clerk = client_for(cast.clerk).get(NEW).content.decode()
    deputy = client_for(cast.deputy).get(NEW).content.decode()

    assert 'name="standard_price"' in clerk and 'name="floor_price"' not in clerk and 'name="cost"' not in clerk
    assert 'name="standard_price"' in deputy and 'name="floor_price"' in deputy and 'name="cost"' in deputy


@pytest.mark.parametrize(("field", "message"), [("floor_price", "底价"), ("cost", "成本")])
def test_clerk_cannot_set_floor_price_or_cost_on_create(cast, client_for, catalog, field, message):
    before = Product.objects.count()

    response = client_for(cast.clerk).post(NEW, _valid_post(**{field: "50"}))

    assert response.status_code == 403
    assert message in response.content.decode()
    assert Product.objects.count() == before


def test_deputy_sets_floor_price_and_cost_on_create(cast, client_for):
    response = client_for(cast.deputy).post(NEW, _valid_post(floor_price="60", cost="41.5"))

    product = Product.objects.get(model="WPC-2025")
    assert response.status_code == 302
    assert (product.floor_price, product.cost) == (Decimal("60"), Decimal("41.5"))


@pytest.mark.parametrize("role", ["sales1", "manager", "finance", "warehouse"])
def test_roles_without_product_maintenance_cannot_create(cast, client_for, role):
    client = client_for(cast.by_name(role))

    assert client.get(NEW).status_code == 403
    assert client.post(NEW, _valid_post()).status_code == 403
    assert not Product.objects.filter(model="WPC-2025").exists()


@pytest.mark.parametrize("model", ["QH-1208", "qh-1208", " qh - 1208 "])
def test_duplicate_model_and_spec_is_refused(cast, client_for, catalog, model):
    before = Product.objects.count()

    response = client_for(cast.clerk).post(NEW, _valid_post(model=model, spec="1215×195×12mm"))

    assert response.status_code == 422
    assert "型号和规格与已有产品" in response.content.decode()
    assert catalog.floor.code in response.content.decode()
    assert Product.objects.count() == before


def test_same_model_with_another_spec_is_a_new_product(cast, client_for, catalog):
    response = client_for(cast.clerk).post(NEW, _valid_post(model="QH-1208", spec="1215×195×8mm"))

    assert response.status_code == 302
    assert Product.objects.filter(model_normalized="QH-1208").count() == 2


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"standard_price": "-5"}, "standard_price", "标准价不能为负数"),
        ({"standard_price": "abc"}, "standard_price", "标准价必须是数字"),
        ({"standard_price": ""}, "standard_price", "请填写标准价"),
        ({"standard_price": "1.23456"}, "standard_price", "最多保留 4 位小数"),
        ({"floor_price": "80", "standard_price": "66.80"}, "floor_price", "底价不能高于标准价"),
        ({"cost": "-1"}, "cost", "成本不能为负数"),
        ({"series": "999999"}, "series", "没有这个产品系列"),
        ({"vat_rate": "0.07"}, "vat_rate", "税率只能是 13%、9%、6%、3% 或 0%"),
        ({"model": ""}, "model", "请填写型号"),
        ({"unit": ""}, "unit", "请填写单位"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(cast, client_for, catalog, overrides, field, message):
    before = Product.objects.count()

    response = client_for(cast.deputy).post(NEW, _valid_post(**overrides))

    assert response.status_code == 422
    assert message in " ".join(response.context["form"].errors.get(field, []))
    assert message in response.content.decode()
    assert Product.objects.count() == before


# ---- edit ----------------------------------------------------------------------------------------


def test_clerk_edits_descriptive_fields(cast, client_for, catalog):
    url = f"/catalog/products/{catalog.floor.pk}/edit/"

    response = client_for(cast.clerk).post(url, _edit_post(catalog.floor, name="强化复合地板（防潮）"))

    product = Product.objects.get(pk=catalog.floor.pk)
    assert response.status_code == 302
    assert product.name == "强化复合地板（防潮）" and product.version == 2
    assert product.floor_price == Decimal("110.25") and product.cost == Decimal("85.75")  # untouched
    assert product.search_initials.startswith("qhfhdb")


@pytest.mark.parametrize(("field", "message"), [("floor_price", "底价"), ("cost", "成本"), ("standard_price", "调价")])
def test_clerk_cannot_change_prices_on_edit(cast, client_for, catalog, field, message):
    before = state(catalog.floor)

    response = client_for(cast.clerk).post(
        f"/catalog/products/{catalog.floor.pk}/edit/", _edit_post(catalog.floor, **{field: "99"})
    )

    assert response.status_code == 403
    assert message in response.content.decode()
    assert state(catalog.floor) == before


def test_deputy_changes_floor_price_and_cost(cast, client_for, catalog):
    response = client_for(cast.deputy).post(
        f"/catalog/products/{catalog.floor.pk}/edit/", _edit_post(catalog.floor, floor_price="100", cost="")
    )

    product = Product.objects.get(pk=catalog.floor.pk)
    assert response.status_code == 302
    assert product.floor_price == Decimal("100") and product.cost is None
    event = Event.objects.filter(action="catalog.product.updated", object_id=str(product.pk)).get()
    assert set(event.changes) == {"floor_price", "cost"}


def test_deputy_cannot_raise_the_floor_above_the_standard_price(cast, client_for, catalog):
    before = state(catalog.floor)

    response = client_for(cast.deputy).post(
        f"/catalog/products/{catalog.floor.pk}/edit/",
        _edit_post(catalog.floor, floor_price="130", cost="85.75"),
    )

    assert response.status_code == 422
    assert "底价不能高于标准价" in response.content.decode()
    assert state(catalog.floor) == before


def test_a_stale_edit_is_refused(cast, client_for, catalog):
    """Two people open the form; the second save would overwrite the first one's change."""
    stale = _edit_post(catalog.floor, notes="我的备注")
    services.product_update(product=catalog.floor, fields={"brand": "圣象"}, by=cast.deputy)
    before = state(catalog.floor)

    response = client_for(cast.clerk).post(f"/catalog/products/{catalog.floor.pk}/edit/", stale)

    assert response.status_code == 409
    html = response.content.decode()
    assert "该产品已被他人修改" in html and "我的备注" in html  # the user's input is kept
    assert state(catalog.floor) == before


def test_a_duplicate_on_edit_is_refused(cast, client_for, catalog):
    before = state(catalog.glue)

    response = client_for(cast.clerk).post(
        f"/catalog/products/{catalog.glue.pk}/edit/", _edit_post(catalog.glue, model="qh-1208", spec="1215×195×12mm")
    )

    assert response.status_code == 422
    assert "型号和规格与已有产品" in response.content.decode()
    assert state(catalog.glue) == before


def test_blank_code_on_edit_is_refused(cast, client_for, catalog):
    before = state(catalog.glue)

    response = client_for(cast.clerk).post(
        f"/catalog/products/{catalog.glue.pk}/edit/", _edit_post(catalog.glue, code="")
    )

    assert response.status_code == 422
    assert "请填写产品编码" in response.content.decode()
    assert state(catalog.glue) == before


@pytest.mark.parametrize("role", ["sales1", "finance", "warehouse"])
def test_roles_without_product_maintenance_cannot_edit(cast, client_for, catalog, role):
    before = state(catalog.floor)
    client = client_for(cast.by_name(role))
    url = f"/catalog/products/{catalog.floor.pk}/edit/"

    assert client.get(url).status_code == 403
    assert client.post(url, _edit_post(catalog.floor, notes="x")).status_code == 403
    assert state(catalog.floor) == before


# ---- series --------------------------------------------------------------------------------------


def test_series_list_with_counts_and_inline_form(cast, client_for, catalog):
    clerk = client_for(cast.clerk).get("/catalog/series/")
    sales = client_for(cast.sales1).get("/catalog/series/")

    rows = {s.name: s.product_count for s in clerk.context["series_list"]}
    assert rows == {"强化复合地板": 1, "挤塑聚苯板": 1}
    assert 'action="/catalog/series/new/"' in clerk.content.decode()
    assert sales.status_code == 200 and 'action="/catalog/series/new/"' not in sales.content.decode()


def test_series_create(cast, client_for):
    response = client_for(cast.clerk).post("/catalog/series/new/", {"name": " 木塑墙板 ", "sort_order": "3"})

    assert response.status_code == 302 and response["Location"] == "/catalog/series/"
    series = ProductSeries.objects.get(name="木塑墙板")
    assert series.sort_order == 3


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "强化复合地板"}, "已存在"),
        ({"name": ""}, "请填写系列名称"),
        ({"name": "x", "sort_order": "-1"}, "排序不能为负数"),
    ],
)
def test_series_create_refuses_bad_input(cast, client_for, catalog, data, message):
    before = ProductSeries.objects.count()

    response = client_for(cast.clerk).post("/catalog/series/new/", data)

    assert response.status_code == 422
    assert message in response.content.decode()
    assert ProductSeries.objects.count() == before


def test_series_create_needs_product_maintenance(cast, client_for):
    response = client_for(cast.warehouse).post("/catalog/series/new/", {"name": "木塑墙板"})

    assert response.status_code == 403
    assert not ProductSeries.objects.filter(name="木塑墙板").exists()
