"""Platform background jobs (huey), and the helpers every app's ``tasks.py`` uses.

Tasks are thin: they take ids, bind a "job" request context (so audit rows say a job did it),
and call a service. ``local_crontab`` evaluates schedules in ``settings.TIME_ZONE``: huey hands
periodic checks a naive UTC timestamp (``utc=True``, its default), so a plain
``crontab(hour="2")`` would run at 02:00 UTC, which is 10:00 in Shanghai.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task

from neiqin.core import calendar, context
from neiqin.core.models import CalendarYear, Notification
from neiqin.core.notifications import notify

log = logging.getLogger(__name__)


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


# ---- holiday calendar ----------------------------------------------------------------------------


def calendar_package_years() -> list[int]:
    """The years the installed chinesecalendar package has the State Council's schedule for."""
    from chinese_calendar.constants import holidays

    return list(range(min(holidays).year, max(holidays).year + 1))


@dataclass
class CalendarSeeding:
    seeded: list[int] = field(default_factory=list)
    kept: list[int] = field(default_factory=list)  # already loaded (and maybe edited by an admin)
    unknown: list[int] = field(default_factory=list)  # the package does not know them


def calendar_seed_years(*, years: Iterable[int] | None = None, refresh: bool = False) -> CalendarSeeding:
    """Load years from chinesecalendar into the editable calendar table.

    A year already loaded is kept unless ``refresh``: admins correct the table by hand (company
    days off, a late State Council notice), and a routine run must not undo their edits.
    """
    package = set(calendar_package_years())
    loaded = set(CalendarYear.objects.values_list("year", flat=True))
    result = CalendarSeeding()
    for year in sorted(set(years) if years is not None else package):
        if year in loaded and not refresh:
            result.kept.append(year)
            continue
        if year not in package:
            result.unknown.append(year)
            continue
        with transaction.atomic():
            calendar.seed_year(year)
        result.seeded.append(year)
    return result


@db_periodic_task(local_crontab(day="1", hour="3", minute="30"))
def calendar_refresh() -> dict[str, list[int]]:
    """Monthly: make sure this year and next year are loaded (see ``calendar_refresh_for``)."""
    with job_context("calendar_refresh"):
        return calendar_refresh_for(timezone.localdate())


def calendar_refresh_for(today: dt.date) -> dict[str, list[int]]:
    """Seed this year and next year when the package knows them; otherwise warn, and tell the
    admins once when the year is close (this year always; next year from November, when the
    State Council usually publishes it)."""
    result = calendar_seed_years(years=[today.year, today.year + 1])
    for year in result.unknown:
        log.warning(
            "calendar: chinesecalendar does not know %s; working days fall back to Monday-Friday "
            "until an admin enters the holiday schedule (or chinesecalendar is upgraded)",
            year,
        )
        if year == today.year or today.month >= 11:
            _ask_admins_for(year)
    return {"seeded": result.seeded, "kept": result.kept, "unknown": result.unknown}


def _ask_admins_for(year: int) -> None:
    from neiqin.accounts.models import User
    from neiqin.accounts.roles import Role

    title = _("请录入 %(year)s 年节假日安排") % {"year": year}
    body = _("系统内置的节假日数据不含 %(year)s 年。请按国务院办公厅通知在“节假日调整”中录入放假和调休日期。") % {
        "year": year
    }
    admins = User.objects.filter(Q(groups__name=Role.ADMIN) | Q(is_superuser=True), is_active=True).distinct()
    for admin in admins:
        if not Notification.objects.filter(user=admin, title=title).exists():
            notify(user=admin, title=title, body=body)
