"""Stock counts (盘点): pages, count sheet (print and Excel), Excel upload and the API, by role.
The warehouse sees quantities only, never a variance value."""

from __future__ import annotations

import io
import json
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from neiqin.catalog.services import product_create
from neiqin.stock.choices import CountStatus
from neiqin.stock.models import StockCount, StockLevel
from neiqin.stock.services import Line, stock_receive, warehouse_create
from neiqin.stock.services.counts import count_create, count_enter, count_submit

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def stock(cast):
    warehouse = warehouse_create(fields={"code": "CS", "name": "长沙库"}, by=None)
    a = product_create(
        fields={"name": "强化地板", "model": "QH-8", "spec": "1218×198", "unit": "箱", "cost": "123.45"}, by=None
    )
    b = product_create(fields={"name": "挤塑板", "model": "JS-30", "spec": "", "unit": "张", "cost": "7"}, by=None)
    stock_receive(warehouse=warehouse, lines=[Line(a, "10"), Line(b, "100")], by=cast.warehouse)
    return {"warehouse": warehouse, "a": a, "b": b}


@pytest.fixture
def count(cast, stock):
    count = count_create(warehouse=stock["warehouse"], by=cast.warehouse)
    count_enter(
        count=count,
        entries={stock["a"].pk: {"counted": "9", "reason": "破损"}, stock["b"].pk: {"counted": "100", "reason": ""}},
        by=cast.warehouse,
    )
    return count


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# ---- pages by role -------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["warehouse", "admin", "finance", "gm", "deputy"])
def test_list_and_detail_render_for_count_roles(cast, client_for, count, role):
    client = client_for(cast.by_name(role))
    listing = client.get("/stock/counts/")
    detail = client.get(f"/stock/counts/{count.pk}/")
    assert listing.status_code == 200
    assert count.number in listing.content.decode()
    assert detail.status_code == 200
    body = detail.content.decode()
    assert "QH-8" in body and "破损" in body


@pytest.mark.parametrize("role", ["sales1", "manager", "clerk"])
def test_other_roles_do_not_see_counts(cast, client_for, count, role):
    client = client_for(cast.by_name(role))
    assert client.get("/stock/counts/").status_code == 403
    assert client.get(f"/stock/counts/{count.pk}/").status_code == 403
    assert client.get(f"/stock/counts/{count.pk}/sheet.xlsx").status_code == 403


def test_warehouse_never_sees_values_finance_does(cast, count):
    warehouse_page = _client(cast.warehouse).get(f"/stock/counts/{count.pk}/").content.decode()
    assert "差异金额" not in warehouse_page
    assert "123.45" not in warehouse_page
    finance_page = _client(cast.finance).get(f"/stock/counts/{count.pk}/").content.decode()
    assert "差异金额" in finance_page
    assert "-123.45" in finance_page  # −1 × 123.45


def test_buttons_follow_role_and_state(cast, client_for, count):
    warehouse_page = client_for(cast.warehouse).get(f"/stock/counts/{count.pk}/").content.decode()
    finance_page = client_for(cast.finance).get(f"/stock/counts/{count.pk}/").content.decode()
    assert 'id="count-submit"' in warehouse_page and 'name="counted"' in warehouse_page
    assert 'id="count-submit"' not in finance_page and 'name="counted"' not in finance_page
    assert 'id="count-approve"' not in finance_page


def test_create_page_opens_a_count_and_refuses_a_second(cast, client_for, stock):
    client = client_for(cast.warehouse)
    response = client.post("/stock/counts/new/", {"warehouse": stock["warehouse"].pk})
    count = StockCount.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/stock/counts/{count.pk}/"
    again = client.post("/stock/counts/new/", {"warehouse": stock["warehouse"].pk}, follow=True)
    assert "进行中的盘点" in again.content.decode()
    assert StockCount.objects.count() == 1


def test_entry_form_saves_and_bad_rows_are_shown_with_nothing_saved(cast, client_for, stock, count):
    count.refresh_from_db()
    client = client_for(cast.warehouse)
    a, b = stock["a"].pk, stock["b"].pk
    bad = client.post(
        f"/stock/counts/{count.pk}/enter/",
        {"product": [a, b], "counted": ["8", "-3"], "reason": ["破损", ""], "version": count.version},
    )
    assert bad.status_code == 422
    body = bad.content.decode()
    assert "JS-30" in body and "不能为负数" in body
    assert 'value="8"' in body  # what was typed stays in the form
    assert count.lines.get(product_id=a).counted == Decimal("9")

    good = client.post(
        f"/stock/counts/{count.pk}/enter/",
        {"product": [a, b], "counted": ["8", "101"], "reason": ["破损", "多收"], "version": count.version},
    )
    assert good.status_code == 302
    assert count.lines.get(product_id=a).counted == Decimal("8")
    assert count.lines.get(product_id=b).reason == "多收"


def test_submit_and_approve_through_the_pages(cast, client_for, stock, count, settings):
    settings.NEIQIN_COUNT_APPROVAL_THRESHOLD = Decimal("100.00")
    client_for(cast.warehouse).post(f"/stock/counts/{count.pk}/submit/")
    count.refresh_from_db()
    assert count.status == CountStatus.SUBMITTED  # 123.45 > 100
    finance = client_for(cast.finance)
    page = finance.get(f"/stock/counts/{count.pk}/").content.decode()
    assert 'id="count-approve"' in page
    finance.post(f"/stock/counts/{count.pk}/approve/", {"comment": "同意"})
    count.refresh_from_db()
    assert count.status == CountStatus.POSTED
    assert StockLevel.objects.get(product=stock["a"]).on_hand == Decimal("9")


def test_own_submission_shows_no_approve_button_and_is_refused(cast, client_for, stock):
    count = count_create(warehouse=stock["warehouse"], by=cast.admin)
    count_enter(
        count=count,
        entries={stock["a"].pk: {"counted": "50", "reason": "漏盘"}, stock["b"].pk: {"counted": "100", "reason": ""}},
        by=cast.admin,
    )
    count_submit(count=count, by=cast.admin)
    client = client_for(cast.admin)
    page = client.get(f"/stock/counts/{count.pk}/").content.decode()
    assert 'id="count-approve"' not in page
    response = client.post(f"/stock/counts/{count.pk}/approve/", follow=True)
    assert "自己提交" in response.content.decode()
    count.refresh_from_db()
    assert count.status == CountStatus.SUBMITTED


# ---- the count sheet -----------------------------------------------------------------------------


def test_sheet_prints_with_and_without_book_quantities(cast, client_for, count):
    client = client_for(cast.warehouse)
    full = client.get(f"/stock/counts/{count.pk}/sheet/").content.decode()
    blind = client.get(f"/stock/counts/{count.pk}/sheet/?blind=1").content.decode()
    expected = ("长沙库", count.number, "序号", "型号", "账面数量", "实盘数量", "盘点人", "复核人", "仓库主管")
    for text in (*expected, "@media print"):
        assert text in full
    assert ">100<" in full
    assert ">100<" not in blind
    assert "123.45" not in full


def _sheet(client, count) -> openpyxl.Workbook:
    response = client.get(f"/stock/counts/{count.pk}/sheet.xlsx")
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    return openpyxl.load_workbook(io.BytesIO(response.content))


def _upload(client, count, workbook):
    buffer = io.BytesIO()
    workbook.save(buffer)
    upload = SimpleUploadedFile("盘点表.xlsx", buffer.getvalue(), content_type=XLSX)
    return client.post(f"/stock/counts/{count.pk}/upload/", {"file": upload})


def test_excel_round_trip_fills_counted_and_reasons(cast, client_for, stock, count):
    client = client_for(cast.warehouse)
    workbook = _sheet(client, count)
    sheet = workbook.active
    headers = [cell.value for cell in sheet[1]]
    assert headers == ["序号", "型号", "品名", "规格", "单位", "账面数量", "实盘数量", "差异", "备注"]
    assert "差异金额" not in headers
    rows = {row[1].value: row for row in sheet.iter_rows(min_row=2)}
    rows["QH-8"][6].value = 7
    rows["QH-8"][8].value = "受潮报废"
    rows["JS-30"][6].value = 100

    response = _upload(client, count, workbook)

    assert response.status_code == 302
    line = count.lines.get(product=stock["a"])
    assert (line.counted, line.reason) == (Decimal("7"), "受潮报废")


def test_excel_upload_with_a_bad_row_enters_nothing(cast, client_for, stock, count):
    client = client_for(cast.warehouse)
    workbook = _sheet(client, count)
    sheet = workbook.active
    sheet["G2"] = 1
    sheet["G3"] = "十二"
    sheet.append([3, "NOPE-1", "不存在", "", "件", None, 5, None, None])

    response = _upload(client, count, workbook)

    assert response.status_code == 422
    body = response.content.decode()
    assert "第 3 行" in body and "第 4 行" in body and "NOPE-1" in body
    assert sorted(count.lines.values_list("counted", flat=True)) == [Decimal("9"), Decimal("100")]


def test_upload_is_for_counters_only(cast, client_for, count):
    response = client_for(cast.finance).post(f"/stock/counts/{count.pk}/upload/", {})
    assert response.status_code == 403


# ---- API -----------------------------------------------------------------------------------------


def _api(client, method, url, body=None):
    return client.generic(method, url, json.dumps(body) if body is not None else "", content_type="application/json")


def test_api_flow_and_value_visibility(cast, client_for, stock, settings):
    settings.NEIQIN_COUNT_APPROVAL_THRESHOLD = Decimal("100.00")
    warehouse = _client(cast.warehouse)
    created = _api(warehouse, "POST", "/api/v1/stock/counts", {"warehouse_id": stock["warehouse"].pk})
    assert created.status_code == 201
    data = created.json()
    count_id = data["id"]
    assert [line["expected"] for line in data["lines"]] == ["100.000", "10.000"]
    assert _api(warehouse, "POST", "/api/v1/stock/counts", {"warehouse_id": stock["warehouse"].pk}).status_code == 409

    bad = _api(
        warehouse,
        "POST",
        f"/api/v1/stock/counts/{count_id}/entries",
        {"entries": [{"product_id": stock["a"].pk, "counted": "abc"}]},
    )
    assert bad.status_code == 422
    entered = _api(
        warehouse,
        "POST",
        f"/api/v1/stock/counts/{count_id}/entries",
        {
            "entries": [
                {"product_id": stock["a"].pk, "counted": "8", "reason": "破损"},
                {"model": "js-30", "spec": "", "counted": "100"},
            ]
        },
    )
    assert entered.status_code == 200
    assert entered.json()["variance_value"] is None
    assert all(line["value"] is None for line in entered.json()["lines"])

    submitted = _api(warehouse, "POST", f"/api/v1/stock/counts/{count_id}/submit")
    assert submitted.status_code == 200
    assert submitted.json()["status"] == "submitted"
    assert submitted.json()["variance_value"] is None
    assert _api(warehouse, "POST", f"/api/v1/stock/counts/{count_id}/approve", {}).status_code == 403

    finance = _client(cast.finance)
    seen = _api(finance, "GET", f"/api/v1/stock/counts/{count_id}").json()
    assert seen["variance_value"] == "246.90"
    assert seen["permissions"]["approve"] is True
    approved = _api(finance, "POST", f"/api/v1/stock/counts/{count_id}/approve", {"comment": "同意"})
    assert approved.status_code == 200
    assert approved.json()["status"] == "posted"
    assert StockLevel.objects.get(product=stock["a"]).on_hand == Decimal("8")

    listing = _api(warehouse, "GET", "/api/v1/stock/counts?status=posted").json()
    assert listing["count"] == 1 and listing["items"][0]["variance_value"] is None


def test_api_reject_needs_a_comment(cast, client_for, stock, count, settings):
    settings.NEIQIN_COUNT_APPROVAL_THRESHOLD = Decimal("1.00")
    count_submit(count=count, by=cast.warehouse)
    gm = client_for(cast.gm)
    assert _api(gm, "POST", f"/api/v1/stock/counts/{count.pk}/reject", {"comment": ""}).status_code == 422
    response = _api(gm, "POST", f"/api/v1/stock/counts/{count.pk}/reject", {"comment": "请复盘"})
    assert response.status_code == 200
    assert response.json()["status"] == "counting"
    assert _api(client_for(cast.sales1), "GET", f"/api/v1/stock/counts/{count.pk}").status_code == 403
