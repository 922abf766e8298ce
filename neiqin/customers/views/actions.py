"""Writes on one customer file: the create and edit forms, and the POST actions (assign,
acknowledge, release, stage, follow-up, key dates) that go back to the file with a message."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from neiqin.core.errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationFailed
from neiqin.customers import rules, selectors, services
from neiqin.customers.choices import Stage
from neiqin.customers.forms import AssignForm, CustomerForm, FollowUpForm, KeyDateForm, ReasonForm, StageForm
from neiqin.customers.models import Customer
from neiqin.customers.views.common import (
    apply_errors,
    customer_for,
    customer_labels,
    detail_url,
    domain_errors,
    redirect_next,
    require,
)

# ---- create and edit ------------------------------------------------------------------------------


def _customer_form_defaults() -> dict[str, Any]:
    return {name: Customer._meta.get_field(name).default for name in ("kind", "industry", "grade", "payment_mode")}


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def customer_create(request: HttpRequest) -> HttpResponse:
    user = request.user
    require(rules.can_create(user), _("您没有新建客户的权限。"))
    form_options = {"can_edit_credit": rules.can_edit_credit(user), "owner_choice": rules.can_assign(user)}
    form_error = None
    if request.method == "POST":
        form = CustomerForm(request.POST, **form_options)
        if form.is_valid():
            try:
                customer = services.customer_create(
                    fields=form.service_fields(), by=user, owner=form.cleaned_data.get("owner")
                )
            except ValidationFailed as exc:
                form_error = apply_errors(form, exc)
            else:
                messages.success(request, _("客户 %(code)s %(name)s 已创建。") % customer_labels(customer))
                if selectors.customer_queryset(user=user).filter(pk=customer.pk).exists():
                    return redirect(detail_url(customer))
                return redirect("customers:list")
    else:
        form = CustomerForm(initial=_customer_form_defaults(), **form_options)
    status = 422 if request.method == "POST" else 200
    context = {"form": form, "form_error": form_error, "customer": None}
    return render(request, "customers/form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def customer_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    customer = customer_for(request, pk)
    require(rules.can_edit(user, customer), _("您不能修改这个客户的资料。"))
    form_options = {"can_edit_credit": rules.can_edit_credit(user)}
    form_error = conflict = None
    status = 200
    if request.method == "POST":
        form = CustomerForm(request.POST, **form_options)
        status = 422
        if form.is_valid():
            try:
                services.customer_update(
                    customer=customer,
                    fields=form.service_fields(),
                    by=user,
                    expected_version=form.cleaned_data.get("version"),
                )
            except ValidationFailed as exc:
                form_error = apply_errors(form, exc)
            except Conflict as exc:
                conflict, status = exc.message, exc.status
            else:
                messages.success(request, _("客户资料已保存。"))
                return redirect(detail_url(customer))
    else:
        form = CustomerForm(initial=CustomerForm.initial_for(customer), **form_options)
    context = {"form": form, "form_error": form_error, "conflict": conflict, "customer": customer}
    return render(request, "customers/form.html", context, status=status)


# ---- actions on one customer (POST, then back to the page with a message) ---------------------------


def _action(
    request: HttpRequest, pk: int, run: Callable[[Customer], Any], success: str, fallback: str | None = None
) -> HttpResponse:
    customer = customer_for(request, pk)
    try:
        run(customer)
    except (NotFound, PermissionDenied):
        raise
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, success)
    return redirect_next(request, fallback or detail_url(customer))


@login_required
@require_POST
@domain_errors
def customer_assign(request: HttpRequest, pk: int) -> HttpResponse:
    form = AssignForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择负责业务员。"))
        return redirect(detail_url(customer_for(request, pk)))
    owner, reason = form.cleaned_data["owner"], form.cleaned_data["reason"]
    return _action(
        request,
        pk,
        lambda c: services.customer_assign(customer=c, owner=owner, by=request.user, reason=reason),
        _("已分配给 %(owner)s，等待其确认接收。") % {"owner": owner},
    )


@login_required
@require_POST
@domain_errors
def customer_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    return _action(
        request,
        pk,
        lambda c: services.customer_acknowledge(customer=c, by=request.user),
        _("已确认接收。"),
    )


@login_required
@require_POST
@domain_errors
def customer_release(request: HttpRequest, pk: int) -> HttpResponse:
    form = ReasonForm(request.POST)
    form.is_valid()
    reason = form.cleaned_data.get("reason", "")
    customer = customer_for(request, pk)
    try:
        services.customer_release(customer=customer, by=request.user, reason=reason)
    except (ValidationFailed, Conflict) as exc:
        messages.error(request, exc.message)
        return redirect(detail_url(customer))
    messages.success(request, _("客户 %(name)s 已退回公海。") % {"name": customer.name})
    # The file is usually out of the user's scope now: go where they can still look.
    if selectors.customer_queryset(user=request.user).filter(pk=customer.pk).exists():
        return redirect(detail_url(customer))
    return redirect("customers:list")


@login_required
@require_POST
@domain_errors
def customer_stage(request: HttpRequest, pk: int) -> HttpResponse:
    form = StageForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择有效的合作阶段。"))
        return redirect(detail_url(customer_for(request, pk)))
    stage, reason = form.cleaned_data["stage"], form.cleaned_data["reason"]
    return _action(
        request,
        pk,
        lambda c: services.customer_set_stage(customer=c, stage=stage, by=request.user, reason=reason),
        _("合作阶段已变更为“%(stage)s”。") % {"stage": Stage(stage).label},
    )


@login_required
@require_POST
@domain_errors
def customer_follow_up(request: HttpRequest, pk: int) -> HttpResponse:
    form = FollowUpForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("下次联系日期格式不正确，例如 2026-12-01。"))
        return redirect(detail_url(customer_for(request, pk)))
    next_on = form.cleaned_data["next_contact_on"]
    return _action(
        request,
        pk,
        lambda c: services.customer_record_contact(customer=c, by=request.user, next_contact_on=next_on),
        _("已记录本次跟进。"),
    )


@login_required
@require_POST
@domain_errors
def key_date_add(request: HttpRequest, pk: int) -> HttpResponse:
    form = KeyDateForm(request.POST)
    if not form.is_valid():
        first = next(iter(form.errors.values()))[0]
        messages.error(request, first)
        return redirect(detail_url(customer_for(request, pk)))
    data = form.cleaned_data
    return _action(
        request,
        pk,
        lambda c: services.key_date_add(
            customer=c,
            kind=data["kind"],
            date=data["date"],
            by=request.user,
            note=data["note"],
            recurring=data["recurring"],
            remind_days_before=data["remind_days_before"],
        ),
        _("关键日期已添加。"),
    )
