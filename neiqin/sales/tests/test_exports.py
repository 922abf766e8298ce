"""Exports of the order desk lists (SYS-3): scoped like the lists (sales1 never gets sales2's
documents, whatever the filters), the list filters apply, amounts are numbers, text is neutralised
against formula injection, floor prices never appear, every export is audited, the warehouse gets
nothing."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from neiqin.core.models import Event
from neiqin.sales.services import contracts, opportunities, orders, quotations
from neiqin.sales.tests.conftest import line

pytestmark = [pytest.mark.django_db, pytest.mark.urls("neiqin.sales.tests.test_rules_urlconf")]

SOON = {"delivery_on": (dt.date.today() + dt.timedelta(days=7)).isoformat()}
EXPORTS = ("sales:order_export", "sales:quotation_export", "sales:contract_export", "sales:opportunity_export")
LISTS = {
    "sales:order_export": "sales:order_inbox",
    "sales:quotation_export": "sales:quotation_list",
    "sales:contract_export": "sales:contract_list",
    "sales:opportunity_export": "sales:opportunity_list",
}


@pytest.fixture(autouse=True)
def _home(settings, tmp_path):
    settings.NEIQIN_HOME = str(tmp_path)


@pytest.fixture
def desk(world):
    """For each of sales1's customer (acme) and sales2's (other): an order, a quotation, a contract
    and an opportunity; acme's order is submitted, with a formula in its customer reference."""
    clerk = world.cast.clerk
    acme_order = orders.order_create(
        customer=world.acme,
        lines=[line(world.floor, 10, unit_price="85")],
        by=clerk,
        fields={**SOON, "customer_reference": '=HYPERLINK("http://x","y")'},
    )
    acme_order, _checks = orders.order_submit(order=acme_order, by=clerk)
    other_order = orders.order_create(customer=world.other, lines=[line(world.floor, 3)], by=clerk, fields=SOON)
    quotations.quotation_create(customer=world.acme, lines=[line(world.floor, 5)], by=clerk)
    quotations.quotation_create(customer=world.other, lines=[line(world.floor, 7)], by=clerk)
    contracts.contract_create(customer=world.acme, by=clerk, title="宏达地板购销合同", lines=[line(world.floor, 20)])
    contracts.contract_create(customer=world.other, by=clerk, title="恒通地板购销合同", lines=[line(world.floor, 30)])
    opportunities.opportunity_create(
        customer=world.acme, fields={"title": "宏达办公楼地板", "expected_amount": "120000.50"}, by=clerk
    )
    opportunities.opportunity_create(
        customer=world.other, fields={"title": "恒通住宅项目", "expected_amount": "80000"}, by=clerk
    )
    return {"acme_order": acme_order, "other_order": other_order}


def _xlsx(response) -> list[list]:
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def _column(rows: list[list], title: str) -> list:
    index = rows[0].index(title)
    return [row[index] for row in rows[1:]]


def _get(client, name, **params):
    return client.get(reverse(name), params)


# ---- scope ----------------------------------------------------------------------------------------


def test_sales1s_order_export_never_holds_sales2s_orders(world, desk, client_for):
    rows = _xlsx(_get(client_for(world.cast.sales1), "sales:order_export", format="xlsx"))
    assert _column(rows, "客户") == [world.acme.name]
    rows = _xlsx(_get(client_for(world.cast.sales2), "sales:order_export", format="xlsx"))
    assert _column(rows, "客户") == [world.other.name]


def test_a_filter_cannot_widen_the_scope(world, desk, client_for):
    client = client_for(world.cast.sales1)
    rows = _xlsx(_get(client, "sales:order_export", q=world.other.name))
    assert rows[1:] == []
    rows = _xlsx(_get(client, "sales:order_export", box="drafts"))
    assert rows[1:] == []  # the only draft is sales2's
    rows = _xlsx(_get(client, "sales:quotation_export", customer=world.other.pk))
    assert rows[1:] == []


def test_the_desk_exports_everything(world, desk, client_for):
    rows = _xlsx(_get(client_for(world.cast.clerk), "sales:order_export", format="xlsx"))
    assert sorted(_column(rows, "客户")) == sorted([world.acme.name, world.other.name])


@pytest.mark.parametrize(
    ("name", "column", "mine", "theirs"),
    [
        ("sales:quotation_export", "客户", "长沙宏达装饰工程有限公司", "郑州恒通建设有限公司"),
        ("sales:contract_export", "合同名称", "宏达地板购销合同", "恒通地板购销合同"),
        ("sales:opportunity_export", "机会名称", "宏达办公楼地板", "恒通住宅项目"),
    ],
)
def test_the_other_lists_are_scoped_too(world, desk, client_for, name, column, mine, theirs):
    assert _column(_xlsx(_get(client_for(world.cast.sales1), name)), column) == [mine]
    assert _column(_xlsx(_get(client_for(world.cast.sales2), name)), column) == [theirs]
    assert sorted(_column(_xlsx(_get(client_for(world.cast.manager), name)), column)) == [mine]
    assert sorted(_column(_xlsx(_get(client_for(world.cast.finance), name)), column)) == sorted([mine, theirs])


@pytest.mark.parametrize("name", EXPORTS)
def test_the_warehouse_exports_nothing(world, desk, client_for, name):
    response = _get(client_for(world.cast.warehouse), name, format="csv")
    assert response.status_code == 403
    assert not Event.objects.filter(action__endswith=".exported").exists()


@pytest.mark.parametrize("name", EXPORTS)
def test_anonymous_is_sent_to_login(client, name):
    response = _get(client, name)
    assert response.status_code == 302 and "/login/" in response["Location"]


# ---- content --------------------------------------------------------------------------------------


def test_amounts_are_numbers_and_text_is_not_a_formula(world, desk, client_for):
    rows = _xlsx(_get(client_for(world.cast.sales1), "sales:order_export"))
    (total,) = _column(rows, "订单金额")
    assert isinstance(total, int | float) and Decimal(str(total)) == Decimal("850")
    (reference,) = _column(rows, "客户订单号")
    assert reference.startswith("'=HYPERLINK")
    (number,) = _column(rows, "订单号")
    assert number == desk["acme_order"].number
    (ordered_on,) = _column(rows, "下单日期")
    assert ordered_on.date() == desk["acme_order"].ordered_on


def test_the_csv_keeps_numbers_bare_and_escapes_formulas(world, desk, client_for):
    response = _get(client_for(world.cast.sales1), "sales:order_export", format="csv")
    rows = _csv(response)
    assert _column(rows, "订单金额") == ["850.00"]
    assert _column(rows, "客户订单号")[0].startswith("'=")
    raw = response.content.decode("utf-8")
    assert ",850.00," in raw  # unquoted: Excel reads it as a number
    assert response["Content-Disposition"].startswith("attachment")


def test_line_exports_never_carry_the_floor_price(world, desk, client_for):
    client = client_for(world.cast.gm)  # sees floor prices on the pages, still not in the file
    rows = _xlsx(_get(client, "sales:order_export", lines="1", q=world.acme.name))
    header = rows[0]
    assert "底价" not in " ".join(header)
    assert _column(rows, "型号") == ["QH-1201"]
    assert [Decimal(str(v)) for v in _column(rows, "单价")] == [Decimal("85")]
    assert [Decimal(str(v)) for v in _column(rows, "价目价")] == [Decimal("100")]
    assert [Decimal(str(v)) for v in _column(rows, "折扣(%)")] == [Decimal("15")]
    assert [Decimal(str(v)) for v in _column(rows, "金额")] == [Decimal("850")]
    values = {Decimal(str(v)) for row in rows[1:] for v in row if isinstance(v, int | float)}
    assert Decimal("80") not in values


@pytest.mark.parametrize("name", ["sales:quotation_export", "sales:contract_export"])
def test_quotation_and_contract_lines_export(world, desk, client_for, name):
    rows = _csv(_get(client_for(world.cast.sales1), name, format="csv", lines="1"))
    assert "底价" not in "".join(rows[0])
    assert _column(rows, "型号") == ["QH-1201"]
    assert _column(rows, "客户") == [world.acme.name]


def test_opportunity_amounts(world, desk, client_for):
    rows = _xlsx(_get(client_for(world.cast.sales1), "sales:opportunity_export"))
    assert [Decimal(str(v)) for v in _column(rows, "预计金额")] == [Decimal("120000.5")]
    assert _column(rows, "成交概率(%)") == [10]
    assert [Decimal(str(v)) for v in _column(rows, "加权金额")] == [Decimal("12000.05")]


# ---- filters --------------------------------------------------------------------------------------


def test_the_inbox_filters_apply(world, desk, client_for):
    client = client_for(world.cast.clerk)
    assert _column(_xlsx(_get(client, "sales:order_export", status="draft")), "客户") == [world.other.name]
    assert _column(_xlsx(_get(client, "sales:order_export", box="waiting_approval")), "客户") == [world.acme.name]
    assert _xlsx(_get(client, "sales:order_export", box="ready"))[1:] == []
    assert _column(_xlsx(_get(client, "sales:order_export", q="恒通")), "客户") == [world.other.name]
    tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    assert _xlsx(_get(client, "sales:order_export", date_from=tomorrow))[1:] == []
    # an invalid filter is dropped, as on the list
    assert len(_xlsx(_get(client, "sales:order_export", date_from="not-a-date"))) == 3


def test_the_other_filters_apply(world, desk, client_for):
    client = client_for(world.cast.clerk)
    rows = _xlsx(_get(client, "sales:quotation_export", q="恒通"))
    assert _column(rows, "客户") == [world.other.name]
    rows = _xlsx(_get(client, "sales:contract_export", q="宏达地板"))
    assert _column(rows, "合同名称") == ["宏达地板购销合同"]
    rows = _xlsx(_get(client, "sales:contract_export", expiring="on"))
    assert rows[1:] == []  # drafts are not effective
    rows = _xlsx(_get(client, "sales:opportunity_export", q="住宅"))
    assert _column(rows, "机会名称") == ["恒通住宅项目"]
    rows = _xlsx(_get(client, "sales:opportunity_export", stage="won"))
    assert rows[1:] == []


# ---- audit and refusals ----------------------------------------------------------------------------


def test_every_export_is_audited_with_filters_and_count(world, desk, client_for):
    _get(client_for(world.cast.clerk), "sales:order_export", format="csv", status="draft", lines="1")
    event = Event.objects.get(action="sales.order.exported")
    assert event.actor == world.cast.clerk and event.object_id == "*"
    assert event.data == {"format": "csv", "count": 1, "lines": True, "filters": {"status": "draft"}}
    for name in EXPORTS[1:]:
        _get(client_for(world.cast.clerk), name)
    actions = set(Event.objects.filter(action__endswith=".exported").values_list("action", flat=True))
    assert actions == {
        "sales.order.exported",
        "sales.quotation.exported",
        "sales.contract.exported",
        "sales.opportunity.exported",
    }


@pytest.mark.parametrize("name", EXPORTS)
def test_an_unknown_format_goes_back_to_the_list(world, desk, client_for, name):
    response = _get(client_for(world.cast.clerk), name, format="pdf", q="宏达")
    assert response.status_code == 302
    assert response["Location"] == reverse(LISTS[name]) + "?q=%E5%AE%8F%E8%BE%BE"
    assert not Event.objects.filter(action__endswith=".exported").exists()


def test_an_empty_export_still_has_its_header(world, client_for):
    rows = _csv(_get(client_for(world.cast.sales1), "sales:order_export", format="csv"))
    assert rows[0][0] == "订单号" and rows[1:] == []
