"""The customer archive's jobs: registered with their schedules, nightly pool return.

The handover reminder job is tested with its service in ``test_handover_reminders.py``.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from huey.contrib.djhuey import HUEY

from neiqin.core.models import Event
from neiqin.customers import services
from neiqin.customers.models import Customer
from neiqin.customers.tasks import pool_auto_return_nightly
from neiqin.demo.context import Clock


@pytest.fixture
def clock():
    return Clock(timezone.now())


def new_customer(cast, name: str, *, owner=None) -> Customer:
    return services.customer_create(fields={"name": name}, by=cast.clerk, owner=owner)


def periodic_names(utc: dt.datetime) -> set[str]:
    return {task.name for task in HUEY.read_periodic(utc)}


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
