"""Background jobs of the customer archive (huey): the nightly pool return and handover checks."""

from __future__ import annotations

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from huey.contrib.djhuey import db_periodic_task, db_task

from neiqin.accounts.models import User
from neiqin.accounts.roles import CAN_ASSIGN_CUSTOMERS
from neiqin.core.models import Notification
from neiqin.core.notifications import notify
from neiqin.core.tasks import job_context, local_crontab
from neiqin.customers import selectors, services
from neiqin.customers.models import Assignment, Customer


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
    """Tell this user about overdue handovers they are responsible for: customers they assigned,
    and customers of the teams they manage. Once per handover; returns how many were sent."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return 0
    sent = 0
    with job_context("handover_overdue"):
        for customer in selectors.handover_overdue(user=user).order_by("handover_due_at", "pk"):
            if _responsible(user, customer) and not _already_told(user, customer):
                _tell(user, customer)
                sent += 1
    return sent


def _responsible(user: User, customer: Customer) -> bool:
    if customer.team is not None and customer.team.manager_id == user.pk:
        return True
    pending = (
        Assignment.objects.filter(customer=customer, to_owner_id=customer.owner_id, acknowledged_at__isnull=True)
        .order_by("-created_at", "-id")
        .first()
    )
    return pending is not None and pending.by_id == user.pk


def _title(customer: Customer) -> str:
    return _("交接超时未确认：%(name)s") % {"name": customer.name}


def _already_told(user: User, customer: Customer) -> bool:
    return Notification.objects.filter(
        user=user,
        object_type=customer._meta.label_lower,
        object_id=str(customer.pk),
        title=_title(customer)[:120],
        created_at__gte=customer.assigned_at,
    ).exists()


def _tell(user: User, customer: Customer) -> None:
    due = timezone.localtime(customer.handover_due_at).strftime("%m-%d %H:%M")
    body = _("%(owner)s 未在 %(due)s 前确认接收客户 %(code)s %(name)s，请督促确认或重新分配。") % {
        "owner": customer.owner,
        "due": due,
        "code": customer.code,
        "name": customer.name,
    }
    notify(user=user, title=_title(customer), body=body, obj=customer)
