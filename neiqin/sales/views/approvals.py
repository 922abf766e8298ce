"""Order desk pages: the approver's queue and the decision on one request (ORD-5, R6).

The queue lists only what the user may decide (``selectors.approval_queue``: a role at or above
the rule's, a customer in scope, never one's own request). A decision posts from the queue in
place (htmx swaps the request's card) or from the order page (redirect back). A request voided
by a change of the order meanwhile is refused with the service's message; nothing changes.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from neiqin.accounts.roles import Role
from neiqin.accounts.scoping import has_role
from neiqin.core.errors import Conflict, NotFound, ValidationFailed
from neiqin.core.money import format_cny
from neiqin.core.pages import domain_errors, redirect_next, require
from neiqin.sales import selectors
from neiqin.sales.forms import PAGE_SIZE, DecisionForm
from neiqin.sales.models import ApprovalRequest
from neiqin.sales.services import approvals as approval_services

APPROVER_ROLES = frozenset({Role.SALES_MANAGER, Role.DEPUTY_GM, Role.GM})
FIGURE_LABELS = {
    "limit": gettext_lazy("信用额度"),
    "open_orders": gettext_lazy("未完成订单"),
    "receivable": gettext_lazy("应收账款"),
    "order": gettext_lazy("本单金额"),
    "overdue": gettext_lazy("逾期欠款"),
    "total": gettext_lazy("订单金额"),
    "threshold": gettext_lazy("限额"),
    "threshold_percent": gettext_lazy("折扣权限(%)"),
    "payment_mode": gettext_lazy("结算方式"),
    "payment_term_days": gettext_lazy("账期天数"),
}
MONEY_FIGURES = {"limit", "open_orders", "receivable", "order", "overdue", "total", "threshold"}


def _require_approver(user: Any) -> None:
    require(has_role(user, APPROVER_ROLES), _("只有销售经理、副总和总经理可以审批。"))


def approval_get_for_user(*, user: Any, pk: Any) -> ApprovalRequest:
    """An approval whose document the user sees; anything else is "not found"."""
    visible = Q(order_id__in=selectors.order_queryset(user=user).values("pk")) | Q(
        quotation_id__in=selectors.quotation_queryset(user=user).values("pk")
    )
    try:
        return (
            ApprovalRequest.objects.filter(visible)
            .select_related("rule", "order", "order__customer", "quotation", "quotation__customer", "requested_by")
            .get(pk=int(pk))
        )
    except (ApprovalRequest.DoesNotExist, TypeError, ValueError):
        raise NotFound(_("审批不存在。"))


def figures_view(approval: ApprovalRequest) -> list[dict[str, Any]]:
    """The figures behind a request, labelled: unit price against floor per line, credit limit
    against exposure, the total against the threshold …"""
    rows: list[dict[str, Any]] = []
    figures = approval.figures or {}
    lines = {}
    if approval.order_id and figures.get("lines"):
        lines = {line.position: line for line in approval.order.lines.select_related("product")}
    for item in figures.get("lines") or []:
        line = lines.get(item.get("position"))
        rows.append(
            {
                "label": _("第 %(n)s 行 %(model)s")
                % {"n": item.get("position"), "model": line.product.model if line else ""},
                "value": _("单价 %(price)s，底价 %(floor)s")
                % {"price": _money(item.get("unit_price")), "floor": _money(item.get("floor_price"))},
            }
        )
    for key, value in figures.items():
        if key in FIGURE_LABELS and value not in (None, ""):
            rows.append({"label": FIGURE_LABELS[key], "value": _money(value) if key in MONEY_FIGURES else value})
    if figures.get("positions"):
        rows.append({"label": _("涉及行"), "value": "、".join(str(p) for p in figures["positions"])})
    return rows


def _money(value: Any) -> str:
    try:
        return format_cny(value)
    except Exception:  # noqa: BLE001 - a figure we cannot read is shown as stored
        return str(value)


def _decorate(approvals: list[ApprovalRequest]) -> list[ApprovalRequest]:
    for approval in approvals:
        approval.figure_rows = figures_view(approval)
        approval.document = approval.order or approval.quotation
        approval.role_label = Role(approval.approver_role).label if approval.approver_role in Role.values else ""
    return approvals


@login_required
@require_GET
@domain_errors
def approval_queue(request: HttpRequest) -> HttpResponse:
    user = request.user
    _require_approver(user)
    page = Paginator(selectors.approval_queue(user=user), PAGE_SIZE).get_page(request.GET.get("page"))
    _decorate(list(page.object_list))
    response = render(request, "sales/approval_queue.html", {"page": page})
    patch_vary_headers(response, ("HX-Request", "HX-Target"))
    return response


def _fragment(request: HttpRequest, approval: ApprovalRequest) -> bool:
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and htmx.target == f"approval-{approval.pk}"


@login_required
@require_POST
@domain_errors
def approval_decide(request: HttpRequest, pk: int) -> HttpResponse:
    """Approve or reject one request. From the queue via htmx: the card is swapped in place
    with the outcome (or the refusal). Otherwise: a message and back to where it came from."""
    user = request.user
    _require_approver(user)
    approval = approval_get_for_user(user=user, pk=pk)
    form = DecisionForm(request.POST)
    error = None
    if not form.is_valid():
        error = _("请选择批准或驳回。")
    else:
        try:
            approval = approval_services.approval_decide(
                approval=approval,
                by=user,
                approve=form.cleaned_data["decision"] == "approve",
                comment=form.cleaned_data.get("comment") or "",
            )
        except (ValidationFailed, Conflict) as exc:
            error = str(exc.message)
    approval = approval_get_for_user(user=user, pk=pk)  # as stored now (a stale one is void)
    if _fragment(request, approval):
        _decorate([approval])
        context = {"a": approval, "error": error, "comment": request.POST.get("comment", "")}
        return render(request, "sales/approval_queue.html#item", context, status=409 if error else 200)
    if error:
        messages.error(request, error)
    elif approval.status == "approved":
        messages.success(request, _("已批准：%(rule)s。") % {"rule": approval.rule.name})
    else:
        messages.success(request, _("已驳回：%(rule)s。") % {"rule": approval.rule.name})
    return redirect_next(request, reverse("sales:approval_queue"))


urlpatterns: list = [
    path("approvals/", approval_queue, name="approval_queue"),
    path("approvals/<int:pk>/decide/", approval_decide, name="approval_decide"),
]
