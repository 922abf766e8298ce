"""Field cleaning for customer and contact writes, and the field lists the services share.

``clean_*_fields`` validate and normalise user input and raise one ``ValidationFailed`` naming
every bad field, before anything is written. Importing this module registers customers and
contacts with the audit trail, naming the fields the trail stores encrypted.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from neiqin.accounts.models import Region
from neiqin.core import audit
from neiqin.core.errors import ValidationFailed
from neiqin.core.identifiers import normalize_phone, validate_email_address, validate_uscc
from neiqin.customers.choices import Grade, Industry, Kind, PaymentMode, Potential, Scale, Source

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


def _normalize(errors: _Errors, cleaned: dict[str, Any], fields: tuple[str, ...], normalizer: Any) -> None:
    """Replace each filled field by its normalised form, or record the normaliser's message."""
    for name in fields:
        if cleaned.get(name):
            try:
                cleaned[name] = normalizer(cleaned[name])
            except ValidationError as exc:
                errors.add(name, exc.messages[0])


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
    _normalize(errors, cleaned, ("credit_code",), validate_uscc)
    _normalize(errors, cleaned, ("phone", "fax"), normalize_phone)
    _normalize(errors, cleaned, ("email",), validate_email_address)
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
    _normalize(errors, cleaned, ("mobile", "phone"), normalize_phone)
    _normalize(errors, cleaned, ("email",), validate_email_address)
    errors.raise_if_any()
    return cleaned
