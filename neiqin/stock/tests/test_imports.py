"""Opening stock import (SYS-3, INV-1): one OPENING receipt per warehouse, row errors, once."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from neiqin.catalog import services as catalog_services
from neiqin.core import imports
from neiqin.core.errors import Conflict, PermissionDenied
from neiqin.core.models import ImportBatch
from neiqin.stock import services
from neiqin.stock.choices import MoveKind
from neiqin.stock.importers import OPENING_STOCK_IMPORTER
from neiqin.stock.models import StockLevel, StockMove

pytestmark = pytest.mark.django_db

HEADER = ["仓库*", "型号*", "规格", "数量*", "单位成本"]


def xlsx(rows: list[list[str]], header: list[str] = HEADER) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(header)
    for values in rows:
        sheet.append(values)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows: list[list[str]], header: list[str] = HEADER, encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def stage(data: bytes, by, name: str = "期初.csv") -> ImportBatch:
    return imports.stage(OPENING_STOCK_IMPORTER, name=name, data=data, by=by)


@pytest.fixture
def world(cast):
    cs = services.warehouse_create(fields={"code": "CS", "name": "长沙库"}, by=cast.admin)
    zz = services.warehouse_create(fields={"code": "ZZ", "name": "郑州库"}, by=cast.admin)
    closed = services.warehouse_create(fields={"code": "OLD", "name": "旧仓库", "is_active": False}, by=cast.admin)
    floor = catalog_services.product_create(
        fields={
            "model": "QH-1201",
            "name": "强化复合地板",
            "spec": "1215×195×12mm",
            "unit": "平方米",
            "standard_price": "89",
            "cost": "55",
        },
        by=cast.admin,
    )
    thin = catalog_services.product_create(
        fields={"model": "XPS-50", "name": "挤塑板", "spec": "1200×600×50mm", "unit": "张", "standard_price": "40"},
        by=cast.admin,
    )
    thick = catalog_services.product_create(
        fields={"model": "XPS-50", "name": "挤塑板", "spec": "1200×600×80mm", "unit": "张", "standard_price": "60"},
        by=cast.admin,
    )
    return {"cs": cs, "zz": zz, "closed": closed, "floor": floor, "thin": thin, "thick": thick}


def test_opening_stock_xlsx_posts_one_opening_receipt_per_warehouse(cast, world):
    rows = [
        ["长沙库", "QH-1201", "", "1200", "50"],
        ["cs", "XPS-50", "1200×600×50mm", "300.5", ""],
        ["ZZ", "qh-1201", "1215×195×12mm", "80", ""],
    ]
    batch = stage(xlsx(rows), cast.admin, name="期初.xlsx")
    assert batch.status == ImportBatch.Status.STAGED and batch.row_count == 3
    assert batch.preview[0]["warehouse"] == "长沙库" and batch.preview[1]["quantity"] == "300.5"
    assert not StockMove.objects.exists()

    imports.commit(OPENING_STOCK_IMPORTER, batch_id=batch.pk, by=cast.admin)

    moves = StockMove.objects.filter(kind=MoveKind.OPENING)
    assert moves.count() == 3
    assert len(set(moves.values_list("document_number", flat=True))) == 2
    cs_floor = StockLevel.objects.get(warehouse=world["cs"], product=world["floor"])
    assert cs_floor.on_hand == Decimal("1200") and cs_floor.last_inbound_on is not None
    assert moves.get(warehouse=world["cs"], product=world["floor"]).unit_cost == Decimal("50")
    assert moves.get(warehouse=world["zz"]).unit_cost == Decimal("55")  # the product's cost when left blank
    for level in StockLevel.objects.all():
        assert level.on_hand == services.ledger_balance(warehouse=level.warehouse, product=level.product)


def test_opening_rows_with_errors_are_all_listed_and_nothing_is_written(cast, world):
    rows = [
        ["长沙库", "QH-1201", "", "-5", ""],
        ["长沙库", "QH-1201", "", "0", ""],
        ["郑州库", "QH-1201", "", "十", ""],
        ["北京库", "QH-1201", "", "1", ""],
        ["长沙库", "NOPE", "", "1", ""],
        ["长沙库", "XPS-50", "", "1", ""],
        ["旧仓库", "QH-1201", "", "1", ""],
        ["郑州库", "XPS-50", "1200×600×80mm", "2", ""],
        ["ZZ", "XPS-50", "1200×600×80mm", "3", ""],
        ["郑州库", "XPS-50", "1200×600×50mm", "1.2345", "-1"],
    ]

    batch = stage(csv_bytes(rows), cast.admin)

    errors = [(e["row"], e["column"], e["message"]) for e in batch.errors]
    assert batch.status == ImportBatch.Status.REJECTED and batch.error_count == 9
    assert any(r == 2 and c == "数量*" and "不能为负数" in m for r, c, m in errors)
    assert any(r == 3 and "必须大于 0" in m for r, _c, m in errors)
    assert any(r == 4 and "必须是数字" in m for r, _c, m in errors)
    assert any(r == 5 and c == "仓库*" and "北京库" in m for r, c, m in errors)
    assert any(r == 6 and "NOPE" in m for r, _c, m in errors)
    assert any(r == 7 and c == "规格" for r, c, _m in errors)
    assert any(r == 8 and "已停用" in m for r, _c, m in errors)
    assert any(r == 10 and "第 9 行" in m for r, _c, m in errors)
    assert {c for r, c, _m in errors if r == 11} == {"数量*", "单位成本"}
    assert not StockMove.objects.exists() and not StockLevel.objects.filter(on_hand__gt=0).exists()


def test_the_warehouse_cannot_import_costs_but_can_import_quantities(cast, world):
    with_cost = stage(csv_bytes([["长沙库", "QH-1201", "", "10", "50"]]), cast.warehouse)
    assert [(e["column"], "成本" in e["message"]) for e in with_cost.errors] == [("单位成本", True)]

    batch = stage(csv_bytes([["长沙库", "QH-1201", "", "10", ""]], header=HEADER[:4]), cast.warehouse)
    imports.commit(OPENING_STOCK_IMPORTER, batch_id=batch.pk, by=cast.warehouse)

    move = StockMove.objects.get()
    assert move.kind == MoveKind.OPENING and move.created_by == cast.warehouse and move.quantity == Decimal("10")


def test_opening_stock_is_imported_once_per_file_and_per_product(cast, world):
    data = csv_bytes([["长沙库", "QH-1201", "", "10", ""]])
    batch = stage(data, cast.admin)
    imports.commit(OPENING_STOCK_IMPORTER, batch_id=batch.pk, by=cast.admin)

    with pytest.raises(Conflict):
        stage(data, cast.admin, name="again.csv")
    second = stage(csv_bytes([["CS", "QH-1201", "1215×195×12mm", "12", ""]]), cast.admin)

    assert second.status == ImportBatch.Status.REJECTED and "已有期初库存" in second.errors[0]["message"]
    assert StockMove.objects.count() == 1


def test_only_warehouse_and_admin_may_import_stock(cast, world):
    for user in (cast.clerk, cast.sales1, cast.finance, cast.gm):
        with pytest.raises(PermissionDenied):
            stage(csv_bytes([["长沙库", "QH-1201", "", "10", ""]]), user)


def test_opening_stock_pages_for_the_warehouse(cast, world, client_for):
    client = client_for(cast.warehouse)
    assert client.get(reverse("stock:import")).status_code == 200
    assert client.get(reverse("stock:import_template")).status_code == 200
    upload = io.BytesIO(csv_bytes([["长沙库", "QH-1201", "", "10", ""]], header=HEADER[:4]))
    upload.name = "期初.csv"

    location = client.post(reverse("stock:import"), {"file": upload})["Location"]
    batch = ImportBatch.objects.get(kind="opening_stock")
    page = client.get(location).content.decode()
    assert "强化复合地板" in page and "确认导入" in page
    client.post(reverse("stock:import_commit", args=[batch.pk]))

    assert StockLevel.objects.get(warehouse=world["cs"], product=world["floor"]).on_hand == Decimal("10")
    assert client_for(cast.admin).get(reverse("stock:import_batch", args=[batch.pk])).status_code == 200
    assert client_for(cast.clerk).get(reverse("stock:import")).status_code == 403


def test_the_opening_template_names_the_columns_it_accepts(cast, world):
    workbook = openpyxl.load_workbook(io.BytesIO(OPENING_STOCK_IMPORTER.template_xlsx()))
    header = [cell.value for cell in next(workbook.worksheets[0].iter_rows(max_row=1))]

    assert header == ["仓库*", "型号*", "规格", "数量*", "单位成本"]
    assert "填写说明" in workbook.sheetnames


def test_import_opening_stock_command(cast, world, tmp_path, capsys):
    path = tmp_path / "opening.csv"
    path.write_bytes(csv_bytes([["长沙库", "QH-1201", "", "10", ""], ["郑州库", "XPS-50", "", "5", ""]]))
    with pytest.raises(CommandError):
        call_command("import_opening_stock", str(path), "--user", "warehouse")
    assert "多个规格" in capsys.readouterr().err

    path.write_bytes(csv_bytes([["长沙库", "QH-1201", "", "10", ""]]))
    call_command("import_opening_stock", str(path), "--user", "warehouse")
    assert "已导入 1 行期初库存" in capsys.readouterr().out
    assert StockMove.objects.filter(kind=MoveKind.OPENING).count() == 1
