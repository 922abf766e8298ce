"""Duplicate detection (CUS-6): an existing customer with the same credit code, name or phone."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q
from django.utils.translation import gettext as _

from neiqin.core import crypto
from neiqin.core.errors import ValidationFailed
from neiqin.core.identifiers import normalize_company_name
from neiqin.customers.models import Contact, Customer


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
