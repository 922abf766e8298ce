"""Who answers for a customer: assign, acknowledge, claim from and release to the pool (公海).

Scope is computed from the owner, so every change here also writes an ``Assignment`` history
row. Overdue handovers are reminded to whoever assigned them or manages the team.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from neiqin.accounts.models import User
from neiqin.core import audit
from neiqin.core.errors import Conflict, PermissionDenied, ValidationFailed
from neiqin.core.models import Notification
from neiqin.core.notifications import notify
from neiqin.customers import rules, selectors
from neiqin.customers.choices import AssignmentKind, Stage
from neiqin.customers.models import Assignment, Customer
from neiqin.customers.services.guards import _locked, _require_assign, check_owner


def _assignment_row(*, customer: Customer, kind: str, from_owner: User | None, by: Any, reason: str) -> Assignment:
    return Assignment.objects.create(
        customer=customer,
        kind=kind,
        from_owner=from_owner,
        to_owner=customer.owner,
        by=by if getattr(by, "pk", None) else None,
        reason=reason[:200],
        due_at=customer.handover_due_at,
        acknowledged_at=customer.acknowledged_at,
    )


def _notify_new_owner(*, customer: Customer, by: Any) -> None:
    if customer.owner_id and customer.owner_id != getattr(by, "pk", None) and customer.handover_due_at:
        due = timezone.localtime(customer.handover_due_at).strftime("%m-%d %H:%M")
        notify(
            user=customer.owner,
            title=_("新分配客户：%(name)s") % {"name": customer.name},
            body=_("请在 %(due)s 前确认接收并了解客户背景。") % {"due": due},
            obj=customer,
        )


@transaction.atomic
def customer_assign(*, customer: Customer, owner: User, by: Any, reason: str = "") -> Customer:
    """Assign or reassign to a salesperson; the new owner must acknowledge within the deadline.
    The previous owner loses access on the next request (scope is computed from the owner)."""
    _require_assign(by, owner)
    current = _locked(customer)
    owner = check_owner(owner)
    if current.owner_id == owner.pk:
        raise Conflict(_("该客户已由 %(owner)s 负责。") % {"owner": owner}, code="already_owner")
    previous = current.owner
    now = timezone.now()
    before = audit.snapshot(current, ("owner", "team"))
    current.owner, current.team_id = owner, owner.team_id
    current.assigned_at, current.acknowledged_at, current.pooled_at = now, None, None
    current.handover_due_at = now + dt.timedelta(hours=settings.NEIQIN_HANDOVER_HOURS)
    current.version += 1
    current.save()
    kind = AssignmentKind.REASSIGN if previous else AssignmentKind.ASSIGN
    _assignment_row(customer=current, kind=kind, from_owner=previous, by=by, reason=reason)
    audit.record(
        action="customers.customer.assigned",
        obj=current,
        by=by,
        changes=audit.diff(before, audit.snapshot(current, ("owner", "team"))),
        data={"reason": reason},
    )
    _notify_new_owner(customer=current, by=by)
    if previous and previous.pk != getattr(by, "pk", None):
        notify(
            user=previous,
            title=_("客户已转交：%(name)s") % {"name": current.name},
            body=_("已转交给 %(owner)s。") % {"owner": owner},
            obj=None,
        )
    return current


@transaction.atomic
def customer_acknowledge(*, customer: Customer, by: Any) -> Customer:
    """The new owner confirms the handover (assigned → acknowledged)."""
    current = _locked(customer)
    if current.owner_id != getattr(by, "pk", None):
        raise PermissionDenied(_("只有负责业务员可以确认接收。"))
    if current.acknowledged_at is not None:
        raise Conflict(_("已经确认接收过了。"), code="already_acknowledged")
    current.acknowledged_at = timezone.now()
    current.save(update_fields=["acknowledged_at", "updated_at"])
    Assignment.objects.filter(customer=current, to_owner=by, acknowledged_at__isnull=True).update(
        acknowledged_at=current.acknowledged_at
    )  # Assignment is itself a history table; the acknowledgement is audited below
    audit.record(action="customers.customer.acknowledged", obj=current, by=by)
    return current


@transaction.atomic
def customer_claim(*, customer: Customer, by: Any) -> Customer:
    """A salesperson takes a customer from the shared pool (公海); first come, first served."""
    current = _locked(customer)
    if current.owner_id is not None:
        raise Conflict(_("该客户已被 %(owner)s 领取。") % {"owner": current.owner}, code="already_claimed")
    if not rules.can_claim(by, current):
        raise PermissionDenied(_("只有业务员可以从公海领取客户。"))
    now = timezone.now()
    current.owner, current.team_id = by, by.team_id
    current.assigned_at = current.acknowledged_at = now
    current.handover_due_at = current.pooled_at = None
    current.version += 1
    current.save()
    _assignment_row(customer=current, kind=AssignmentKind.CLAIM, from_owner=None, by=by, reason="")
    audit.record(action="customers.customer.claimed", obj=current, by=by, changes={"owner": [None, by.pk]})
    return current


@transaction.atomic
def customer_release(*, customer: Customer, by: Any, reason: str, automatic: bool = False) -> Customer:
    """Return a customer to the pool, with the reason kept in the history."""
    current = _locked(customer)
    if not automatic and not rules.can_release(by, current):
        raise PermissionDenied(_("您不能把这个客户退回公海。"))
    if current.owner_id is None:
        raise Conflict(_("该客户已在公海中。"), code="already_in_pool")
    reason = reason.strip()
    if not reason:
        raise ValidationFailed(_("请填写退回公海的原因。"), extra={"fields": {"reason": [_("必填")]}})
    previous = current.owner
    current.owner = None
    current.team = None
    current.pooled_at = timezone.now()
    current.assigned_at = current.acknowledged_at = current.handover_due_at = None
    current.version += 1
    current.save()
    kind = AssignmentKind.AUTO_RELEASE if automatic else AssignmentKind.RELEASE
    _assignment_row(customer=current, kind=kind, from_owner=previous, by=by, reason=reason)
    audit.record(
        action="customers.customer.released",
        obj=current,
        by=by,
        changes={"owner": [previous.pk, None]},
        data={"reason": reason, "automatic": automatic},
    )
    return current


def pool_auto_return(*, now: dt.datetime | None = None, days: int | None = None) -> int:
    """Return to the pool customers not yet signed whose owner has not followed up for N days."""
    now = now or timezone.now()
    days = settings.NEIQIN_POOL_RETURN_DAYS if days is None else days
    cutoff = now - dt.timedelta(days=days)
    stale = (
        Customer.objects.filter(owner__isnull=False)
        .exclude(stage=Stage.SIGNED)
        .filter(Q(last_contact_at__lt=cutoff) | Q(last_contact_at__isnull=True, assigned_at__lt=cutoff))
    )
    count = 0
    for customer in stale.order_by("pk").iterator():
        customer_release(
            customer=customer, by=None, automatic=True, reason=_("%(days)s 天未跟进，自动退回公海") % {"days": days}
        )
        count += 1
    return count


# ---- handover reminders -----------------------------------------------------------------------


@transaction.atomic
def handover_overdue_remind(*, user: User) -> int:
    """Tell ``user`` about overdue handovers they answer for; returns how many reminders were sent.

    They answer for customers whose pending handover they assigned, and for customers of the
    teams they manage. Each handover is reminded once: a later assignment is a new handover.
    Only files the user may see are considered, so a reminder never reveals one outside their
    scope. The half-hourly job calls this for every user who may assign customers.
    """
    visible = selectors.customer_visible_q(user)
    if not user.is_active or visible is None:
        return 0
    pending_assigner = (
        Assignment.objects.filter(customer=OuterRef("pk"), to_owner=OuterRef("owner"), acknowledged_at__isnull=True)
        .order_by("-created_at", "-id")
        .values("by")[:1]
    )
    overdue = (
        selectors.handovers_overdue_all()
        .filter(visible)
        .annotate(pending_assigner=Subquery(pending_assigner))
        .filter(Q(team__manager=user) | Q(pending_assigner=user.pk))
    )
    sent = 0
    for customer in overdue:
        if not _handover_reminded(user=user, customer=customer):
            _handover_remind(user=user, customer=customer)
            sent += 1
    return sent


def _handover_reminder_title(customer: Customer) -> str:
    return _("交接超时未确认：%(name)s") % {"name": customer.name}


def _handover_reminded(*, user: User, customer: Customer) -> bool:
    """Already told about this handover (the one that started at ``assigned_at``)."""
    return Notification.objects.filter(
        user=user,
        object_type=customer._meta.label_lower,
        object_id=str(customer.pk),
        title=_handover_reminder_title(customer)[:120],
        created_at__gte=customer.assigned_at,
    ).exists()


def _handover_remind(*, user: User, customer: Customer) -> None:
    due = timezone.localtime(customer.handover_due_at).strftime("%m-%d %H:%M")
    body = _("%(owner)s 未在 %(due)s 前确认接收客户 %(code)s %(name)s，请督促确认或重新分配。") % {
        "owner": customer.owner,
        "due": due,
        "code": customer.code,
        "name": customer.name,
    }
    notify(user=user, title=_handover_reminder_title(customer), body=body, obj=customer)
