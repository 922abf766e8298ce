"""Background jobs of the stock app (huey), each a thin wrapper around a service.

07:30 low-stock alert to the warehouse and the clerks; 08:00 the quarterly count reminder (the
service decides whether today is the first workday of a quarter); 08:05 the overdue loan
reminder. The count and loan services are imported when the job runs, and an import error is
not caught: a missing service must fail the job loudly, not skip it silently.
"""

from __future__ import annotations

from django.utils import timezone
from huey.contrib.djhuey import db_periodic_task

from neiqin.core.tasks import job_context, local_crontab
from neiqin.stock.services.alerts import low_stock_alert


@db_periodic_task(local_crontab(hour="7", minute="30"))
def low_stock_alert_daily() -> int:
    """07:30 every day: tell the warehouse and the clerks which products are below safety stock."""
    with job_context("low_stock_alert"):
        return low_stock_alert(today=timezone.localdate())


@db_periodic_task(local_crontab(hour="8", minute="0"))
def count_reminder_daily() -> int:
    """08:00 every day: the quarterly stock count reminder (sent on the quarter's first workday)."""
    from neiqin.stock.services.counts import count_reminders

    with job_context("count_reminders"):
        return count_reminders(today=timezone.localdate())


@db_periodic_task(local_crontab(hour="8", minute="5"))
def loans_overdue_daily() -> int:
    """08:05 every day: remind borrowers (and the warehouse) of product loans past their due date."""
    from neiqin.stock.services.materials import loans_overdue_remind

    with job_context("loans_overdue_remind"):
        return loans_overdue_remind(today=timezone.localdate())
