"""Platform jobs: schedules read in Shanghai time, and the monthly holiday calendar refresh."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from neiqin.core.tasks import calendar_refresh, local_crontab


def test_local_crontab_reads_the_schedule_in_shanghai_time():
    at_two_ten = local_crontab(hour="2", minute="10")

    assert at_two_ten(dt.datetime(2026, 3, 1, 18, 10)) is True  # 18:10 UTC = 02:10 in Shanghai
    assert at_two_ten(dt.datetime(2026, 3, 2, 2, 10)) is False  # 02:10 UTC = 10:10 in Shanghai


def test_calendar_refresh_task_runs_in_a_job_context(db, fresh_calendar):
    result = calendar_refresh.call_local()

    this_year = timezone.localdate().year
    assert this_year in result["seeded"] + result["unknown"]
