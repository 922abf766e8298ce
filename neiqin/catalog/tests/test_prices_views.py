"""Price pages: lists, one list with the set-price form (inline errors, below-floor refusal),
price changes with scoped affected customers and their export, and the live 查价 lookup."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from neiqin.catalog import services
from neiqin.catalog.models import PriceChange, PriceList, Product
from neiqin.catalog.tests.test_prices_support import customer_list, grade_list, make_customer, make_product
from neiqin.core.models import Event

pytestmark = pytest.mark.django_db

DESK_ROLES = ("admin", "clerk", "sales1", "manager", "finance", "gm", "deputy")


def today() -> dt.date:
    return timezone.localdate()


@pytest.fixture
def shop(cast):
    """A product, a grade list, sales1's and sales2's customers with own lists, and a company change."""
    product = make_product(price="100", floor="80", model="QH-8801", name="强化复合地板")
    mine = make_customer(cast, "长沙页面甲建材有限公司", owner=cast.sales1, grade="A")
    theirs = make_customer(cast, "郑州页面乙建材有限公司", owner=cast.sales2, grade="A")
    graded = grade_list("A")
    own_list, their_list = customer_list(mine), customer_list(theirs)
    services.price_set(price_list=own_list, product=product, unit_price="88", effective_from=None, by=None)
    change = services.price_set(
        price_list=services.company_price_list(), product=product, unit_price="105", effective_from=None, by=cast.clerk
    )
    return {
        "product": product,
        "mine": mine,
        "theirs": theirs,
        "graded": graded,
        "own_list": own_list,
        "their_list": their_list,
        "change": change,
    }


def html(response) -> str:
    return response.content.decode()


# ---- lists ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", DESK_ROLES)
def test_every_price_page_renders_for_roles_that_see_prices(cast, client_for, shop, role):
    client = client_for(cast.by_name(role))
    urls = [
        "/catalog/prices/",
        f"/catalog/prices/{shop['graded'].pk}/",
        f"/catalog/prices/{services.company_price_list().pk}/",
        f"/catalog/prices/{shop['own_list'].pk}/",
        "/catalog/price-changes/",
        f"/catalog/price-changes/{shop['change'].pk}/",
        "/catalog/price-lookup/",
        f"/catalog/price-lookup/?product=QH-8801&customer={shop['mine'].pk}&quantity=2",
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)


def test_warehouse_sees_no_price_page(cast, client_for, shop):
    client = client_for(cast.warehouse)
    for url in (
        "/catalog/prices/",
        f"/catalog/prices/{shop['graded'].pk}/",
        f"/catalog/prices/{shop['graded'].pk}/export/",
        "/catalog/price-changes/",
        f"/catalog/price-changes/{shop['change'].pk}/",
        "/catalog/price-lookup/?product=QH-8801",
        "/catalog/prices/product-options/?product=QH",
    ):
        assert client.get(url).status_code == 403, url


def test_price_lists_page_shows_counts_and_only_own_customer_lists_to_a_salesperson(cast, client_for, shop):
    page = html(client_for(cast.sales1).get("/catalog/prices/"))
    desk = html(client_for(cast.clerk).get("/catalog/prices/"))

    assert shop["own_list"].name in page and shop["their_list"].name not in page
    assert shop["own_list"].name in desk and shop["their_list"].name in desk
    assert "新建价格表" in desk and "新建价格表" not in page  # salespeople do not set prices


def test_other_salespersons_customer_list_is_not_found(cast, client_for, shop):
    assert client_for(cast.sales1).get(f"/catalog/prices/{shop['their_list'].pk}/").status_code == 404
    assert client_for(cast.manager).get(f"/catalog/prices/{shop['their_list'].pk}/").status_code == 404
    assert client_for(cast.manager2).get(f"/catalog/prices/{shop['their_list'].pk}/").status_code == 200


def test_create_grade_list_and_customer_list(cast, client_for):
    client = client_for(cast.clerk)
    customer = make_customer(cast, "长沙新建专属价建材有限公司")

    response = client.post("/catalog/prices/new/", {"kind": "grade", "grade": "B"})
    graded = PriceList.objects.get(kind="grade", grade="B")
    assert response.status_code == 302 and response["Location"] == f"/catalog/prices/{graded.pk}/"

    response = client.post("/catalog/prices/new/", {"kind": "customer", "customer": customer.pk, "name": "专属"})
    own = PriceList.objects.get(kind="customer", customer=customer)
    assert response.status_code == 302 and own.name == "专属"

    again = client.post("/catalog/prices/new/", {"kind": "grade", "grade": "B"})
    assert again.status_code == 422 and "B 类客户的价格表已存在" in html(again)
    missing = client.post("/catalog/prices/new/", {"kind": "grade", "grade": ""})
    assert missing.status_code == 422 and "请选择客户等级" in html(missing)
    assert PriceList.objects.filter(kind="grade").count() == 1


def test_salesperson_may_not_create_lists_and_out_of_scope_customers_are_not_found(cast, client_for):
    theirs = make_customer(cast, "郑州越权建材有限公司", owner=cast.sales2)

    assert client_for(cast.sales1).post("/catalog/prices/new/", {"kind": "grade", "grade": "B"}).status_code == 403
    response = client_for(cast.manager).post("/catalog/prices/new/", {"kind": "customer", "customer": theirs.pk})
    assert response.status_code == 404
    assert not PriceList.objects.filter(kind__in=["grade", "customer"]).exists()


def test_customer_options_are_scoped(cast, client_for):
    make_customer(cast, "长沙搜索甲建材有限公司", owner=cast.sales1)
    make_customer(cast, "长沙搜索乙建材有限公司", owner=cast.sales2)

    mine = html(client_for(cast.sales1).get("/catalog/prices/customer-options/?customer_q=长沙搜索"))
    desk = html(client_for(cast.clerk).get("/catalog/prices/customer-options/?customer_q=长沙搜索"))

    assert "长沙搜索甲" in mine and "长沙搜索乙" not in mine
    assert "长沙搜索甲" in desk and "长沙搜索乙" in desk


def test_product_options_offer_the_model_or_the_code_when_a_model_has_several_specs(cast, client_for):
    make_product(model="SP-1", spec="8mm")
    twin = make_product(model="SP-1", spec="12mm")
    make_product(model="SP-2")

    body = html(client_for(cast.clerk).get("/catalog/prices/product-options/?product=SP-"))

    assert f'value="{twin.code}"' in body and 'value="SP-2"' in body and 'value="SP-1"' not in body


# ---- one list and setting a price ------------------------------------------------------------------


def test_detail_shows_current_and_scheduled_items_with_company_and_floor_price(cast, client_for, shop):
    services.price_set(
        price_list=shop["own_list"],
        product=shop["product"],
        unit_price="86.5",
        effective_from=today() + dt.timedelta(days=10),
        by=None,
    )

    body = html(client_for(cast.sales1).get(f"/catalog/prices/{shop['own_list'].pk}/"))

    assert "QH-8801" in body and "88.00" in body  # in force today
    assert "86.50" in body and "待生效的调价" in body  # scheduled
    assert "105.00" in body and "80.00" in body  # company price and floor for comparison
    assert "设置价格" not in body  # salespeople do not set prices


def test_set_price_from_the_page(cast, client_for, shop):
    client = client_for(cast.clerk)
    url = f"/catalog/prices/{shop['graded'].pk}/set/"

    response = client.post(
        url, {"product": " qh-8801 ", "unit_price": "92.5", "min_quantity": "0", "effective_from": "", "reason": "旺季"}
    )

    change = PriceChange.objects.get(price_list=shop["graded"])
    assert response.status_code == 302 and response["Location"] == f"/catalog/price-changes/{change.pk}/"
    assert (change.new_price, change.effective_from, change.reason, change.created_by) == (
        Decimal("92.5"),
        today(),
        "旺季",
        cast.clerk,
    )


def test_below_floor_is_refused_inline_and_nothing_changes(cast, client_for, shop):
    client = client_for(cast.clerk)
    before = PriceChange.objects.count()

    response = client.post(
        f"/catalog/prices/{shop['graded'].pk}/set/", {"product": "QH-8801", "unit_price": "79", "min_quantity": "0"}
    )

    body = html(response)
    assert response.status_code == 422
    assert "低于底价" in body and 'class="invalid-feedback d-block"' in body
    assert PriceChange.objects.count() == before


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"product": "NOPE-1", "unit_price": "90"}, "找不到型号为 NOPE-1 的产品"),
        ({"product": "QH-8801", "unit_price": "abc"}, "单价必须是数字"),
        ({"product": "QH-8801", "unit_price": "-3"}, "单价不能为负数"),
        ({"product": "QH-8801", "unit_price": "90", "min_quantity": "-1"}, "起订数量不能为负数"),
        ({"product": "QH-8801", "unit_price": "90", "effective_from": "2001-01-01"}, "生效日期不能早于今天"),
        ({"product": "QH-8801", "unit_price": "90", "effective_from": "not-a-date"}, "有效的日期"),
        ({"product": "", "unit_price": "90"}, "这个字段是必填项"),
    ],
)
def test_bad_input_on_the_set_price_form_is_shown_next_to_the_field(cast, client_for, shop, data, message):
    before = PriceChange.objects.count()

    response = client_for(cast.clerk).post(f"/catalog/prices/{shop['graded'].pk}/set/", data)

    assert response.status_code == 422
    assert message in html(response)
    assert PriceChange.objects.count() == before


def test_salesperson_may_not_set_a_price(cast, client_for, shop):
    response = client_for(cast.sales1).post(
        f"/catalog/prices/{shop['own_list'].pk}/set/", {"product": "QH-8801", "unit_price": "90"}
    )
    assert response.status_code == 403


def test_price_list_export_has_prices_as_numbers(cast, client_for, shop):
    response = client_for(cast.clerk).get(f"/catalog/prices/{shop['own_list'].pk}/export/?fmt=xlsx")

    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    header = [cell.value for cell in sheet[1]]
    row = dict(zip(header, [cell.value for cell in sheet[2]], strict=True))
    assert row["型号"] == "QH-8801" and row["单价"] == 88 and row["公司统一价"] == 105 and row["底价"] == 80


# ---- price changes ---------------------------------------------------------------------------------


def test_change_list_filters_by_product_list_and_date(cast, client_for, shop):
    other = make_product(price="50", floor=None, model="XB-2001", name="挤塑板")
    services.price_set(price_list=shop["graded"], product=other, unit_price="48", effective_from=None, by=None)
    client = client_for(cast.clerk)

    by_product = html(client.get("/catalog/price-changes/?product=XB-2001"))
    by_list = html(client.get(f"/catalog/price-changes/?price_list={shop['graded'].pk}"))
    future = html(client.get(f"/catalog/price-changes/?date_from={(today() + dt.timedelta(days=1)).isoformat()}"))

    assert "XB-2001" in by_product and "QH-8801" not in by_product
    assert "XB-2001" in by_list and "QH-8801" not in by_list
    assert "还没有调价记录" not in future and "共 0 条调价记录" in future


def test_change_list_hides_other_salespersons_customer_lists(cast, client_for, shop):
    services.price_set(
        price_list=shop["their_list"], product=shop["product"], unit_price="87", effective_from=None, by=None
    )

    mine = html(client_for(cast.sales1).get("/catalog/price-changes/"))
    desk = html(client_for(cast.clerk).get("/catalog/price-changes/"))

    assert shop["their_list"].name not in mine and shop["own_list"].name in mine
    assert shop["their_list"].name in desk


def test_change_detail_lists_affected_customers_in_scope_with_owner(cast, client_for, shop):
    first = make_customer(cast, "长沙受影响甲建材有限公司", owner=cast.sales1, grade="C")
    second = make_customer(cast, "郑州受影响乙建材有限公司", owner=cast.sales2, grade="C")
    change = services.price_set(
        price_list=services.company_price_list(),
        product=shop["product"],
        unit_price="110",
        effective_from=None,
        by=None,
    )

    mine = html(client_for(cast.sales1).get(f"/catalog/price-changes/{change.pk}/"))
    desk = html(client_for(cast.clerk).get(f"/catalog/price-changes/{change.pk}/"))

    assert first.name in mine and second.name not in mine
    assert first.name in desk and second.name in desk and "sales2" in desk
    assert "105.00" in desk and "110.00" in desk


def test_change_export_is_scoped_and_logged(cast, client_for, shop):
    first = make_customer(cast, "长沙导出甲建材有限公司", owner=cast.sales1, grade="C")
    make_customer(cast, "郑州导出乙建材有限公司", owner=cast.sales2, grade="C")
    change = services.price_set(
        price_list=services.company_price_list(),
        product=shop["product"],
        unit_price="110",
        effective_from=None,
        by=None,
    )

    response = client_for(cast.sales1).get(f"/catalog/price-changes/{change.pk}/export/")

    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    names = [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert names == [first.name]
    event = Event.objects.filter(action="customers.customer.exported").latest("id")
    assert event.data["count"] == 1 and event.data["filters"] == {"price_change": change.pk}
    assert client_for(cast.finance).get(f"/catalog/price-changes/{change.pk}/export/").status_code == 403


# ---- 查价 -------------------------------------------------------------------------------------------


def test_lookup_resolves_the_customer_price_with_its_source(cast, client_for, shop):
    response = client_for(cast.sales1).get(
        f"/catalog/price-lookup/?customer={shop['mine'].pk}&product=QH-8801&quantity=5"
    )

    body = html(response)
    assert "¥88.00" in body and "客户专属价" in body and shop["own_list"].name in body


def test_lookup_by_pinyin_search_picks_the_first_match_as_an_htmx_fragment(cast, client_for, shop):
    response = client_for(cast.sales1).get(
        "/catalog/price-lookup/?customer_q=长沙页面&product=QH-8801&quantity=1&price=79",
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="lookup-result",
    )

    body = html(response)
    assert "<html" not in body  # a fragment
    assert "¥88.00" in body and "客户专属价" in body
    assert 'hx-swap-oob="true"' in body and f'value="{shop["mine"].pk}" selected' in body
    assert "拟报单价 ¥79.00 低于底价" in body


def test_lookup_without_customer_gives_the_company_price_and_flags_a_typed_price_below_floor(cast, client_for, shop):
    body = html(client_for(cast.clerk).get("/catalog/price-lookup/?product=QH-8801&price=80"))

    assert "¥105.00" in body and "公司统一价" in body and "不低于底价" in body


def test_lookup_of_another_salespersons_customer_is_not_found(cast, client_for, shop):
    response = client_for(cast.sales1).get(f"/catalog/price-lookup/?customer={shop['theirs'].pk}&product=QH-8801")

    assert response.status_code == 404


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("product=QH-8801&quantity=-1", "数量不能为负数"),
        ("product=QH-8801&quantity=abc", "数量必须是数字"),
        ("product=NOPE", "找不到型号为 NOPE 的产品"),
        ("product=QH-8801&price=x", "拟报单价必须是数字"),
    ],
)
def test_lookup_bad_input_is_explained(cast, client_for, shop, query, message):
    response = client_for(cast.clerk).get(f"/catalog/price-lookup/?{query}")

    assert response.status_code == 200 and message in html(response)


def test_product_in_lookup_and_detail_uses_the_latest_standard_price(cast, client_for, shop):
    assert Product.objects.get(pk=shop["product"].pk).standard_price == Decimal("105")


def test_list_pages_do_not_query_per_row(cast, client_for, django_assert_max_num_queries):
    product = make_product(price="100", floor=None)
    for i in range(12):
        customer = make_customer(cast, f"长沙查询数{i}建材有限公司", owner=cast.sales1)
        own = customer_list(customer)
        services.price_set(price_list=own, product=product, unit_price=str(90 + i), effective_from=None, by=None)
    client = client_for(cast.clerk)
    client.get("/catalog/prices/")  # warm the session and caches

    with django_assert_max_num_queries(20):
        assert client.get("/catalog/prices/").status_code == 200
    with django_assert_max_num_queries(20):
        assert client.get("/catalog/price-changes/").status_code == 200
