"""Quotations (报价单, ORD-1): priced from the price lists, discounts within the quoting role's
authority (beyond it an approval is needed before issuing), a validity date, a number at issue."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from neiqin.core import audit, numbering
from neiqin.core.errors import Conflict, NotFound, ValidationFailed
from neiqin.sales.choices import QUOTATION_FLOW, QuotationStatus
from neiqin.sales.models import Quotation, QuotationLine
from neiqin.sales.services import approvals
from neiqin.sales.services.checks import APPROVAL, Check, _discount_checks, _line_rule_checks, _rules
from neiqin.sales.services.lines import price_lines, total_of
from neiqin.sales.services.orders import _can_touch, _require_order_role

DEFAULT_VALIDITY_DAYS = 15
FIELDS = ("quoted_on", "valid_until", "contact_name", "payment_terms", "delivery_terms", "notes")


def _clean(fields: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(fields) - set(FIELDS)
    if unknown:
        raise ValidationFailed(_("未知字段：%(names)s") % {"names": ", ".join(sorted(unknown))})
    data: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for name, value in fields.items():
        if name in ("quoted_on", "valid_until"):
            try:
                data[name] = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
            except ValueError:
                errors[name] = [_("日期格式应为 2026-12-31。")]
        else:
            data[name] = str(value or "").strip()[: 4000 if name == "notes" else 100]
    if "quoted_on" in data and "valid_until" in data and data["valid_until"] < data["quoted_on"]:
        errors["valid_until"] = [_("有效期不能早于报价日期。")]
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], extra={"fields": errors})
    return data


def quotation_checks(quotation: Quotation, *, requester: Any) -> list[Check]:
    lines = list(quotation.lines.select_related("product").order_by("position"))
    rules = _rules()
    return [
        c for c in _line_rule_checks(lines, rules) + _discount_checks(lines, rules, requester) if c.severity == APPROVAL
    ]


def _write_lines(quotation: Quotation, priced: Sequence[Any]) -> None:
    quotation.lines.all().delete()
    QuotationLine.objects.bulk_create([QuotationLine(quotation=quotation, **line.as_model_fields()) for line in priced])
    quotation.total = total_of(priced)


def quotation_create(
    *,
    customer: Any,
    lines: Sequence[Mapping[str, Any]],
    by: Any,
    fields: Mapping[str, Any] | None = None,
    opportunity: Any = None,
) -> Quotation:
    _require_order_role(by)
    if not _can_touch(by, customer):
        raise NotFound(_("客户不存在。"))
    today = timezone.localdate()
    data = _clean(
        {"quoted_on": today, "valid_until": today + dt.timedelta(days=DEFAULT_VALIDITY_DAYS), **(fields or {})}
    )
    priced = price_lines(lines, customer=customer, on=data["quoted_on"])
    with transaction.atomic():
        quotation = Quotation.objects.create(
            customer=customer, owner=customer.owner or by, opportunity=opportunity, created_by=by, **data
        )
        _write_lines(quotation, priced)
        quotation.save(update_fields=["total"])
        audit.record(action="sales.quotation.created", obj=quotation, by=by, data={"total": str(quotation.total)})
    return quotation


def _lock(quotation: Quotation) -> Quotation:
    return (
        Quotation.objects.select_for_update(no_key=True, of=("self",)).select_related("customer").get(pk=quotation.pk)
    )


def quotation_update(
    *,
    quotation: Quotation,
    by: Any,
    version: int | None,
    fields: Mapping[str, Any] | None = None,
    lines: Sequence[Mapping[str, Any]] | None = None,
) -> Quotation:
    with transaction.atomic():
        locked = _lock(quotation)
        if not _can_touch(by, locked.customer):
            raise NotFound(_("报价单不存在。"))
        if version is not None and version != locked.version:
            raise Conflict(_("报价单已被他人修改，请刷新后再改。"), code="stale_version")
        if locked.status != QuotationStatus.DRAFT:
            raise Conflict(_("报价单已发出，不能修改；如需调整请复制为新报价。"), code="quotation_issued")
        if fields:
            for key, value in _clean(fields).items():
                setattr(locked, key, value)
        if lines is not None:
            _write_lines(locked, price_lines(lines, customer=locked.customer, on=locked.quoted_on))
        locked.version += 1
        locked.save()
        approvals.void_stale(
            document_type="quotation",
            document_id=locked.pk,
            current_hash=approvals.document_hash(locked),
            reason=str(_("报价内容已变更")),
        )
        audit.record(action="sales.quotation.updated", obj=locked, by=by, data={"total": str(locked.total)})
    return locked


def quotation_request_approval(*, quotation: Quotation, by: Any) -> list[Any]:
    """Ask for the approvals the quotation needs (discount beyond authority, below floor)."""
    with transaction.atomic():
        locked = _lock(quotation)
        checks = quotation_checks(locked, requester=by)
        return approvals.sync_requests(document=locked, document_type="quotation", checks=checks, by=by)


def quotation_issue(*, quotation: Quotation, by: Any) -> Quotation:
    """Send the quotation: it takes its number; every needed approval must cover its content."""
    with transaction.atomic():
        locked = _lock(quotation)
        if not _can_touch(by, locked.customer):
            raise NotFound(_("报价单不存在。"))
        QUOTATION_FLOW.check(locked.status, QuotationStatus.ISSUED)
        if not locked.lines.exists():
            raise ValidationFailed(_("报价单没有产品明细。"))
        needed = [c.rule for c in quotation_checks(locked, requester=by) if not c.ok]
        if not approvals.covered(document=locked, document_type="quotation", needed_rules=needed):
            raise Conflict(
                _("报价中的折扣或价格超出您的权限，需要先审批（%(rules)s）。") % {"rules": "、".join(needed)},
                code="approval_missing",
                extra={"rules": needed},
            )
        locked.number = numbering.next_number(series="quotation", on=locked.quoted_on)
        locked.status = QuotationStatus.ISSUED
        locked.version += 1
        locked.save()
        audit.record(action="sales.quotation.issued", obj=locked, by=by, data={"number": locked.number})
    return locked


def quotation_set_outcome(*, quotation: Quotation, by: Any, accepted: bool) -> Quotation:
    with transaction.atomic():
        locked = _lock(quotation)
        if not _can_touch(by, locked.customer):
            raise NotFound(_("报价单不存在。"))
        target = QuotationStatus.ACCEPTED if accepted else QuotationStatus.DECLINED
        QUOTATION_FLOW.check(locked.status, target)
        locked.status = target
        locked.version += 1
        locked.save()
        audit.record(action=f"sales.quotation.{target}", obj=locked, by=by)
    return locked


def quotation_to_order(*, quotation: Quotation, by: Any, fields: Mapping[str, Any] | None = None) -> Any:
    """An order from an issued or accepted quotation, at the quoted prices."""
    from neiqin.sales.services.orders import order_create

    quotation = Quotation.objects.select_related("customer").get(pk=quotation.pk)  # the state as it is now
    if not _can_touch(by, quotation.customer):
        raise NotFound(_("报价单不存在。"))
    if quotation.status not in (QuotationStatus.ISSUED, QuotationStatus.ACCEPTED):
        raise Conflict(_("只有已发出或客户已接受的报价单可以转为订单。"), code="quotation_not_issued")
    if quotation.valid_until < timezone.localdate():
        raise Conflict(
            _("报价单已过有效期（%(date)s），请重新报价。") % {"date": quotation.valid_until}, code="quotation_expired"
        )
    lines = [
        {
            "product_id": line.product_id,
            "quantity": line.quantity,
            "unit_price": line.unit_price,
            "discount_rate": line.discount_rate,
            "note": line.note,
        }
        for line in quotation.lines.order_by("position")
    ]
    return order_create(customer=quotation.customer, lines=lines, by=by, fields=fields, quotation=quotation)
