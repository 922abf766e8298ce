"""Order desk API: /api/v1/approvals… (ORD-5, RELIABILITY R3, R6).

The queue is the caller's: pending requests they may decide (a role at or above the rule's, a
customer in scope, never their own request); only sales managers, the deputy GM and the GM
approve. A request of a document outside the caller's scope is 404. A decision honours the
``Idempotency-Key`` header like every unsafe operation (see ``neiqin.sales.api.orders``); a
request voided by a change of the document is refused with 409 ``approval_stale``.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Path, Query, Router

from neiqin.accounts.roles import Role
from neiqin.accounts.scoping import has_role
from neiqin.core.errors import NotFound, PermissionDenied
from neiqin.customers.schemas import MAX_ID, PageQuery
from neiqin.sales import selectors
from neiqin.sales.api.orders import ERRORS_READ, ERRORS_WRITE, approval_dict, as_json, once, page
from neiqin.sales.api.schemas import ApprovalDecideIn, ApprovalOut, ApprovalPageOut
from neiqin.sales.models import ApprovalRequest
from neiqin.sales.services import approvals as services

router = Router(tags=["approvals"])

APPROVER_ROLES = frozenset({Role.SALES_MANAGER, Role.DEPUTY_GM, Role.GM})
RELATED = ("rule", "order", "order__customer", "quotation", "quotation__customer", "requested_by", "decided_by")


def _require_approver(user: Any) -> None:
    if not has_role(user, APPROVER_ROLES):
        raise PermissionDenied(_("只有销售经理、副总和总经理可以审批。"))


def _approval(user: Any, approval_id: int) -> ApprovalRequest:
    """A request whose document the user sees; anything else is "not found"."""
    visible = Q(order_id__in=selectors.order_queryset(user=user).values("pk")) | Q(
        quotation_id__in=selectors.quotation_queryset(user=user).values("pk")
    )
    approval = ApprovalRequest.objects.filter(visible).select_related(*RELATED).filter(pk=approval_id).first()
    if approval is None:
        raise NotFound(_("审批不存在。"))
    return approval


@router.get(
    "/approvals",
    response={200: ApprovalPageOut, **ERRORS_READ},
    operation_id="approvals_list",
    summary="The caller's approval queue: pending requests they may decide, oldest first",
)
def approvals_list(request: HttpRequest, query: Query[PageQuery]):
    _require_approver(request.user)
    qs = selectors.approval_queue(user=request.user).select_related("decided_by")
    return page(qs, query, approval_dict)


@router.post(
    "/approvals/{approval_id}/decide",
    response={200: ApprovalOut, **ERRORS_WRITE},
    operation_id="approvals_decide",
    summary="Approve or reject a request (rejecting needs a comment; honours Idempotency-Key)",
)
def approvals_decide(
    request: HttpRequest,
    response: HttpResponse,
    payload: ApprovalDecideIn,
    approval_id: int = Path(..., ge=1, le=MAX_ID),
):
    user = request.user
    _require_approver(user)
    approval = _approval(user, approval_id)

    def decide() -> tuple[int, Any]:
        decided = services.approval_decide(
            approval=approval, by=user, approve=payload.decision == "approve", comment=payload.comment
        )
        fresh = ApprovalRequest.objects.select_related(*RELATED).get(pk=decided.pk)
        return 200, as_json(ApprovalOut, approval_dict(fresh))

    return once(request, response, payload=payload.model_dump(), action=decide)
