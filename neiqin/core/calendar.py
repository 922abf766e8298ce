"""Working days: Monday-Friday adjusted by the editable CalendarDay table (holidays and 调休).

Years are seeded from the ``chinesecalendar`` package (which only knows years up to its
release); an unknown year falls back to plain Monday-Friday and logs a warning so an admin
enters the State Council's schedule for it. ``seed_years`` backs the ``seed_calendar`` command,
``refresh_for`` the monthly ``calendar_refresh`` job in ``neiqin.core.tasks``.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from neiqin.core.models import CalendarDay, CalendarYear, Notification
from neiqin.core.notifications import notify

log = logging.getLogger(__name__)


def seed_year(year: int) -> bool:
    """Load one year's holidays from chinesecalendar, replacing that year's rows (manual edits
    included) in one transaction; False, and nothing changed, when the package lacks that year."""
    import chinese_calendar

    day = dt.date(year, 1, 1)
    rows: list[CalendarDay] = []
    try:
        while day.year == year:
            on_holiday, name = chinese_calendar.get_holiday_detail(day)
            weekday_work = day.weekday() < 5
            is_work = not on_holiday
            if is_work != weekday_work:
                rows.append(CalendarDay(date=day, is_workday=is_work, name=str(getattr(name, "value", name) or "")))
            day += dt.timedelta(days=1)
    except NotImplementedError:
        return False
    with transaction.atomic():  # replace the year's rows as a whole: never half a year
        CalendarDay.objects.filter(date__year=year).delete()
        CalendarDay.objects.bulk_create(rows)
        CalendarYear.objects.update_or_create(year=year, defaults={"source": "chinesecalendar"})
    known_years.cache_clear()
    return True


@lru_cache(maxsize=1)
def known_years() -> frozenset[int]:
    return frozenset(CalendarYear.objects.values_list("year", flat=True))


def is_workday(day: dt.date) -> bool:
    if day.year not in known_years():
        log.warning("calendar: year %s has no holiday schedule; assuming Monday-Friday", day.year)
        return day.weekday() < 5
    override = CalendarDay.objects.filter(date=day).values_list("is_workday", flat=True).first()
    return override if override is not None else day.weekday() < 5


def add_workdays(day: dt.date, count: int) -> dt.date:
    """The date ``count`` working days after ``day`` (count >= 0)."""
    current = day
    remaining = count
    while remaining > 0:
        current += dt.timedelta(days=1)
        if is_workday(current):
            remaining -= 1
    return current


# ---- seeding and the monthly refresh ------------------------------------------------------------


def package_years() -> list[int]:
    """The years the installed chinesecalendar package has the State Council's schedule for."""
    from chinese_calendar.constants import holidays

    return list(range(min(holidays).year, max(holidays).year + 1))


@dataclass
class CalendarSeeding:
    seeded: list[int] = field(default_factory=list)
    kept: list[int] = field(default_factory=list)  # already loaded (and maybe edited by an admin)
    unknown: list[int] = field(default_factory=list)  # the package does not know them


def seed_years(*, years: Iterable[int] | None = None, refresh: bool = False) -> CalendarSeeding:
    """Load years from chinesecalendar into the editable calendar table.

    A year already loaded is kept unless ``refresh``: admins correct the table by hand (company
    days off, a late State Council notice), and a routine run must not undo their edits.
    """
    package = set(package_years())
    loaded = set(CalendarYear.objects.values_list("year", flat=True))
    result = CalendarSeeding()
    for year in sorted(set(years) if years is not None else package):
        if year in loaded and not refresh:
            result.kept.append(year)
            continue
        if year not in package:
            result.unknown.append(year)
            continue
        seed_year(year)
        result.seeded.append(year)
    return result


def refresh_for(today: dt.date) -> dict[str, list[int]]:
    """Seed this year and next year when the package knows them; otherwise warn, and tell the
    admins once when the year is close (this year always; next year from November, when the
    State Council usually publishes it)."""
    result = seed_years(years=[today.year, today.year + 1])
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
    # core sits below accounts: import users and roles only when an admin has to be asked.
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
