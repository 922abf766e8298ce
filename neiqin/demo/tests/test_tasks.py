"""Background jobs: nightly pool return, overdue handover reminders, holiday calendar refresh.

(They live here because these tests belong to the same change as neiqin/{core,customers}/tasks.py;
move them to those apps' test folders when convenient.)
"""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from django.core.management import call_command
from django.utils import timezone
from huey.contrib.djhuey import HUEY

from neiqin.core import calendar
from neiqin.core.models import CalendarDay, CalendarYear, Event, Notification
from neiqin.core.tasks import calendar_package_years, calendar_refresh, calendar_refresh_for, local_crontab
from neiqin.customers import services
from neiqin.customers.models import Customer
from neiqin.customers.tasks import handover_overdue_scan, pool_auto_return_nightly
from neiqin.demo.context import Clock


@pytest.fixture
def clock():
    return Clock(timezone.now())


@pytest.fixture
def fresh_calendar(db):
    calendar.known_years.cache_clear()
    yield
    calendar.known_years.cache_clear()


def new_customer(cast, name: str, *, owner=None) -> Customer:
    return services.customer_create(fields={"name": name}, by=cast.clerk, owner=owner)


def periodic_names(utc: dt.datetime) -> set[str]:
    return {task.name for task in HUEY.read_periodic(utc)}


def test_local_crontab_reads_the_schedule_in_shanghai_time():
    at_two_ten = local_crontab(hour="2", minute="10")

    assert at_two_ten(dt.datetime(2026, 3, 1, 18, 10)) is True  # 18:10 UTC = 02:10 in Shanghai
    assert at_two_ten(dt.datetime(2026, 3, 2, 2, 10)) is False  # 02:10 UTC = 10:10 in Shanghai


def test_jobs_are_registered_with_their_schedules():
    assert "pool_auto_return_nightly" in {n.rsplit(".", 1)[-1] for n in periodic_names(dt.datetime(2026, 3, 1, 18, 10))}
    assert "calendar_refresh" in {n.rsplit(".", 1)[-1] for n in periodic_names(dt.datetime(2026, 2, 28, 19, 30))}
    assert "handover_overdue_scan" in {n.rsplit(".", 1)[-1] for n in periodic_names(dt.datetime(2026, 3, 2, 1, 30))}
    assert "pool_auto_return_nightly" not in {
        n.rsplit(".", 1)[-1] for n in periodic_names(dt.datetime(2026, 3, 2, 2, 10))
    }


def test_nightly_pool_return_releases_only_stale_customers_and_says_a_job_did_it(cast, clock):
    with clock.at(timezone.now() - dt.timedelta(days=100)):
        stale = new_customer(cast, "长沙久未跟进商贸有限公司", owner=cast.sales1)
    fresh = new_customer(cast, "长沙新近分配商贸有限公司", owner=cast.sales1)

    pool_auto_return_nightly()  # through huey (immediate mode in tests); periodic tasks keep no result

    assert pool_auto_return_nightly.call_local() == 0  # already done: nothing left to release
    assert Customer.objects.get(pk=stale.pk).owner is None
    assert Customer.objects.get(pk=fresh.pk).owner == cast.sales1
    event = Event.objects.get(action="customers.customer.released", object_id=str(stale.pk))
    assert event.channel == "job" and event.actor is None and event.data["automatic"] is True


def test_overdue_handover_notifies_the_assigning_clerk_and_the_team_manager_once(cast, clock):
    with clock.at(timezone.now() - dt.timedelta(days=3)):
        late = new_customer(cast, "郑州迟迟未确认科技有限公司", owner=cast.sales1)
    new_customer(cast, "郑州刚刚分配科技有限公司", owner=cast.sales1)  # not overdue yet

    handover_overdue_scan.call_local()
    handover_overdue_scan.call_local()  # the next half hour: nothing new

    told = Notification.objects.filter(title__startswith="交接超时未确认")
    assert sorted(told.values_list("user__username", flat=True)) == ["clerk", "manager"]
    assert set(told.values_list("object_id", flat=True)) == {str(late.pk)}
    assert str(cast.sales1) in told.first().body  # names the owner who has not acknowledged


def test_an_acknowledged_handover_is_not_reported_again(cast, clock):
    with clock.at(timezone.now() - dt.timedelta(days=3)):
        late = new_customer(cast, "西安确认交接建材有限公司", owner=cast.sales1)
    handover_overdue_scan.call_local()
    services.customer_acknowledge(customer=late, by=cast.sales1)

    handover_overdue_scan.call_local()

    assert Notification.objects.filter(title__startswith="交接超时未确认").count() == 2


def test_calendar_refresh_loads_this_year_and_warns_about_an_unknown_next_year(cast, fresh_calendar, caplog):
    last = calendar_package_years()[-1]
    december = dt.date(last, 12, 1)

    with caplog.at_level(logging.WARNING):
        first = calendar_refresh_for(december)
    second = calendar_refresh_for(december)

    assert first == {"seeded": [last], "kept": [], "unknown": [last + 1]}
    assert second == {"seeded": [], "kept": [last], "unknown": [last + 1]}
    assert str(last + 1) in caplog.text
    asked = Notification.objects.filter(title=f"请录入 {last + 1} 年节假日安排")
    assert list(asked.values_list("user__username", flat=True)) == ["admin"]


def test_calendar_refresh_says_nothing_to_admins_about_next_year_before_november(cast, fresh_calendar):
    last = calendar_package_years()[-1]

    calendar_refresh_for(dt.date(last, 6, 1))

    assert CalendarYear.objects.filter(year=last).exists()
    assert not Notification.objects.exists()


def test_calendar_refresh_task_runs_in_a_job_context(db, fresh_calendar):
    result = calendar_refresh.call_local()

    this_year = timezone.localdate().year
    assert this_year in result["seeded"] + result["unknown"]


def test_seed_calendar_loads_the_package_years_and_keeps_manual_edits(fresh_calendar):
    years = calendar_package_years()
    assert years[0] <= 2020 and years[-1] >= 2026

    call_command("seed_calendar", verbosity=0)
    assert sorted(CalendarYear.objects.values_list("year", flat=True)) == years
    national_day = dt.date(2025, 10, 1)
    assert calendar.is_workday(national_day) is False
    CalendarDay.objects.filter(date=national_day).update(name="国庆节（公司值班）")

    call_command("seed_calendar", verbosity=0)
    assert CalendarDay.objects.get(date=national_day).name == "国庆节（公司值班）"

    call_command("seed_calendar", year=[2025], refresh=True, verbosity=0)
    assert CalendarDay.objects.get(date=national_day).name != "国庆节（公司值班）"
