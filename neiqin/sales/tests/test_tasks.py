"""The order desk's periodic jobs: schedules in Shanghai time, and each job run through huey
(immediate mode in tests) calling its service: the contract expiry reminder and the purge of
old idempotency keys."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from huey.contrib.djhuey import HUEY

from neiqin.core.models import IdempotencyRecord, Notification
from neiqin.sales.services import contracts
from neiqin.sales.tasks import contracts_expiry_remind_daily, idempotency_purge_nightly
from neiqin.sales.tests.conftest import line

pytestmark = pytest.mark.django_db


def periodic(utc: dt.datetime) -> set[str]:
    return {task.name.rsplit(".", 1)[-1] for task in HUEY.read_periodic(utc)}


def test_jobs_run_at_their_local_times():
    """08:10 in Shanghai is 00:10 UTC; 03:30 in Shanghai is 19:30 UTC the day before."""
    assert "contracts_expiry_remind_daily" in periodic(dt.datetime(2026, 3, 2, 0, 10))
    assert "contracts_expiry_remind_daily" not in periodic(dt.datetime(2026, 3, 2, 8, 10))
    assert "idempotency_purge_nightly" in periodic(dt.datetime(2026, 3, 1, 19, 30))
    assert "idempotency_purge_nightly" not in periodic(dt.datetime(2026, 3, 2, 3, 30))


@pytest.fixture(autouse=True)
def _home(settings, tmp_path):
    settings.NEIQIN_HOME = str(tmp_path)


def _effective(world, *, days: int, title: str):
    draft = contracts.contract_create(
        customer=world.acme,
        by=world.cast.clerk,
        title=title,
        lines=[line(world.floor, 10)],
        ends_on=timezone.localdate() + dt.timedelta(days=days),
    )
    contract = contracts.contract_submit_review(contract=draft, by=world.cast.clerk)
    contracts.contract_review(contract=contract, kind="legal", by=world.cast.deputy, approved=True)
    contracts.contract_review(contract=contract, kind="finance", by=world.cast.finance, approved=True)
    return contracts.contract_sign(
        contract=contract,
        by=world.cast.clerk,
        signed_on=timezone.localdate(),
        seller_signatory="王经理",
        buyer_signatory="李总",
    )


def _told(contract) -> list[Notification]:
    """The expiry reminders about ``contract`` (the review results are notified too)."""
    notices = Notification.objects.filter(object_type="sales.contract", object_id=str(contract.pk))
    return list(notices.filter(title__endswith="到期"))


def test_a_contract_ending_in_exactly_its_warning_days_gets_one_notification(world):
    due = _effective(world, days=30, title="到期提醒合同")  # the default warning: 30 days
    later = _effective(world, days=31, title="还早的合同")
    assert _told(due) == []

    contracts_expiry_remind_daily()  # through huey, immediate mode

    (notice,) = _told(due)
    assert notice.user == world.cast.sales1  # the contract's owner
    assert due.number in notice.title and "30" in notice.body
    assert _told(later) == []


def test_the_job_returns_how_many_were_told(world):
    _effective(world, days=30, title="到期提醒合同")
    assert contracts_expiry_remind_daily.call_local() == 1


def test_the_purge_job_forgets_keys_older_than_a_week(cast):
    old = IdempotencyRecord.objects.create(key="old", user=cast.clerk, scope="sales:order_create", request_hash="a")
    fresh = IdempotencyRecord.objects.create(key="new", user=cast.clerk, scope="sales:order_create", request_hash="b")
    IdempotencyRecord.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=8))

    idempotency_purge_nightly()  # through huey, immediate mode

    assert list(IdempotencyRecord.objects.values_list("pk", flat=True)) == [fresh.pk]
    assert idempotency_purge_nightly.call_local() == 0
