"""Background jobs of the customer archive (huey): the nightly pool return and handover checks.

Thin wrappers: they take ids, bind a job context and call a service.
"""

from __future__ import annotations

from django.db.models import Q
from huey.contrib.djhuey import db_periodic_task, db_task

from neiqin.accounts.models import User
from neiqin.accounts.roles import CAN_ASSIGN_CUSTOMERS
from neiqin.core.tasks import job_context, local_crontab
from neiqin.customers import services


@db_periodic_task(local_crontab(hour="2", minute="10"))
def pool_auto_return_nightly() -> int:
    """02:10 every night: customers without follow-up for N days go back to the pool (公海)."""
    with job_context("pool_auto_return"):
        return services.pool_auto_return()


@db_periodic_task(local_crontab(minute="*/30"))
def handover_overdue_scan() -> int:
    """Every half hour: one job per user who may assign customers (clerk, managers, GM, admin)."""
    user_ids = list(
        User.objects.filter(Q(groups__name__in=CAN_ASSIGN_CUSTOMERS) | Q(is_superuser=True), is_active=True)
        .values_list("pk", flat=True)
        .distinct()
        .order_by("pk")
    )
    for user_id in user_ids:
        handover_overdue_notify(user_id)
    return len(user_ids)


@db_task()
def handover_overdue_notify(user_id: int) -> int:
    """Remind one user of the overdue handovers they answer for (see ``handover_overdue_remind``)."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return 0
    with job_context("handover_overdue"):
        return services.handover_overdue_remind(user=user)
