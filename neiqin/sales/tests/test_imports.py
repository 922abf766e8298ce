"""Order import (ORD-3 / SYS-3): rows grouped into draft orders, row errors listed, all-or-nothing."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
from django.utils import timezone

from neiqin.catalog import services as catalog
from neiqin.core import imports
from neiqin.core.errors import Conflict, PermissionDenied, ValidationFailed
from neiqin.core.models import Event, ImportBatch
from neiqin.sales.choices import Channel, OrderStatus
from neiqin.sales.importers import ORDER_IMPORTER
from neiqin.sales.models import SalesOrder
from neiqin.sales.services import orders
from neiqin.sales.tests.conftest import line

pytestmark = pytest.mark.django_db

HEADER = [
    "客户编号",
    "客户名称",
    "客户订单号",
    "下单方式",
    "下单日期",
    "要求交货日期*",
    "收货地址",
    "型号*",
    "规格",
    "数量*",
]
HEADER += ["单价", "折扣", "备注"]


def csv_bytes(rows: list[list[str]], header: list[str] = HEADER) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def row(**cells: str) -> list[str]:
    keys = ["code", "name", "ref", "channel", "ordered", "delivery", "address", "model", "spec", "qty", "price"]
    keys += ["discount", "note"]
    return [cells.get(key, "") for key in keys]


def days(n: int) -> str:
    return (timezone.localdate() + dt.timedelta(days=n)).isoformat()


def stage(world, data: bytes, by=None, name: str = "orders.csv") -> ImportBatch:
    return imports.stage(ORDER_IMPORTER, name=name, data=data, by=by or world.cast.clerk)


def messages_of(batch: ImportBatch) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    for error in batch.errors:
        found.setdefault(error["row"], []).append(f"{error['column']}: {error['message']}")
    return found


def test_rows_of_one_customer_order_number_become_one_draft_order_priced_from_the_price_list(world):
    acme, other = world.acme, world.other
    data = csv_bytes(
        [
            row(
                name=acme.name,
                ref="HD-031",
                channel="传真",
                delivery=days(10),
                model="QH-1201",
                qty="30",
                note="送工地",
            ),
            row(name=acme.name, ref="HD-031", channel="传真", delivery=days(7), model="SM-D01", qty="2", price="480"),
            row(
                code=other.code,
                ref="PO-9",
                channel="邮件",
                delivery=days(5),
                address="郑州市 3 号仓",
                model="qh-1201",
                qty="12",
                discount="3%",
            ),
        ]
    )
    batch = stage(world, data)
    assert batch.status == ImportBatch.Status.STAGED, batch.errors
    assert (batch.row_count, batch.error_count) == (3, 0)
    assert [p["row"] for p in batch.preview] == [2, 3, 4]
    assert batch.preview[0]["customer"] == acme.name and batch.preview[0]["unit_price"] == "按价格表"
    assert SalesOrder.objects.count() == 0  # staging writes nothing but the batch

    committed = imports.commit(ORDER_IMPORTER, batch_id=batch.pk, by=world.cast.clerk)

    assert committed.status == ImportBatch.Status.COMMITTED and committed.row_count == 3
    first = SalesOrder.objects.get(customer=acme)
    assert (first.status, first.channel, first.customer_reference) == (OrderStatus.DRAFT, Channel.FAX, "HD-031")
    assert first.number is None and first.owner == world.cast.sales1 and first.created_by == world.cast.clerk
    assert first.delivery_address == acme.address  # default from the customer file
    assert first.delivery_on == timezone.localdate() + dt.timedelta(days=7)  # the earliest line
    lines = list(first.lines.order_by("position"))
    assert [(ln.product, ln.quantity, ln.unit_price) for ln in lines] == [
        (world.floor, Decimal("30"), Decimal("100")),
        (world.special, Decimal("2"), Decimal("480")),
    ]
    assert lines[0].note == "送工地" and lines[0].price_source == "company"
    assert first.total == Decimal("3960.00")
    second = SalesOrder.objects.get(customer=other)
    assert (second.channel, second.delivery_address) == (Channel.EMAIL, "郑州市 3 号仓")
    only = second.lines.get()
    assert (only.discount_rate, only.unit_price, only.amount) == (Decimal("0.03"), Decimal("97"), Decimal("1164.00"))
    assert Event.objects.filter(action="sales.order.created", channel="import").count() == 2
    # The imported drafts go on like typed ones.
    submitted, _checks = orders.order_submit(order=first, by=world.cast.clerk)
    assert submitted.status in (OrderStatus.APPROVED, OrderStatus.PENDING_APPROVAL) and submitted.number


def test_an_xlsx_file_without_order_number_makes_one_order_per_customer_with_the_import_channel(world):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["客户名称", "要求交货日期", "型号", "数量"])
    sheet.append([world.acme.name, days(3), "QH-1201", 5])
    sheet.append([world.acme.name, days(4), "SM-D01", 1])
    buffer = io.BytesIO()
    workbook.save(buffer)
    batch = stage(world, buffer.getvalue(), name="订单.xlsx")
    assert batch.status == ImportBatch.Status.STAGED, batch.errors
    imports.commit(ORDER_IMPORTER, batch_id=batch.pk, by=world.cast.admin)
    order = SalesOrder.objects.get()
    assert order.channel == Channel.IMPORT and order.lines.count() == 2
    assert order.ordered_on == timezone.localdate()


def test_bad_rows_are_listed_and_nothing_is_written(world):
    catalog.product_update(product=world.special, fields={"is_active": False}, by=world.cast.admin, version=None)
    acme = world.acme.name
    data = csv_bytes(
        [
            row(name="不存在的公司", delivery=days(3), model="QH-1201", qty="5"),  # 2: unknown customer
            row(code="KH-NOPE", delivery=days(3), model="QH-1201", qty="5"),  # 3: unknown code
            row(name=acme, delivery=days(3), model="NOPE-1", qty="5"),  # 4: unknown product
            row(name=acme, delivery=days(3), model="QH-1201", qty="-5"),  # 5: negative quantity
            row(name=acme, delivery=days(3), model="QH-1201", qty="abc"),  # 6: not a number
            row(name=acme, delivery="2026-13-45", model="QH-1201", qty="5"),  # 7: bad date
            row(name=acme, delivery="", model="QH-1201", qty="5"),  # 8: missing delivery date
            row(name=acme, delivery=days(3), model="SM-D01", qty="1"),  # 9: discontinued
            row(name=acme, delivery=days(3), model="QH-1201", qty="5", discount="120%"),  # 10: discount
            row(name=acme, delivery=days(3), model="QH-1201", qty="5", channel="飞鸽传书"),  # 11: channel
            row(name=acme, ordered=days(5), delivery=days(6), model="QH-1201", qty="5"),  # 12: future order date
            row(name=acme, delivery=days(3), model="QH-1201", qty="1", price="-3"),  # 13: negative price
            row(delivery=days(3), model="QH-1201", qty="1"),  # 14: no customer at all
            row(name=acme, delivery=days(3), model="QH-1201", qty="1"),  # 15: fine on its own
        ]
    )
    batch = stage(world, data)

    assert batch.status == ImportBatch.Status.REJECTED
    found = messages_of(batch)
    assert set(found) == set(range(2, 15)), found
    assert "不存在的公司" in found[2][0] and "KH-NOPE" in found[3][0]
    assert "NOPE-1" in found[4][0]
    assert "负数" in found[5][0]
    assert "2026-13-45" in found[7][0] and "要求交货日期" in found[8][0]
    assert "停售" in found[9][0]
    assert "折扣" in " ".join(found[10])
    assert "飞鸽传书" in found[11][0] and "晚于今天" in found[12][0]
    assert "单价" in found[13][0] and "客户编号或客户名称" in found[14][0]
    assert SalesOrder.objects.count() == 0
    with pytest.raises(Conflict):
        imports.commit(ORDER_IMPORTER, batch_id=batch.pk, by=world.cast.clerk)
    assert SalesOrder.objects.count() == 0


def test_rows_of_one_order_must_agree_on_the_order_header(world):
    data = csv_bytes(
        [
            row(name=world.acme.name, ref="A1", channel="传真", delivery=days(3), model="QH-1201", qty="5"),
            row(name=world.acme.name, ref="A1", channel="电话", delivery=days(3), model="SM-D01", qty="1"),
            row(name=world.acme.name, ref="A2", channel="电话", delivery=days(3), model="SM-D01", qty="1"),
        ]
    )
    batch = stage(world, data)
    assert batch.status == ImportBatch.Status.REJECTED
    assert list(messages_of(batch)) == [3]
    assert "第 2 行" in batch.errors[0]["message"] and batch.errors[0]["column"] == "下单方式"


def test_a_customer_order_number_already_in_the_system_is_refused(world):
    existing = orders.order_create(
        customer=world.acme, lines=[line(world.floor, 1)], by=world.cast.clerk, fields={"customer_reference": "HD-7"}
    )
    batch = stage(world, csv_bytes([row(name=world.acme.name, ref="hd-7", delivery=days(3), model="QH-1201", qty="2")]))
    assert batch.status == ImportBatch.Status.REJECTED
    assert "hd-7" in batch.errors[0]["message"] and str(existing.pk) in batch.errors[0]["message"]
    # A cancelled order does not block the number.
    orders.order_cancel(order=existing, by=world.cast.clerk, reason="客户改单")
    again = stage(world, csv_bytes([row(name=world.acme.name, ref="hd-7", delivery=days(3), model="QH-1201", qty="3")]))
    assert again.status == ImportBatch.Status.STAGED


def test_an_order_typed_in_between_staging_and_commit_rejects_the_batch(world):
    data = csv_bytes([row(name=world.acme.name, ref="HD-8", delivery=days(3), model="QH-1201", qty="2")])
    batch = stage(world, data)
    assert batch.status == ImportBatch.Status.STAGED
    orders.order_create(
        customer=world.acme, lines=[line(world.floor, 1)], by=world.cast.sales1, fields={"customer_reference": "HD-8"}
    )
    with pytest.raises(ValidationFailed):
        imports.commit(ORDER_IMPORTER, batch_id=batch.pk, by=world.cast.clerk)
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.REJECTED
    assert SalesOrder.objects.filter(customer_reference="HD-8").count() == 1  # only the typed one


def test_commit_is_all_or_nothing_when_an_order_fails_while_publishing(world, monkeypatch):
    data = csv_bytes(
        [
            row(name=world.acme.name, ref="X1", delivery=days(3), model="QH-1201", qty="2"),
            row(name=world.other.name, ref="X2", delivery=days(3), model="QH-1201", qty="2"),
        ]
    )
    batch = stage(world, data)
    real = orders.order_create
    calls = []

    def failing(**kwargs):
        calls.append(kwargs["customer"].pk)
        if len(calls) == 2:
            raise ValidationFailed("模拟：第二张订单写入失败")
        return real(**kwargs)

    monkeypatch.setattr(orders, "order_create", failing)
    with pytest.raises(ValidationFailed) as exc:
        imports.commit(ORDER_IMPORTER, batch_id=batch.pk, by=world.cast.clerk)
    assert "第 3 行" in exc.value.message
    assert len(calls) == 2 and SalesOrder.objects.count() == 0
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.STAGED  # nothing committed: it can be tried again
    monkeypatch.setattr(orders, "order_create", real)
    imports.commit(ORDER_IMPORTER, batch_id=batch.pk, by=world.cast.clerk)
    assert SalesOrder.objects.count() == 2
    with pytest.raises(Conflict):  # the same file again
        stage(world, data)


@pytest.mark.parametrize("role", ["sales1", "manager", "finance", "warehouse", "gm"])
def test_only_the_desk_and_admins_may_import_orders(world, role):
    data = csv_bytes([row(name=world.acme.name, delivery=days(3), model="QH-1201", qty="2")])
    with pytest.raises(PermissionDenied):
        stage(world, data, by=world.cast.by_name(role))


def test_the_template_has_every_column_and_required_marks(world):
    workbook = openpyxl.load_workbook(io.BytesIO(ORDER_IMPORTER.template_xlsx()))
    headers = [cell.value for cell in next(workbook.worksheets[0].iter_rows(max_row=1))]
    assert headers[:3] == ["客户编号", "客户名称", "客户订单号"]
    assert {"要求交货日期*", "型号*", "数量*", "单价", "折扣"} <= set(headers)
    assert workbook.worksheets[1].title == "填写说明"
