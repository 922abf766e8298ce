"""Background jobs of the order desk (huey), each a thin wrapper around a service.

08:10 every day the contract expiry reminder (the service decides, per contract, whether today is
one of its warning days); 03:30 every night the purge of idempotency keys older than a week.
Schedules are read in Asia/Shanghai (``local_crontab``).
"""

from __future__ import annotations

from django.utils import timezone
from huey.contrib.djhuey import db_periodic_task

from neiqin.core import idempotency
from neiqin.core.tasks import job_context, local_crontab
from neiqin.sales.services.contracts import contracts_expiry_remind


@db_periodic_task(local_crontab(hour="8", minute="10"))
def contracts_expiry_remind_daily() -> int:
    """08:10 every day: tell the owners of effective contracts nearing their end date."""
    with job_context("contracts_expiry_remind"):
        return contracts_expiry_remind(today=timezone.localdate())


@db_periodic_task(local_crontab(hour="3", minute="30"))
def idempotency_purge_nightly() -> int:
    """03:30 every night: forget idempotency keys older than a week (R3)."""
    with job_context("idempotency_purge"):
        return idempotency.purge()
