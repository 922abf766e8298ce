"""Product and price imports (SYS-3, PRD-1, PRD-2): preview with row errors, all-or-nothing, once."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from neiqin.catalog import services
from neiqin.catalog.choices import PriceListKind
from neiqin.catalog.importers import PRICE_IMPORTER, PRODUCT_IMPORTER
from neiqin.catalog.models import PriceChange, PriceChangeCustomer, PriceList, PriceListItem, Product, ProductSeries
from neiqin.core import imports
from neiqin.core.errors import Conflict, PermissionDenied
from neiqin.core.models import Event, ImportBatch, Notification
from neiqin.customers import services as customer_services
from neiqin.customers.choices import Grade, Stage

pytestmark = pytest.mark.django_db

PRODUCT_HEADER = [
    "产品编码",
    "型号*",
    "品名*",
    "规格",
    "单位*",
    "系列",
    "品牌",
    "标准价*",
    "含税",
    "底价",
    "成本",
    "税率",
]
PRICE_HEADER = ["价格表", "型号", "规格", "单价", "起订数量", "生效日期"]


def xlsx(header: list[str], rows: list[list[str]]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(header)
    for values in rows:
        sheet.append(values)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(header: list[str], rows: list[list[str]], encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def product_row(n: int, **overrides: str) -> list[str]:
    values = {
        "产品编码": "",
        "型号*": f"QH-12{n:02d}",
        "品名*": f"强化复合地板 橡木{n}号",
        "规格": "1215×195×12mm",
        "单位*": "平方米",
        "系列": "强化复合地板",
        "品牌": "凯瑞",
        "标准价*": f"{80 + n}",
        "含税": "是",
        "底价": "",
        "成本": "",
        "税率": "13%",
    }
    values.update(overrides)
    return [values[h] for h in PRODUCT_HEADER]


def stage_products(data: bytes, by, name: str = "产品.csv") -> ImportBatch:
    return imports.stage(PRODUCT_IMPORTER, name=name, data=data, by=by)


def stage_prices(data: bytes, by, name: str = "价格.csv") -> ImportBatch:
    return imports.stage(PRICE_IMPORTER, name=name, data=data, by=by)


def messages_of(batch: ImportBatch) -> list[tuple[int, str, str]]:
    return [(e["row"], e["column"], e["message"]) for e in batch.errors]


@pytest.fixture
def catalogue(cast):
    """Two products with floor prices, a signed A-grade customer of sales1 and a B-grade one of sales2."""
    floor = services.product_create(
        fields={
            "model": "XPS-B1-50",
            "name": "挤塑聚苯板",
            "spec": "1200×600×50mm",
            "unit": "张",
            "standard_price": "40",
            "floor_price": "32",
        },
        by=cast.admin,
    )
    plain = services.product_create(
        fields={"model": "YM-100", "name": "岩棉板", "spec": "1200×600×100mm", "unit": "张", "standard_price": "60"},
        by=cast.admin,
    )
    twin = services.product_create(
        fields={"model": "YM-100", "name": "岩棉板", "spec": "1200×600×50mm", "unit": "张", "standard_price": "35"},
        by=cast.admin,
    )
    a = customer_services.customer_create(
        fields={"name": "长沙甲建材有限公司", "grade": Grade.A}, by=cast.clerk, owner=cast.sales1
    )
    customer_services.customer_set_stage(customer=a, stage=Stage.SIGNED, by=cast.sales1, reason="")
    b = customer_services.customer_create(
        fields={"name": "郑州乙装饰有限公司", "grade": Grade.B}, by=cast.clerk, owner=cast.sales2
    )
    customer_services.customer_set_stage(customer=b, stage=Stage.SIGNED, by=cast.sales2, reason="")
    a.refresh_from_db()
    b.refresh_from_db()
    return {"floor": floor, "plain": plain, "twin": twin, "a": a, "b": b}


# --- products ----------------------------------------------------------------------------------------


def test_product_csv_import_creates_products_series_and_company_prices(cast):
    ProductSeries.objects.create(name="强化复合地板")
    data = csv_bytes(PRODUCT_HEADER, [product_row(1), product_row(2, 系列="SPC石塑地板", 税率="9%", 含税="否")])

    batch = stage_products(data, cast.clerk)
    assert batch.status == ImportBatch.Status.STAGED and batch.error_count == 0
    assert batch.preview[1]["series"] == "SPC石塑地板（新系列，导入时创建）"
    assert Product.objects.count() == 0

    committed = imports.commit(PRODUCT_IMPORTER, batch_id=batch.pk, by=cast.clerk)

    assert committed.status == ImportBatch.Status.COMMITTED and committed.row_count == 2
    first, second = Product.objects.order_by("model")
    assert first.model == "QH-1201" and first.code.startswith("CP") and first.import_batch_id == batch.pk
    assert first.model_normalized == "QH-1201" and first.search_initials and "qianghua" in first.search_pinyin
    assert first.standard_price == Decimal("81") and first.series.name == "强化复合地板"
    assert second.series.name == "SPC石塑地板" and second.vat_rate == "0.09" and second.price_includes_tax is False
    assert first.created_by == cast.clerk
    items = PriceListItem.objects.filter(product__in=[first, second], price_list=services.company_price_list())
    assert sorted(items.values_list("unit_price", flat=True)) == [Decimal("81"), Decimal("82")]
    assert items.filter(effective_from=timezone.localdate(), import_batch=batch).count() == 2
    assert Event.objects.filter(action="catalog.product.imported").count() == 2
    assert Event.objects.filter(action="catalog.series.created").count() == 1


def test_product_rows_with_errors_are_all_listed_and_nothing_is_written(cast, catalogue):
    rows = [
        product_row(1, **{"品名*": ""}),
        product_row(2, **{"标准价*": "abc"}),
        product_row(3, 税率="15%"),
        product_row(4, 含税="也许"),
        product_row(5),
        product_row(5, **{"品名*": "重复的行"}),
        product_row(6, **{"型号*": "xps-b1-50", "规格": "1200×600×50mm"}),
        product_row(7, **{"标准价*": "-3"}),
    ]
    batch = stage_products(csv_bytes(PRODUCT_HEADER, rows), cast.admin)

    assert batch.status == ImportBatch.Status.REJECTED
    errors = messages_of(batch)
    assert batch.error_count == 7
    assert (2, "品名*", "请填写品名。") in errors
    assert any(r == 3 and c == "标准价*" and "必须是数字" in m for r, c, m in errors)
    assert any(r == 4 and c == "税率" for r, c, _m in errors)
    assert any(r == 5 and c == "含税" and "是" in m for r, c, m in errors)
    assert any(r == 7 and "第 6 行" in m for r, _c, m in errors)
    assert any(r == 8 and catalogue["floor"].code in m for r, _c, m in errors)
    assert any(r == 9 and "不能为负数" in m for r, _c, m in errors)
    assert Product.objects.count() == 3 and not ProductSeries.objects.exists()
    with pytest.raises(Conflict):
        imports.commit(PRODUCT_IMPORTER, batch_id=batch.pk, by=cast.admin)
    assert Product.objects.count() == 3


def test_floor_above_standard_price_is_a_row_error(cast):
    batch = stage_products(csv_bytes(PRODUCT_HEADER, [product_row(1, 底价="99", **{"标准价*": "90"})]), cast.admin)

    assert messages_of(batch) == [(2, "底价", "底价 99 高于标准价 90，底价不能高于标准价。")]


def test_clerk_cannot_import_floor_prices_or_costs_but_admin_can(cast):
    data = xlsx(PRODUCT_HEADER, [product_row(1, 底价="70", 成本="50"), product_row(2)])

    clerk_batch = stage_products(data, cast.clerk, name="产品.xlsx")

    assert clerk_batch.status == ImportBatch.Status.REJECTED and clerk_batch.error_count == 1
    columns = {c for _r, c, _m in messages_of(clerk_batch)}
    assert columns == {"底价", "成本"}
    assert "财务" in " ".join(m for _r, _c, m in messages_of(clerk_batch))

    admin_batch = stage_products(data, cast.admin, name="产品.xlsx")
    imports.commit(PRODUCT_IMPORTER, batch_id=admin_batch.pk, by=cast.admin)
    product = Product.objects.get(model="QH-1201")
    assert product.floor_price == Decimal("70") and product.cost == Decimal("50")


def test_a_committed_product_file_is_refused_when_uploaded_again(cast):
    data = csv_bytes(PRODUCT_HEADER, [product_row(1)])
    batch = stage_products(data, cast.clerk)
    imports.commit(PRODUCT_IMPORTER, batch_id=batch.pk, by=cast.clerk)

    with pytest.raises(Conflict) as refused:
        stage_products(data, cast.admin, name="again.csv")

    assert "不会重复导入" in refused.value.message
    assert Product.objects.count() == 1


def test_only_the_clerk_and_admin_may_import_the_catalogue(cast):
    data = csv_bytes(PRODUCT_HEADER, [product_row(1)])
    for user in (cast.sales1, cast.manager, cast.finance, cast.warehouse, cast.gm):
        with pytest.raises(PermissionDenied):
            stage_products(data, user)
    assert not ImportBatch.objects.exists()


def test_the_product_template_imports_its_own_example_rows(cast):
    batch = stage_products(PRODUCT_IMPORTER.template_xlsx(), cast.clerk, name="模板.xlsx")

    assert batch.status == ImportBatch.Status.STAGED and batch.row_count == 2


# --- prices ------------------------------------------------------------------------------------------


def test_price_import_sets_company_grade_and_customer_prices_and_notifies_owners_once(cast, catalogue):
    a, b = catalogue["a"], catalogue["b"]
    later = timezone.localdate() + dt.timedelta(days=10)
    rows = [
        ["公司统一价", "XPS-B1-50", "", "42", "", ""],
        ["A 类客户价", "XPS-B1-50", "1200×600×50mm", "38", "", ""],
        ["A", "XPS-B1-50", "1200×600×50mm", "36", "500", ""],
        [a.code, "YM-100", "1200×600×100mm", "55", "", later.isoformat()],
        ["b 类", "YM-100", "1200×600×50mm", "33", "", ""],
    ]
    batch = stage_prices(csv_bytes(PRICE_HEADER, rows), cast.clerk)
    assert batch.error_count == 0, batch.errors
    assert batch.preview[1]["price_list"] == "A 类客户价（新建）"

    imports.commit(PRICE_IMPORTER, batch_id=batch.pk, by=cast.clerk)

    floor = catalogue["floor"]
    floor.refresh_from_db()
    assert floor.standard_price == Decimal("42")
    grade_a = PriceList.objects.get(kind=PriceListKind.GRADE, grade="A")
    assert set(grade_a.items.values_list("min_quantity", "unit_price")) == {
        (Decimal("0"), Decimal("38")),
        (Decimal("500"), Decimal("36")),
    }
    own = PriceList.objects.get(kind=PriceListKind.CUSTOMER, customer=a)
    scheduled = own.items.get()
    assert scheduled.effective_from == later and scheduled.import_batch_id == batch.pk
    assert PriceChange.objects.count() == 5
    assert PriceChange.objects.get(price_list=own).applied is False
    affected = set(PriceChangeCustomer.objects.values_list("change__price_list__kind", "customer_id"))
    assert (PriceListKind.GRADE, a.pk) in affected and (PriceListKind.GRADE, b.pk) in affected
    assert (PriceListKind.CUSTOMER, a.pk) in affected
    for owner in (cast.sales1, cast.sales2):
        assert Notification.objects.filter(user=owner, title__startswith="调价通知：批量调价").count() == 1
    assert PriceListItem.objects.filter(import_batch=batch).count() == 5


def test_price_rows_with_errors_are_all_listed_and_nothing_is_written(cast, catalogue):
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    rows = [
        ["公司统一价", "XPS-B1-50", "", "30", "", ""],  # below floor 32
        ["公司统一价", "YM-100", "", "50", "", ""],  # ambiguous spec
        ["公司统一价", "NOPE-1", "", "50", "", ""],  # unknown product
        ["D 类", "YM-100", "1200×600×100mm", "50", "", ""],  # unknown list
        ["公司统一价", "YM-100", "1200×600×100mm", "50", "", yesterday.isoformat()],  # past date
        ["公司统一价", "YM-100", "1200×600×50mm", "abc", "-1", "2025-13-01"],  # bad number, quantity, date
        ["A 类客户价", "YM-100", "1200×600×50mm", "30", "", ""],
        ["A类", "YM-100", "1200×600×50mm", "31", "", ""],  # same list/product/quantity/date as row 8
    ]
    before = (PriceChange.objects.count(), PriceListItem.objects.count(), PriceList.objects.count())

    batch = stage_prices(csv_bytes(PRICE_HEADER, rows), cast.clerk)

    errors = messages_of(batch)
    assert batch.status == ImportBatch.Status.REJECTED and batch.error_count == 7
    assert any(r == 2 and c == "单价" and "低于底价" in m for r, c, m in errors)
    assert any(r == 3 and c == "规格" and "多个规格" in m for r, c, m in errors)
    assert any(r == 4 and "NOPE-1" in m for r, _c, m in errors)
    assert any(r == 5 and c == "价格表" for r, c, _m in errors)
    assert any(r == 6 and "不能早于今天" in m for r, _c, m in errors)
    assert {c for r, c, _m in errors if r == 7} == {"单价", "起订数量", "生效日期"}
    assert any(r == 9 and "第 8 行" in m for r, _c, m in errors)
    assert (PriceChange.objects.count(), PriceListItem.objects.count(), PriceList.objects.count()) == before


def test_a_salesperson_cannot_import_prices_and_the_clerk_cannot_reimport_a_file(cast, catalogue):
    data = csv_bytes(PRICE_HEADER, [["公司统一价", "YM-100", "1200×600×100mm", "66", "", ""]])
    with pytest.raises(PermissionDenied):
        stage_prices(data, cast.sales1)
    batch = stage_prices(data, cast.clerk)
    imports.commit(PRICE_IMPORTER, batch_id=batch.pk, by=cast.clerk)

    with pytest.raises(Conflict):
        stage_prices(data, cast.clerk, name="again.csv")
    assert PriceChange.objects.count() == 1


def test_price_import_from_xlsx_with_gbk_free_headers_and_customer_name(cast, catalogue):
    a = catalogue["a"]
    data = xlsx(["客户编号", "产品型号", "规格", "价格"], [[a.name, "YM-100", "1200×600×50mm", "34"]])

    batch = stage_prices(data, cast.clerk, name="价格.xlsx")
    imports.commit(PRICE_IMPORTER, batch_id=batch.pk, by=cast.clerk)

    own = PriceList.objects.get(kind=PriceListKind.CUSTOMER, customer=a)
    assert own.items.get().unit_price == Decimal("34")


# --- pages and command -------------------------------------------------------------------------------


def test_product_import_pages_upload_preview_commit_for_the_clerk(cast, client_for):
    client = client_for(cast.clerk)
    assert client.get(reverse("catalog:import")).status_code == 200
    template = client.get(reverse("catalog:import_template"))
    assert template.status_code == 200 and template["Content-Type"].startswith("application/vnd.openxmlformats")
    upload = io.BytesIO(csv_bytes(PRODUCT_HEADER, [product_row(1), product_row(2, 成本="5")]))
    upload.name = "产品.csv"

    response = client.post(reverse("catalog:import"), {"file": upload})

    batch = ImportBatch.objects.get(kind="products")
    assert response.status_code == 302 and response["Location"] == reverse("catalog:import_batch", args=[batch.pk])
    page = client.get(response["Location"]).content.decode()
    assert "您没有设置成本的权限" in page and "修改后重新上传" in page

    good = io.BytesIO(csv_bytes(PRODUCT_HEADER, [product_row(1)]))
    good.name = "产品2.csv"
    batch_id = int(client.post(reverse("catalog:import"), {"file": good})["Location"].rstrip("/").rsplit("/", 1)[1])
    page = client.get(reverse("catalog:import_batch", args=[batch_id])).content.decode()
    assert "QH-1201" in page and "确认导入" in page
    client.post(reverse("catalog:import_commit", args=[batch_id]))
    assert Product.objects.filter(model="QH-1201").exists()
    assert "已于" in client.get(reverse("catalog:import_batch", args=[batch_id])).content.decode()


def test_import_pages_are_refused_to_other_roles_and_batches_of_others_are_hidden(cast, client_for):
    batch = stage_products(csv_bytes(PRODUCT_HEADER, [product_row(1)]), cast.admin)
    for user in (cast.sales1, cast.warehouse, cast.finance):
        assert client_for(user).get(reverse("catalog:prices_import")).status_code == 403
    assert client_for(cast.clerk).get(reverse("catalog:import_batch", args=[batch.pk])).status_code == 404
    client_for(cast.clerk).post(reverse("catalog:import_discard", args=[batch.pk]))
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.STAGED


def test_price_import_page_discard(cast, client_for, catalogue):
    client = client_for(cast.clerk)
    upload = io.BytesIO(csv_bytes(PRICE_HEADER, [["公司统一价", "YM-100", "1200×600×100mm", "66", "", ""]]))
    upload.name = "价格.csv"
    location = client.post(reverse("catalog:prices_import"), {"file": upload})["Location"]
    batch = ImportBatch.objects.get(kind="prices")
    assert "YM-100" in client.get(location).content.decode()

    response = client.post(reverse("catalog:prices_import_discard", args=[batch.pk]))

    batch.refresh_from_db()
    assert response.status_code == 302 and batch.status == ImportBatch.Status.DISCARDED
    assert PriceChange.objects.count() == 0


def test_import_commands_check_and_import(cast, catalogue, tmp_path, capsys):
    products = tmp_path / "products.csv"
    products.write_bytes(csv_bytes(PRODUCT_HEADER, [product_row(1), product_row(2)]))
    call_command("import_products", str(products), "--user", "clerk")
    assert Product.objects.filter(model__in=["QH-1201", "QH-1202"]).count() == 2
    assert "已导入 2 个产品" in capsys.readouterr().out

    prices = tmp_path / "prices.csv"
    prices.write_bytes(
        csv_bytes(PRICE_HEADER, [["公司统一价", "QH-1201", "", "90", "", ""], ["公司统一价", "X", "", "1", "", ""]])
    )
    with pytest.raises(CommandError):
        call_command("import_prices", str(prices), "--user", "clerk")
    assert "没有型号为“X”的产品" in capsys.readouterr().err
    assert PriceChange.objects.count() == 0
