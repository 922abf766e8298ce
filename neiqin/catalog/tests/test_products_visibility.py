"""Price field visibility per role on the list page, the product page, the API and the export
(PRD-1 "Done when"): the warehouse sees no price anywhere, salespeople see the standard and floor
price but never the cost, finance and management see everything."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from neiqin.api.tests.tools import call
from neiqin.catalog import services
from neiqin.catalog.choices import PriceListKind
from neiqin.catalog.tests.test_products_data import (
    COST,
    FLOOR,
    PRICE_KEYS,
    PRICE_VALUES,
    ROLES,
    SEES,
    STANDARD,
    Catalog,
    build_catalog,
)
from neiqin.core.models import Event
from neiqin.customers import services as customer_services

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalog(cast) -> Catalog:
    return build_catalog(cast)


HEADERS = {"standard_price": "标准价", "floor_price": "底价", "cost": "成本"}


def _page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.content.decode()[:500]
    return response.content.decode()


def _thead(html: str) -> str:
    return html[html.index("<thead") : html.index("</thead>")]


# ---- pages ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_list_page_shows_only_the_visible_price_columns(cast, client_for, catalog, role):
    html = _page(client_for(cast.by_name(role)), "/catalog/products/")

    assert "QH-1208" in html
    for field, value in PRICE_VALUES.items():
        assert (value in html) == (field in SEES[role]), f"{field} for {role}"
        assert (HEADERS[field] in _thead(html)) == (field in SEES[role]), f"{field} header for {role}"
    assert ("含税</span>" in html) == ("standard_price" in SEES[role])


@pytest.mark.parametrize("role", ROLES)
def test_product_page_shows_only_the_visible_prices_and_history(cast, client_for, catalog, role):
    """The creation event in the history carries all three prices: they are filtered too."""
    html = _page(client_for(cast.by_name(role)), f"/catalog/products/{catalog.floor.pk}/")

    assert "QH-1208" in html and "强化复合地板" in html
    for field, value in PRICE_VALUES.items():
        assert (value in html) == (field in SEES[role]), f"{field} for {role}"
    assert ("含税价" in html) == bool(SEES[role])  # the flag of the price goes with it
    assert ('id="list-prices"' in html) == bool(SEES[role])
    assert ('id="price-history"' in html) == bool(SEES[role])


@pytest.mark.parametrize("role", ROLES)
def test_a_later_cost_change_is_invisible_in_the_history_to_who_may_not_see_cost(cast, client_for, catalog, role):
    product = services.product_update(product=catalog.floor, fields={"cost": "90.10"}, by=cast.deputy)
    services.product_update(product=product, fields={"notes": "防潮"}, by=cast.clerk)

    html = _page(client_for(cast.by_name(role)), f"/catalog/products/{catalog.floor.pk}/")

    assert ("90.10" in html) == ("cost" in SEES[role])
    # The whole event is dropped, not shown empty: sales see one "修改资料" (the notes), finance two.
    assert html.count("修改资料") == (2 if "cost" in SEES[role] else 1)
    assert "防潮" in html


def test_a_price_change_on_another_salespersons_customer_list_is_not_shown(cast, client_for, catalog):
    customer = customer_services.customer_create(
        fields={"name": "郑州乙装饰有限公司"}, by=cast.clerk, owner=cast.sales2
    )
    price_list = services.price_list_create(
        kind=PriceListKind.CUSTOMER, customer=customer, by=cast.clerk, name="乙装饰专属价"
    )
    services.price_set(
        price_list=price_list, product=catalog.floor, unit_price="120.40", effective_from=None, by=cast.clerk
    )
    url = f"/catalog/products/{catalog.floor.pk}/"

    own = _page(client_for(cast.sales2), url)
    other = _page(client_for(cast.sales1), url)

    assert "乙装饰专属价" in own and "120.40" in own
    assert "乙装饰专属价" not in other and "120.40" not in other
    assert STANDARD in other  # the company price is still there


def test_the_edit_form_offers_only_the_prices_the_role_may_set(cast, client_for, catalog):
    url = f"/catalog/products/{catalog.floor.pk}/edit/"

    clerk = _page(client_for(cast.clerk), url)
    deputy = _page(client_for(cast.deputy), url)

    assert 'name="floor_price"' not in clerk and 'name="cost"' not in clerk and COST not in clerk
    assert 'name="floor_price"' in deputy and 'name="cost"' in deputy
    assert FLOOR in deputy and COST in deputy
    assert 'name="standard_price"' not in clerk and 'name="standard_price"' not in deputy
    assert 'id="standard-price-note"' in clerk


def test_the_warehouse_cannot_sort_by_price(cast, client_for, catalog):
    """Sorting by a hidden column would leak the price order: the sort is ignored."""
    html = _page(client_for(cast.warehouse), "/catalog/products/?sort=-price&active=all")
    sales = _page(client_for(cast.sales1), "/catalog/products/?sort=-price&active=all")

    assert html.index("DJ-5") < html.index("QH-1208") < html.index("XPS-B 30")  # by model
    assert sales.index("QH-1208") < sales.index("XPS-B 30") < sales.index("DJ-5")  # 128.5 > 46 > 35


# ---- API -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_api_list_and_get_carry_only_the_visible_price_keys(cast, client_for, catalog, role):
    client = client_for(cast.by_name(role))
    expected = set(SEES[role]) | ({"price_includes_tax"} if "standard_price" in SEES[role] else set())

    listed = call(client, "GET", "/products?q=QH-1208")
    single = call(client, "GET", f"/products/{catalog.floor.pk}")

    assert listed.status_code == 200 and single.status_code == 200
    (row,) = listed.json()["items"]
    for body in (row, single.json()):
        assert set(body) & PRICE_KEYS == expected, f"{role}: {sorted(body)}"
        for field, value in PRICE_VALUES.items():
            if field in SEES[role]:
                assert body[field] == value
    raw = single.content.decode()
    assert ('"cost"' in raw) == ("cost" in SEES[role])
    assert (COST in raw) == ("cost" in SEES[role])


def test_api_shows_null_floor_price_to_who_may_see_it(cast, client_for, catalog):
    """Absent means "hidden"; null means "no floor price" — only to those who may see it."""
    body = call(client_for(cast.sales1), "GET", f"/products/{catalog.glue.pk}").json()

    assert body["floor_price"] is None and "cost" not in body
    assert body["standard_price"] == "35.00"


@pytest.mark.parametrize("role", ["clerk", "deputy"])
def test_api_write_answers_with_the_callers_view(cast, client_for, catalog, role):
    client = client_for(cast.by_name(role))
    response = call(client, "PATCH", f"/products/{catalog.floor.pk}", {"notes": "x", "version": 1})

    assert response.status_code == 200, response.content.decode()
    assert ("cost" in response.json()) == ("cost" in SEES[role])


# ---- export --------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_csv_export_has_only_the_visible_price_columns(cast, client_for, catalog, role):
    response = client_for(cast.by_name(role)).get("/catalog/products/export/?format=csv&q=QH")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    header, *data = rows
    assert len(data) == 1 and "QH-1208" in data[0]
    for field, title in HEADERS.items():
        assert (title in header) == (field in SEES[role]), f"{field} column for {role}"
    text = response.content.decode("utf-8-sig")
    for field, value in PRICE_VALUES.items():
        assert (value in text) == (field in SEES[role])
    event = Event.objects.get(action="catalog.product.exported")
    assert event.actor == cast.by_name(role)
    assert event.data["count"] == 1 and event.data["format"] == "csv"
    assert event.data["price_columns"] == sorted(SEES[role])
    assert event.data["filters"] == {"q": "QH"}


@pytest.mark.parametrize("role", ["warehouse", "sales1", "finance"])
def test_xlsx_export_has_only_the_visible_price_columns(cast, client_for, catalog, role):
    response = client_for(cast.by_name(role)).get("/catalog/products/export/?format=xlsx&active=all")

    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content), read_only=True).active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    header = rows[0]
    assert len(rows) == 4  # header + 3 products (active and inactive)
    for field, title in HEADERS.items():
        assert (title in header) == (field in SEES[role])
    flat = {str(v) for row in rows for v in row if v is not None}
    assert ("85.75" in flat) == ("cost" in SEES[role])
    assert ("128.5" in flat) == ("standard_price" in SEES[role])


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_neutralises_formulas(cast, client_for, fmt):
    name = '=HYPERLINK("http://evil.example","点我")'
    fields = {"name": name, "model": "@SUM(1)", "unit": "件", "standard_price": "1"}
    services.product_create(fields=fields, by=cast.clerk)

    response = client_for(cast.clerk).get(f"/catalog/products/export/?format={fmt}")

    assert response.status_code == 200
    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    else:
        sheet = load_workbook(io.BytesIO(response.content), read_only=True).active
        rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    header, row = rows
    assert row[header.index("品名")] == '\'=HYPERLINK("http://evil.example","点我")'
    assert row[header.index("型号")] == "'@SUM(1)"


def test_export_refuses_an_unknown_format(cast, client_for):
    response = client_for(cast.clerk).get("/catalog/products/export/?format=pdf&q=x")

    assert response.status_code == 302 and response["Location"] == "/catalog/products/?q=x"
    assert not Event.objects.filter(action="catalog.product.exported").exists()
