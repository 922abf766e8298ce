"""Platform background jobs (huey), and the helpers every app's ``tasks.py`` uses.

Tasks are thin: they take ids, bind a "job" request context (so audit rows say a job did it),
and call a service. ``local_crontab`` evaluates schedules in ``settings.TIME_ZONE``: huey hands
periodic checks a naive UTC timestamp (``utc=True``, its default), so a plain
``crontab(hour="2")`` would run at 02:00 UTC, which is 10:00 in Shanghai.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task

from neiqin.core import calendar, context


def local_crontab(**fields: str) -> Callable[[dt.datetime], bool]:
    """``huey.crontab`` whose fields are read in the project's time zone (Asia/Shanghai)."""
    matches = crontab(**fields)

    def validate(timestamp: dt.datetime) -> bool:
        return matches(to_local(timestamp))

    return validate


def to_local(timestamp: dt.datetime) -> dt.datetime:
    """huey's timestamp (naive; UTC unless huey runs with ``utc=False``) as naive local time."""
    if timestamp.tzinfo is None:
        timestamp = timestamp.replace(tzinfo=dt.UTC) if HUEY.utc else timestamp.astimezone()
    return timestamp.astimezone(ZoneInfo(settings.TIME_ZONE)).replace(tzinfo=None)


@contextmanager
def job_context(name: str) -> Iterator[None]:
    """Audit rows written inside carry channel "job" and the job's name as request id."""
    token = context.bind(context.RequestContext(request_id=name[:32], channel="job"))
    try:
        yield
    finally:
        context.reset(token)


# ---- jobs ----------------------------------------------------------------------------------------


@db_periodic_task(local_crontab(day="1", hour="3", minute="30"))
def calendar_refresh() -> dict[str, list[int]]:
    """Monthly: make sure this year and next year are loaded (see ``calendar.refresh_for``)."""
    with job_context("calendar_refresh"):
        return calendar.refresh_for(timezone.localdate())


@db_periodic_task(crontab(minute="*/5"))
def notifications_email() -> dict[str, int]:
    """Every 5 minutes: the e-mail leg of new notifications (SYS-5; ORD-6 asks for 30 minutes)."""
    from neiqin.core.notifications import notifications_send_emails

    with job_context("notifications_email"):
        run = notifications_send_emails()
    return {"mails": run.mails, "notifications": run.notifications, "failed": run.failed}
