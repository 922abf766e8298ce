"""Order desk API: /api/v1/opportunities… (OPP-1, OPP-2).

Reading: everybody who sees amounts (not the warehouse), within the customer scope (a
salesperson sees opportunities of own customers and own ones; 404 otherwise). Writing: the
order entry roles. Unsafe operations honour the ``Idempotency-Key`` header.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Path, Query, Router

from neiqin.customers.schemas import MAX_ID
from neiqin.sales import selectors
from neiqin.sales.api.orders import (
    ERRORS_READ,
    ERRORS_WRITE,
    as_json,
    customer_ref,
    money,
    once,
    page,
    require_entry,
    require_view,
    user_ref,
)
from neiqin.sales.api.orders import _customer as customer_in_scope
from neiqin.sales.api.schemas import (
    ConversionReportOut,
    OpportunityCreateIn,
    OpportunityListQuery,
    OpportunityOut,
    OpportunityPageOut,
    OpportunityStageIn,
)
from neiqin.sales.choices import OPPORTUNITY_FLOW, MilestoneKind
from neiqin.sales.models import Opportunity
from neiqin.sales.services import opportunities as services

router = Router(tags=["opportunities"])


def _id_path() -> Any:
    return Path(..., ge=1, le=MAX_ID)


def weighted(opportunity: Opportunity) -> Decimal:
    return opportunity.expected_amount * opportunity.probability / 100


def _summary(opportunity: Opportunity) -> dict[str, Any]:
    return {
        "id": opportunity.pk,
        "title": opportunity.title,
        "customer": customer_ref(opportunity.customer),
        "owner": user_ref(opportunity.owner),
        "stage": opportunity.stage,
        "stage_label": str(opportunity.get_stage_display()),
        "expected_amount": money(opportunity.expected_amount),
        "weighted_amount": money(weighted(opportunity)),
        "expected_on": opportunity.expected_on,
        "probability": opportunity.probability,
        "is_project": opportunity.is_project,
        "closed_on": opportunity.closed_on,
        "updated_at": opportunity.updated_at,
        "version": opportunity.version,
    }


def milestone_overdue(milestone: Any, today: dt.date | None = None) -> bool:
    today = today or timezone.localdate()
    return milestone.planned_on is not None and milestone.done_on is None and milestone.planned_on < today


def opportunity_dict(opportunity: Opportunity) -> dict[str, Any]:
    opportunity = Opportunity.objects.select_related("customer", "owner").get(pk=opportunity.pk)
    order = {kind: index for index, kind in enumerate(MilestoneKind.values)}
    milestones = sorted(opportunity.milestones.all(), key=lambda m: order.get(m.kind, 99))
    data = _summary(opportunity)
    data.update(
        lost_reason=opportunity.lost_reason,
        notes=opportunity.notes,
        created_at=opportunity.created_at,
        stage_targets=sorted(OPPORTUNITY_FLOW.targets(opportunity.stage)),
        stage_changes=[
            {
                "from_stage": change.from_stage,
                "to_stage": change.to_stage,
                "changed_by": user_ref(change.changed_by),
                "changed_at": change.changed_at,
            }
            for change in opportunity.stage_changes.select_related("changed_by")
        ],
        milestones=[
            {
                "kind": m.kind,
                "label": str(m.get_kind_display()),
                "planned_on": m.planned_on,
                "done_on": m.done_on,
                "collection_amount": money(m.collection_amount),
                "collected_amount": money(m.collected_amount),
                "note": m.note,
                "overdue": milestone_overdue(m),
            }
            for m in milestones
        ],
    )
    return data


def filtered(user: Any, query: Any) -> Any:
    qs = selectors.opportunity_queryset(user=user)
    if query.stage:
        qs = qs.filter(stage=query.stage)
    if query.owner:
        qs = qs.filter(owner_id=query.owner)
    if getattr(query, "customer", None):
        qs = qs.filter(customer_id=query.customer)
    if query.expected_from:
        qs = qs.filter(expected_on__gte=query.expected_from)
    if query.expected_to:
        qs = qs.filter(expected_on__lte=query.expected_to)
    if query.q:
        q = query.q.strip()
        qs = qs.filter(Q(title__icontains=q) | Q(customer__name__icontains=q))
    return qs


def conversion_report(user: Any) -> dict[str, Any]:
    """Conversion overall and per salesperson (owners of the opportunities the user sees)."""
    return {
        "overall": selectors.opportunity_conversion(user=user),
        "by_owner": [
            {**row, "owner": user_ref(row["owner"])} for row in selectors.opportunity_conversion_by_owner(user=user)
        ],
    }


@router.get(
    "/opportunities",
    response={200: OpportunityPageOut, **ERRORS_READ},
    operation_id="opportunities_list",
    summary="Opportunities in the caller's scope with pipeline totals per stage",
)
def opportunities_list(request: HttpRequest, query: Query[OpportunityListQuery]):
    require_view(request.user)
    qs = filtered(request.user, query)
    data = page(qs.order_by("-updated_at", "-id"), query, _summary)
    data["pipeline"] = [
        {**row, "expected_amount": money(row["expected_amount"]), "weighted_amount": money(row["weighted_amount"])}
        for row in selectors.opportunity_pipeline(qs)
    ]
    return data


@router.post(
    "/opportunities",
    response={201: OpportunityOut, **ERRORS_WRITE},
    operation_id="opportunities_create",
    summary="Record an opportunity (project deals get the milestone plan)",
)
def opportunities_create(request: HttpRequest, response: HttpResponse, payload: OpportunityCreateIn):
    user = request.user
    require_entry(user)

    def create() -> tuple[int, Any]:
        customer = customer_in_scope(user, payload.customer_id)
        fields = payload.model_dump(exclude_unset=True, exclude={"customer_id"})
        opportunity = services.opportunity_create(customer=customer, fields=fields, by=user)
        return 201, as_json(OpportunityOut, opportunity_dict(opportunity))

    return once(request, response, payload=payload.model_dump(), action=create)


@router.get(
    "/opportunities/conversion",
    response={200: ConversionReportOut, **ERRORS_READ},
    operation_id="opportunities_conversion",
    summary="Conversion per stage, overall and per salesperson",
)
def opportunities_conversion(request: HttpRequest):
    require_view(request.user)
    return conversion_report(request.user)


@router.get(
    "/opportunities/{opportunity_id}",
    response={200: OpportunityOut, **ERRORS_READ},
    operation_id="opportunities_get",
    summary="One opportunity with its stage history and milestones",
)
def opportunities_get(request: HttpRequest, opportunity_id: int = _id_path()):
    require_view(request.user)
    return opportunity_dict(selectors.opportunity_get_for_user(user=request.user, pk=opportunity_id))


@router.post(
    "/opportunities/{opportunity_id}/stage",
    response={200: OpportunityOut, **ERRORS_WRITE},
    operation_id="opportunities_set_stage",
    summary="Move the stage (输单 needs a reason)",
)
def opportunities_set_stage(
    request: HttpRequest, response: HttpResponse, payload: OpportunityStageIn, opportunity_id: int = _id_path()
):
    require_view(request.user)
    opportunity = selectors.opportunity_get_for_user(user=request.user, pk=opportunity_id)
    require_entry(request.user)

    def move() -> tuple[int, Any]:
        moved = services.opportunity_set_stage(
            opportunity=opportunity, stage=payload.stage, by=request.user, lost_reason=payload.lost_reason
        )
        return 200, as_json(OpportunityOut, opportunity_dict(moved))

    return once(request, response, payload=payload.model_dump(), action=move)
