"""Order desk pages: the approval rules (审批规则, ORD-5) as configurable data.

Everyone who approves (sales managers, the deputy GM, the GM) and the admin sees the rules; only
the admin changes them (``services.rules.rule_update``). A change applies to the next order check;
approval requests already opened keep the role they were opened with.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from neiqin.accounts.roles import Role
from neiqin.accounts.scoping import has_role
from neiqin.core.errors import NotFound, ValidationFailed
from neiqin.core.money import format_cny
from neiqin.core.pages import apply_errors, domain_errors, require
from neiqin.sales.choices import RuleKind
from neiqin.sales.models import ApprovalRule
from neiqin.sales.services import rules as rule_services

VIEW_ROLES = frozenset({Role.SALES_MANAGER, Role.DEPUTY_GM, Role.GM, Role.ADMIN})
ROLE_CHOICES = [(role.value, role.label) for role in rule_services.APPROVER_ROLES]


def _role_label(code: str) -> str:
    return str(Role(code).label) if code in Role.values else code


def _kind_label(kind: str) -> str:
    return str(RuleKind(kind).label) if kind in RuleKind.values else kind


def threshold_text(rule: ApprovalRule) -> str:
    if rule.threshold is None:
        return ""
    if rule.kind == RuleKind.DISCOUNT:
        text = f"{rule.threshold:f}"
        text = text.rstrip("0").rstrip(".") if "." in text else text
        return f"{text}%"
    return format_cny(rule.threshold)


def _plain(value: Decimal | None) -> str:
    if value is None:
        return ""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


class RuleForm(forms.Form):
    """The editable part of a rule. The threshold is text so the service parses it exactly."""

    name = forms.CharField(
        label=gettext_lazy("规则名称"),
        max_length=rule_services.NAME_MAX,
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )
    approver_role = forms.ChoiceField(
        label=gettext_lazy("审批角色"), choices=ROLE_CHOICES, widget=forms.Select(attrs={"class": "form-select"})
    )
    threshold = forms.CharField(
        label=gettext_lazy("阈值"),
        required=False,
        max_length=24,
        widget=forms.TextInput(attrs={"class": "form-control", "inputmode": "decimal", "autocomplete": "off"}),
    )
    is_active = forms.BooleanField(
        label=gettext_lazy("启用"), required=False, widget=forms.CheckboxInput(attrs={"class": "form-check-input"})
    )

    def __init__(self, *args: Any, rule: ApprovalRule, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rule = rule
        if rule.kind == RuleKind.AMOUNT:
            self.fields["threshold"].label = _("金额阈值（元）")
            self.fields["threshold"].help_text = _("订单金额超过此数时需要审批。")
        elif rule.kind == RuleKind.DISCOUNT:
            self.fields["threshold"].label = _("折扣阈值（%）")
            self.fields["threshold"].help_text = _("任一行折扣超过此百分比时需要审批。")
        else:
            del self.fields["threshold"]

    def service_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        fields = {
            "name": data["name"],
            "approver_role": data["approver_role"],
            "is_active": bool(data.get("is_active")),
        }
        if "threshold" in self.fields:
            fields["threshold"] = data.get("threshold") or ""
        return fields


def _require_view(user: Any) -> None:
    require(has_role(user, VIEW_ROLES), _("只有审批人和管理员可以查看审批规则。"))


def _require_edit(user: Any) -> None:
    require(rule_services.can_edit_rules(user), _("只有管理员可以修改审批规则。"))


def _rule(pk: Any) -> ApprovalRule:
    try:
        return ApprovalRule.objects.get(pk=int(pk))
    except (ApprovalRule.DoesNotExist, TypeError, ValueError):
        raise NotFound(_("审批规则不存在。"))


@login_required
@require_GET
@domain_errors
def approval_rules(request: HttpRequest) -> HttpResponse:
    user = request.user
    _require_view(user)
    rules = list(ApprovalRule.objects.order_by("sort_order", "code"))
    for rule in rules:
        rule.kind_label = _kind_label(rule.kind)
        rule.role_label = _role_label(rule.approver_role)
        rule.threshold_display = threshold_text(rule)
    context = {"rules": rules, "can_edit": rule_services.can_edit_rules(user)}
    return render(request, "sales/rule_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def approval_rule_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    _require_edit(user)
    rule = _rule(pk)
    status = 200
    form_error = None
    if request.method == "POST":
        form = RuleForm(request.POST, rule=rule)
        if form.is_valid():
            try:
                updated = rule_services.rule_update(rule=rule, fields=form.service_fields(), by=user)
            except ValidationFailed as exc:
                form_error = apply_errors(form, exc)
                status = 422
            else:
                messages.success(
                    request,
                    _("审批规则“%(name)s”已保存，下一次审单起按新设置执行；已发出的审批申请不变。")
                    % {"name": updated.name},
                )
                return redirect("sales:approval_rules")
        else:
            status = 422
    else:
        form = RuleForm(
            rule=rule,
            initial={
                "name": rule.name,
                "approver_role": rule.approver_role,
                "threshold": _plain(rule.threshold),
                "is_active": rule.is_active,
            },
        )
    context = {"rule": rule, "form": form, "form_error": form_error, "kind_label": _kind_label(rule.kind)}
    return render(request, "sales/rule_form.html", context, status=status)


urlpatterns = [
    path("approval-rules/", approval_rules, name="approval_rules"),
    path("approval-rules/<int:pk>/edit/", approval_rule_edit, name="approval_rule_edit"),
]
