"""Order desk API: quotations (报价单, ORD-1) under /api/v1/quotations….

Reading is for everyone who sees prices (the warehouse gets 403); writing for the order-entry
roles. A quotation of a customer outside the caller's scope is 404 like a missing one. Money and
quantities travel as decimal strings. A draft changed through ``PATCH`` loses the approvals that
no longer cover its content (R6), exactly as on the page.
"""

from __future__ import annotations

from typing import Annotated, Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Path, Query, Router, Schema, Status
from pydantic import Field

from neiqin.accounts.scoping import has_role
from neiqin.core.errors import PermissionDenied, ValidationFailed
from neiqin.customers.schemas import MAX_ID, ErrorOut, InputSchema, IsoDate, PageQuery, choice, text
from neiqin.sales import selectors
from neiqin.sales.choices import QuotationStatus
from neiqin.sales.forms_documents import product_from_text
from neiqin.sales.models import Quotation
from neiqin.sales.services import quotations as services
from neiqin.sales.views.quotations import ENTRY_ROLES, VIEW_ROLES

router = Router(tags=["quotations"])

ERRORS_READ = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
ERRORS_WRITE = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
OPEN_STATUSES = (QuotationStatus.DRAFT, QuotationStatus.ISSUED)


# ---- schemas (shared with the contract API) -------------------------------------------------------


class LineIn(InputSchema):
    """One product line: ``product_id`` or a ``model`` (型号, or 产品编码) naming one product.
    ``unit_price`` blank = the customer's price-list price; ``discount_rate`` 0.05 or "5%"."""

    product_id: Id | None = None
    model: text(60) = ""
    quantity: text(30, min_length=1)
    unit_price: text(30) = ""
    discount_rate: text(12) = ""
    delivery_on: IsoDate | None = None
    note: text(200) = ""


class QuotationListQuery(PageQuery):
    status: choice(QuotationStatus.values, blank=True) = ""
    customer_id: Id | None = None
    expired: bool | None = None


class QuotationCreateIn(InputSchema):
    customer_id: Id
    lines: list[LineIn] = Field(min_length=1, max_length=200)
    quoted_on: IsoDate | None = None
    valid_until: IsoDate | None = None
    contact_name: text(40) = ""
    payment_terms: text(100) = ""
    delivery_terms: text(100) = ""
    notes: text(4000) = ""


class QuotationUpdateIn(InputSchema):
    version: int
    lines: list[LineIn] | None = Field(default=None, min_length=1, max_length=200)
    quoted_on: IsoDate | None = None
    valid_until: IsoDate | None = None
    contact_name: text(40) | None = None
    payment_terms: text(100) | None = None
    delivery_terms: text(100) | None = None
    notes: text(4000) | None = None


class Ref(Schema):
    id: int
    name: str


class LineOut(Schema):
    position: int
    product_id: int
    model: str
    name: str
    spec: str
    unit: str
    quantity: str
    list_price: str
    price_source: str
    discount_rate: str
    unit_price: str
    amount: str
    delivery_on: Any
    note: str


class ApprovalOut(Schema):
    id: int
    rule: str
    rule_name: str
    status: str
    approver_role: str
    reason: str
    comment: str
    void_reason: str


class QuotationSummaryOut(Schema):
    id: int
    number: str | None
    status: str
    status_label: str
    customer: Ref
    owner: Ref
    quoted_on: Any
    valid_until: Any
    expired: bool
    total: str
    version: int


class QuotationOut(QuotationSummaryOut):
    contact_name: str
    payment_terms: str
    delivery_terms: str
    notes: str
    total_upper: str
    lines: list[LineOut]
    approvals: list[ApprovalOut]
    needs_approval: list[str]


class QuotationPageOut(Schema):
    count: int
    items: list[QuotationSummaryOut]


# ---- helpers --------------------------------------------------------------------------------------


def service_lines(lines: list[LineIn]) -> list[dict[str, Any]]:
    """API lines as service rows; a ``model`` that names no single product is a field error."""
    rows: list[dict[str, Any]] = []
    errors: dict[str, list[str]] = {}
    for index, item in enumerate(lines, start=1):
        product_id = item.product_id
        if product_id is None:
            if not item.model:
                errors[f"lines.{index}.product_id"] = [_("第 %(n)s 行：请填写 product_id 或型号。") % {"n": index}]
            else:
                try:
                    product_id = product_from_text(item.model).pk
                except ValidationFailed as exc:
                    errors[f"lines.{index}.model"] = [str(exc.message)]
        rows.append(
            {
                "product_id": product_id,
                "quantity": item.quantity,
                "unit_price": item.unit_price,
                "discount_rate": item.discount_rate,
                "delivery_on": item.delivery_on,
                "note": item.note,
            }
        )
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], extra={"fields": errors})
    return rows


def user_ref(user: Any) -> dict[str, Any]:
    return {"id": user.pk, "name": user.display_name or user.username}


def lines_out(document: Any) -> list[dict[str, Any]]:
    return [
        {
            "position": line.position,
            "product_id": line.product_id,
            "model": line.product.model,
            "name": line.product.name,
            "spec": line.product.spec,
            "unit": line.product.unit,
            "quantity": str(line.quantity),
            "list_price": str(line.list_price),
            "price_source": line.price_source,
            "discount_rate": str(line.discount_rate),
            "unit_price": str(line.unit_price),
            "amount": str(line.amount),
            "delivery_on": line.delivery_on,
            "note": line.note,
        }
        for line in document.lines.select_related("product").order_by("position")
    ]


def _summary(quotation: Quotation, today: Any) -> dict[str, Any]:
    return {
        "id": quotation.pk,
        "number": quotation.number,
        "status": quotation.status,
        "status_label": str(quotation.get_status_display()),
        "customer": {"id": quotation.customer_id, "name": quotation.customer.name},
        "owner": user_ref(quotation.owner),
        "quoted_on": quotation.quoted_on,
        "valid_until": quotation.valid_until,
        "expired": quotation.valid_until < today and quotation.status in OPEN_STATUSES,
        "total": str(quotation.total),
        "version": quotation.version,
    }


def _detail(request: HttpRequest, quotation: Quotation) -> dict[str, Any]:
    from neiqin.core.rmb import rmb_upper

    quotation = selectors.quotation_get_for_user(user=request.user, pk=quotation.pk)
    needed = []
    if quotation.status == QuotationStatus.DRAFT:
        needed = [c.rule for c in services.quotation_checks(quotation, requester=request.user) if not c.ok]
    approvals = selectors.approvals_for(document_type="quotation", document_id=quotation.pk).order_by("id")
    return {
        **_summary(quotation, timezone.localdate()),
        "contact_name": quotation.contact_name,
        "payment_terms": quotation.payment_terms,
        "delivery_terms": quotation.delivery_terms,
        "notes": quotation.notes,
        "total_upper": rmb_upper(quotation.total),
        "lines": lines_out(quotation),
        "approvals": [
            {
                "id": a.pk,
                "rule": a.rule.code,
                "rule_name": a.rule.name,
                "status": a.status,
                "approver_role": a.approver_role,
                "reason": a.reason,
                "comment": a.comment,
                "void_reason": a.void_reason,
            }
            for a in approvals
        ],
        "needs_approval": needed,
    }


def require_view(user: Any) -> None:
    if not has_role(user, VIEW_ROLES):
        raise PermissionDenied(_("您没有查看报价单的权限。"))


def require_entry(user: Any) -> None:
    if not has_role(user, ENTRY_ROLES):
        raise PermissionDenied(_("您没有制作报价单的权限。"))


def _quotation(request: HttpRequest, quotation_id: int) -> Quotation:
    require_view(request.user)
    return selectors.quotation_get_for_user(user=request.user, pk=quotation_id)


def _id_path() -> Any:
    return Path(..., ge=1, le=MAX_ID)


# ---- operations ---------------------------------------------------------------------------------


@router.get(
    "/quotations",
    response={200: QuotationPageOut, **ERRORS_READ},
    operation_id="quotations_list",
    summary="Quotations in the caller's scope, newest first",
)
def quotations_list(request: HttpRequest, query: Query[QuotationListQuery]):
    require_view(request.user)
    today = timezone.localdate()
    qs = selectors.quotation_queryset(user=request.user)
    if query.status:
        qs = qs.filter(status=query.status)
    if query.customer_id:
        qs = qs.filter(customer_id=query.customer_id)
    if query.expired is True:
        qs = qs.filter(valid_until__lt=today, status__in=OPEN_STATUSES)
    elif query.expired is False:
        qs = qs.exclude(valid_until__lt=today, status__in=OPEN_STATUSES)
    qs = qs.order_by("-quoted_on", "-id")
    rows = qs[query.offset : query.offset + query.limit]
    return {"count": qs.count(), "items": [_summary(q, today) for q in rows]}


@router.post(
    "/quotations",
    response={201: QuotationOut, **ERRORS_WRITE},
    operation_id="quotations_create",
    summary="A draft quotation priced from the customer's price lists",
)
def quotations_create(request: HttpRequest, payload: QuotationCreateIn):
    from neiqin.customers.selectors import customer_get_for_user

    require_entry(request.user)
    customer = customer_get_for_user(user=request.user, pk=payload.customer_id)
    fields = payload.model_dump(exclude={"customer_id", "lines"}, exclude_none=True)
    quotation = services.quotation_create(
        customer=customer, lines=service_lines(payload.lines), by=request.user, fields=fields
    )
    return Status(201, _detail(request, quotation))


@router.get(
    "/quotations/{quotation_id}",
    response={200: QuotationOut, **ERRORS_READ},
    operation_id="quotations_get",
    summary="A quotation with its lines and approvals",
)
def quotations_get(request: HttpRequest, quotation_id: int = _id_path()):
    return _detail(request, _quotation(request, quotation_id))


@router.patch(
    "/quotations/{quotation_id}",
    response={200: QuotationOut, **ERRORS_WRITE},
    operation_id="quotations_update",
    summary="Change a draft (optimistic locking by version); changed content voids its approvals",
)
def quotations_update(request: HttpRequest, payload: QuotationUpdateIn, quotation_id: int = _id_path()):
    require_entry(request.user)
    quotation = _quotation(request, quotation_id)
    fields = payload.model_dump(exclude={"version", "lines"}, exclude_unset=True)
    fields = {k: v for k, v in fields.items() if v is not None}
    lines = service_lines(payload.lines) if payload.lines is not None else None
    updated = services.quotation_update(
        quotation=quotation, by=request.user, version=payload.version, fields=fields, lines=lines
    )
    return _detail(request, updated)


@router.post(
    "/quotations/{quotation_id}/request-approval",
    response={200: QuotationOut, **ERRORS_WRITE},
    operation_id="quotations_request_approval",
    summary="Ask for the approvals a draft needs (discount beyond authority, below floor)",
)
def quotations_request_approval(request: HttpRequest, quotation_id: int = _id_path()):
    from neiqin.core.errors import Conflict

    require_entry(request.user)
    quotation = _quotation(request, quotation_id)
    if quotation.status != QuotationStatus.DRAFT:
        raise Conflict(_("只有草稿报价单需要申请审批。"), code="quotation_issued")
    services.quotation_request_approval(quotation=quotation, by=request.user)
    return _detail(request, quotation)


@router.post(
    "/quotations/{quotation_id}/issue",
    response={200: QuotationOut, **ERRORS_WRITE},
    operation_id="quotations_issue",
    summary="Issue a draft: it takes its number; needed approvals must cover its content",
)
def quotations_issue(request: HttpRequest, quotation_id: int = _id_path()):
    require_entry(request.user)
    quotation = services.quotation_issue(quotation=_quotation(request, quotation_id), by=request.user)
    return _detail(request, quotation)
