"""Scoped reads of customer files. Every page, API operation, export and search uses these."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from neiqin.accounts.roles import CAN_CLAIM_FROM_POOL, Scope
from neiqin.accounts.scoping import customer_scope, has_role, team_ids
from neiqin.core import crypto
from neiqin.core.errors import NotFound, ValidationFailed
from neiqin.core.identifiers import normalize_phone
from neiqin.core.models import Event
from neiqin.core.pinyin import is_pinyin_query
from neiqin.customers.models import AccessGrant, Contact, Customer, KeyDate


def _granted_ids(user: Any) -> list[int]:
    """Ids of files explicitly granted to the user (a handful at most). Materialised on purpose:
    ``owner = me OR id IN (subquery)`` defeats PostgreSQL's indexes, a literal id list does not."""
    now = timezone.now()
    return list(
        AccessGrant.objects.filter(user=user, revoked_at__isnull=True)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .values_list("customer_id", flat=True)[:1000]
    )


def customer_visible_q(user: Any) -> Q | None:
    """The row filter for ``user``; None means nothing is visible."""
    scope = customer_scope(user)
    if scope == Scope.ALL:
        return Q()
    if scope == Scope.NONE:
        return None
    granted = _granted_ids(user)
    cond = Q(owner=user)
    if scope == Scope.TEAM:
        teams = team_ids(user)
        cond |= Q(team_id__in=teams) | Q(owner__team_id__in=teams)
    if granted:
        cond |= Q(pk__in=granted)
    return cond


def customer_queryset(*, user: Any) -> QuerySet[Customer]:
    q = customer_visible_q(user)
    if q is None:
        return Customer.objects.none()
    return Customer.objects.filter(q).select_related("owner", "team", "region")


def customer_get_for_user(*, user: Any, pk: Any) -> Customer:
    """A customer inside the user's scope; anything else is "not found" (no existence leak)."""
    try:
        pk_int = int(pk)
    except (TypeError, ValueError):
        raise NotFound(_("客户不存在或无权查看。")) from None
    customer = customer_queryset(user=user).filter(pk=pk_int).first()
    if customer is None:
        raise NotFound(_("客户不存在或无权查看。"))
    return customer


@dataclass(frozen=True)
class CustomerFilters:
    q: str = ""
    stage: str = ""
    grade: str = ""
    kind: str = ""
    industry: str = ""
    scale: str = ""
    potential: str = ""
    source: str = ""
    province: str = ""
    region: int | None = None
    owner: int | None = None
    team: int | None = None
    is_vip: bool | None = None
    pool: bool | None = None
    follow_up_due: bool | None = None
    sort: str = "-created_at"


SORTS = {
    "name": ("name_normalized", "id"),
    "-name": ("-name_normalized", "-id"),
    "code": ("code",),
    "-code": ("-code",),
    "created_at": ("created_at", "id"),
    "-created_at": ("-created_at", "-id"),
    "grade": ("grade", "name_normalized"),
    "-grade": ("-grade", "name_normalized"),
    "next_contact_on": ("next_contact_on", "id"),
    "-next_contact_on": ("-next_contact_on", "-id"),
    "credit_limit": ("credit_limit", "id"),
    "-credit_limit": ("-credit_limit", "-id"),
}


_DOCUMENT_CODE = re.compile(r"^[A-Z]{1,6}\d{4}-\d+$")


def _phone_in(q: str) -> str:
    """The normalised phone number when the query is one as typed (digits, spaces, dashes, +)."""
    compact = q.replace("-", "").replace(" ", "").replace("(", "").replace(")", "").lstrip("+")
    if len(compact) < 7 or not compact.isdigit():
        return ""
    try:
        return normalize_phone(q)
    except ValidationError:
        return ""


def _phone_q(phone: str) -> Q:
    """Customers whose own or a contact's phone is ``phone`` (blind-index equality, both indexed;
    the few contact hits are materialised so the OR stays index-friendly on PostgreSQL)."""
    index = crypto.blind_index(phone, purpose="phone")
    contact_hits = list(
        Contact.objects.filter(Q(mobile_index=index) | Q(phone_index=index)).values_list("customer_id", flat=True)[
            :1000
        ]
    )
    return Q(phone_index=index) | Q(pk__in=contact_hits) if contact_hits else Q(phone_index=index)


def search_q(q: str) -> Q:
    """Search by name, short name, pinyin initials or full pinyin, contact name, phone, code or
    credit code. A phone number, a customer code or a credit code is answered from its indexed
    equality column alone (no substring scan); words scan the name and pinyin columns once."""
    q = q.strip()
    if not q:
        return Q()
    phone = _phone_in(q)
    if phone:
        return _phone_q(phone)
    compact = q.replace(" ", "").upper()
    if _DOCUMENT_CODE.match(compact):
        return Q(code=compact)
    if len(compact) == 18 and compact.isalnum() and any(ch.isdigit() for ch in compact):
        return Q(credit_code=compact)
    cond = Q(name__icontains=q) | Q(short_name__icontains=q)
    cond |= Q(pk__in=Contact.objects.filter(name=q).values("customer_id"))
    if is_pinyin_query(q):
        lowered = q.lower()
        cond |= Q(search_initials__contains=lowered) | Q(search_pinyin__contains=lowered)
    return cond


def customer_list(*, user: Any, filters: CustomerFilters) -> QuerySet[Customer]:
    qs = customer_queryset(user=user)
    if filters.pool is True:
        qs = qs.filter(owner__isnull=True)
    elif filters.pool is False:
        qs = qs.filter(owner__isnull=False)
    exact = {
        "stage": filters.stage,
        "grade": filters.grade,
        "kind": filters.kind,
        "industry": filters.industry,
        "scale": filters.scale,
        "potential": filters.potential,
        "source": filters.source,
        "province": filters.province,
    }
    qs = qs.filter(**{k: v for k, v in exact.items() if v})
    if filters.region:
        qs = qs.filter(region_id=filters.region)
    if filters.owner:
        qs = qs.filter(owner_id=filters.owner)
    if filters.team:
        qs = qs.filter(team_id=filters.team)
    if filters.is_vip is not None:
        qs = qs.filter(is_vip=filters.is_vip)
    if filters.follow_up_due:
        qs = qs.filter(next_contact_on__lte=timezone.localdate())
    if filters.q:
        qs = qs.filter(search_q(filters.q))
    if filters.sort not in SORTS:
        raise ValidationFailed(
            _("不支持的排序方式：%(sort)s") % {"sort": filters.sort}, extra={"fields": {"sort": [filters.sort]}}
        )
    return qs.order_by(*SORTS[filters.sort])


def pool_list(*, user: Any, q: str = "") -> QuerySet[Customer]:
    """The shared pool (公海): visible to those who may claim, and to full-scope roles."""
    if not (has_role(user, CAN_CLAIM_FROM_POOL) or customer_scope(user) == Scope.ALL):
        return Customer.objects.none()
    qs = Customer.objects.filter(owner__isnull=True).select_related("region")
    if q:
        qs = qs.filter(search_q(q))
    return qs.order_by("-pooled_at", "-id")


def pool_get_for_user(*, user: Any, pk: Any) -> Customer:
    try:
        return pool_list(user=user).get(pk=int(pk))
    except (Customer.DoesNotExist, TypeError, ValueError):
        raise NotFound(_("公海中没有这个客户，可能已被他人领取。")) from None


def find_by_phone(*, user: Any, phone: str) -> QuerySet[Customer]:
    """Exact lookup of a caller's number (call log): customer phone or any contact's phone."""
    normalized = normalize_phone(phone)
    if not normalized:
        return Customer.objects.none()
    return customer_queryset(user=user).filter(_phone_q(normalized))


def contacts_for(*, customer: Customer) -> QuerySet[Contact]:
    return customer.contacts.all()


def contact_get_for_user(*, user: Any, pk: Any) -> Contact:
    """A contact whose customer is in the user's scope; anything else is "not found"."""
    missing = NotFound(_("联系人不存在或无权查看。"))
    try:
        pk_int = int(pk)
    except (TypeError, ValueError):
        raise missing from None
    q = customer_visible_q(user)
    if q is None:
        raise missing
    contact = (
        Contact.objects.filter(pk=pk_int, customer__in=Customer.objects.filter(q).values("pk"))
        .select_related("customer")
        .first()
    )
    if contact is None:
        raise missing
    return contact


def customer_history(*, customer: Customer, include_views: bool = False) -> QuerySet[Event]:
    """Audit events of the file and of its contacts, newest first (CUS-5: every change kept)."""
    events = Event.objects.filter(
        Q(object_type="customers.customer", object_id=str(customer.pk))
        | Q(object_type="customers.contact", data__customer=customer.pk)
    ).select_related("actor")
    if not include_views:
        events = events.exclude(action="customers.customer.viewed")
    return events.order_by("-created_at", "-id")


def _handover_overdue_q() -> Q:
    return Q(owner__isnull=False, acknowledged_at__isnull=True, handover_due_at__lt=timezone.now())


def handover_overdue(*, user: Any) -> QuerySet[Customer]:
    """Assigned but not acknowledged within the deadline."""
    return customer_queryset(user=user).filter(_handover_overdue_q())


def handovers_overdue_all() -> QuerySet[Customer]:
    """Every overdue handover in the company, oldest deadline first. No user scope is applied.

    For background jobs only (the reminder job narrows it to what each recipient may see and
    answers for); pages, API and exports use ``handover_overdue(user=...)``.
    """
    return (
        Customer.objects.filter(_handover_overdue_q()).select_related("owner", "team").order_by("handover_due_at", "pk")
    )


@dataclass(frozen=True)
class Reminder:
    """A date worth acting on soon: a key date of a customer, or a contact's birthday (CUS-8)."""

    customer: Customer
    on: dt.date
    label: str
    note: str
    days_left: int


def _next_occurrence(date: dt.date, today: dt.date, recurring: bool) -> dt.date:
    if not recurring:
        return date
    for year in (today.year, today.year + 1):
        try:
            candidate = date.replace(year=year)
        except ValueError:  # 29 February in a common year: greet on the 28th
            candidate = dt.date(year, 2, 28)
        if candidate >= today:
            return candidate
    return date


def reminders_due(*, user: Any, today: dt.date | None = None, birthday_lead_days: int = 3) -> list[Reminder]:
    """Key dates whose reminder window is open (e.g. a lease expiring in 4-5 months) and contact
    birthdays within ``birthday_lead_days``, for customers in the user's scope, soonest first."""
    today = today or timezone.localdate()
    visible = customer_queryset(user=user).values("pk")
    rows: list[Reminder] = []
    dates = KeyDate.objects.filter(customer__in=visible).select_related("customer", "customer__owner")
    dates = dates.filter(Q(recurring=True) | Q(date__gte=today, date__lte=today + dt.timedelta(days=366)))
    for key_date in dates:
        on = _next_occurrence(key_date.date, today, key_date.recurring)
        left = (on - today).days
        if 0 <= left <= key_date.remind_days_before:
            rows.append(Reminder(key_date.customer, on, str(key_date.get_kind_display()), key_date.note, left))
    contacts = Contact.objects.filter(customer__in=visible, birthday__isnull=False).select_related(
        "customer", "customer__owner"
    )
    for contact in contacts:
        on = _next_occurrence(contact.birthday, today, True)
        left = (on - today).days
        if 0 <= left <= birthday_lead_days:
            rows.append(Reminder(contact.customer, on, str(_("生日")), contact.name, left))
    return sorted(rows, key=lambda r: (r.on, r.customer.pk))


def follow_ups_due(*, user: Any) -> QuerySet[Customer]:
    return customer_queryset(user=user).filter(next_contact_on__lte=timezone.localdate()).order_by("next_contact_on")
