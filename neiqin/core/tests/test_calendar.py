import datetime as dt
import logging

import pytest
from django.core.management import call_command

from neiqin.core import calendar
from neiqin.core.models import CalendarDay, CalendarYear, Notification


@pytest.fixture
def seeded(db):
    assert calendar.seed_year(2026)
    calendar.known_years.cache_clear()
    yield
    calendar.known_years.cache_clear()


def test_national_day_is_a_holiday_and_a_make_up_saturday_is_a_workday(seeded):
    assert calendar.is_workday(dt.date(2026, 10, 1)) is False  # 国庆节 (Thursday)
    assert calendar.is_workday(dt.date(2026, 10, 12)) is True  # ordinary Monday
    makeup = CalendarDay.objects.filter(date__year=2026, is_workday=True).first()
    assert makeup is not None and makeup.date.weekday() >= 5
    assert calendar.is_workday(makeup.date) is True


def test_holidays_can_be_edited(seeded):
    day = dt.date(2026, 11, 24)  # an ordinary Tuesday
    assert calendar.is_workday(day) is True
    CalendarDay.objects.create(date=day, is_workday=False, name="公司年会")
    assert calendar.is_workday(day) is False


def test_unknown_year_falls_back_to_monday_to_friday_with_a_warning(db, caplog):
    calendar.known_years.cache_clear()
    with caplog.at_level(logging.WARNING):
        assert calendar.is_workday(dt.date(2031, 1, 1)) is True  # Wednesday; the real 元旦 is unknown
        assert calendar.is_workday(dt.date(2031, 1, 4)) is False  # Saturday
    assert "2031" in caplog.text


def test_a_year_the_package_does_not_know_is_reported(db):
    assert calendar.seed_year(2099) is False


def test_reseeding_a_year_that_fails_halfway_keeps_the_previous_rows(seeded, monkeypatch):
    before = list(CalendarDay.objects.filter(date__year=2026).order_by("date").values_list("date", "name"))

    def broken_insert(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(CalendarDay.objects, "bulk_create", broken_insert)
    with pytest.raises(RuntimeError):
        calendar.seed_year(2026)

    after = list(CalendarDay.objects.filter(date__year=2026).order_by("date").values_list("date", "name"))
    assert after == before and len(before) > 0


def test_add_workdays_skips_the_golden_week(seeded):
    assert calendar.add_workdays(dt.date(2026, 9, 30), 1) > dt.date(2026, 10, 7)


# ---- seeding years and the monthly refresh -------------------------------------------------------


def test_calendar_refresh_loads_this_year_and_warns_about_an_unknown_next_year(cast, fresh_calendar, caplog):
    last = calendar.package_years()[-1]
    december = dt.date(last, 12, 1)

    with caplog.at_level(logging.WARNING):
        first = calendar.refresh_for(december)
    second = calendar.refresh_for(december)

    assert first == {"seeded": [last], "kept": [], "unknown": [last + 1]}
    assert second == {"seeded": [], "kept": [last], "unknown": [last + 1]}
    assert str(last + 1) in caplog.text
    asked = Notification.objects.filter(title=f"请录入 {last + 1} 年节假日安排")
    assert list(asked.values_list("user__username", flat=True)) == ["admin"]


def test_calendar_refresh_says_nothing_to_admins_about_next_year_before_november(cast, fresh_calendar):
    last = calendar.package_years()[-1]

    calendar.refresh_for(dt.date(last, 6, 1))

    assert CalendarYear.objects.filter(year=last).exists()
    assert not Notification.objects.exists()


def test_seed_calendar_loads_the_package_years_and_keeps_manual_edits(fresh_calendar):
    years = calendar.package_years()
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
