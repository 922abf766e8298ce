"""Customer API: /api/v1/customers…, /api/v1/contacts/…, /api/v1/pool.

Every operation runs with the API's default auth (bearer token or session cookie with CSRF).
Every object named in a URL is fetched through a selector with the caller's scope, so a file
outside it answers 404 exactly like a missing one. Services do the writing and raise
``DomainError`` subclasses, which ``neiqin.api.main`` turns into ``{"code","message","extra"}``.

Lists page with ``limit`` (1-200, default 50; more is refused with 422, not silently capped) and
``offset``, and answer ``{"count", "items"}``. List rows carry no sensitive field; the full file
(``GET /customers/{id}``) shows them decrypted to users in scope, and each such view is audited.
"""

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Path, Query, Router, Status

from neiqin.accounts.models import User
from neiqin.core import audit
from neiqin.core.errors import PermissionDenied, ValidationFailed
from neiqin.core.identifiers import normalize_phone
from neiqin.customers import rules, selectors, services
from neiqin.customers.choices import STAGE_TRANSITIONS
from neiqin.customers.models import Contact, Customer
from neiqin.customers.schemas import (
    MAX_ID,
    AssignIn,
    ContactIn,
    ContactOut,
    ContactUpdateIn,
    CustomerCreateIn,
    CustomerListQuery,
    CustomerOut,
    CustomerPageOut,
    CustomerSummaryOut,
    CustomerUpdateIn,
    ErrorOut,
    HistoryPageOut,
    PageQuery,
    PhoneLookupQuery,
    PoolPageOut,
    PoolQuery,
    ReleaseIn,
    StageChangeIn,
)

router = Router(tags=["customers"])

# Field names in the API that differ from the service's names (errors are reported in API terms).
API_FIELD_NAMES = {"region": "region_id", "owner": "owner_id"}
PHONE_LOOKUP_LIMIT = 20

ERRORS_READ = {401: ErrorOut, 404: ErrorOut, 422: ErrorOut}
ERRORS_WRITE = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


def _id_path() -> Any:
    return Path(..., ge=1, le=MAX_ID)


# ---- helpers ---------------------------------------------------------------------------------


@contextmanager
def _api_field_names(prefix: str = "") -> Iterator[None]:
    """Report a service's field errors under the API's field names (``owner`` -> ``owner_id``)."""
    try:
        yield
    except ValidationFailed as exc:
        fields = exc.extra.get("fields")
        if isinstance(fields, Mapping):
            exc.extra["fields"] = {prefix + API_FIELD_NAMES.get(k, k): v for k, v in fields.items()}
        raise


def _service_fields(payload: Any, *, exclude: set[str] = frozenset()) -> dict[str, Any]:
    """The keys the client actually sent, in the service's vocabulary."""
    data = payload.model_dump(exclude_unset=True, exclude=set(exclude))
    if "region_id" in data:
        data["region"] = data.pop("region_id")
    return data


def _money(value: Decimal | None) -> str:
    return str(Decimal(value or 0).quantize(Decimal("0.01")))


def _user_ref(user: User | None) -> dict[str, Any] | None:
    if user is None:
        return None
    return {"id": user.pk, "display_name": user.display_name or user.username}


def _region_ref(customer: Customer) -> dict[str, Any] | None:
    region = customer.region
    return {"id": region.pk, "code": region.code, "name": region.name} if region else None


def _team_ref(customer: Customer) -> dict[str, Any] | None:
    team = customer.team
    return {"id": team.pk, "name": team.name} if team else None


SUMMARY_FIELDS = (
    "id",
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
    "next_contact_on",
    "last_contact_at",
    "payment_mode",
    "payment_term_days",
    "created_at",
    "version",
)
DETAIL_FIELDS = (
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
    "assigned_at",
    "handover_due_at",
    "acknowledged_at",
    "pooled_at",
    "updated_at",
)
POOL_FIELDS = (
    "id",
    "code",
    "name",
    "short_name",
    "kind",
    "industry",
    "scale",
    "potential",
    "stage",
    "grade",
    "source",
    "province",
    "city",
    "pooled_at",
)


def _summary(customer: Customer) -> dict[str, Any]:
    data = {name: getattr(customer, name) for name in SUMMARY_FIELDS}
    data.update(
        region=_region_ref(customer),
        owner=_user_ref(customer.owner),
        team=_team_ref(customer),
        in_pool=customer.owner_id is None,
        acknowledged=customer.acknowledged_at is not None,
        credit_limit=_money(customer.credit_limit),
    )
    return data


def _permissions(user: Any, customer: Customer) -> dict[str, Any]:
    can_edit = rules.can_edit(user, customer)
    return {
        "edit": can_edit,
        "edit_credit": can_edit and rules.can_edit_credit(user),
        "assign": rules.can_assign(user),
        "claim": rules.can_claim(user, customer),
        "acknowledge": rules.can_acknowledge(user, customer),
        "release": rules.can_release(user, customer),
        "stage_targets": sorted(STAGE_TRANSITIONS.targets(customer.stage)) if can_edit else [],
    }


def _detail(user: Any, customer: Customer) -> dict[str, Any]:
    data = _summary(customer)
    data.update({name: getattr(customer, name) for name in DETAIL_FIELDS})
    data.update(created_by=_user_ref(customer.created_by), permissions=_permissions(user, customer))
    return data


def _pool_item(customer: Customer) -> dict[str, Any]:
    data = {name: getattr(customer, name) for name in POOL_FIELDS}
    data["region"] = _region_ref(customer)
    return data


def _contact(contact: Contact) -> dict[str, Any]:
    return {
        "id": contact.pk,
        "customer_id": contact.customer_id,
        "name": contact.name,
        "title": contact.title,
        "department": contact.department,
        "mobile": contact.mobile,
        "phone": contact.phone,
        "email": contact.email,
        "wechat": contact.wechat,
        "birthday": contact.birthday,
        "is_decision_maker": contact.is_decision_maker,
        "is_primary": contact.is_primary,
        "notes": contact.notes,
        "created_at": contact.created_at,
        "updated_at": contact.updated_at,
    }


def _page(qs: QuerySet, page: PageQuery, render: Any) -> dict[str, Any]:
    count = qs.count()
    rows = qs[page.offset : page.offset + page.limit]
    return {"count": count, "items": [render(row) for row in rows]}


def _without_sensitive(qs: QuerySet[Customer]) -> QuerySet[Customer]:
    """Lists never show sensitive fields: don't even load (and decrypt) them."""
    return qs.defer(*services.SENSITIVE)


def _customer(request: HttpRequest, customer_id: int) -> Customer:
    return selectors.customer_get_for_user(user=request.user, pk=customer_id)


def _contact_for(request: HttpRequest, contact_id: int) -> Contact:
    """A contact whose customer is in the caller's scope; anything else is 404."""
    return selectors.contact_get_for_user(user=request.user, pk=contact_id)


def _resolve_owner(owner_id: int) -> User:
    owner = User.objects.filter(pk=owner_id).first()
    if owner is None:
        raise ValidationFailed(_("负责人不存在或已停用。"), extra={"fields": {"owner_id": [_("未知负责人")]}})
    return owner


# ---- customers -------------------------------------------------------------------------------


@router.get(
    "/customers",
    response={200: CustomerPageOut, **ERRORS_READ},
    operation_id="customers_list",
    summary="List customer files in the caller's scope",
)
def customers_list(request: HttpRequest, filters: Query[CustomerListQuery]):
    criteria = selectors.CustomerFilters(
        **filters.model_dump(exclude={"limit", "offset"}),
    )
    qs = _without_sensitive(selectors.customer_list(user=request.user, filters=criteria))
    return _page(qs, filters, _summary)


@router.get(
    "/customers/lookup/phone",
    response={200: CustomerPageOut, **ERRORS_READ},
    operation_id="customers_lookup_phone",
    summary="Customers in scope whose phone or a contact's phone is this number (call log)",
)
def customers_lookup_phone(request: HttpRequest, query: Query[PhoneLookupQuery]):
    try:
        normalized = normalize_phone(query.number)
    except DjangoValidationError as exc:
        raise ValidationFailed(exc.messages[0], extra={"fields": {"number": exc.messages}}) from None
    if not normalized:
        raise ValidationFailed(_("请输入电话号码。"), extra={"fields": {"number": [_("必填")]}})
    qs = _without_sensitive(selectors.find_by_phone(user=request.user, phone=normalized)).order_by("-id")
    return _page(qs, PageQuery(limit=PHONE_LOOKUP_LIMIT, offset=0), _summary)


@router.get(
    "/customers/{customer_id}",
    response={200: CustomerOut, **ERRORS_READ},
    operation_id="customers_get",
    summary="The full customer file (each view is audited)",
)
def customers_get(request: HttpRequest, customer_id: int = _id_path()):
    customer = _customer(request, customer_id)
    services.customer_record_view(customer=customer, by=request.user)
    return _detail(request.user, customer)


@router.post(
    "/customers",
    response={201: CustomerOut, **ERRORS_WRITE},
    operation_id="customers_create",
    summary="Create a customer file (duplicates by credit code, name or phone are refused)",
)
def customers_create(request: HttpRequest, payload: CustomerCreateIn):
    user = request.user
    owner = None
    if payload.owner_id is not None:
        owner = _resolve_owner(payload.owner_id)
        if owner.pk != user.pk and not rules.can_assign(user):
            raise PermissionDenied(_("您没有分配客户的权限。"))
    contacts = [row.model_dump(exclude_unset=True) for row in payload.contacts]
    for index, row in enumerate(contacts):
        with _api_field_names(prefix=f"contacts.{index}."):
            services.clean_contact_fields(row)
    with _api_field_names():
        customer = services.customer_create(
            fields=_service_fields(payload, exclude={"owner_id", "contacts"}),
            by=user,
            owner=owner,
            contacts=contacts,
        )
    return Status(201, _detail(user, customer))


@router.patch(
    "/customers/{customer_id}",
    response={200: CustomerOut, **ERRORS_WRITE},
    operation_id="customers_update",
    summary="Change some fields; send the version you read (409 when someone saved meanwhile)",
)
def customers_update(request: HttpRequest, payload: CustomerUpdateIn, customer_id: int = _id_path()):
    customer = _customer(request, customer_id)
    with _api_field_names():
        updated = services.customer_update(
            customer=customer,
            fields=_service_fields(payload, exclude={"version"}),
            by=request.user,
            expected_version=payload.version,
        )
    return _detail(request.user, updated)


@router.post(
    "/customers/{customer_id}/claim",
    response={200: CustomerSummaryOut, **ERRORS_WRITE},
    operation_id="customers_claim",
    summary="Take a customer from the pool (公海)",
)
def customers_claim(request: HttpRequest, customer_id: int = _id_path()):
    customer = selectors.pool_get_for_user(user=request.user, pk=customer_id)
    return _summary(services.customer_claim(customer=customer, by=request.user))


@router.post(
    "/customers/{customer_id}/assign",
    response={200: CustomerSummaryOut, **ERRORS_WRITE},
    operation_id="customers_assign",
    summary="Assign or reassign to a salesperson (who must acknowledge)",
)
def customers_assign(request: HttpRequest, payload: AssignIn, customer_id: int = _id_path()):
    customer = _customer(request, customer_id)
    if not rules.can_assign(request.user):
        raise PermissionDenied(_("您没有分配客户的权限。"))
    owner = _resolve_owner(payload.owner_id)
    with _api_field_names():
        updated = services.customer_assign(customer=customer, owner=owner, by=request.user, reason=payload.reason)
    return _summary(updated)


@router.post(
    "/customers/{customer_id}/acknowledge",
    response={200: CustomerSummaryOut, **ERRORS_WRITE},
    operation_id="customers_acknowledge",
    summary="The new owner confirms the handover",
)
def customers_acknowledge(request: HttpRequest, customer_id: int = _id_path()):
    customer = _customer(request, customer_id)
    return _summary(services.customer_acknowledge(customer=customer, by=request.user))


@router.post(
    "/customers/{customer_id}/release",
    response={200: CustomerSummaryOut, **ERRORS_WRITE},
    operation_id="customers_release",
    summary="Return a customer to the pool, with the reason",
)
def customers_release(request: HttpRequest, payload: ReleaseIn, customer_id: int = _id_path()):
    customer = _customer(request, customer_id)
    return _summary(services.customer_release(customer=customer, by=request.user, reason=payload.reason))


@router.post(
    "/customers/{customer_id}/stage",
    response={200: CustomerSummaryOut, **ERRORS_WRITE},
    operation_id="customers_set_stage",
    summary="Move the cooperation stage (lost needs a reason)",
)
def customers_set_stage(request: HttpRequest, payload: StageChangeIn, customer_id: int = _id_path()):
    customer = _customer(request, customer_id)
    updated = services.customer_set_stage(
        customer=customer, stage=payload.stage, by=request.user, reason=payload.reason
    )
    return _summary(updated)


@router.get(
    "/customers/{customer_id}/history",
    response={200: HistoryPageOut, **ERRORS_READ},
    operation_id="customers_history",
    summary="Audit trail of the file, newest first (sensitive values shown to users in scope)",
)
def customers_history(request: HttpRequest, page: Query[PageQuery], customer_id: int = _id_path()):
    customer = _customer(request, customer_id)

    def render(event: Any) -> dict[str, Any]:
        return {
            "id": event.pk,
            "created_at": event.created_at,
            "action": event.action,
            "actor": _user_ref(event.actor),
            "object_type": event.object_type,
            "object_id": event.object_id,
            "changes": audit.display_changes(event),
            "data": event.data or {},
            "channel": event.channel,
        }

    return _page(selectors.customer_history(customer=customer), page, render)


# ---- contacts --------------------------------------------------------------------------------


@router.get(
    "/customers/{customer_id}/contacts",
    response={200: list[ContactOut], **ERRORS_READ},
    operation_id="customers_contacts_list",
    summary="Contacts of a customer",
)
def customers_contacts_list(request: HttpRequest, customer_id: int = _id_path()):
    customer = _customer(request, customer_id)
    return [_contact(c) for c in selectors.contacts_for(customer=customer)]


@router.post(
    "/customers/{customer_id}/contacts",
    response={201: ContactOut, **ERRORS_WRITE},
    operation_id="customers_contacts_create",
    summary="Add a contact person",
)
def customers_contacts_create(request: HttpRequest, payload: ContactIn, customer_id: int = _id_path()):
    customer = _customer(request, customer_id)
    contact = services.contact_create(customer=customer, fields=payload.model_dump(exclude_unset=True), by=request.user)
    return Status(201, _contact(contact))


@router.patch(
    "/contacts/{contact_id}",
    response={200: ContactOut, **ERRORS_WRITE},
    operation_id="contacts_update",
    summary="Change some fields of a contact",
)
def contacts_update(request: HttpRequest, payload: ContactUpdateIn, contact_id: int = _id_path()):
    contact = _contact_for(request, contact_id)
    updated = services.contact_update(contact=contact, fields=payload.model_dump(exclude_unset=True), by=request.user)
    return _contact(updated)


@router.delete(
    "/contacts/{contact_id}",
    response={204: None, **ERRORS_WRITE},
    operation_id="contacts_delete",
    summary="Delete a contact",
)
def contacts_delete(request: HttpRequest, contact_id: int = _id_path()):
    contact = _contact_for(request, contact_id)
    services.contact_delete(contact=contact, by=request.user)
    return Status(204, None)


# ---- pool ------------------------------------------------------------------------------------


@router.get(
    "/pool",
    response={200: PoolPageOut, **ERRORS_READ},
    operation_id="pool_list",
    summary="The shared pool (公海): customers without an owner",
)
def pool_list(request: HttpRequest, query: Query[PoolQuery]):
    qs = _without_sensitive(selectors.pool_list(user=request.user, q=query.q))
    return _page(qs, query, _pool_item)
