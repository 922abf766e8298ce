import pytest

from neiqin.core import calendar


@pytest.fixture
def fresh_calendar(db):
    """An empty holiday table, with the cache of loaded years cleared before and after."""
    calendar.known_years.cache_clear()
    yield
    calendar.known_years.cache_clear()
