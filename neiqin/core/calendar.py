"""Working days: Monday-Friday adjusted by the editable CalendarDay table (holidays and 调休).

Years are seeded from the ``chinesecalendar`` package (which only knows years up to its
release); an unknown year falls back to plain Monday-Friday and logs a warning so an admin
enters the State Council's schedule for it.
"""

from __future__ import annotations

import datetime as dt
import logging
from functools import lru_cache

from neiqin.core.models import CalendarDay, CalendarYear

log = logging.getLogger(__name__)


def seed_year(year: int) -> bool:
    """Load one year's holidays from chinesecalendar; False when the package lacks that year."""
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
