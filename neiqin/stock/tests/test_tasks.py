"""The stock app's daily jobs: schedules (Shanghai time), and each job run through huey
(immediate mode in tests) calling its service, including the count and loan reminders."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from huey.contrib.djhuey import HUEY

from neiqin.catalog.services import product_create
from neiqin.core.models import Notification
from neiqin.demo.context import Clock
from neiqin.stock.services import Line, level_set_min_quantity, stock_receive, warehouse_create
from neiqin.stock.tasks import count_reminder_daily, loans_overdue_daily, low_stock_alert_daily

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def periodic(utc: dt.datetime) -> set[str]:
    return {task.name.rsplit(".", 1)[-1] for task in HUEY.read_periodic(utc)}


def test_jobs_run_at_their_local_times():
    """07:30, 08:00 and 08:05 in Shanghai are 23:30, 00:00 and 00:05 UTC."""
    assert "low_stock_alert_daily" in periodic(dt.datetime(2026, 3, 1, 23, 30))
    assert "count_reminder_daily" in periodic(dt.datetime(2026, 3, 2, 0, 0))
    assert "loans_overdue_daily" in periodic(dt.datetime(2026, 3, 2, 0, 5))
    assert "low_stock_alert_daily" not in periodic(dt.datetime(2026, 3, 2, 7, 30))
    assert not {"count_reminder_daily", "loans_overdue_daily"} & periodic(dt.datetime(2026, 3, 2, 8, 0))


@pytest.fixture
def cs(cast):
    return warehouse_create(fields={"code": "CS", "name": "长沙库", "keeper": cast.warehouse}, by=cast.admin)


@pytest.fixture
def product(cast):
    return product_create(fields={"name": "强化复合地板", "model": "HR-1208", "unit": "箱"}, by=cast.admin)


def test_low_stock_job_alerts_warehouse_and_clerk(cast, cs, product):
    stock_receive(warehouse=cs, lines=[Line(product, "3")], by=cast.warehouse)
    level_set_min_quantity(warehouse=cs, product=product, min_quantity="10", by=cast.warehouse)

    low_stock_alert_daily()  # through huey, immediate mode

    told = Notification.objects.filter(title__startswith="低库存提醒")
    assert sorted(told.values_list("user__username", flat=True)) == ["clerk", "warehouse"]
    assert low_stock_alert_daily.call_local() == 0  # already told today


def test_count_reminder_job_runs_the_quarterly_reminder(cast, cs):
    from neiqin.stock.services.counts import first_workday_of_quarter

    first = first_workday_of_quarter(dt.date(2026, 4, 1))
    moment = dt.datetime.combine(first, dt.time(8, 0), tzinfo=SHANGHAI)
    with Clock(timezone.now()).at(moment):
        count_reminder_daily()
        again = count_reminder_daily.call_local()

    told = Notification.objects.filter(object_type="stock.warehouse", object_id=str(cs.pk))
    assert list(told.values_list("user__username", flat=True)) == ["warehouse"]
    assert "2026 年第 2 季度盘点" in told.get().title
    assert again == 0
    with Clock(timezone.now()).at(moment + dt.timedelta(days=1)):
        assert count_reminder_daily.call_local() == 0  # not the first workday any more


def test_loans_overdue_job_reminds_the_borrower(cast, cs, product):
    from neiqin.stock.services.materials import loan_approve, loan_lend, loan_request, overdue_title

    stock_receive(warehouse=cs, lines=[Line(product, "5")], by=cast.warehouse)
    loan = loan_request(
        product=product,
        warehouse=cs,
        quantity="2",
        customer=None,
        purpose="样品展示",
        due_on=timezone.localdate() + dt.timedelta(days=3),
        by=cast.sales1,
    )
    loan_approve(loan=loan, by=cast.gm)
    loan_lend(loan=loan, by=cast.warehouse)

    assert loans_overdue_daily.call_local() == 0  # not due yet
    with Clock(timezone.now()).at(timezone.now() + dt.timedelta(days=10)):
        loans_overdue_daily()
        again = loans_overdue_daily.call_local()

    told = Notification.objects.filter(title=overdue_title(loan), object_id=str(loan.pk))
    assert set(told.values_list("user__username", flat=True)) == {"sales1", "manager"}
    assert again == 0


@pytest.mark.parametrize(
    ("task", "module", "name"),
    [
        (count_reminder_daily, "neiqin.stock.services.counts", "count_reminders"),
        (loans_overdue_daily, "neiqin.stock.services.materials", "loans_overdue_remind"),
    ],
)
def test_a_missing_service_fails_the_job_loudly(monkeypatch, task, module, name):
    import importlib

    monkeypatch.delattr(importlib.import_module(module), name)
    with pytest.raises(ImportError):
        task.call_local()
