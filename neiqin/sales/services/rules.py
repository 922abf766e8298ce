"""Approval rules as data (ORD-5): the admin edits the name, the approving role, the threshold and
whether a rule is active; the next order check reads the rules as they are then.

Approval requests opened before a change keep the role they were opened with (the request row
carries ``approver_role``); only checks run afterwards use the new settings. Thresholds are exact
decimals: an amount in yuan for ``amount`` rules, a percentage for ``discount`` rules; the other
kinds have none.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from neiqin.accounts.roles import Role
from neiqin.accounts.scoping import has_role
from neiqin.core import audit
from neiqin.core.errors import PermissionDenied, ValidationFailed
from neiqin.sales.choices import RuleKind
from neiqin.sales.models import ApprovalRule

EDITABLE_FIELDS = ("name", "approver_role", "threshold", "is_active")
APPROVER_ROLES = (Role.SALES_MANAGER, Role.DEPUTY_GM, Role.GM)
THRESHOLD_KINDS = (RuleKind.AMOUNT, RuleKind.DISCOUNT)
MAX_AMOUNT = Decimal("99999999999999.99")  # 16 digits, 2 decimals (the column)
MAX_PERCENT = Decimal("100")
NAME_MAX = 60
THRESHOLD_UNITS = {RuleKind.AMOUNT: gettext_lazy("元"), RuleKind.DISCOUNT: "%"}


def can_edit_rules(user: Any) -> bool:
    return has_role(user, {Role.ADMIN})


def _parse_threshold(value: Any, kind: str) -> tuple[Decimal | None, str | None]:
    """(threshold, error message) for ``value`` given the rule's kind."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if kind in THRESHOLD_KINDS:
            return None, _("请填写阈值。")
        return None, None
    if kind not in THRESHOLD_KINDS:
        return None, _("该类规则没有阈值，请留空。")
    if isinstance(value, bool | float):
        return None, _("阈值必须是数字。")
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip().replace(",", "").rstrip("%"))
    except InvalidOperation:
        return None, _("阈值必须是数字。")
    if not number.is_finite():
        return None, _("阈值必须是数字。")
    if number < 0:
        return None, _("阈值不能为负数。")
    if kind == RuleKind.DISCOUNT and number > MAX_PERCENT:
        return None, _("折扣阈值不能超过 100%。")
    if number > MAX_AMOUNT:
        return None, _("阈值太大。")
    if number != number.quantize(Decimal("0.01")):
        return None, _("阈值最多保留两位小数。")
    return number.quantize(Decimal("0.01")), None


def _parse_active(value: Any) -> tuple[bool | None, str | None]:
    if isinstance(value, bool):
        return value, None
    text = str(value).strip().lower()
    if text in ("1", "true", "on", "yes", "是"):
        return True, None
    if text in ("0", "false", "off", "no", "否", ""):
        return False, None
    return None, _("请选择是否启用。")


def clean_rule_fields(rule: ApprovalRule, fields: Mapping[str, Any]) -> dict[str, Any]:
    """The new values of the given fields, validated against the rule's kind; field errors raise."""
    errors: dict[str, list[str]] = {}
    unknown = sorted(set(fields) - set(EDITABLE_FIELDS))
    if unknown:
        raise ValidationFailed(
            _("不能修改这些字段：%(fields)s") % {"fields": "、".join(unknown)},
            extra={"fields": {name: [_("不能修改。")] for name in unknown}},
        )
    clean: dict[str, Any] = {}
    if "name" in fields:
        name = str(fields["name"] or "").strip()
        if not name:
            errors["name"] = [_("请填写规则名称。")]
        elif len(name) > NAME_MAX:
            errors["name"] = [_("规则名称最多 %(n)s 个字。") % {"n": NAME_MAX}]
        else:
            clean["name"] = name
    if "approver_role" in fields:
        role = str(fields["approver_role"] or "").strip()
        if role not in APPROVER_ROLES:
            errors["approver_role"] = [_("审批角色只能是销售经理、副总或总经理。")]
        else:
            clean["approver_role"] = role
    threshold_given = "threshold" in fields
    threshold, message = _parse_threshold(fields["threshold"] if threshold_given else rule.threshold, rule.kind)
    if message:
        errors["threshold"] = [message]
    elif threshold_given:
        clean["threshold"] = threshold
    if "is_active" in fields:
        active, message = _parse_active(fields["is_active"])
        if message:
            errors["is_active"] = [message]
        else:
            clean["is_active"] = active
    if errors:
        raise ValidationFailed(_("审批规则填写有误，请检查标红的字段。"), extra={"fields": errors})
    return clean


def rule_update(*, rule: ApprovalRule, fields: Mapping[str, Any], by: Any) -> ApprovalRule:
    """Change an approval rule (admin only). Fields left out stay as they are; a change is audited
    with before and after. Pending approval requests are not touched."""
    if not can_edit_rules(by):
        raise PermissionDenied(_("只有管理员可以修改审批规则。"))
    with transaction.atomic():
        locked = ApprovalRule.objects.select_for_update(no_key=True).get(pk=rule.pk)
        clean = clean_rule_fields(locked, fields)
        before = audit.snapshot(locked, EDITABLE_FIELDS)
        for name, value in clean.items():
            setattr(locked, name, value)
        after = audit.snapshot(locked, EDITABLE_FIELDS)
        changes = audit.diff(before, after)
        if changes:
            locked.save(update_fields=sorted(changes))
            audit.record(
                action="sales.approval_rule.updated",
                obj=locked,
                by=by,
                changes=changes,
                data={"code": locked.code, "kind": locked.kind},
            )
    return locked
