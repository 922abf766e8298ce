"""Reading the order desk, always within the user's customer scope: a salesperson sees only
documents of own customers (or own documents), a manager the team's, the desk everything."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from neiqin.core import audit
from neiqin.core.errors import NotFound
from neiqin.sales.choices import ApprovalStatus, OpportunityStage, OrderStatus
from neiqin.sales.models import ApprovalRequest, Contract, Opportunity, OpportunityStageChange, Quotation, SalesOrder
from neiqin.sales.services.checks import ROLE_RANK


def _visible(qs: QuerySet, user: Any) -> QuerySet:
    from neiqin.customers.models import Customer
    from neiqin.customers.selectors import customer_visible_q

    cond = customer_visible_q(user)
    own = Q(owner_id=getattr(user, "pk", None))
    if cond is None:  # no customer scope (warehouse): own documents only, which they have none of
        return qs.filter(own)
    if cond == Q():  # the whole archive
        return qs
    ids = list(Customer.objects.filter(cond).values_list("pk", flat=True))
    return qs.filter(Q(customer_id__in=ids) | own)


def order_queryset(*, user: Any) -> QuerySet[SalesOrder]:
    return _visible(SalesOrder.objects.select_related("customer", "owner"), user)


def order_get_for_user(*, user: Any, pk: Any) -> SalesOrder:
    try:
        return order_queryset(user=user).get(pk=int(pk))
    except (SalesOrder.DoesNotExist, TypeError, ValueError):
        raise NotFound(_("订单不存在。"))


def quotation_queryset(*, user: Any) -> QuerySet[Quotation]:
    return _visible(Quotation.objects.select_related("customer", "owner"), user)


def quotation_get_for_user(*, user: Any, pk: Any) -> Quotation:
    try:
        return quotation_queryset(user=user).get(pk=int(pk))
    except (Quotation.DoesNotExist, TypeError, ValueError):
        raise NotFound(_("报价单不存在。"))


def contract_queryset(*, user: Any) -> QuerySet[Contract]:
    return _visible(Contract.objects.select_related("customer", "owner"), user)


def contract_get_for_user(*, user: Any, pk: Any) -> Contract:
    try:
        return contract_queryset(user=user).get(pk=int(pk))
    except (Contract.DoesNotExist, TypeError, ValueError):
        raise NotFound(_("合同不存在。"))


def opportunity_queryset(*, user: Any) -> QuerySet[Opportunity]:
    return _visible(Opportunity.objects.select_related("customer", "owner"), user)


def opportunity_get_for_user(*, user: Any, pk: Any) -> Opportunity:
    try:
        return opportunity_queryset(user=user).get(pk=int(pk))
    except (Opportunity.DoesNotExist, TypeError, ValueError):
        raise NotFound(_("销售机会不存在。"))


@dataclass
class Inbox:
    drafts: QuerySet[SalesOrder]
    waiting_approval: QuerySet[SalesOrder]
    ready: QuerySet[SalesOrder]
    waiting_stock: QuerySet[SalesOrder]
    changed: QuerySet[SalesOrder]
    oral: QuerySet[SalesOrder]


def order_inbox(*, user: Any) -> Inbox:
    """The clerk's order inbox (new, waiting for approval, waiting for stock, changed)."""
    qs = order_queryset(user=user)
    return Inbox(
        drafts=qs.filter(status=OrderStatus.DRAFT),
        waiting_approval=qs.filter(status=OrderStatus.PENDING_APPROVAL),
        ready=qs.filter(status=OrderStatus.APPROVED),
        waiting_stock=qs.filter(status=OrderStatus.CONFIRMED, waiting_for_stock=True),
        changed=qs.filter(status=OrderStatus.CONFIRMED, changed_since_confirmation=True),
        oral=qs.filter(channel="oral", written_record="").exclude(status=OrderStatus.CANCELLED),
    )


def approval_queue(*, user: Any) -> QuerySet[ApprovalRequest]:
    """Pending approvals the user may decide: a role at or above the rule's, a customer in scope,
    and not their own request."""
    from neiqin.accounts.scoping import roles

    rank = max((ROLE_RANK.get(r, 0) for r in roles(user)), default=0)
    allowed_roles = [role for role, level in ROLE_RANK.items() if level <= rank]
    if not allowed_roles:
        return ApprovalRequest.objects.none()
    visible_orders = order_queryset(user=user).values("pk")
    visible_quotes = quotation_queryset(user=user).values("pk")
    return (
        ApprovalRequest.objects.filter(status=ApprovalStatus.PENDING, approver_role__in=allowed_roles)
        .filter(Q(order_id__in=visible_orders) | Q(quotation_id__in=visible_quotes))
        .exclude(requested_by=user)
        .select_related("rule", "order", "order__customer", "quotation", "quotation__customer", "requested_by")
        .order_by("requested_at")
    )


def approvals_for(*, document_type: str, document_id: int) -> QuerySet[ApprovalRequest]:
    return ApprovalRequest.objects.filter(document_type=document_type, document_id=document_id).select_related(
        "rule", "requested_by", "decided_by"
    )


def order_timeline(*, order: SalesOrder) -> list[dict[str, Any]]:
    """Every step of the order with time and person (ORD-7), from the audit trail."""
    events = audit.history(order).select_related("actor")
    return [
        {
            "at": e.created_at,
            "action": e.action,
            "actor": e.actor.display_name if e.actor else _("系统"),
            "data": e.data,
        }
        for e in events
    ]


def opportunity_conversion(*, user: Any, owner_id: int | None = None) -> dict[str, Any]:
    """Conversion per stage as a funnel: how many opportunities got at least as far as each stage
    (one that jumped from 线索 to 方案/报价 passed 已接洽 too; a won one passed every stage) and
    the share of those that went on to the next stage; won and lost are the current outcomes."""
    qs = opportunity_queryset(user=user)
    if owner_id:
        qs = qs.filter(owner_id=owner_id)
    funnel = [s for s in OpportunityStage.values if s != OpportunityStage.LOST]
    rank = {stage: index for index, stage in enumerate(funnel)}
    furthest: dict[int, int] = {}
    won = lost = 0
    for pk, stage in qs.values_list("pk", "stage"):
        furthest[pk] = rank.get(stage, 0)
        won += stage == OpportunityStage.WON
        lost += stage == OpportunityStage.LOST
    history = OpportunityStageChange.objects.filter(opportunity_id__in=list(furthest)).values_list(
        "opportunity_id", "to_stage"
    )
    for pk, stage in history:
        if stage in rank:
            furthest[pk] = max(furthest[pk], rank[stage])
    reached = Counter()
    for level in furthest.values():
        for index in range(level + 1):
            reached[index] += 1
    rows = []
    for index, stage in enumerate(funnel):
        count = reached.get(index, 0)
        following = reached.get(index + 1, 0) if index + 1 < len(funnel) else None
        rows.append(
            {
                "stage": stage,
                "label": str(OpportunityStage(stage).label),
                "count": count,
                "next_rate": (round(following * 100 / count, 1) if count and following is not None else None),
            }
        )
    return {
        "stages": rows,
        "total": len(furthest),
        "won": won,
        "lost": lost,
        "win_rate": round(won * 100 / (won + lost), 1) if won + lost else None,
    }


def opportunity_conversion_by_owner(*, user: Any) -> list[dict[str, Any]]:
    """``opportunity_conversion`` per salesperson owning opportunities the user sees, with
    ``owner`` (the user object) added to each."""
    from neiqin.accounts.models import User

    ids = set(opportunity_queryset(user=user).order_by().values_list("owner_id", flat=True))
    owners = User.objects.filter(pk__in=list(ids)).order_by("display_name", "username")
    return [{"owner": owner, **opportunity_conversion(user=user, owner_id=owner.pk)} for owner in owners]


def opportunity_pipeline(qs: QuerySet[Opportunity]) -> list[dict[str, Any]]:
    """Pipeline totals per stage of ``qs``: count, expected amount and weighted amount
    (expected amount × probability, rounded to fen once per stage)."""
    from decimal import Decimal

    from neiqin.core.money import round_amount

    totals = {stage: [0, Decimal("0"), Decimal("0")] for stage in OpportunityStage.values}
    for stage, amount, probability in qs.order_by().values_list("stage", "expected_amount", "probability"):
        row = totals.setdefault(stage, [0, Decimal("0"), Decimal("0")])
        row[0] += 1
        row[1] += amount or Decimal("0")
        row[2] += (amount or Decimal("0")) * probability / 100
    return [
        {
            "stage": stage,
            "label": str(OpportunityStage(stage).label),
            "count": count,
            "expected_amount": round_amount(amount),
            "weighted_amount": round_amount(weighted),
        }
        for stage, (count, amount, weighted) in totals.items()
    ]
