"""Background jobs of the catalogue (huey): dated price changes come into force.

Thin wrappers: they bind a job context and call a service.
"""

from __future__ import annotations

from huey.contrib.djhuey import db_periodic_task

from neiqin.catalog import services
from neiqin.core.tasks import job_context, local_crontab


@db_periodic_task(local_crontab(hour="0", minute="10"))
def apply_due_price_changes_daily() -> int:
    """00:10 Asia/Shanghai: future-dated price changes whose day has come take effect, and the
    company price in force is mirrored onto ``Product.standard_price`` (idempotent)."""
    with job_context("apply_due_price_changes"):
        return services.apply_due_price_changes()
