"""Stock reports (INV-5): slow-moving stock from a backdated ledger, turnover figures checked by
hand, low stock; value hidden from roles without cost; fixed query counts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from neiqin.catalog.services import product_create
from neiqin.core.spreadsheets import read_table
from neiqin.stock.selectors.reports import low_stock, slow_moving, total_value, turnover
from neiqin.stock.services import (
    For,
    Line,
    level_set_min_quantity,
    reserve,
    stock_receive,
    stock_ship,
    stock_transfer,
    warehouse_create,
)

pytestmark = pytest.mark.django_db

T = timezone.localdate


def ago(days: int) -> dt.date:
    return T() - dt.timedelta(days=days)


@pytest.fixture
def cs(cast):
    return warehouse_create(fields={"code": "CS", "name": "长沙库", "sort_order": 1}, by=cast.admin)


@pytest.fixture
def xa(cast):
    return warehouse_create(fields={"code": "XA", "name": "西安库", "sort_order": 2}, by=cast.admin)


def make(cast, model: str, cost: str | None = None):
    fields = {"name": f"产品{model}", "model": model, "unit": "箱"}
    if cost is not None:
        fields["cost"] = cost
    return product_create(fields=fields, by=cast.admin)


def receive(cast, wh, product, qty, on):
    stock_receive(warehouse=wh, lines=[Line(product, qty)], by=cast.warehouse, moved_on=on)


def ship(cast, wh, product, qty, on):
    stock_ship(warehouse=wh, lines=[Line(product, qty)], by=cast.warehouse, reason="样品", moved_on=on)


@pytest.fixture
def ledger(cast, cs, xa):
    """A: sold 400 days ago (slow); B: sold 30 days ago; C: never sold since 400 days (slow, no
    cost); D: received 10 days ago; E: 500 days old, only transferred out 10 days ago (still slow
    in 长沙库, new in 西安库)."""
    p = {m: make(cast, m, cost) for m, cost in (("A", "10.5"), ("B", "20"), ("C", None), ("D", "3"), ("E", "2"))}
    receive(cast, cs, p["A"], "100", ago(500))
    ship(cast, cs, p["A"], "10", ago(400))
    receive(cast, cs, p["B"], "50", ago(500))
    ship(cast, cs, p["B"], "5", ago(30))
    receive(cast, cs, p["C"], "7", ago(400))
    receive(cast, cs, p["D"], "5", ago(10))
    receive(cast, cs, p["E"], "20", ago(500))
    stock_transfer(source=cs, target=xa, lines=[Line(p["E"], "5")], by=cast.warehouse, moved_on=ago(10))
    return p


# ---- slow-moving ---------------------------------------------------------------------------------


def test_slow_moving_lists_stock_without_sales_for_a_year(ledger, cs):
    rows = slow_moving(days=365)

    found = {(r.product.model, r.warehouse.code): r for r in rows}
    assert set(found) == {("A", "CS"), ("C", "CS"), ("E", "CS")}
    a, c, e = found[("A", "CS")], found[("C", "CS")], found[("E", "CS")]
    assert (a.on_hand, a.last_outbound_on, a.days_idle, a.value) == (
        Decimal("90.000"),
        ago(400),
        400,
        Decimal("945.00"),
    )
    assert (c.last_outbound_on, c.idle_since, c.days_idle, c.value) == (None, ago(400), 400, None)
    assert (e.on_hand, e.last_outbound_on, e.days_idle, e.value) == (Decimal("15.000"), None, 500, Decimal("30.00"))
    assert [r.product.model for r in rows] == ["E", "A", "C"]  # longest idle first
    assert total_value(rows) == Decimal("975.00")


def test_slow_moving_days_and_warehouse_filters(ledger, cs, xa):
    assert {r.product.model for r in slow_moving(days=20)} == {"A", "B", "C", "E"}
    assert {r.product.model for r in slow_moving(days=5, warehouse=xa)} == {"E"}
    assert slow_moving(days=365, warehouse=xa) == []
    assert {r.product.model for r in slow_moving(days=401)} == {"E"}  # A and C are exactly 400 days idle


def test_slow_moving_is_one_query(ledger, django_assert_num_queries):
    with django_assert_num_queries(1):
        rows = slow_moving(days=365)
        [(r.product.model, r.warehouse.name) for r in rows]


# ---- turnover ------------------------------------------------------------------------------------


def test_turnover_figures_match_a_hand_computation(cast, cs, xa):
    """F in 长沙库: +100 (day −200), −20 (−150), +50 (−50), −30 (−40), −10 (today); 西安库 +40 (−300).
    Period −100 … −1 (100 days), 长沙库 only:
    opening = 100 − 20 = 80; closing = 80 + 50 − 30 = 100; outbound = 30; average = 90;
    rate = 30 / 90 = 0.33; days of stock = 100 / (30 / 90) = 300.0."""
    f = make(cast, "F")
    g = make(cast, "G")
    receive(cast, cs, f, "100", ago(200))
    ship(cast, cs, f, "20", ago(150))
    receive(cast, cs, f, "50", ago(50))
    ship(cast, cs, f, "30", ago(40))
    ship(cast, cs, f, "10", T())
    receive(cast, xa, f, "40", ago(300))
    receive(cast, cs, g, "10", ago(5))

    rows = {r.product.model: r for r in turnover(date_from=ago(100), date_to=ago(1), warehouse=cs)}
    everywhere = {r.product.model: r for r in turnover(date_from=ago(100), date_to=ago(1))}

    row = rows["F"]
    assert (row.opening, row.closing, row.outbound, row.average) == (
        Decimal("80"),
        Decimal("100"),
        Decimal("30"),
        Decimal("90"),
    )
    assert row.rate == Decimal("0.33") and row.days_of_stock == Decimal("300.0")
    assert (rows["G"].opening, rows["G"].closing, rows["G"].rate, rows["G"].days_of_stock) == (0, 10, 0, None)
    both = everywhere["F"]  # with 西安库's 40: opening 120, closing 140, average 130
    assert (both.opening, both.closing, both.average) == (Decimal("120"), Decimal("140"), Decimal("130"))
    assert both.rate == Decimal("0.23") and both.days_of_stock == Decimal("433.3")


def test_turnover_without_stock_has_no_rate(cast, cs):
    h = make(cast, "H")
    receive(cast, cs, h, "5", ago(10))
    ship(cast, cs, h, "5", ago(10))
    row = turnover(date_from=ago(9), date_to=T())
    assert row == []  # nothing before, nothing after, nothing moved in the period
    (moved,) = turnover(date_from=ago(10), date_to=T())
    assert moved.outbound == 5 and moved.average == 0 and moved.rate is None and moved.days_of_stock is None


def test_turnover_is_two_queries(ledger, django_assert_num_queries):
    with django_assert_num_queries(2):
        rows = turnover(date_from=ago(365), date_to=T())
        [r.product.model for r in rows]


# ---- low stock -----------------------------------------------------------------------------------


@pytest.fixture
def levels(cast, cs):
    """H: 5 on hand, safety 10 (low); I: 20 on hand, 15 reserved, safety 8 (low through the
    reservation); J: 20 on hand, safety 10 (fine); K: no safety stock."""
    p = {m: make(cast, m) for m in "HIJK"}
    receive(cast, cs, p["H"], "5", T())
    receive(cast, cs, p["I"], "20", T())
    receive(cast, cs, p["J"], "20", T())
    receive(cast, cs, p["K"], "1", T())
    reserve(product=p["I"], warehouse=cs, quantity="15", document=For("order", 1, "XS-1"), by=cast.clerk)
    for model, minimum in (("H", "10"), ("I", "8"), ("J", "10")):
        level_set_min_quantity(warehouse=cs, product=p[model], min_quantity=minimum, by=cast.warehouse)
    return p


def test_low_stock_uses_available_not_on_hand(levels, cs, xa, django_assert_num_queries):
    with django_assert_num_queries(1):
        rows = [(lv.product.model, lv.available, lv.shortage) for lv in low_stock()]
    assert rows == [("H", Decimal("5.000"), Decimal("5.000")), ("I", Decimal("5.000"), Decimal("3.000"))]
    assert list(low_stock(warehouse=xa)) == []


# ---- pages, exports and API ----------------------------------------------------------------------


def test_slow_moving_page_shows_value_only_to_cost_roles(ledger, cast, client_for):
    finance = client_for(cast.finance).get("/stock/slow-moving/")
    assert finance.status_code == 200
    html = finance.content.decode()
    assert "库存金额（成本）" in html and "945.00" in html and "975.00" in html
    for user in (cast.warehouse, cast.sales1, cast.clerk):
        page = client_for(user).get("/stock/slow-moving/").content.decode()
        assert "库存金额" not in page and "945" not in page and "975" not in page
        assert "从未出库" in page and "长沙库" in page


def test_slow_moving_page_days_parameter(ledger, cast, client_for):
    page = client_for(cast.clerk).get("/stock/slow-moving/?days=20").content.decode()
    assert "共 4 项滞销库存" in page
    bad = client_for(cast.clerk).get("/stock/slow-moving/?days=abc").content.decode()
    assert "已按 365 天统计" in bad and "共 3 项滞销库存" in bad


def test_slow_moving_export_has_value_only_for_cost_roles(ledger, cast, client_for):
    finance = client_for(cast.finance).get("/stock/slow-moving/export/")
    warehouse = client_for(cast.warehouse).get("/stock/slow-moving/export/")
    assert finance.status_code == warehouse.status_code == 200
    assert finance["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "库存金额（成本）" in read_table(data=finance.content, kind="xlsx").headers
    headers = read_table(data=warehouse.content, kind="xlsx").headers
    assert "库存金额（成本）" not in headers and "型号" in headers


def test_turnover_page_defaults_to_the_last_twelve_months(ledger, cast, client_for):
    page = client_for(cast.sales1).get("/stock/turnover/")
    html = page.content.decode()
    assert page.status_code == 200
    first = T().replace(year=T().year - 1) + dt.timedelta(days=1)
    assert first.isoformat() in html and T().isoformat() in html
    bad = client_for(cast.sales1).get("/stock/turnover/?date_from=2026-13-01").content.decode()
    assert "已按最近 12 个月统计" in bad


def test_low_stock_page_and_export(levels, cast, client_for):
    page = client_for(cast.warehouse).get("/stock/low-stock/").content.decode()
    assert "共 2 项可用库存低于安全库存" in page and "申请补货" in page
    sales = client_for(cast.sales1).get("/stock/low-stock/").content.decode()
    assert "共 2 项" in sales and "replenishments/new/?model" not in sales  # no request link without the right
    export = client_for(cast.sales1).get("/stock/low-stock/export/")
    assert export.status_code == 200
    assert "安全库存" in read_table(data=export.content, kind="xlsx").headers


def test_api_slow_moving_and_low_stock(ledger, levels, cast, client_for):
    finance = client_for(cast.finance).get("/api/v1/stock/slow-moving?days=365").json()
    sales = client_for(cast.sales1).get("/api/v1/stock/slow-moving?days=365&limit=1").json()
    assert finance["count"] == 3 and finance["shows_value"] is True and finance["total_value"] == "975.00"
    assert {item["value"] for item in finance["items"]} == {"945.00", "30.00", None}
    assert sales["count"] == 3 and len(sales["items"]) == 1
    assert sales["shows_value"] is False and sales["total_value"] is None and sales["items"][0]["value"] is None
    low = client_for(cast.warehouse).get("/api/v1/stock/low-stock").json()
    assert low["count"] == 2
    assert low["items"][0]["available"] == "5.000" and low["items"][0]["min_quantity"] == "10.000"
    bad = client_for(cast.warehouse).get("/api/v1/stock/slow-moving?days=0")
    assert bad.status_code == 422
    unknown = client_for(cast.warehouse).get("/api/v1/stock/low-stock?warehouse_id=999999")
    assert unknown.status_code == 422 and "warehouse_id" in unknown.json()["extra"]["fields"]
