"""Writes on the customer file itself: create, update, stage, follow-ups, view and export logs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from neiqin.accounts.models import User
from neiqin.accounts.roles import Role
from neiqin.accounts.scoping import roles
from neiqin.core import audit, crypto
from neiqin.core.errors import Conflict, PermissionDenied, ValidationFailed
from neiqin.core.identifiers import normalize_company_name
from neiqin.core.notifications import notify
from neiqin.core.numbering import next_number
from neiqin.core.pinyin import search_keys
from neiqin.customers import rules
from neiqin.customers.choices import REVISIT_DAYS, STAGE_TRANSITIONS, AssignmentKind, Grade, PaymentMode, Stage
from neiqin.customers.models import Customer
from neiqin.customers.services.assignment import _assignment_row, _notify_new_owner
from neiqin.customers.services.contacts import _contact_insert
from neiqin.customers.services.duplicates import _raise_duplicates, find_duplicates
from neiqin.customers.services.guards import _locked, _require_assign, _require_edit, check_owner
from neiqin.customers.services.validation import (
    AUDIT_FIELDS,
    CREDIT_FIELDS,
    NOTIFY_OWNER_FIELDS,
    clean_contact_fields,
    clean_customer_fields,
)


def apply_search_fields(customer: Customer) -> None:
    # NFKC can lengthen a name (e.g. U+FDFA): the key is for equality only, so truncate it.
    customer.name_normalized = normalize_company_name(customer.name)[:120]
    initials, full = [], []
    for text in (customer.name, customer.short_name):
        if text:
            i, f = search_keys(text)
            initials.append(i)
            full.append(f)
    customer.search_initials = " ".join(initials)[:200]
    customer.search_pinyin = " ".join(full)[:800]
    customer.phone_index = crypto.blind_index(customer.phone or "", purpose="phone")


def build_customer(*, fields: dict[str, Any], by: Any, owner: User | None = None) -> Customer:
    """An unsaved, validated customer (used by create and by imports). No duplicate check here."""
    cleaned = clean_customer_fields(fields)
    if any(
        k in cleaned and cleaned[k] not in (None, "", Decimal("0.00"), 0, PaymentMode.PREPAY) for k in CREDIT_FIELDS
    ) and not rules.can_edit_credit(by):
        raise PermissionDenied(_("只有财务或总经理可以设置信用额度和结算方式。"))
    customer = Customer(**cleaned)
    now = timezone.now()
    if owner is not None:
        customer.owner = check_owner(owner)
        customer.team_id = owner.team_id
        customer.assigned_at = now
        if owner.pk == getattr(by, "pk", None):
            customer.acknowledged_at = now
        else:
            customer.handover_due_at = now + dt.timedelta(hours=settings.NEIQIN_HANDOVER_HOURS)
    else:
        customer.pooled_at = now
    if customer.next_contact_on is None:
        customer.next_contact_on = timezone.localdate() + dt.timedelta(days=REVISIT_DAYS[Grade(customer.grade)])
    customer.created_by = by if getattr(by, "pk", None) else None
    apply_search_fields(customer)
    return customer


@transaction.atomic
def customer_create(
    *, fields: dict[str, Any], by: Any, owner: User | None = None, contacts: Iterable[dict[str, Any]] = ()
) -> Customer:
    """Create a customer file. A salesperson creating one owns it; otherwise it may be assigned
    at once or left in the pool. Duplicates (credit code, name, phone) are refused."""
    if not rules.can_create(by):
        raise PermissionDenied(_("您没有新建客户的权限。"))
    if owner is None and Role.SALESPERSON in roles(by) and not rules.can_assign(by):
        owner = by
    if owner is not None and owner.pk != getattr(by, "pk", None):
        _require_assign(by, owner)
    customer = build_customer(fields=fields, by=by, owner=owner)
    contact_rows = [clean_contact_fields(c) for c in contacts]
    phones = [customer.phone] + [c.get(k, "") for c in contact_rows for k in ("mobile", "phone")]
    _raise_duplicates(find_duplicates(name=customer.name, credit_code=customer.credit_code, phones=phones))
    customer.code = next_number(series="customer")
    customer.save(force_insert=True)
    audit.record(
        action="customers.customer.created",
        obj=customer,
        by=by,
        changes=audit.diff({}, audit.snapshot(customer, AUDIT_FIELDS)),
    )
    for row in contact_rows:
        _contact_insert(customer=customer, cleaned=row, by=by)
    if customer.owner_id:
        _assignment_row(customer=customer, kind=AssignmentKind.ASSIGN, from_owner=None, by=by, reason="")
        _notify_new_owner(customer=customer, by=by)
    return customer


@transaction.atomic
def customer_update(
    *, customer: Customer, fields: dict[str, Any], by: Any, expected_version: int | None = None
) -> Customer:
    """Change editable fields. ``expected_version`` refuses a save based on a stale copy."""
    current = _locked(customer)
    _require_edit(by, current)
    if expected_version is not None and current.version != expected_version:
        last = audit.history(current).first()
        who = str(last.actor) if last and last.actor else _("其他用户")
        when = timezone.localtime(last.created_at).strftime("%Y-%m-%d %H:%M") if last else ""
        raise Conflict(_("该客户资料已被 %(who)s 于 %(when)s 修改，请刷新后再保存。") % {"who": who, "when": when})
    cleaned = clean_customer_fields(fields, partial=True)
    touched_credit = [k for k in CREDIT_FIELDS if k in cleaned and cleaned[k] != getattr(current, k)]
    if touched_credit and not rules.can_edit_credit(by):
        raise PermissionDenied(_("只有财务或总经理可以修改信用额度和结算方式。"))
    before = audit.snapshot(current, AUDIT_FIELDS)
    for name, value in cleaned.items():
        setattr(current, name, value)
    changes = audit.diff(before, audit.snapshot(current, AUDIT_FIELDS))
    if not changes:
        return current
    dups = find_duplicates(
        name=current.name if "name" in changes else "",
        credit_code=current.credit_code if "credit_code" in changes else "",
        phones=[current.phone] if "phone" in changes else [],
        exclude_pk=current.pk,
    )
    _raise_duplicates(dups)
    apply_search_fields(current)
    current.version += 1
    current.save()
    audit.record(action="customers.customer.updated", obj=current, by=by, changes=changes)
    notify_fields = NOTIFY_OWNER_FIELDS & set(changes)
    if current.owner_id and current.owner_id != getattr(by, "pk", None) and notify_fields:
        labels = "、".join(str(Customer._meta.get_field(f).verbose_name) for f in sorted(notify_fields))
        notify(
            user=current.owner,
            title=_("客户资料已更新：%(name)s") % {"name": current.name},
            body=_("%(by)s 更新了 %(fields)s。") % {"by": by, "fields": labels},
            obj=current,
        )
    return current


@transaction.atomic
def customer_set_stage(*, customer: Customer, stage: str, by: Any, reason: str = "") -> Customer:
    """Move along 潜在 → 意向 → 签约 / 流失. Lost needs the reason (未成交原因, CUS-10)."""
    current = _locked(customer)
    _require_edit(by, current)
    if stage not in Stage.values:
        raise ValidationFailed(_("无效的合作阶段：%(value)s") % {"value": stage})
    STAGE_TRANSITIONS.check(current.stage, stage)
    reason = reason.strip()
    if stage == Stage.LOST and not reason:
        raise ValidationFailed(_("请填写未成交或流失的原因。"), extra={"fields": {"reason": [_("必填")]}})
    before = {"stage": current.stage, "lost_reason": current.lost_reason}
    current.stage = stage
    if stage == Stage.LOST:
        current.lost_reason = reason[:4000]
    current.version += 1
    current.save(update_fields=["stage", "lost_reason", "version", "updated_at"])
    audit.record(
        action="customers.customer.stage_changed",
        obj=current,
        by=by,
        changes=audit.diff(before, {"stage": current.stage, "lost_reason": current.lost_reason}),
    )
    return current


@transaction.atomic
def customer_record_contact(*, customer: Customer, by: Any, next_contact_on: dt.date | None = None) -> Customer:
    """A follow-up happened (call, visit): stamp it and schedule the next regular visit by grade."""
    current = _locked(customer)
    _require_edit(by, current)
    current.last_contact_at = timezone.now()
    current.next_contact_on = next_contact_on or (
        timezone.localdate() + dt.timedelta(days=REVISIT_DAYS[Grade(current.grade)])
    )
    current.save(update_fields=["last_contact_at", "next_contact_on", "updated_at"])
    audit.record(
        action="customers.customer.contacted",
        obj=current,
        by=by,
        data={"next_contact_on": current.next_contact_on.isoformat()},
    )
    return current


def customer_record_view(*, customer: Customer, by: Any) -> None:
    """Log a view of the full file (CUS-4: every full view is audited)."""
    audit.record(action="customers.customer.viewed", obj=customer, by=by)


def customer_record_export(*, by: Any, count: int, filters: dict[str, Any], fmt: str) -> None:
    """Log an export of the customer list: who, how many rows, with which filters."""
    audit.record_collection(
        action="customers.customer.exported",
        model=Customer,
        by=by,
        data={"count": count, "filters": filters, "format": fmt},
    )
