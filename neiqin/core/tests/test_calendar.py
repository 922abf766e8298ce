import datetime as dt
import logging

import pytest

from neiqin.core import calendar
from neiqin.core.models import CalendarDay


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


def test_add_workdays_skips_the_golden_week(seeded):
    assert calendar.add_workdays(dt.date(2026, 9, 30), 1) > dt.date(2026, 10, 7)
