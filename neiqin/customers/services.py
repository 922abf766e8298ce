"""Writes on customer files: create, update, stage, assignment, pool, contacts, grants.

Every function is atomic, keyword-only, takes the actor as ``by`` and writes audit events.
Bad input raises ``ValidationFailed`` before anything is written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from neiqin.accounts.models import Region, User
from neiqin.accounts.roles import Role
from neiqin.accounts.scoping import roles
from neiqin.core import audit, crypto
from neiqin.core.errors import Conflict, PermissionDenied, ValidationFailed
from neiqin.core.identifiers import normalize_company_name, normalize_phone, validate_email_address, validate_uscc
from neiqin.core.models import Notification
from neiqin.core.notifications import notify
from neiqin.core.numbering import next_number
from neiqin.core.pinyin import search_keys
from neiqin.customers import rules, selectors
from neiqin.customers.choices import (
    REVISIT_DAYS,
    STAGE_TRANSITIONS,
    AssignmentKind,
    Grade,
    Industry,
    KeyDateKind,
    Kind,
    PaymentMode,
    Potential,
    Scale,
    Source,
    Stage,
)
from neiqin.customers.models import AccessGrant, Assignment, Contact, Customer, KeyDate

SENSITIVE = ("phone", "fax", "email", "id_number", "invoice_address_phone", "invoice_account")
audit.register("customers.customer", sensitive=SENSITIVE)
audit.register("customers.contact", sensitive=("mobile", "phone", "email", "wechat"))

TEXT_FIELDS = {
    "name": 120,
    "short_name": 40,
    "province": 20,
    "city": 30,
    "address": 200,
    "website": 200,
    "invoice_title": 120,
    "invoice_tax_id": 20,
    "invoice_bank": 100,
    "purchase_capacity": 100,
    "business_scope": 4000,
    "purchase_intent": 4000,
    "lost_reason": 4000,
    "notes": 8000,
    "phone": 40,
    "fax": 40,
    "email": 120,
    "id_number": 18,
    "invoice_address_phone": 200,
    "invoice_account": 40,
    "credit_code": 30,
}
CHOICE_FIELDS = {
    "kind": Kind,
    "industry": Industry,
    "scale": Scale,
    "potential": Potential,
    "grade": Grade,
    "source": Source,
    "payment_mode": PaymentMode,
}
CREDIT_FIELDS = ("credit_limit", "payment_mode", "payment_term_days")
EDITABLE_FIELDS = (
    *TEXT_FIELDS,
    *CHOICE_FIELDS,
    "is_vip",
    "credit_limit",
    "payment_term_days",
    "next_contact_on",
    "region",
)
AUDIT_FIELDS = (
    "code",
    "name",
    "short_name",
    "kind",
    "industry",
    "scale",
    "potential",
    "stage",
    "grade",
    "is_vip",
    "source",
    "province",
    "city",
    "region",
    "address",
    "phone",
    "fax",
    "email",
    "website",
    "business_scope",
    "credit_code",
    "id_number",
    "invoice_title",
    "invoice_tax_id",
    "invoice_address_phone",
    "invoice_bank",
    "invoice_account",
    "purchase_intent",
    "purchase_capacity",
    "lost_reason",
    "notes",
    "credit_limit",
    "payment_mode",
    "payment_term_days",
    "owner",
    "team",
    "next_contact_on",
)
# Changes the owner is told about (CUS-5).
NOTIFY_OWNER_FIELDS = {
    "phone",
    "fax",
    "email",
    "address",
    "province",
    "city",
    "invoice_title",
    "invoice_tax_id",
    "invoice_bank",
    "invoice_account",
    "invoice_address_phone",
}
MAX_CREDIT_LIMIT = Decimal("999999999999.99")


class _Errors:
    def __init__(self) -> None:
        self.fields: dict[str, list[str]] = {}

    def add(self, field: str, message: Any) -> None:
        self.fields.setdefault(field, []).append(str(message))

    def raise_if_any(self) -> None:
        if self.fields:
            first = next(iter(self.fields.values()))[0]
            raise ValidationFailed(first, extra={"fields": self.fields})


def _clean_text(errors: _Errors, field: str, value: Any) -> str:
    text = "" if value is None else str(value).strip()
    if len(text) > TEXT_FIELDS[field]:
        errors.add(field, _("不能超过 %(n)s 个字符。") % {"n": TEXT_FIELDS[field]})
    return text


def _clean_decimal(errors: _Errors, field: str, value: Any) -> Decimal:
    if isinstance(value, float | bool):
        errors.add(field, _("请输入金额，例如 50000.00。"))
        return Decimal("0")
    try:
        amount = Decimal(str(value).replace(",", "").strip() or "0")
    except InvalidOperation:
        errors.add(field, _("请输入金额，例如 50000.00。"))
        return Decimal("0")
    if not amount.is_finite() or amount < 0 or amount > MAX_CREDIT_LIMIT:
        errors.add(field, _("金额必须在 0 到 999,999,999,999.99 之间。"))
        return Decimal("0")
    if amount != amount.quantize(Decimal("0.01")):
        errors.add(field, _("金额最多两位小数。"))
    return amount.quantize(Decimal("0.01"))


def clean_customer_fields(fields: dict[str, Any], *, partial: bool = False) -> dict[str, Any]:
    """Validate and normalise editable fields; raises ValidationFailed naming each bad field."""
    unknown = sorted(set(fields) - set(EDITABLE_FIELDS))
    errors = _Errors()
    for name in unknown:
        errors.add(name, _("不允许修改此字段。"))
    cleaned: dict[str, Any] = {}
    for name, value in fields.items():
        if name in unknown:
            continue
        if name in TEXT_FIELDS:
            cleaned[name] = _clean_text(errors, name, value)
        elif name in CHOICE_FIELDS:
            choice = "" if value is None else str(value).strip()
            allowed = CHOICE_FIELDS[name].values
            blank_ok = name in {"scale", "potential", "source"}
            if (choice or not blank_ok) and choice not in allowed:
                errors.add(name, _("无效的选项：%(value)s") % {"value": choice})
            cleaned[name] = choice
        elif name == "is_vip":
            if not isinstance(value, bool):
                errors.add(name, _("请选择是或否。"))
            cleaned[name] = bool(value)
        elif name == "credit_limit":
            cleaned[name] = _clean_decimal(errors, name, value)
        elif name == "payment_term_days":
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 365:
                errors.add(name, _("账期天数必须是 0 到 365 之间的整数。"))
            cleaned[name] = value if isinstance(value, int) and not isinstance(value, bool) else 0
        elif name == "next_contact_on":
            if value not in (None, "") and not isinstance(value, dt.date):
                errors.add(name, _("请输入日期，例如 2026-12-01。"))
            cleaned[name] = value or None
        elif name == "region":
            if value in (None, ""):
                cleaned[name] = None
            else:
                region = value if isinstance(value, Region) else Region.objects.filter(pk=_as_int(value)).first()
                if region is None:
                    errors.add(name, _("未知的销售大区。"))
                cleaned[name] = region
    if not partial or "name" in cleaned:
        if not cleaned.get("name"):
            errors.add("name", _("请填写客户名称。"))
    if cleaned.get("credit_code"):
        try:
            cleaned["credit_code"] = validate_uscc(cleaned["credit_code"])
        except ValidationError as exc:
            errors.add("credit_code", exc.messages[0])
    for name in ("phone", "fax"):
        if cleaned.get(name):
            try:
                cleaned[name] = normalize_phone(cleaned[name])
            except ValidationError as exc:
                errors.add(name, exc.messages[0])
    if cleaned.get("email"):
        try:
            cleaned["email"] = validate_email_address(cleaned["email"])
        except ValidationError as exc:
            errors.add("email", exc.messages[0])
    if cleaned.get("id_number"):
        from stdnum.cn import ric

        if not ric.is_valid(cleaned["id_number"]):
            errors.add("id_number", _("身份证号码无效，请核对。"))
        else:
            cleaned["id_number"] = ric.compact(cleaned["id_number"])
    errors.raise_if_any()
    return cleaned


def _as_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@dataclass(frozen=True)
class Duplicate:
    customer: Customer
    reason: str

    @property
    def message(self) -> str:
        owner = self.customer.owner.display_name or self.customer.owner.username if self.customer.owner else _("公海")
        return _("与已有客户 %(code)s %(name)s（负责人：%(owner)s）重复：%(reason)s") % {
            "code": self.customer.code,
            "name": self.customer.name,
            "owner": owner,
            "reason": self.reason,
        }


def find_duplicates(
    *, name: str = "", credit_code: str = "", phones: Iterable[str] = (), exclude_pk: int | None = None
) -> list[Duplicate]:
    """Existing customers with the same credit code, normalised name or phone (CUS-6)."""
    found: list[Duplicate] = []
    base = Customer.objects.select_related("owner")
    if exclude_pk:
        base = base.exclude(pk=exclude_pk)
    if credit_code:
        for c in base.filter(credit_code=credit_code)[:3]:
            found.append(Duplicate(c, _("统一社会信用代码相同")))
    normalized = normalize_company_name(name) if name else ""
    if normalized:
        for c in base.filter(name_normalized=normalized)[:3]:
            found.append(Duplicate(c, _("客户名称相同")))
    indexes = [crypto.blind_index(p, purpose="phone") for p in phones if p]
    if indexes:
        contact_hits = Contact.objects.filter(Q(mobile_index__in=indexes) | Q(phone_index__in=indexes))
        for c in base.filter(Q(phone_index__in=indexes) | Q(pk__in=contact_hits.values("customer_id")))[:3]:
            found.append(Duplicate(c, _("电话号码相同")))
    unique: dict[int, Duplicate] = {}
    for dup in found:
        unique.setdefault(dup.customer.pk, dup)
    return list(unique.values())


def _raise_duplicates(dups: list[Duplicate]) -> None:
    if dups:
        raise ValidationFailed(
            dups[0].message,
            code="duplicate_customer",
            extra={"duplicates": [{"id": d.customer.pk, "code": d.customer.code, "reason": d.reason} for d in dups]},
        )


def _apply_search_fields(customer: Customer) -> None:
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


def _check_owner(owner: Any) -> User:
    if not isinstance(owner, User) or not owner.is_active:
        raise ValidationFailed(_("负责人不存在或已停用。"), extra={"fields": {"owner": [_("未知负责人")]}})
    if not ({Role.SALESPERSON, Role.SALES_MANAGER} & set(roles(owner))):
        raise ValidationFailed(_("只能把客户分配给业务员或销售经理。"), extra={"fields": {"owner": [_("不是业务员")]}})
    return owner


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
        customer.owner = _check_owner(owner)
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
    _apply_search_fields(customer)
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


def _locked(customer: Customer) -> Customer:
    """The current row, locked: rules are checked on it, never on the caller's (maybe stale) copy."""
    return Customer.objects.select_for_update(of=("self",)).select_related("owner").get(pk=customer.pk)


def _require_assign(by: Any, owner: Any) -> None:
    if not rules.can_assign(by):
        raise PermissionDenied(_("您没有分配客户的权限。"))
    if not rules.can_assign_to(by, owner):
        raise PermissionDenied(_("销售经理只能把客户分配给本团队的业务员。"))


def _require_edit(by: Any, customer: Customer) -> None:
    if not rules.can_edit(by, customer):
        raise PermissionDenied(_("您不能修改这个客户的资料。"))


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
    _apply_search_fields(current)
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


def _assignment_row(*, customer: Customer, kind: str, from_owner: User | None, by: Any, reason: str) -> Assignment:
    return Assignment.objects.create(
        customer=customer,
        kind=kind,
        from_owner=from_owner,
        to_owner=customer.owner,
        by=by if getattr(by, "pk", None) else None,
        reason=reason[:200],
        due_at=customer.handover_due_at,
        acknowledged_at=customer.acknowledged_at,
    )


def _notify_new_owner(*, customer: Customer, by: Any) -> None:
    if customer.owner_id and customer.owner_id != getattr(by, "pk", None) and customer.handover_due_at:
        due = timezone.localtime(customer.handover_due_at).strftime("%m-%d %H:%M")
        notify(
            user=customer.owner,
            title=_("新分配客户：%(name)s") % {"name": customer.name},
            body=_("请在 %(due)s 前确认接收并了解客户背景。") % {"due": due},
            obj=customer,
        )


@transaction.atomic
def customer_assign(*, customer: Customer, owner: User, by: Any, reason: str = "") -> Customer:
    """Assign or reassign to a salesperson; the new owner must acknowledge within the deadline.
    The previous owner loses access on the next request (scope is computed from the owner)."""
    _require_assign(by, owner)
    current = _locked(customer)
    owner = _check_owner(owner)
    if current.owner_id == owner.pk:
        raise Conflict(_("该客户已由 %(owner)s 负责。") % {"owner": owner}, code="already_owner")
    previous = current.owner
    now = timezone.now()
    before = audit.snapshot(current, ("owner", "team"))
    current.owner, current.team_id = owner, owner.team_id
    current.assigned_at, current.acknowledged_at, current.pooled_at = now, None, None
    current.handover_due_at = now + dt.timedelta(hours=settings.NEIQIN_HANDOVER_HOURS)
    current.version += 1
    current.save()
    kind = AssignmentKind.REASSIGN if previous else AssignmentKind.ASSIGN
    _assignment_row(customer=current, kind=kind, from_owner=previous, by=by, reason=reason)
    audit.record(
        action="customers.customer.assigned",
        obj=current,
        by=by,
        changes=audit.diff(before, audit.snapshot(current, ("owner", "team"))),
        data={"reason": reason},
    )
    _notify_new_owner(customer=current, by=by)
    if previous and previous.pk != getattr(by, "pk", None):
        notify(
            user=previous,
            title=_("客户已转交：%(name)s") % {"name": current.name},
            body=_("已转交给 %(owner)s。") % {"owner": owner},
            obj=None,
        )
    return current


@transaction.atomic
def customer_acknowledge(*, customer: Customer, by: Any) -> Customer:
    """The new owner confirms the handover (assigned → acknowledged)."""
    current = _locked(customer)
    if current.owner_id != getattr(by, "pk", None):
        raise PermissionDenied(_("只有负责业务员可以确认接收。"))
    if current.acknowledged_at is not None:
        raise Conflict(_("已经确认接收过了。"), code="already_acknowledged")
    current.acknowledged_at = timezone.now()
    current.save(update_fields=["acknowledged_at", "updated_at"])
    Assignment.objects.filter(customer=current, to_owner=by, acknowledged_at__isnull=True).update(
        acknowledged_at=current.acknowledged_at
    )  # Assignment is itself a history table; the acknowledgement is audited below
    audit.record(action="customers.customer.acknowledged", obj=current, by=by)
    return current


@transaction.atomic
def customer_claim(*, customer: Customer, by: Any) -> Customer:
    """A salesperson takes a customer from the shared pool (公海); first come, first served."""
    current = _locked(customer)
    if current.owner_id is not None:
        raise Conflict(_("该客户已被 %(owner)s 领取。") % {"owner": current.owner}, code="already_claimed")
    if not rules.can_claim(by, current):
        raise PermissionDenied(_("只有业务员可以从公海领取客户。"))
    now = timezone.now()
    current.owner, current.team_id = by, by.team_id
    current.assigned_at = current.acknowledged_at = now
    current.handover_due_at = current.pooled_at = None
    current.version += 1
    current.save()
    _assignment_row(customer=current, kind=AssignmentKind.CLAIM, from_owner=None, by=by, reason="")
    audit.record(action="customers.customer.claimed", obj=current, by=by, changes={"owner": [None, by.pk]})
    return current


@transaction.atomic
def customer_release(*, customer: Customer, by: Any, reason: str, automatic: bool = False) -> Customer:
    """Return a customer to the pool, with the reason kept in the history."""
    current = _locked(customer)
    if not automatic and not rules.can_release(by, current):
        raise PermissionDenied(_("您不能把这个客户退回公海。"))
    if current.owner_id is None:
        raise Conflict(_("该客户已在公海中。"), code="already_in_pool")
    reason = reason.strip()
    if not reason:
        raise ValidationFailed(_("请填写退回公海的原因。"), extra={"fields": {"reason": [_("必填")]}})
    previous = current.owner
    current.owner = None
    current.team = None
    current.pooled_at = timezone.now()
    current.assigned_at = current.acknowledged_at = current.handover_due_at = None
    current.version += 1
    current.save()
    kind = AssignmentKind.AUTO_RELEASE if automatic else AssignmentKind.RELEASE
    _assignment_row(customer=current, kind=kind, from_owner=previous, by=by, reason=reason)
    audit.record(
        action="customers.customer.released",
        obj=current,
        by=by,
        changes={"owner": [previous.pk, None]},
        data={"reason": reason, "automatic": automatic},
    )
    return current


def pool_auto_return(*, now: dt.datetime | None = None, days: int | None = None) -> int:
    """Return to the pool customers not yet signed whose owner has not followed up for N days."""
    now = now or timezone.now()
    days = settings.NEIQIN_POOL_RETURN_DAYS if days is None else days
    cutoff = now - dt.timedelta(days=days)
    stale = (
        Customer.objects.filter(owner__isnull=False)
        .exclude(stage=Stage.SIGNED)
        .filter(Q(last_contact_at__lt=cutoff) | Q(last_contact_at__isnull=True, assigned_at__lt=cutoff))
    )
    count = 0
    for customer in stale.order_by("pk").iterator():
        customer_release(
            customer=customer, by=None, automatic=True, reason=_("%(days)s 天未跟进，自动退回公海") % {"days": days}
        )
        count += 1
    return count


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


# ---- contacts ---------------------------------------------------------------------------------

CONTACT_TEXT = {
    "name": 40,
    "title": 40,
    "department": 40,
    "mobile": 40,
    "phone": 40,
    "email": 120,
    "wechat": 60,
    "notes": 2000,
}
CONTACT_FIELDS = (*CONTACT_TEXT, "birthday", "is_decision_maker", "is_primary")


def clean_contact_fields(fields: dict[str, Any], *, partial: bool = False) -> dict[str, Any]:
    errors = _Errors()
    cleaned: dict[str, Any] = {}
    for name, value in fields.items():
        if name not in CONTACT_FIELDS:
            errors.add(name, _("不允许修改此字段。"))
        elif name in CONTACT_TEXT:
            text = "" if value is None else str(value).strip()
            if len(text) > CONTACT_TEXT[name]:
                errors.add(name, _("不能超过 %(n)s 个字符。") % {"n": CONTACT_TEXT[name]})
            cleaned[name] = text
        elif name == "birthday":
            if value not in (None, "") and not isinstance(value, dt.date):
                errors.add(name, _("请输入日期，例如 1985-06-01。"))
            cleaned[name] = value or None
        else:
            if not isinstance(value, bool):
                errors.add(name, _("请选择是或否。"))
            cleaned[name] = bool(value)
    if (not partial or "name" in cleaned) and not cleaned.get("name"):
        errors.add("name", _("请填写联系人姓名。"))
    for name in ("mobile", "phone"):
        if cleaned.get(name):
            try:
                cleaned[name] = normalize_phone(cleaned[name])
            except ValidationError as exc:
                errors.add(name, exc.messages[0])
    if cleaned.get("email"):
        try:
            cleaned["email"] = validate_email_address(cleaned["email"])
        except ValidationError as exc:
            errors.add("email", exc.messages[0])
    errors.raise_if_any()
    return cleaned


def _contact_indexes(contact: Contact) -> None:
    contact.mobile_index = crypto.blind_index(contact.mobile or "", purpose="phone")
    contact.phone_index = crypto.blind_index(contact.phone or "", purpose="phone")
    contact.search_initials = search_keys(contact.name)[0][:100] if contact.name else ""


def _demote_other_primaries(*, customer: Customer, keep: Contact, by: Any) -> None:
    """One primary contact per customer; the previous one is demoted with its own audit row."""
    for other in customer.contacts.exclude(pk=keep.pk).filter(is_primary=True):
        other.is_primary = False
        other.save(update_fields=["is_primary", "updated_at"])
        audit.record(
            action="customers.contact.updated",
            obj=other,
            by=by,
            changes={"is_primary": [True, False]},
            data={"customer": customer.pk},
        )


def _contact_insert(*, customer: Customer, cleaned: dict[str, Any], by: Any) -> Contact:
    contact = Contact(customer=customer, **cleaned)
    _contact_indexes(contact)
    contact.save(force_insert=True)
    if contact.is_primary:
        _demote_other_primaries(customer=customer, keep=contact, by=by)
    audit.record(
        action="customers.contact.created",
        obj=contact,
        by=by,
        changes=audit.diff({}, audit.snapshot(contact, CONTACT_FIELDS)),
        data={"customer": customer.pk},
    )
    return contact


@transaction.atomic
def contact_create(*, customer: Customer, fields: dict[str, Any], by: Any) -> Contact:
    current = _locked(customer)
    _require_edit(by, current)
    cleaned = clean_contact_fields(fields)
    return _contact_insert(customer=current, cleaned=cleaned, by=by)


@transaction.atomic
def contact_update(*, contact: Contact, fields: dict[str, Any], by: Any) -> Contact:
    customer = _locked(contact.customer)
    _require_edit(by, customer)
    cleaned = clean_contact_fields(fields, partial=True)
    current = Contact.objects.select_for_update().get(pk=contact.pk)
    before = audit.snapshot(current, CONTACT_FIELDS)
    for name, value in cleaned.items():
        setattr(current, name, value)
    changes = audit.diff(before, audit.snapshot(current, CONTACT_FIELDS))
    if not changes:
        return current
    _contact_indexes(current)
    current.save()
    if current.is_primary:
        _demote_other_primaries(customer=customer, keep=current, by=by)
    audit.record(
        action="customers.contact.updated", obj=current, by=by, changes=changes, data={"customer": customer.pk}
    )
    if customer.owner_id and customer.owner_id != getattr(by, "pk", None):
        notify(
            user=customer.owner,
            title=_("联系人已更新：%(name)s") % {"name": customer.name},
            body=_("%(by)s 更新了联系人 %(contact)s。") % {"by": by, "contact": current.name},
            obj=customer,
        )
    return current


@transaction.atomic
def contact_delete(*, contact: Contact, by: Any) -> None:
    customer = _locked(contact.customer)
    _require_edit(by, customer)
    audit.record(
        action="customers.contact.deleted",
        obj=contact,
        by=by,
        changes=audit.diff(audit.snapshot(contact, CONTACT_FIELDS), {}),
        data={"customer": customer.pk},
    )
    contact.delete()


# ---- key dates and access grants --------------------------------------------------------------


@transaction.atomic
def key_date_add(
    *,
    customer: Customer,
    kind: str,
    date: dt.date,
    by: Any,
    note: str = "",
    recurring: bool = False,
    remind_days_before: int | None = None,
) -> KeyDate:
    from neiqin.customers.choices import KEY_DATE_LEAD_DAYS

    customer = _locked(customer)
    _require_edit(by, customer)
    if kind not in KeyDateKind.values:
        raise ValidationFailed(_("无效的日期类型：%(value)s") % {"value": kind})
    if not isinstance(date, dt.date):
        raise ValidationFailed(_("请输入日期，例如 2027-03-31。"))
    lead = KEY_DATE_LEAD_DAYS.get(kind, 7) if remind_days_before is None else remind_days_before
    if not 0 <= lead <= 366:
        raise ValidationFailed(_("提前提醒天数必须在 0 到 366 之间。"))
    row = KeyDate.objects.create(
        customer=customer, kind=kind, date=date, note=note.strip()[:200], recurring=recurring, remind_days_before=lead
    )
    audit.record(
        action="customers.key_date.added",
        obj=customer,
        by=by,
        data={"kind": kind, "date": date.isoformat(), "remind_days_before": lead},
    )
    return row


@transaction.atomic
def access_grant(
    *, customer: Customer, user: User, by: Any, reason: str, expires_at: dt.datetime | None = None
) -> AccessGrant:
    """Let one more user read this file (e.g. a colleague covering a visit)."""
    if not rules.can_grant(by):
        raise PermissionDenied(_("您没有授权查看客户的权限。"))
    if not reason.strip():
        raise ValidationFailed(_("请填写授权原因。"))
    grant = AccessGrant.objects.create(
        customer=customer, user=user, granted_by=by, reason=reason.strip()[:200], expires_at=expires_at
    )
    audit.record(
        action="customers.access.granted",
        obj=customer,
        by=by,
        data={"user": user.pk, "reason": grant.reason, "expires_at": expires_at.isoformat() if expires_at else None},
    )
    return grant


@transaction.atomic
def access_revoke(*, grant: AccessGrant, by: Any) -> None:
    if not rules.can_grant(by):
        raise PermissionDenied(_("您没有授权查看客户的权限。"))
    grant.revoked_at = timezone.now()
    grant.save(update_fields=["revoked_at"])
    audit.record(action="customers.access.revoked", obj=grant.customer, by=by, data={"user": grant.user_id})


# ---- handover reminders -----------------------------------------------------------------------


@transaction.atomic
def handover_overdue_remind(*, user: User) -> int:
    """Tell ``user`` about overdue handovers they answer for; returns how many reminders were sent.

    They answer for customers whose pending handover they assigned, and for customers of the
    teams they manage. Each handover is reminded once: a later assignment is a new handover.
    Only files the user may see are considered, so a reminder never reveals one outside their
    scope. The half-hourly job calls this for every user who may assign customers.
    """
    visible = selectors.customer_visible_q(user)
    if not user.is_active or visible is None:
        return 0
    pending_assigner = (
        Assignment.objects.filter(customer=OuterRef("pk"), to_owner=OuterRef("owner"), acknowledged_at__isnull=True)
        .order_by("-created_at", "-id")
        .values("by")[:1]
    )
    overdue = (
        selectors.handovers_overdue_all()
        .filter(visible)
        .annotate(pending_assigner=Subquery(pending_assigner))
        .filter(Q(team__manager=user) | Q(pending_assigner=user.pk))
    )
    sent = 0
    for customer in overdue:
        if not _handover_reminded(user=user, customer=customer):
            _handover_remind(user=user, customer=customer)
            sent += 1
    return sent


def _handover_reminder_title(customer: Customer) -> str:
    return _("交接超时未确认：%(name)s") % {"name": customer.name}


def _handover_reminded(*, user: User, customer: Customer) -> bool:
    """Already told about this handover (the one that started at ``assigned_at``)."""
    return Notification.objects.filter(
        user=user,
        object_type=customer._meta.label_lower,
        object_id=str(customer.pk),
        title=_handover_reminder_title(customer)[:120],
        created_at__gte=customer.assigned_at,
    ).exists()


def _handover_remind(*, user: User, customer: Customer) -> None:
    due = timezone.localtime(customer.handover_due_at).strftime("%m-%d %H:%M")
    body = _("%(owner)s 未在 %(due)s 前确认接收客户 %(code)s %(name)s，请督促确认或重新分配。") % {
        "owner": customer.owner,
        "due": due,
        "code": customer.code,
        "name": customer.name,
    }
    notify(user=user, title=_handover_reminder_title(customer), body=body, obj=customer)
