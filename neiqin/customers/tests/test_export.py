"""Customer export: scoped like the list, formula injection neutralised (S9), audited."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from django.core.management import call_command

from neiqin.core.errors import PermissionDenied, ValidationFailed
from neiqin.core.models import Event, ImportBatch
from neiqin.customers import services
from neiqin.customers.importer import commit_customer_import, export_customers, stage_customer_import
from neiqin.customers.models import Customer
from neiqin.customers.selectors import CustomerFilters

pytestmark = pytest.mark.django_db

INJECTIONS = ['=HYPERLINK("http://x","y")', "+1", "-1+1", "@SUM(1)", "\t=1", "\r=1"]


def make(cast, name, by, **fields):
    return services.customer_create(fields={"name": name, **fields}, by=by)


def xlsx_rows(content: bytes) -> list[list[openpyxl.cell.Cell]]:
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    return [list(r) for r in workbook.active.iter_rows()]


def csv_rows(content: bytes) -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))


def column(rows, title):
    index = [c.value if hasattr(c, "value") else c for c in rows[0]].index(title)
    return [r[index] for r in rows[1:]]


def test_a_salesperson_exports_only_own_customers(cast):
    make(cast, "长沙甲有限公司", cast.sales1, phone="0731-88881111")
    make(cast, "长沙乙有限公司", cast.sales1, phone="0731-88882222")
    make(cast, "郑州丙有限公司", cast.sales2, phone="0371-88883333")

    content, filename, content_type = export_customers(user=cast.sales1, filters=CustomerFilters(), fmt="xlsx")

    rows = xlsx_rows(content)
    assert {c.value for c in column(rows, "客户名称")} == {"长沙甲有限公司", "长沙乙有限公司"}
    assert {c.value for c in column(rows, "电话")} == {"073188881111", "073188882222"}
    assert {c.value for c in column(rows, "负责业务员")} == {"sales1"}
    assert filename.startswith("客户列表_") and filename.endswith(".xlsx")
    assert content_type == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_a_clerk_exports_everyone_and_filters_apply(cast):
    make(cast, "长沙甲有限公司", cast.sales1)
    make(cast, "郑州丙有限公司", cast.sales2)

    everything, _name, _type = export_customers(user=cast.clerk, filters=CustomerFilters(), fmt="csv")
    filtered, _name, _type = export_customers(user=cast.clerk, filters=CustomerFilters(q="郑州"), fmt="csv")

    assert sorted(column(csv_rows(everything), "客户名称")) == ["郑州丙有限公司", "长沙甲有限公司"]
    assert column(csv_rows(filtered), "客户名称") == ["郑州丙有限公司"]


def test_xlsx_export_has_no_formula_cells(cast):
    customer = make(cast, INJECTIONS[0], cast.sales1, short_name="+1", notes="@SUM(1)", address="-1+1")
    services.contact_create(customer=customer, fields={"name": "=1+1", "title": "\t=1"}, by=cast.sales1)

    content, _name, _type = export_customers(user=cast.sales1, filters=CustomerFilters(), fmt="xlsx")

    rows = xlsx_rows(content)
    cells = [c for r in rows for c in r]
    assert all(c.data_type != "f" for c in cells)
    assert b"<f>" not in content
    assert column(rows, "客户名称")[0].value == "'" + INJECTIONS[0]
    assert column(rows, "简称")[0].value == "'+1"
    assert column(rows, "联系人")[0].value == "'=1+1"
    assert column(rows, "创建时间")[0].is_date


def test_csv_export_quotes_every_dangerous_cell(cast):
    for index, text in enumerate(INJECTIONS):
        make(cast, f"危险客户{index}有限公司", cast.clerk, notes=text)

    content, filename, content_type = export_customers(user=cast.clerk, filters=CustomerFilters(), fmt="csv")

    notes = column(csv_rows(content), "备注")
    stored = Customer.objects.values_list("notes", flat=True)  # the service strips "\t" and "\r"
    assert sorted(notes) == sorted("'" + text for text in stored)
    assert b'"\'=HYPERLINK(""http://x"",""y"")"' in content
    assert all(note.startswith("'") for note in notes)
    assert filename.endswith(".csv") and content_type.startswith("text/csv")


def test_export_is_recorded_in_the_audit_trail(cast):
    make(cast, "长沙甲有限公司", cast.sales1)
    make(cast, "郑州丙有限公司", cast.sales2)

    export_customers(user=cast.manager, filters=CustomerFilters(stage="potential"), fmt="xlsx")

    event = Event.objects.get(action="customers.customer.exported")
    assert event.actor == cast.manager
    assert event.data == {"count": 1, "filters": {"stage": "potential"}, "format": "xlsx"}


def test_export_needs_the_permission_and_a_known_format(cast):
    with pytest.raises(PermissionDenied):
        export_customers(user=cast.warehouse, filters=CustomerFilters(), fmt="xlsx")
    with pytest.raises(ValidationFailed):
        export_customers(user=cast.clerk, filters=CustomerFilters(), fmt="pdf")
    assert not Event.objects.filter(action="customers.customer.exported").exists()


def test_an_export_can_be_imported_again_elsewhere(cast):
    original = make(cast, "长沙甲有限公司", cast.sales1, phone="0731-88881111", grade="A", is_vip=True)
    content, _name, _type = export_customers(user=cast.clerk, filters=CustomerFilters(), fmt="xlsx")
    services.customer_update(customer=original, fields={"name": "改名了", "phone": ""}, by=cast.clerk)

    batch = stage_customer_import(name="导出.xlsx", data=content, by=cast.clerk)
    assert batch.status == ImportBatch.Status.STAGED, batch.errors
    commit_customer_import(batch_id=batch.pk, by=cast.clerk)

    again = Customer.objects.get(name="长沙甲有限公司")
    assert (again.grade, again.is_vip, again.phone, again.owner) == ("A", True, "073188881111", cast.sales1)


def test_export_command_writes_the_file(cast, tmp_path):
    make(cast, "长沙甲有限公司", cast.sales1)
    make(cast, "郑州丙有限公司", cast.sales2)
    target = tmp_path / "out.csv"

    call_command("export_customers", user="sales2", fmt="csv", output=str(target))

    assert column(csv_rows(target.read_bytes()), "客户名称") == ["郑州丙有限公司"]
