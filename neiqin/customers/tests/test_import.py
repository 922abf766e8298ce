"""Customer import (SYS-3, CUS-6, R7, R14, S10): stage with row errors, commit all-or-nothing, once."""

from __future__ import annotations

import csv
import io
import zipfile

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.test import override_settings

from neiqin.core import imports
from neiqin.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from neiqin.core.identifiers import make_uscc
from neiqin.core.models import Event, ImportBatch, Notification
from neiqin.core.numbering import next_number, reserve_numbers
from neiqin.core.spreadsheets import UploadRejected
from neiqin.customers import services
from neiqin.customers.importer import (
    commit_customer_import,
    discard_customer_import,
    import_batches_for,
    preview_columns,
    stage_customer_import,
    template_xlsx,
)
from neiqin.customers.models import Assignment, Contact, Customer

pytestmark = pytest.mark.django_db

HEADER = [
    "客户名称*",
    "客户性质",
    "客户等级",
    "VIP",
    "合作阶段",
    "电话",
    "统一社会信用代码",
    "负责业务员",
    "联系人",
    "联系人手机",
]


def uscc(n: int) -> str:
    return make_uscc(f"9143010{n:010d}")


def row(n: int, **overrides: str) -> list[str]:
    """A valid row; ``n`` makes name, phone, credit code and mobile distinct."""
    values = {
        "客户名称*": f"长沙第{n}建材贸易有限公司",
        "客户性质": "企业",
        "客户等级": "B 类",
        "VIP": "否",
        "合作阶段": "意向客户",
        "电话": f"0731-8800{n:04d}",
        "统一社会信用代码": uscc(n),
        "负责业务员": "",
        "联系人": "张经理",
        "联系人手机": f"1390000{n:04d}",
    }
    values.update(overrides)
    return [values[h] for h in HEADER]


def xlsx(rows: list[list[str]], header: list[str] = HEADER) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(header)
    for values in rows:
        sheet.append(values)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows: list[list[str]], encoding: str, header: list[str] = HEADER) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def xls(rows: list[list[str]], header: list[str] = HEADER) -> bytes:
    xlwt = pytest.importorskip("xlwt")
    workbook = xlwt.Workbook(encoding="utf-8")
    sheet = workbook.add_sheet("客户")
    for r, values in enumerate([header, *rows]):
        for c, value in enumerate(values):
            sheet.write(r, c, value)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def messages(batch: ImportBatch, row_number: int) -> list[str]:
    return [f"{e['column']}: {e['message']}" for e in batch.errors if e["row"] == row_number]


def imported(batch: ImportBatch) -> int:
    return Customer.objects.filter(import_batch=batch).count()


# ---- staging ------------------------------------------------------------------------------------


def test_staging_reports_each_bad_row_and_writes_no_customer(cast):
    existing = services.customer_create(
        fields={"name": "长沙涵瑞建筑装饰有限公司", "credit_code": uscc(900)}, by=cast.sales2
    )
    bad_code = uscc(3)[:-1] + ("0" if uscc(3)[-1] != "0" else "1")
    data = xlsx(
        [
            row(1),
            row(2, **{"客户名称*": ""}),
            row(3, 统一社会信用代码=bad_code),
            row(4, 电话="0731-88ab"),
            row(5, 负责业务员="nobody"),
            row(6, **{"客户名称*": "长沙 涵瑞建筑装饰有限责任公司"}),
            row(7, 统一社会信用代码=uscc(1)),
        ]
    )

    batch = stage_customer_import(name="客户.xlsx", data=data, by=cast.clerk)

    assert batch.status == ImportBatch.Status.REJECTED
    assert (batch.row_count, batch.error_count) == (7, 6)
    assert messages(batch, 2) == [] and messages(batch, 1) == []
    assert any("请填写客户名称" in m for m in messages(batch, 3))
    assert messages(batch, 4) == ["统一社会信用代码: 统一社会信用代码校验位错误，请核对第18位"]
    assert messages(batch, 5)[0].startswith("电话: 电话号码“0731-88ab”")
    assert messages(batch, 6) == ["负责业务员: 找不到业务员“nobody”。请填写系统中已有的用户名或姓名，或留空放入公海。"]
    assert len(messages(batch, 7)) == 1
    assert existing.code in messages(batch, 7)[0] and "sales2" in messages(batch, 7)[0]
    assert "客户名称相同" in messages(batch, 7)[0]
    assert messages(batch, 8) == [
        "统一社会信用代码: 与本文件第 2 行“长沙第1建材贸易有限公司”重复：统一社会信用代码相同。"
        "同一客户只能出现一次，请删除或合并重复的行。"
    ]
    assert Customer.objects.count() == 1
    assert not imports.stored_file_path(batch.pk).exists()


def test_stored_errors_are_capped_but_every_bad_row_is_counted(cast):
    rows = [["", f"0731-8{n:07d}"] for n in range(1100)]

    batch = stage_customer_import(name="a.csv", data=csv_bytes(rows, "utf-8", ["客户名称", "电话"]), by=cast.clerk)

    assert (batch.row_count, batch.error_count, len(batch.errors)) == (1100, 1100, 1000)
    assert batch.errors[0] == {"row": 2, "column": "客户名称", "message": "请填写客户名称。"}


def test_phone_duplicates_are_found_in_contacts_and_within_the_file(cast):
    services.customer_create(
        fields={"name": "已有客户有限公司"}, by=cast.clerk, contacts=[{"name": "李", "mobile": "139 0000 0042"}]
    )
    data = xlsx([row(42), row(43, 联系人手机="0731-8800 0042"), row(44, 联系人手机="0731-88000044")])

    batch = stage_customer_import(name="a.xlsx", data=data, by=cast.clerk)

    assert len(messages(batch, 2)) == 1
    assert messages(batch, 2)[0].startswith("联系人手机: 与已有客户 ") and "电话号码相同" in messages(batch, 2)[0]
    assert "已有客户有限公司" in messages(batch, 2)[0]
    assert messages(batch, 3) == [
        "联系人手机: 与本文件第 2 行“长沙第42建材贸易有限公司”重复：电话号码相同。"
        "同一客户只能出现一次，请删除或合并重复的行。"
    ]
    assert messages(batch, 4) == []  # the same number as phone and contact mobile of one row is fine


def test_staging_a_good_file_keeps_a_preview_and_the_encrypted_upload(cast):
    data = xlsx([row(1, 负责业务员="sales1", VIP="是", 客户等级="A"), row(2)])

    batch = stage_customer_import(name="../../etc/客户.xlsx", data=data, by=cast.clerk)

    assert batch.status == ImportBatch.Status.STAGED and batch.errors == []
    assert batch.file_name == "客户.xlsx" and batch.file_kind == "xlsx"
    first = batch.preview[0]
    assert first["row"] == 2 and first["name"] == "长沙第1建材贸易有限公司"
    assert (first["grade"], first["is_vip"], first["owner"], first["stage"]) == ("A 类", "是", "sales1", "意向客户")
    assert first["phone"] == "073****0001" and first["contact_mobile"] == "139****0001"
    assert [key for key, _title in preview_columns()][:2] == ["row", "name"]
    stored = imports.stored_file_path(batch.pk)
    assert stored.name == f"{batch.pk}.bin"
    assert data not in stored.read_bytes() and "长沙".encode() not in stored.read_bytes()
    assert Customer.objects.count() == 0


def test_choice_labels_codes_and_english_headers_are_accepted(cast):
    header = ["name", "kind", "grade", "is_vip", "stage", "industry", "owner", "未成交原因"]
    rows = [
        ["甲公司", "enterprise", "a", "yes", "signed", "制造业", "sales1", ""],
        ["乙个人", "个人", "C类", "否", "流失", "it", "manager", "价格太高"],
    ]
    batch = stage_customer_import(name="a.xlsx", data=xlsx(rows, header), by=cast.clerk)
    assert batch.status == ImportBatch.Status.STAGED, batch.errors

    commit_customer_import(batch_id=batch.pk, by=cast.clerk)

    first, second = Customer.objects.get(name="甲公司"), Customer.objects.get(name="乙个人")
    assert (first.kind, first.grade, first.is_vip, first.stage, first.industry) == (
        "enterprise",
        "A",
        True,
        "signed",
        "manufacturing",
    )
    assert first.owner == cast.sales1 and first.team == cast.team_a
    assert (second.kind, second.grade, second.stage, second.lost_reason) == ("individual", "C", "lost", "价格太高")
    assert second.industry == "it" and second.owner == cast.manager


def test_bad_choices_say_what_is_allowed(cast):
    header = ["客户名称", "客户性质", "VIP", "合作阶段", "负责业务员"]
    rows = [["甲公司", "国企", "也许", "流失客户", "finance"]]

    batch = stage_customer_import(name="a.xlsx", data=xlsx(rows, header), by=cast.clerk)

    shown = messages(batch, 2)
    assert "客户性质: 无效的选项：国企。可选：企业、个人。" in shown
    assert "负责业务员: 只能把客户分配给业务员或销售经理。（finance）" in shown
    assert "VIP: 请填写“是”或“否”。" in shown
    assert "合作阶段: 合作阶段为“流失客户”时，请在“未成交原因”列填写原因。" in shown


def test_owner_must_be_a_salesperson(cast):
    batch = stage_customer_import(
        name="a.xlsx", data=xlsx([["甲公司", "finance"]], ["客户名称", "负责业务员"]), by=cast.clerk
    )
    assert messages(batch, 2) == ["负责业务员: 只能把客户分配给业务员或销售经理。（finance）"]


def test_a_header_problem_refuses_the_whole_file(cast):
    with pytest.raises(UploadRejected) as exc:
        stage_customer_import(name="a.xlsx", data=xlsx([["x"]], ["公司"]), by=cast.clerk)
    assert "缺少必填列" in str(exc.value) and "客户名称" in str(exc.value)
    assert ImportBatch.objects.count() == 0


def test_only_importers_may_import(cast):
    with pytest.raises(PermissionDenied):
        stage_customer_import(name="a.xlsx", data=xlsx([row(1)]), by=cast.sales1)


# ---- commit -------------------------------------------------------------------------------------


def test_commit_creates_every_row_with_codes_contacts_and_audit_events(cast):
    batch = stage_customer_import(
        name="a.xlsx", data=xlsx([row(1, 负责业务员="sales1"), row(2), row(3)]), by=cast.clerk
    )

    done = commit_customer_import(batch_id=batch.pk, by=cast.clerk)

    assert done.status == ImportBatch.Status.COMMITTED and done.committed_at is not None
    customers = list(Customer.objects.filter(import_batch=batch).order_by("code"))
    assert len(customers) == 3
    assert [c.code[-5:] for c in customers] == ["00001", "00002", "00003"]
    assert {c.name for c in customers} == {f"长沙第{n}建材贸易有限公司" for n in (1, 2, 3)}
    assert customers[0].phone == "073188000001" and customers[0].search_initials
    assert customers[0].created_by == cast.clerk
    imported_events = Event.objects.filter(action="customers.customer.imported")
    assert imported_events.count() == 3 and {e.actor for e in imported_events} == {cast.clerk}
    assert {e.channel for e in imported_events} == {"import"}
    assert Contact.objects.filter(customer__in=customers, is_primary=True).count() == 3
    assert Event.objects.filter(action="customers.contact.imported").count() == 3
    assert Event.objects.filter(action="core.import.committed", object_id=str(batch.pk)).count() == 1
    owned = Customer.objects.get(owner=cast.sales1)
    assert owned.handover_due_at is not None and owned.acknowledged_at is None
    assert Assignment.objects.filter(customer=owned, to_owner=cast.sales1).count() == 1
    assert Notification.objects.filter(user=cast.sales1, title__contains="批量导入 1 个").exists()
    assert not imports.stored_file_path(batch.pk).exists()


def test_a_second_commit_of_the_batch_is_refused_and_creates_nothing(cast):
    batch = stage_customer_import(name="a.xlsx", data=xlsx([row(1), row(2)]), by=cast.clerk)
    commit_customer_import(batch_id=batch.pk, by=cast.clerk)

    with pytest.raises(Conflict) as exc:
        commit_customer_import(batch_id=batch.pk, by=cast.clerk)

    assert exc.value.code == "already_imported"
    assert Customer.objects.count() == 2


def test_the_same_file_staged_twice_is_committed_once(cast):
    data = xlsx([row(1), row(2)])
    first = stage_customer_import(name="a.xlsx", data=data, by=cast.clerk)
    second = stage_customer_import(name="copy.xlsx", data=data, by=cast.admin)
    commit_customer_import(batch_id=first.pk, by=cast.clerk)

    with pytest.raises(Conflict) as exc:
        commit_customer_import(batch_id=second.pk, by=cast.admin)

    assert "不会重复导入" in str(exc.value.message) and f"批次 {first.pk}" in str(exc.value.message)
    assert Customer.objects.count() == 2
    assert ImportBatch.objects.get(pk=second.pk).status == ImportBatch.Status.STAGED


def test_restaging_a_committed_file_is_refused(cast):
    data = xlsx([row(1)])
    batch = stage_customer_import(name="a.xlsx", data=data, by=cast.clerk)
    commit_customer_import(batch_id=batch.pk, by=cast.clerk)

    with pytest.raises(Conflict) as exc:
        stage_customer_import(name="again.xlsx", data=data, by=cast.clerk)

    message = str(exc.value.message)
    assert message.startswith("该文件已于 ") and f"由 clerk 导入（批次 {batch.pk}），不会重复导入" in message
    assert ImportBatch.objects.count() == 1


def test_commit_validates_again_against_the_database(cast):
    batch = stage_customer_import(name="a.xlsx", data=xlsx([row(1), row(2)]), by=cast.clerk)
    services.customer_create(fields={"name": "长沙第2建材贸易有限公司"}, by=cast.sales1)

    with pytest.raises(ValidationFailed) as exc:
        commit_customer_import(batch_id=batch.pk, by=cast.clerk)

    assert exc.value.code == "import_rows_invalid"
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.REJECTED and batch.error_count == 1
    assert batch.errors[0]["row"] == 3 and "客户名称相同" in batch.errors[0]["message"]
    assert imported(batch) == 0 and Customer.objects.count() == 1
    assert not imports.stored_file_path(batch.pk).exists()


def test_a_duplicate_saved_while_the_commit_validates_is_caught_inside_the_transaction(cast):
    batch = stage_customer_import(name="a.xlsx", data=xlsx([row(1), row(2)]), by=cast.clerk)

    def concurrent_clerk(point, info):
        if point == "commit.validate" and info["total"]:  # validation done, transaction not begun
            services.customer_create(fields={"name": "其他公司", "phone": "0731-8800 0002"}, by=cast.sales1)

    with pytest.raises(ValidationFailed):
        commit_customer_import(batch_id=batch.pk, by=cast.clerk, hook=concurrent_clerk)

    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.REJECTED
    assert [(e["row"], e["column"]) for e in batch.errors] == [(3, "电话")]
    assert "其他公司" in batch.errors[0]["message"]
    assert imported(batch) == 0 and Customer.objects.count() == 1


def test_a_rejected_batch_cannot_be_committed(cast):
    batch = stage_customer_import(name="a.xlsx", data=xlsx([row(1, **{"客户名称*": ""})]), by=cast.clerk)
    with pytest.raises(Conflict) as exc:
        commit_customer_import(batch_id=batch.pk, by=cast.clerk)
    assert exc.value.code == "import_rejected"


def test_discard_deletes_the_stored_file_and_blocks_commit(cast):
    batch = stage_customer_import(name="a.xlsx", data=xlsx([row(1)]), by=cast.clerk)

    discard_customer_import(batch_id=batch.pk, by=cast.clerk)

    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.DISCARDED
    assert not imports.stored_file_path(batch.pk).exists()
    with pytest.raises(Conflict):
        commit_customer_import(batch_id=batch.pk, by=cast.clerk)
    assert Customer.objects.count() == 0


def test_batches_are_private_to_their_uploader_except_for_admins(cast):
    mine = stage_customer_import(name="a.xlsx", data=xlsx([row(1)]), by=cast.clerk)
    theirs = stage_customer_import(name="b.xlsx", data=xlsx([row(2)]), by=cast.admin)

    assert list(import_batches_for(user=cast.clerk)) == [mine]
    assert set(import_batches_for(user=cast.admin)) == {mine, theirs}
    assert list(import_batches_for(user=cast.sales1)) == []
    with pytest.raises(NotFound):
        commit_customer_import(batch_id=theirs.pk, by=cast.clerk)
    with pytest.raises(NotFound):
        discard_customer_import(batch_id=theirs.pk, by=cast.clerk)


def test_code_blocks_are_consecutive_and_a_rollback_returns_them():
    with transaction.atomic():
        first = next_number(series="customer")
        block = reserve_numbers(series="customer", count=3)
    year = first[2:6]
    assert block == [f"KH{year}-00002", f"KH{year}-00003", f"KH{year}-00004"]
    with pytest.raises(RuntimeError), transaction.atomic():
        reserve_numbers(series="customer", count=1000)
        raise RuntimeError("import failed")
    with transaction.atomic():
        assert next_number(series="customer") == f"KH{year}-00005"
        assert reserve_numbers(series="customer", count=0) == []


# ---- formats ------------------------------------------------------------------------------------

FORMATS = {
    "xlsx": ("客户.xlsx", xlsx),
    "xls": ("客户.xls", xls),
    "csv-utf8-bom": ("客户.csv", lambda rows: csv_bytes(rows, "utf-8-sig")),
    "csv-gb18030": ("客户.csv", lambda rows: csv_bytes(rows, "gb18030")),
}


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_imports_chinese_text(cast, fmt):
    name, build = FORMATS[fmt]
    rows = [row(1, **{"客户名称*": "湖南省涵瑞（建筑）装饰工程有限公司"}), row(2, 联系人="欧阳娜娜", 客户等级="A 类")]

    batch = stage_customer_import(name=name, data=build(rows), by=cast.clerk)
    assert batch.status == ImportBatch.Status.STAGED, batch.errors
    commit_customer_import(batch_id=batch.pk, by=cast.clerk)

    assert batch.file_kind == name.rsplit(".", 1)[1]
    assert Customer.objects.filter(name="湖南省涵瑞（建筑）装饰工程有限公司", kind="enterprise").exists()
    assert Contact.objects.filter(name="欧阳娜娜", customer__grade="A").exists()


def test_the_template_example_row_imports(cast):
    content = template_xlsx()

    workbook = openpyxl.load_workbook(io.BytesIO(content))
    assert workbook.sheetnames == ["客户导入", "填写说明"]
    header = [cell.value for cell in workbook["客户导入"][1]]
    assert header[0] == "客户名称*" and "负责业务员" in header and "统一社会信用代码" in header
    assert all(cell.data_type != "f" for sheet in workbook for r in sheet.iter_rows() for cell in r)
    batch = stage_customer_import(name="模板.xlsx", data=content, by=cast.clerk)
    assert batch.status == ImportBatch.Status.STAGED, batch.errors
    assert batch.row_count == 1 and batch.preview[0]["name"] == "长沙涵瑞建筑装饰有限公司"


# ---- refused uploads (checked before parsing) -----------------------------------------------------


@override_settings(NEIQIN_MAX_UPLOAD_BYTES=1024)
def test_an_oversize_upload_is_refused(cast):
    with pytest.raises(UploadRejected) as exc:
        stage_customer_import(name="a.xlsx", data=xlsx([row(n) for n in range(1, 40)]), by=cast.clerk)
    assert exc.value.code == "upload_too_large"
    assert ImportBatch.objects.count() == 0


@pytest.mark.parametrize(
    ("name", "data", "code"),
    [
        ("客户.exe", "xlsx", "upload_extension"),
        ("客户.csv", "xlsx", "upload_type_mismatch"),
        ("客户.xlsx", b"<html><script>alert(1)</script></html>", "upload_not_a_table"),
        ("客户.xlsx", b"", "upload_empty"),
    ],
)
def test_renamed_and_disguised_files_are_refused(cast, name, data, code):
    content = xlsx([row(1)]) if data == "xlsx" else data
    with pytest.raises(UploadRejected) as exc:
        stage_customer_import(name=name, data=content, by=cast.clerk)
    assert exc.value.code == code
    assert ImportBatch.objects.count() == 0


def test_a_zip_bomb_is_refused_before_parsing(cast):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        archive.writestr("xl/workbook.xml", '<?xml version="1.0"?><workbook/>')
        archive.writestr("xl/worksheets/sheet1.xml", b"<" + b"0" * (8 * 1024 * 1024))
    data = buffer.getvalue()
    assert len(data) < 100_000

    with pytest.raises(UploadRejected) as exc:
        stage_customer_import(name="bomb.xlsx", data=data, by=cast.clerk)

    assert exc.value.code == "zip_bomb"
    assert ImportBatch.objects.count() == 0


# ---- management command -----------------------------------------------------------------------------


def test_command_stages_and_commits(cast, tmp_path, capsys):
    path = tmp_path / "customers.xlsx"
    path.write_bytes(xlsx([row(1), row(2)]))

    call_command("import_customers", str(path), user="clerk", commit=True)

    assert Customer.objects.count() == 2
    assert "已导入 2 个客户" in capsys.readouterr().out


def test_command_prints_errors_and_fails_without_importing(cast, tmp_path, capsys):
    path = tmp_path / "customers.csv"
    path.write_bytes(csv_bytes([row(1), row(2, 电话="abc")], "utf-8-sig"))

    with pytest.raises(CommandError) as exc:
        call_command("import_customers", str(path), user="clerk", commit=True)

    assert exc.value.returncode == 1
    assert "第 3 行 [电话]" in capsys.readouterr().err
    assert Customer.objects.count() == 0
