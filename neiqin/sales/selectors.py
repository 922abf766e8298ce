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
    """Conversion per stage: how many opportunities reached each stage and the share that went on."""
    qs = opportunity_queryset(user=user)
    if owner_id:
        qs = qs.filter(owner_id=owner_id)
    reached: Counter[str] = Counter()
    pairs = (
        OpportunityStageChange.objects.filter(opportunity__in=qs).values_list("opportunity_id", "to_stage").distinct()
    )
    for _opportunity, stage in pairs:
        reached[stage] += 1
    order = [s for s in OpportunityStage.values if s != OpportunityStage.LOST]
    rows = []
    for index, stage in enumerate(order):
        count = reached.get(stage, 0)
        following = reached.get(order[index + 1], 0) if index + 1 < len(order) else None
        rows.append(
            {
                "stage": stage,
                "label": str(OpportunityStage(stage).label),
                "count": count,
                "next_rate": (round(following * 100 / count, 1) if count and following is not None else None),
            }
        )
    won = reached.get(OpportunityStage.WON, 0)
    lost = reached.get(OpportunityStage.LOST, 0)
    return {
        "stages": rows,
        "won": won,
        "lost": lost,
        "win_rate": round(won * 100 / (won + lost), 1) if won + lost else None,
    }
