"""Opportunities (销售机会, OPP-1) and project deals with milestones (OPP-2)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from neiqin.core import audit
from neiqin.core.errors import Conflict, NotFound, ValidationFailed
from neiqin.core.money import MoneyError, round_amount
from neiqin.sales.choices import DEFAULT_PROBABILITY, OPPORTUNITY_FLOW, MilestoneKind, OpportunityStage
from neiqin.sales.models import Opportunity, OpportunityStageChange, ProjectMilestone
from neiqin.sales.services.orders import _can_touch, _require_order_role

FIELDS = ("title", "expected_amount", "expected_on", "probability", "is_project", "notes")


def _clean(fields: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(fields) - set(FIELDS)
    if unknown:
        raise ValidationFailed(_("未知字段：%(names)s") % {"names": ", ".join(sorted(unknown))})
    data: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for name, value in fields.items():
        if name == "title":
            data[name] = str(value or "").strip()[:120]
            if not data[name]:
                errors[name] = [_("请填写机会名称。")]
        elif name == "expected_amount":
            try:
                amount = round_amount(value if value not in (None, "") else "0")
                if amount < 0:
                    raise MoneyError("negative")
                data[name] = amount
            except MoneyError:
                errors[name] = [_("预计金额必须是不小于 0 的数字。")]
        elif name == "expected_on":
            try:
                data[name] = (
                    None
                    if value in (None, "")
                    else (value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)))
                )
            except ValueError:
                errors[name] = [_("日期格式应为 2026-12-31。")]
        elif name == "probability":
            try:
                number = int(value)
                if not 0 <= number <= 100:
                    raise ValueError
                data[name] = number
            except (TypeError, ValueError):
                errors[name] = [_("成交概率应为 0 到 100 的整数。")]
        elif name == "is_project":
            data[name] = bool(value) and str(value).lower() not in ("0", "false", "否")
        else:
            data[name] = str(value or "")[:4000]
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], extra={"fields": errors})
    return data


def opportunity_create(*, customer: Any, fields: Mapping[str, Any], by: Any, owner: Any = None) -> Opportunity:
    _require_order_role(by)
    if not _can_touch(by, customer):
        raise NotFound(_("客户不存在。"))
    data = _clean({"title": "", **fields})
    with transaction.atomic():
        opportunity = Opportunity.objects.create(
            customer=customer, owner=owner or customer.owner or by, created_by=by, **data
        )
        OpportunityStageChange.objects.create(
            opportunity=opportunity, from_stage="", to_stage=opportunity.stage, changed_by=by, changed_at=timezone.now()
        )
        if opportunity.is_project:
            for kind in MilestoneKind.values:
                ProjectMilestone.objects.create(opportunity=opportunity, kind=kind)
        audit.record(action="sales.opportunity.created", obj=opportunity, by=by, data={"title": opportunity.title})
    return opportunity


def _lock(opportunity: Opportunity) -> Opportunity:
    return (
        Opportunity.objects.select_for_update(no_key=True, of=("self",))
        .select_related("customer")
        .get(pk=opportunity.pk)
    )


def opportunity_update(
    *, opportunity: Opportunity, fields: Mapping[str, Any], by: Any, version: int | None = None
) -> Opportunity:
    data = _clean(fields)
    with transaction.atomic():
        locked = _lock(opportunity)
        if not _can_touch(by, locked.customer):
            raise NotFound(_("销售机会不存在。"))
        if version is not None and version != locked.version:
            raise Conflict(_("销售机会已被他人修改，请刷新后再改。"), code="stale_version")
        before = audit.snapshot(locked, list(data))
        for key, value in data.items():
            setattr(locked, key, value)
        locked.version += 1
        locked.save()
        audit.record(
            action="sales.opportunity.updated",
            obj=locked,
            by=by,
            changes=audit.diff(before, audit.snapshot(locked, list(data))),
        )
    return locked


def opportunity_set_stage(*, opportunity: Opportunity, stage: str, by: Any, lost_reason: str = "") -> Opportunity:
    if stage not in OpportunityStage.values:
        raise ValidationFailed(_("未知阶段。"), extra={"fields": {"stage": [_("未知阶段。")]}})
    if stage == OpportunityStage.LOST and not lost_reason.strip():
        raise ValidationFailed(_("输单请填写原因。"), extra={"fields": {"lost_reason": [_("请填写输单原因。")]}})
    with transaction.atomic():
        locked = _lock(opportunity)
        if not _can_touch(by, locked.customer):
            raise NotFound(_("销售机会不存在。"))
        OPPORTUNITY_FLOW.check(locked.stage, stage)
        OpportunityStageChange.objects.create(
            opportunity=locked, from_stage=locked.stage, to_stage=stage, changed_by=by, changed_at=timezone.now()
        )
        before = locked.stage
        locked.stage = stage
        locked.probability = DEFAULT_PROBABILITY[stage]
        locked.lost_reason = lost_reason.strip()[:200] if stage == OpportunityStage.LOST else ""
        locked.closed_on = timezone.localdate() if stage in (OpportunityStage.WON, OpportunityStage.LOST) else None
        locked.version += 1
        locked.save()
        audit.record(action="sales.opportunity.stage", obj=locked, by=by, changes={"stage": [before, stage]})
    return locked


def milestone_update(
    *,
    opportunity: Opportunity,
    kind: str,
    by: Any,
    planned_on: Any = None,
    done_on: Any = None,
    collection_amount: Any = None,
    collected_amount: Any = None,
    note: str | None = None,
) -> ProjectMilestone:
    if kind not in MilestoneKind.values:
        raise ValidationFailed(_("未知节点。"))
    with transaction.atomic():
        locked = _lock(opportunity)
        if not _can_touch(by, locked.customer):
            raise NotFound(_("销售机会不存在。"))
        milestone, _created = ProjectMilestone.objects.select_for_update().get_or_create(opportunity=locked, kind=kind)
        try:
            if planned_on is not None:
                milestone.planned_on = (
                    planned_on
                    if isinstance(planned_on, dt.date)
                    else (dt.date.fromisoformat(planned_on) if planned_on else None)
                )
            if done_on is not None:
                milestone.done_on = (
                    done_on if isinstance(done_on, dt.date) else (dt.date.fromisoformat(done_on) if done_on else None)
                )
        except ValueError:
            raise ValidationFailed(_("日期格式应为 2026-12-31。"))
        for name, value in (("collection_amount", collection_amount), ("collected_amount", collected_amount)):
            if value is not None:
                try:
                    amount = round_amount(value or "0")
                except MoneyError:
                    raise ValidationFailed(_("金额格式不对。"), extra={"fields": {name: [_("金额格式不对。")]}})
                if amount < 0:
                    raise ValidationFailed(_("金额不能为负数。"), extra={"fields": {name: [_("金额不能为负数。")]}})
                setattr(milestone, name, amount)
        if milestone.collected_amount > milestone.collection_amount and milestone.collection_amount > Decimal(0):
            raise ValidationFailed(
                _("已收款不能超过应收款。"), extra={"fields": {"collected_amount": [_("超过应收款。")]}}
            )
        if note is not None:
            milestone.note = note[:200]
        milestone.save()
        audit.record(action="sales.opportunity.milestone", obj=locked, by=by, data={"kind": kind})
    return milestone
