"""Documents entered by the warehouse on pages (receipt, shipment, transfer, adjustment) and the
ledger page: success goes to the ledger filtered by the new number; every refusal is shown on the
form and posts nothing; only CAN_MOVE_STOCK may post; cost stays hidden from the warehouse."""

from __future__ import annotations

import io
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse

from neiqin.customers import services as customers
from neiqin.stock import services
from neiqin.stock.choices import MoveKind
from neiqin.stock.models import StockMove
from neiqin.stock.services import For, Line
from neiqin.stock.tests.test_levels_support import make_product, make_warehouse, on_hand, receive, snapshot

D = Decimal


@pytest.fixture
def world(cast):
    cs = make_warehouse(cast, "CS", "长沙库", sort_order=1)
    zz = make_warehouse(cast, "ZZ", "郑州库", sort_order=2)
    floor = make_product(cast, "NQ-801", name="橡木强化地板", cost="61.2345")
    board = make_product(cast, "XPS-30", name="挤塑板")
    receive(cast, cs, floor, "10")
    return cs, zz, floor, board


def _post(client, name, data):
    return client.post(reverse(f"stock:{name}"), data)


def test_receipt_page_posts_and_redirects_to_ledger_with_number(cast, client_for, world):
    cs, _zz, floor, board = world
    client = client_for(cast.warehouse)
    response = _post(
        client,
        "receipt_new",
        {
            "warehouse": cs.pk,
            "moved_on": "2025-05-06",
            "reason": "到货",
            "product": ["nq-801 ", "XPS-30", ""],
            "quantity": ["5", "2.5", ""],
        },
    )
    move = StockMove.objects.filter(kind=MoveKind.RECEIPT, product=board).get()
    assert response.status_code == 302
    assert response["Location"] == reverse("stock:moves") + f"?document_number={move.document_number}"
    assert (on_hand(cs, floor), on_hand(cs, board)) == (D("15"), D("2.5"))
    page = client.get(response["Location"]).content.decode()
    assert move.document_number in page and "已登记" in page
    assert "+2.5" in page or "+2.500" in page


def test_receipt_form_has_no_cost_input_for_the_warehouse_but_admin_has(cast, client_for, world):
    html = client_for(cast.warehouse).get(reverse("stock:receipt_new")).content.decode()
    assert 'name="unit_cost"' not in html and "成本" not in html
    html = client_for(cast.admin).get(reverse("stock:receipt_new")).content.decode()
    assert 'name="unit_cost"' in html


def test_warehouse_cost_input_is_ignored(cast, client_for, world):
    cs, _zz, floor, _board = world
    _post(
        client_for(cast.warehouse),
        "receipt_new",
        {"warehouse": cs.pk, "moved_on": "2025-05-06", "product": "NQ-801", "quantity": "1", "unit_cost": "1"},
    )
    move = StockMove.objects.filter(kind=MoveKind.RECEIPT).order_by("-id").first()
    assert move.unit_cost == D("61.2345")  # the product's cost, not what the warehouse typed


def test_admin_receipt_with_unit_cost(cast, client_for, world):
    cs, _zz, floor, _board = world
    _post(
        client_for(cast.admin),
        "receipt_new",
        {"warehouse": cs.pk, "moved_on": "2025-05-06", "product": "NQ-801", "quantity": "1", "unit_cost": "58.5"},
    )
    assert StockMove.objects.filter(kind=MoveKind.RECEIPT).order_by("-id").first().unit_cost == D("58.5")


def test_transfer_page_posts_two_rows(cast, client_for, world):
    cs, zz, floor, _board = world
    response = _post(
        client_for(cast.warehouse),
        "transfer_new",
        {"source": cs.pk, "target": zz.pk, "moved_on": "2025-05-06", "product": "NQ-801", "quantity": "4"},
    )
    assert response.status_code == 302
    number = response["Location"].split("document_number=")[1]
    assert StockMove.objects.filter(document_number=number).count() == 2
    assert (on_hand(cs, floor), on_hand(zz, floor)) == (D("6"), D("4"))


def test_adjustment_page_needs_reason_and_takes_signed_quantities(cast, client_for, world):
    cs, _zz, floor, _board = world
    client = client_for(cast.warehouse)
    before = snapshot()
    response = _post(
        client, "adjustment_new", {"warehouse": cs.pk, "moved_on": "2025-05-06", "product": "NQ-801", "quantity": "-2"}
    )
    assert response.status_code == 422
    assert "必填" in response.content.decode()
    assert snapshot() == before
    response = _post(
        client,
        "adjustment_new",
        {"warehouse": cs.pk, "moved_on": "2025-05-06", "reason": "破损", "product": "NQ-801", "quantity": "-2"},
    )
    assert response.status_code == 302 and on_hand(cs, floor) == D("8")


def test_shipment_page_records_customer_by_code(cast, client_for, world):
    cs, _zz, floor, _board = world
    customer = customers.customer_create(fields={"name": "样品客户有限公司"}, by=cast.clerk, owner=cast.sales1)
    response = _post(
        client_for(cast.warehouse),
        "shipment_new",
        {
            "warehouse": cs.pk,
            "customer": customer.code,
            "moved_on": "2025-05-06",
            "reason": "样品",
            "product": "NQ-801",
            "quantity": "1",
        },
    )
    assert response.status_code == 302
    move = StockMove.objects.get(kind=MoveKind.SHIPMENT)
    assert move.customer == customer and move.quantity == D("-1")


@pytest.mark.parametrize(
    ("name", "extra", "message"),
    [
        ("receipt_new", {"product": "NQ-801", "quantity": "-3"}, "不能为负数"),
        ("receipt_new", {"product": "NQ-801", "quantity": "三箱"}, "必须是数字"),
        ("receipt_new", {"product": "NQ-801", "quantity": "0"}, "必须大于 0"),
        ("receipt_new", {"product": "NO-SUCH", "quantity": "1"}, "找不到型号或编码为“NO-SUCH”的产品"),
        ("receipt_new", {"product": "NQ-801", "quantity": ""}, "请填写数量"),
        ("receipt_new", {"product": "", "quantity": ""}, "请至少填写一行"),
        ("receipt_new", {"moved_on": "2999-01-01", "product": "NQ-801", "quantity": "1"}, "不能晚于今天"),
        ("shipment_new", {"reason": "样品", "product": "NQ-801", "quantity": "11"}, "可用库存只有 10"),
        (
            "shipment_new",
            {"reason": "样品", "customer": "NOPE", "product": "NQ-801", "quantity": "1"},
            "客户编号“NOPE”不存在",
        ),
        ("adjustment_new", {"reason": "丢失", "product": "NQ-801", "quantity": "-11"}, "可用库存只有 10"),
        ("adjustment_new", {"reason": "丢失", "product": "NQ-801", "quantity": "0"}, "调整数量不能为 0"),
    ],
)
def test_bad_input_shown_on_the_form_and_nothing_posted(cast, client_for, world, name, extra, message):
    cs, _zz, _floor, _board = world
    before = snapshot()
    data = {"warehouse": cs.pk, "moved_on": "2025-05-06", **extra}
    response = _post(client_for(cast.warehouse), name, data)
    html = response.content.decode()
    assert response.status_code == 422
    assert message in html, html[html.find("alert") : html.find("alert") + 600]
    assert snapshot() == before
    if extra.get("product"):
        assert f'value="{extra["product"]}"' in html  # what was typed is kept


def test_transfer_to_same_warehouse_shown_on_form(cast, client_for, world):
    cs, _zz, _floor, _board = world
    before = snapshot()
    response = _post(
        client_for(cast.warehouse),
        "transfer_new",
        {"source": cs.pk, "target": cs.pk, "moved_on": "2025-05-06", "product": "NQ-801", "quantity": "1"},
    )
    assert response.status_code == 422 and "调出仓库和调入仓库不能相同" in response.content.decode()
    assert snapshot() == before


def test_inactive_warehouse_not_offered_nor_accepted(cast, client_for, world):
    cs, zz, _floor, _board = world
    services.warehouse_update(warehouse=zz, fields={"is_active": False}, by=cast.admin)
    client = client_for(cast.warehouse)
    assert "郑州库" not in client.get(reverse("stock:receipt_new")).content.decode()
    before = snapshot()
    response = _post(
        client, "receipt_new", {"warehouse": zz.pk, "moved_on": "2025-05-06", "product": "NQ-801", "quantity": "1"}
    )
    assert response.status_code == 422
    assert snapshot() == before


def test_shipment_beyond_available_because_of_reservation(cast, client_for, world):
    cs, _zz, floor, _board = world
    services.reserve(product=floor, warehouse=cs, quantity="8", document=For("order", 1, "SO-1"), by=cast.clerk)
    before = snapshot()
    response = _post(
        client_for(cast.warehouse),
        "shipment_new",
        {"warehouse": cs.pk, "moved_on": "2025-05-06", "reason": "样品", "product": "NQ-801", "quantity": "3"},
    )
    assert response.status_code == 422 and "可用库存只有 2" in response.content.decode()
    assert snapshot() == before


def test_ambiguous_model_asks_for_the_code(cast, client_for, world):
    cs, _zz, _floor, _board = world
    make_product(cast, "DUP-1", spec="8mm")
    make_product(cast, "DUP-1", spec="12mm")
    response = _post(
        client_for(cast.warehouse),
        "receipt_new",
        {"warehouse": cs.pk, "moved_on": "2025-05-06", "product": "DUP-1", "quantity": "1"},
    )
    assert response.status_code == 422 and "有多个规格" in response.content.decode()


@pytest.mark.parametrize("name", ["receipt_new", "shipment_new", "transfer_new", "adjustment_new"])
@pytest.mark.parametrize("role", ["clerk", "sales1", "finance"])
def test_only_movers_may_open_or_post(cast, client_for, world, name, role):
    cs, zz, _floor, _board = world
    client = client_for(getattr(cast, role))
    before = snapshot()
    assert client.get(reverse(f"stock:{name}")).status_code == 403
    data = {
        "warehouse": cs.pk,
        "source": cs.pk,
        "target": zz.pk,
        "moved_on": "2025-05-06",
        "reason": "x",
        "product": "NQ-801",
        "quantity": "1",
    }
    assert _post(client, name, data).status_code == 403
    assert snapshot() == before


@pytest.mark.parametrize("name", ["receipt_new", "shipment_new", "transfer_new", "adjustment_new"])
def test_entry_pages_render_for_the_warehouse(cast, client_for, world, name):
    response = client_for(cast.warehouse).get(reverse(f"stock:{name}"), {"warehouse": world[0].pk})
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count('name="product"') == 8 and "stock/entry.js" in html


# ---- the ledger page --------------------------------------------------------------------------------


@pytest.fixture
def ledger(cast, world):
    cs, zz, floor, board = world
    customer = customers.customer_create(fields={"name": "流水客户有限公司"}, by=cast.clerk, owner=cast.sales1)
    services.stock_transfer(source=cs, target=zz, lines=[Line(floor, "3")], by=cast.warehouse)
    services.stock_ship(warehouse=zz, lines=[Line(floor, "1")], by=cast.warehouse, reason="补发", customer=customer)
    return world


@pytest.mark.parametrize("role", ["clerk", "warehouse", "sales1", "sales2", "finance"])
def test_moves_page_renders_for_each_role(cast, client_for, ledger, role):
    html = client_for(getattr(cast, role)).get(reverse("stock:moves")).content.decode()
    assert "调拨出库" in html and "调拨入库" in html and "发货出库" in html and "补发" in html
    assert ("单位成本" in html) == (role == "finance")
    assert ("61.2345" in html) == (role == "finance")
    assert ("流水客户有限公司" in html) == (role in ("clerk", "warehouse", "sales1", "finance"))


def test_moves_page_filters(cast, client_for, ledger):
    cs, zz, floor, _board = ledger
    client = client_for(cast.clerk)
    html = client.get(reverse("stock:moves"), {"kind": "shipment"}).content.decode()
    assert "补发" in html and "调拨出库</span>" not in html
    html = client.get(reverse("stock:moves"), {"warehouse": zz.pk, "kind": "transfer"}).content.decode()
    assert "调拨入库" in html and "调拨出库</span>" not in html
    response = client.get(reverse("stock:moves"), {"date_from": "bad"})
    assert response.status_code == 200


def test_moves_export_hides_cost_from_the_warehouse(cast, client_for, ledger):
    for role, has_cost in (("warehouse", False), ("finance", True)):
        response = client_for(getattr(cast, role)).get(reverse("stock:moves_export"), {"fmt": "xlsx"})
        sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
        header = [c.value for c in sheet[1]]
        assert ("单位成本" in header) == has_cost
        assert sheet.max_row == 1 + StockMove.objects.count()
    csv_response = client_for(cast.clerk).get(reverse("stock:moves_export"), {"fmt": "csv"})
    assert csv_response.status_code == 200 and "调拨出库" in csv_response.content.decode("utf-8-sig")
