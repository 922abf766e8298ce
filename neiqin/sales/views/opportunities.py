"""Order desk pages: opportunities (销售机会, OPP-1) and project deals with milestones (OPP-2).

The list shows the opportunities in the user's customer scope with pipeline totals per stage
(count, Σ expected amount, weighted amount = Σ amount × probability); the detail page the stage
history, the stage change (输单 needs the reason) and, for project deals, the milestone plan
with collections against progress; the conversion page the funnel per stage and per
salesperson. Amounts are money: the warehouse does not open these pages; finance reads.
Opportunities of customers outside the user's scope are 404.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from neiqin.accounts.models import User
from neiqin.accounts.roles import CAN_SEE_PRICES, Role
from neiqin.accounts.scoping import has_role
from neiqin.core.errors import Conflict, InvalidTransition, ValidationFailed
from neiqin.core.money import round_amount
from neiqin.core.pages import apply_errors, domain_errors, is_fragment, require
from neiqin.sales import selectors
from neiqin.sales.choices import OPEN_STAGES, OPPORTUNITY_FLOW, MilestoneKind, OpportunityStage
from neiqin.sales.models import Opportunity, ProjectMilestone
from neiqin.sales.services import opportunities as services

VIEW_ROLES = frozenset(CAN_SEE_PRICES)
ENTRY_ROLES = frozenset({Role.CLERK, Role.SALESPERSON, Role.SALES_MANAGER, Role.DEPUTY_GM, Role.GM, Role.ADMIN})
LIST_TARGET = "opportunity-table"
PAGE_SIZE = 50
STAGE_BADGES = {
    OpportunityStage.LEAD: "text-bg-light border",
    OpportunityStage.CONTACTED: "text-bg-secondary",
    OpportunityStage.NEEDS_CONFIRMED: "text-bg-info",
    OpportunityStage.PROPOSAL: "text-bg-primary",
    OpportunityStage.NEGOTIATION: "text-bg-warning",
    OpportunityStage.WON: "text-bg-success",
    OpportunityStage.LOST: "text-bg-danger",
}


def _require_view(user: Any) -> None:
    require(has_role(user, VIEW_ROLES), _("您没有查看销售机会的权限。"))


def _require_entry(user: Any) -> None:
    require(has_role(user, ENTRY_ROLES), _("您没有录入或修改销售机会的权限。"))


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date", "class": "form-control form-control-sm"}, format="%Y-%m-%d")


# ---- forms -----------------------------------------------------------------------------------


class OpportunityFilterForm(forms.Form):
    q = forms.CharField(
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"placeholder": gettext_lazy("机会名称或客户"), "class": "form-control"}),
    )
    stage = forms.ChoiceField(
        required=False,
        choices=[("", gettext_lazy("全部阶段")), *OpportunityStage.choices],
        widget=forms.Select(attrs={"class": "form-select form-select-sm", "aria-label": gettext_lazy("阶段")}),
    )
    owner = forms.ModelChoiceField(
        required=False,
        queryset=User.objects.none(),
        empty_label=gettext_lazy("全部业务员"),
        widget=forms.Select(attrs={"class": "form-select form-select-sm", "aria-label": gettext_lazy("业务员")}),
    )
    expected_from = forms.DateField(required=False, widget=_date_input())
    expected_to = forms.DateField(required=False, widget=_date_input())

    def __init__(self, *args: Any, owners: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners
        self.fields["owner"].label_from_instance = lambda u: u.display_name or u.username


class OpportunityForm(forms.Form):
    """Create (with the customer) or edit (with the version read) an opportunity. Amounts and
    probability are validated by the service, whose field errors land on these fields."""

    customer = forms.ModelChoiceField(
        label=gettext_lazy("客户"),
        queryset=None,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    title = forms.CharField(
        label=gettext_lazy("机会名称"), max_length=120, widget=forms.TextInput(attrs={"class": "form-control"})
    )
    expected_amount = forms.CharField(
        label=gettext_lazy("预计金额"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"class": "form-control", "inputmode": "decimal"}),
    )
    expected_on = forms.DateField(
        label=gettext_lazy("预计成交日期"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}, format="%Y-%m-%d"),
    )
    probability = forms.CharField(
        label=gettext_lazy("成交概率(%)"),
        required=False,
        max_length=3,
        widget=forms.TextInput(attrs={"class": "form-control", "inputmode": "numeric"}),
    )
    is_project = forms.BooleanField(
        label=gettext_lazy("项目型（按节点跟踪方案、合同、预付款、送货安装、验收和回款）"),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )
    notes = forms.CharField(
        label=gettext_lazy("备注"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 3}),
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, user: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["customer"]
        else:
            from neiqin.customers.selectors import customer_queryset

            self.fields["customer"].queryset = customer_queryset(user=user).order_by("name")
            del self.fields["version"]

    def service_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        fields = {
            "title": data["title"],
            "expected_amount": data.get("expected_amount") or "0",
            "expected_on": data.get("expected_on"),
            "is_project": bool(data.get("is_project")),
            "notes": data.get("notes") or "",
        }
        if data.get("probability") not in (None, ""):
            fields["probability"] = data["probability"]
        return fields


# ---- helpers ---------------------------------------------------------------------------------


def _owners(user: Any) -> QuerySet[User]:
    ids = selectors.opportunity_queryset(user=user).order_by().values_list("owner_id", flat=True).distinct()
    return User.objects.filter(pk__in=list(ids)).order_by("display_name", "username")


def _filtered(user: Any, form: OpportunityFilterForm) -> QuerySet[Opportunity]:
    qs = selectors.opportunity_queryset(user=user)
    if not form.is_valid():
        return qs
    data = form.cleaned_data
    if data.get("q"):
        q = data["q"].strip()
        qs = qs.filter(Q(title__icontains=q) | Q(customer__name__icontains=q))
    if data.get("stage"):
        qs = qs.filter(stage=data["stage"])
    if data.get("owner"):
        qs = qs.filter(owner=data["owner"])
    if data.get("expected_from"):
        qs = qs.filter(expected_on__gte=data["expected_from"])
    if data.get("expected_to"):
        qs = qs.filter(expected_on__lte=data["expected_to"])
    return qs


def _pipeline(qs: QuerySet[Opportunity]) -> dict[str, Any]:
    rows = selectors.opportunity_pipeline(qs)
    for row in rows:
        row["badge"] = STAGE_BADGES.get(row["stage"], "")
    open_rows = [row for row in rows if row["stage"] in OPEN_STAGES]
    return {
        "rows": rows,
        "open_count": sum(row["count"] for row in open_rows),
        "open_amount": sum((row["expected_amount"] for row in open_rows), Decimal("0")),
        "open_weighted": sum((row["weighted_amount"] for row in open_rows), Decimal("0")),
    }


def _decorate(opportunities: list[Opportunity]) -> list[Opportunity]:
    for opportunity in opportunities:
        opportunity.weighted_amount = round_amount(opportunity.expected_amount * opportunity.probability / 100)
        opportunity.badge = STAGE_BADGES.get(opportunity.stage, "")
    return opportunities


def _milestones(opportunity: Opportunity) -> dict[str, Any]:
    """The project plan: every milestone kind in order (missing rows shown blank), flags for
    milestones past their planned date without a done date and for collections lagging the
    progress (work done but the money it should bring not collected)."""
    today = timezone.localdate()
    existing = {m.kind: m for m in opportunity.milestones.all()}
    rows = []
    for kind, label in MilestoneKind.choices:
        milestone = existing.get(kind) or ProjectMilestone(opportunity=opportunity, kind=kind)
        outstanding = milestone.collection_amount - milestone.collected_amount
        rows.append(
            {
                "kind": kind,
                "label": label,
                "m": milestone,
                "overdue": bool(milestone.planned_on and not milestone.done_on and milestone.planned_on < today),
                "days_late": (today - milestone.planned_on).days
                if milestone.planned_on and not milestone.done_on and milestone.planned_on < today
                else 0,
                "collection_lagging": bool(milestone.done_on and outstanding > 0),
                "outstanding": max(outstanding, Decimal("0")),
            }
        )
    done = sum(1 for row in rows if row["m"].done_on)
    due = sum((row["m"].collection_amount for row in rows), Decimal("0"))
    collected = sum((row["m"].collected_amount for row in rows), Decimal("0"))
    due_by_progress = sum((row["m"].collection_amount for row in rows if row["m"].done_on), Decimal("0"))
    progress = round(done * 100 / len(rows)) if rows else 0
    collection_rate = round(collected * 100 / due) if due else None
    return {
        "rows": rows,
        "done": done,
        "total": len(rows),
        "progress": progress,
        "due": due,
        "collected": collected,
        "due_by_progress": due_by_progress,
        "collection_rate": collection_rate,
        "lagging": collected < due_by_progress,
        "overdue": sum(1 for row in rows if row["overdue"]),
    }


def _stage_label(stage: str) -> str:
    return str(OpportunityStage(stage).label) if stage in OpportunityStage.values else stage


def _detail_context(
    request: HttpRequest,
    opportunity: Opportunity,
    *,
    stage_error: Any = None,
    milestone_error: Any = None,
    milestone_kind: str = "",
) -> dict[str, Any]:
    user = request.user
    can_edit = has_role(user, ENTRY_ROLES)
    targets = [
        (s, OpportunityStage(s).label) for s in OpportunityStage.values if OPPORTUNITY_FLOW.can(opportunity.stage, s)
    ]
    _decorate([opportunity])
    return {
        "opportunity": opportunity,
        "can_edit": can_edit,
        "stage_targets": targets if can_edit else [],
        "stage_error": stage_error,
        "stage_value": request.POST.get("stage", "") if stage_error else "",
        "lost_reason_value": request.POST.get("lost_reason", "") if stage_error else "",
        "changes": [
            {
                "from_label": _stage_label(change.from_stage),
                "to_label": _stage_label(change.to_stage),
                "by": change.changed_by,
                "at": change.changed_at,
            }
            for change in opportunity.stage_changes.select_related("changed_by")
        ],
        "plan": _milestones(opportunity) if opportunity.is_project else None,
        "milestone_error": milestone_error,
        "milestone_kind": milestone_kind,
        "quotations": opportunity.quotations.all()[:20],
        "contracts": opportunity.contracts.all()[:20],
    }


# ---- pages -----------------------------------------------------------------------------------


@login_required
@require_GET
@domain_errors
def opportunity_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    _require_view(user)
    owners = _owners(user)
    form = OpportunityFilterForm(request.GET or None, owners=owners)
    qs = _filtered(user, form)
    page = Paginator(_ordered(qs), PAGE_SIZE).get_page(request.GET.get("page"))
    _decorate(list(page.object_list))
    context = {
        "form": form,
        "page": page,
        "pipeline": _pipeline(qs),
        "show_owner": owners.count() > 1,
        "can_create": has_role(user, ENTRY_ROLES),
        "hx_target": f"#{LIST_TARGET}",
    }
    template = "sales/opportunity_list.html"
    if is_fragment(request, LIST_TARGET):
        template += "#table"
    response = render(request, template, context)
    patch_vary_headers(response, ("HX-Request", "HX-Target"))
    return response


def _ordered(qs: QuerySet[Opportunity]) -> QuerySet[Opportunity]:
    return qs.order_by("-updated_at", "-id")


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def opportunity_create(request: HttpRequest) -> HttpResponse:
    user = request.user
    _require_view(user)
    _require_entry(user)
    form_error = None
    if request.method == "POST":
        form = OpportunityForm(request.POST, user=user)
        if form.is_valid():
            try:
                opportunity = services.opportunity_create(
                    customer=form.cleaned_data["customer"], fields=form.service_fields(), by=user
                )
            except ValidationFailed as exc:
                form_error = apply_errors(form, exc)
            else:
                messages.success(request, _("销售机会已创建。"))
                return redirect("sales:opportunity_detail", pk=opportunity.pk)
        status = 422
    else:
        initial = {}
        customer_id = request.GET.get("customer")
        if customer_id and customer_id.isdigit():
            initial["customer"] = int(customer_id)
        form = OpportunityForm(initial=initial, user=user)
        status = 200
    return render(
        request,
        "sales/opportunity_form.html",
        {"form": form, "form_error": form_error, "opportunity": None},
        status=status,
    )


@login_required
@require_GET
@domain_errors
def opportunity_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require_view(request.user)
    opportunity = selectors.opportunity_get_for_user(user=request.user, pk=pk)
    return render(request, "sales/opportunity_detail.html", _detail_context(request, opportunity))


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def opportunity_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    _require_view(user)
    opportunity = selectors.opportunity_get_for_user(user=user, pk=pk)
    _require_entry(user)
    form_error = None
    if request.method == "POST":
        form = OpportunityForm(request.POST, user=user, editing=True)
        if form.is_valid():
            try:
                services.opportunity_update(
                    opportunity=opportunity,
                    fields=form.service_fields(),
                    by=user,
                    version=form.cleaned_data.get("version"),
                )
            except ValidationFailed as exc:
                form_error = apply_errors(form, exc)
            except Conflict as exc:
                form_error = exc.message
            else:
                messages.success(request, _("销售机会已保存。"))
                return redirect("sales:opportunity_detail", pk=opportunity.pk)
        status = 422
    else:
        form = OpportunityForm(
            initial={
                "title": opportunity.title,
                "expected_amount": opportunity.expected_amount,
                "expected_on": opportunity.expected_on,
                "probability": opportunity.probability,
                "is_project": opportunity.is_project,
                "notes": opportunity.notes,
                "version": opportunity.version,
            },
            user=user,
            editing=True,
        )
        status = 200
    return render(
        request,
        "sales/opportunity_form.html",
        {"form": form, "form_error": form_error, "opportunity": opportunity},
        status=status,
    )


@login_required
@require_POST
@domain_errors
def opportunity_stage(request: HttpRequest, pk: int) -> HttpResponse:
    """Move the stage; 输单 needs the reason. A refusal re-renders the page with the message."""
    user = request.user
    _require_view(user)
    opportunity = selectors.opportunity_get_for_user(user=user, pk=pk)
    _require_entry(user)
    try:
        moved = services.opportunity_set_stage(
            opportunity=opportunity,
            stage=request.POST.get("stage", ""),
            by=user,
            lost_reason=request.POST.get("lost_reason", ""),
        )
    except (ValidationFailed, Conflict, InvalidTransition) as exc:
        context = _detail_context(request, opportunity, stage_error=exc.message)
        return render(
            request, "sales/opportunity_detail.html", context, status=422 if isinstance(exc, ValidationFailed) else 409
        )
    messages.success(request, _("阶段已改为：%(stage)s") % {"stage": moved.get_stage_display()})
    return redirect("sales:opportunity_detail", pk=moved.pk)


@login_required
@require_POST
@domain_errors
def milestone_update(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    user = request.user
    _require_view(user)
    opportunity = selectors.opportunity_get_for_user(user=user, pk=pk)
    _require_entry(user)
    post = request.POST
    try:
        services.milestone_update(
            opportunity=opportunity,
            kind=kind,
            by=user,
            planned_on=post.get("planned_on"),
            done_on=post.get("done_on"),
            collection_amount=post.get("collection_amount"),
            collected_amount=post.get("collected_amount"),
            note=post.get("note"),
        )
    except ValidationFailed as exc:
        context = _detail_context(request, opportunity, milestone_error=exc.message, milestone_kind=kind)
        return render(request, "sales/opportunity_detail.html", context, status=422)
    messages.success(request, _("节点已更新：%(kind)s") % {"kind": dict(MilestoneKind.choices).get(kind, kind)})
    return redirect(f"{_detail_url(opportunity)}#milestones")


def _detail_url(opportunity: Opportunity) -> str:
    from django.urls import reverse

    return reverse("sales:opportunity_detail", args=[opportunity.pk])


@login_required
@require_GET
@domain_errors
def opportunity_conversion(request: HttpRequest) -> HttpResponse:
    """Conversion per stage (the funnel) and per salesperson."""
    user = request.user
    _require_view(user)
    report = {
        "overall": selectors.opportunity_conversion(user=user),
        "by_owner": selectors.opportunity_conversion_by_owner(user=user),
    }
    funnel = {
        "stages": [{"name": row["label"], "value": row["count"]} for row in report["overall"]["stages"]],
        "title": _("销售漏斗"),
    }
    return render(
        request,
        "sales/opportunity_conversion.html",
        {
            "overall": report["overall"],
            "by_owner": report["by_owner"],
            "stage_labels": [row["label"] for row in report["overall"]["stages"]],
            "funnel": funnel,
            "today": dt.date.today(),
        },
    )


urlpatterns = [
    path("opportunities/", opportunity_list, name="opportunity_list"),
    path("opportunities/new/", opportunity_create, name="opportunity_create"),
    path("opportunities/conversion/", opportunity_conversion, name="opportunity_conversion"),
    path("opportunities/<int:pk>/", opportunity_detail, name="opportunity_detail"),
    path("opportunities/<int:pk>/edit/", opportunity_edit, name="opportunity_edit"),
    path("opportunities/<int:pk>/stage/", opportunity_stage, name="opportunity_stage"),
    path("opportunities/<int:pk>/milestones/<slug:kind>/", milestone_update, name="milestone_update"),
]
