"""Stock pages: the level matrix, one product's stock, 安全库存, and their exports — for the
clerk, the warehouse and a salesperson, with real data; money stays hidden from the warehouse."""

from __future__ import annotations

import io
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse

from neiqin.customers import services as customers
from neiqin.stock import services
from neiqin.stock.models import StockLevel
from neiqin.stock.services import For
from neiqin.stock.tests.test_levels_support import make_product, make_warehouse, receive


@pytest.fixture
def world(cast):
    cs = make_warehouse(cast, "CS", "长沙库", sort_order=1)
    zz = make_warehouse(cast, "ZZ", "郑州库", sort_order=2)
    floor = make_product(cast, "NQ-801", name="橡木强化地板", cost="61.2345")
    board = make_product(cast, "XPS-30", name="挤塑板")
    receive(cast, cs, floor, "120")
    receive(cast, zz, floor, "8")
    receive(cast, cs, board, "2")
    customer = customers.customer_create(fields={"name": "占用客户有限公司"}, by=cast.clerk, owner=cast.sales1)
    services.reserve(
        product=floor,
        warehouse=cs,
        quantity="20",
        document=For("order", 7, "SO-0007", customer=customer),
        by=cast.clerk,
    )
    services.level_set_min_quantity(warehouse=cs, product=board, min_quantity="5", by=cast.warehouse)
    return cs, zz, floor, board


@pytest.mark.parametrize("role", ["clerk", "warehouse", "sales1", "finance"])
def test_levels_page_renders_matrix_for_each_role(cast, client_for, world, role):
    cs, zz, _floor, _board = world
    response = client_for(getattr(cast, role)).get(reverse("stock:levels"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "NQ-801" in html and "长沙库" in html and "郑州库" in html
    assert "已占用" in html and "可用" in html and "合计" in html
    assert "100" in html  # 120 on hand − 20 reserved in 长沙库
    assert "61.23" not in html and "标准价" not in html  # no cost, no price on stock pages
    assert ("stock/receipts/new/" in html) == (role == "warehouse")


def test_levels_page_highlights_low_stock_and_filters(cast, client_for, world):
    client = client_for(cast.clerk)
    html = client.get(reverse("stock:levels"), {"low_only": "on"}).content.decode()
    assert "XPS-30" in html and "NQ-801" not in html
    assert "table-danger" in html
    html = client.get(reverse("stock:levels"), {"q": "橡木"}).content.decode()
    assert "NQ-801" in html and "XPS-30" not in html


def test_levels_page_htmx_returns_only_the_table(cast, client_for, world):
    response = client_for(cast.clerk).get(
        reverse("stock:levels"), {"q": "XPS"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="level-table"
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "XPS-30" in html and "<html" not in html and 'id="level-filters"' not in html


def test_levels_page_bad_filters_are_ignored(cast, client_for, world):
    response = client_for(cast.clerk).get(reverse("stock:levels"), {"warehouse": "abc", "page": "x", "sort": "nope"})
    assert response.status_code == 200
    assert "NQ-801" in response.content.decode()


def test_levels_export_xlsx_has_per_warehouse_columns_and_no_money(cast, client_for, world):
    response = client_for(cast.warehouse).get(reverse("stock:levels_export"), {"fmt": "xlsx"})
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    header = [c.value for c in sheet[1]]
    assert "长沙库 库存" in header and "郑州库 可用" in header and "合计可用" in header
    rows = {row[1]: dict(zip(header, row, strict=False)) for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert rows["NQ-801"]["长沙库 可用"] == 100 and rows["NQ-801"]["合计库存"] == 128
    assert not any("成本" in str(h) or "价" in str(h) for h in header)


def test_levels_export_refuses_unknown_format(cast, client_for, world):
    response = client_for(cast.clerk).get(reverse("stock:levels_export"), {"fmt": "pdf"})
    assert response.status_code == 302


@pytest.mark.parametrize("role", ["clerk", "warehouse", "sales1"])
def test_product_levels_fragment(cast, client_for, world, role):
    _cs, _zz, floor, _board = world
    response = client_for(getattr(cast, role)).get(
        reverse("stock:product_levels", args=[floor.pk]), HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert "SO-0007" in html and "安全库存" in html and "长沙库" in html
    assert ("min-quantity" in html) == (role == "warehouse")
    assert ("占用客户有限公司" in html) == (role in ("clerk", "warehouse", "sales1"))


def test_product_levels_hides_customer_of_another_salesperson(cast, client_for, world):
    _cs, _zz, floor, _board = world
    html = client_for(cast.sales2).get(reverse("stock:product_levels", args=[floor.pk])).content.decode()
    assert "SO-0007" in html and "占用客户有限公司" not in html


def test_product_levels_full_page_and_unknown_product(cast, client_for, world):
    _cs, _zz, floor, _board = world
    client = client_for(cast.clerk)
    assert "<html" in client.get(reverse("stock:product_levels", args=[floor.pk])).content.decode()
    assert client.get(reverse("stock:product_levels", args=[999999])).status_code == 404


def test_warehouse_sets_min_quantity(cast, client_for, world):
    _cs, zz, floor, _board = world
    response = client_for(cast.warehouse).post(
        reverse("stock:set_min_quantity", args=[floor.pk]),
        {"warehouse": zz.pk, "min_quantity": "30"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert StockLevel.objects.get(warehouse=zz, product=floor).min_quantity == Decimal("30")
    assert "已保存" in response.content.decode()


@pytest.mark.parametrize("value", ["-1", "abc"])
def test_min_quantity_bad_input_refused(cast, client_for, world, value):
    _cs, zz, floor, _board = world
    response = client_for(cast.warehouse).post(
        reverse("stock:set_min_quantity", args=[floor.pk]),
        {"warehouse": zz.pk, "min_quantity": value},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 422
    assert "安全库存" in response.content.decode()
    assert StockLevel.objects.get(warehouse=zz, product=floor).min_quantity == Decimal("0")


@pytest.mark.parametrize("role", ["clerk", "sales1"])
def test_min_quantity_forbidden_for_others(cast, client_for, world, role):
    _cs, zz, floor, _board = world
    response = client_for(getattr(cast, role)).post(
        reverse("stock:set_min_quantity", args=[floor.pk]), {"warehouse": zz.pk, "min_quantity": "30"}
    )
    assert response.status_code == 403
    assert StockLevel.objects.get(warehouse=zz, product=floor).min_quantity == Decimal("0")
