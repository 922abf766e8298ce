"""RELIABILITY R7 / T5: an import killed with SIGKILL at any point leaves nothing, and re-runs once.

The import runs as ``manage.py import_customers … --commit`` in a child process against this
test's database. ``NEIQIN_IMPORT_PAUSE_AT`` makes the child announce a pipeline point and sleep
there; the test then kills it with SIGKILL: after staging (batch saved), half-way through the
inserts and after the last insert (the commit transaction still open). Runs on SQLite (file
database) and PostgreSQL. The CI variant uses 10 000 rows; R7's 100 000 is the benchmark's job.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from openpyxl import Workbook

from neiqin.core.identifiers import make_uscc
from neiqin.core.models import Event, ImportBatch, NumberCounter
from neiqin.core.testing import child_environment
from neiqin.customers.management.commands.import_customers import MARKER, PAUSE_ENV, PAUSE_SECONDS_ENV
from neiqin.customers.models import Contact, Customer

ROWS = 10_000
ROOT = Path(settings.BASE_DIR).parent
CHILD_TIMEOUT = 120


def write_file(path: Path, rows: int) -> None:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("客户")
    sheet.append(
        [
            "客户名称*",
            "客户性质",
            "行业",
            "省份",
            "城市",
            "电话",
            "统一社会信用代码",
            "负责业务员",
            "联系人",
            "联系人手机",
        ]
    )
    for n in range(rows):
        sheet.append(
            [
                f"长沙第{n:05d}号建材贸易有限公司",
                "企业",
                "批发零售",
                "湖南",
                "长沙",
                f"0731-8{n:07d}",
                make_uscc(f"91430100{n:09d}"),
                "sales1" if n % 3 == 0 else "",
                "王经理",
                f"139{n:08d}",
            ]
        )
    workbook.save(path)


def run_import(path: Path, *, pause_at: str | None = None) -> tuple[int, str]:
    """Run the command; with ``pause_at``, SIGKILL it as soon as it reports that point."""
    env = {**os.environ, **child_environment()}
    env.pop(PAUSE_ENV, None)
    if pause_at:
        env[PAUSE_ENV] = pause_at
        env[PAUSE_SECONDS_ENV] = str(CHILD_TIMEOUT)
    command = [sys.executable, "manage.py", "import_customers", str(path), "--user", "clerk", "--commit"]
    child = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    watchdog = threading.Timer(CHILD_TIMEOUT, child.kill)
    watchdog.start()
    output: list[str] = []
    try:
        for line in child.stdout:
            output.append(line)
            if pause_at and line.startswith(MARKER):
                os.kill(child.pid, signal.SIGKILL)
                break
        child.wait()
    finally:
        watchdog.cancel()
        child.stdout.close()
    text = "".join(output)
    if pause_at:
        assert child.returncode == -signal.SIGKILL, f"child was not killed at {pause_at}:\n{text}"
    return child.returncode, text


def assert_nothing_imported() -> None:
    assert Customer.objects.count() == 0
    assert Contact.objects.count() == 0
    assert not Event.objects.filter(action__in=["customers.customer.imported", "customers.contact.imported"]).exists()
    assert not ImportBatch.objects.filter(status=ImportBatch.Status.COMMITTED).exists()
    assert not NumberCounter.objects.filter(series="customer", last_value__gt=0).exists()
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA integrity_check")
            assert cursor.fetchall() == [("ok",)]


@pytest.mark.slow
@pytest.mark.concurrency
@pytest.mark.django_db(transaction=True)
def test_killed_imports_leave_nothing_and_the_rerun_imports_exactly_once(cast, tmp_path):
    path = tmp_path / "客户.xlsx"
    write_file(path, ROWS)
    connection.close()  # the child must see a quiet database

    # after the batch is saved; half-way through the inserts; all rows inserted, not yet committed
    for pause_at, reported in (
        ("staged", "staged"),
        ("commit.insert:50", "commit.insert"),
        ("commit", "commit.inserted"),
    ):
        _code, output = run_import(path, pause_at=pause_at)
        assert f"{MARKER} {reported} " in output
        assert_nothing_imported()
    assert ImportBatch.objects.filter(status=ImportBatch.Status.STAGED).count() == 3

    code, output = run_import(path)
    assert code == 0, output
    assert Customer.objects.count() == ROWS
    codes = sorted(Customer.objects.values_list("code", flat=True))
    assert [int(c.rsplit("-", 1)[1]) for c in codes] == list(range(1, ROWS + 1)), "killed runs consumed numbers"
    assert Event.objects.filter(action="customers.customer.imported").count() == ROWS
    assert Customer.objects.filter(owner=cast.sales1).count() == len(range(0, ROWS, 3))

    code, output = run_import(path)
    assert code == 3 and "不会重复导入" in output, output
    assert Customer.objects.count() == ROWS
    assert ImportBatch.objects.filter(status=ImportBatch.Status.COMMITTED).count() == 1
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA integrity_check")
            assert cursor.fetchall() == [("ok",)]
