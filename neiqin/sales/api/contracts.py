"""Order desk API: contracts (合同, ORD-2) under /api/v1/contracts….

Reading is for everyone who sees prices (the warehouse gets 403); drafting, submitting and
signing for the order-entry roles; the legal review for the deputy GM, GM and admin, the finance
review for finance. A contract of a customer outside the caller's scope is 404. Signing without
both signatories or the date is refused (422 ``contract_incomplete``) and changes nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Path, Query, Router, Schema, Status
from pydantic import Field, StrictBool

from neiqin.accounts.scoping import has_role
from neiqin.core.errors import PermissionDenied, ValidationFailed
from neiqin.customers.schemas import MAX_ID, ErrorOut, InputSchema, IsoDate, PageQuery, choice, text
from neiqin.sales import selectors
from neiqin.sales.api.quotations import LineIn, LineOut, Ref, lines_out, service_lines, user_ref
from neiqin.sales.choices import ContractStatus, ReviewKind
from neiqin.sales.models import Contract
from neiqin.sales.services import contracts as services
from neiqin.sales.views.quotations import ENTRY_ROLES, VIEW_ROLES

router = Router(tags=["contracts"])

ERRORS_READ = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
ERRORS_WRITE = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
EXPIRING_DAYS = 30


class ContractListQuery(PageQuery):
    status: choice(ContractStatus.values, blank=True) = ""
    customer_id: Id | None = None
    expiring: bool | None = None


class ContractCreateIn(InputSchema):
    """From a quotation (``quotation_id``: its customer and lines) or for a customer with lines."""

    title: text(120, min_length=1)
    customer_id: Id | None = None
    quotation_id: Id | None = None
    lines: list[LineIn] | None = Field(default=None, min_length=1, max_length=200)
    ends_on: IsoDate | None = None


class ReviewIn(InputSchema):
    kind: choice(ReviewKind.values)
    approved: StrictBool
    comment: text(300) = ""


class SignIn(InputSchema):
    signed_on: IsoDate | None = None
    seller_signatory: text(40) = ""
    buyer_signatory: text(40) = ""
    place: text(60) = ""


class ReviewOut(Schema):
    kind: str
    kind_label: str
    approved: bool | None
    reviewer: Ref | None
    reviewed_at: Any
    comment: str


class ClauseOut(Schema):
    key: str
    title: str
    text: str


class OrderRef(Schema):
    id: int
    number: str | None
    status: str
    total: str


class ContractSummaryOut(Schema):
    id: int
    number: str | None
    title: str
    status: str
    status_label: str
    customer: Ref
    owner: Ref
    total: str
    signed_on: Any
    starts_on: Any
    ends_on: Any
    expiring: bool
    archived: bool
    version: int


class ContractOut(ContractSummaryOut):
    quotation_id: int | None
    seller: dict[str, str]
    buyer: dict[str, str]
    clauses: list[ClauseOut]
    signed_at_place: str
    seller_signatory: str
    buyer_signatory: str
    total_upper: str
    lines: list[LineOut]
    reviews: list[ReviewOut]
    orders: list[OrderRef]


class ContractPageOut(Schema):
    count: int
    items: list[ContractSummaryOut]


def _expiring(contract: Contract, today: dt.date) -> bool:
    return (
        contract.status == ContractStatus.EFFECTIVE
        and contract.ends_on is not None
        and contract.ends_on <= today + dt.timedelta(days=EXPIRING_DAYS)
    )


def _summary(contract: Contract, today: dt.date) -> dict[str, Any]:
    return {
        "id": contract.pk,
        "number": contract.number,
        "title": contract.title,
        "status": contract.status,
        "status_label": str(contract.get_status_display()),
        "customer": {"id": contract.customer_id, "name": contract.customer.name},
        "owner": user_ref(contract.owner),
        "total": str(contract.total),
        "signed_on": contract.signed_on,
        "starts_on": contract.starts_on,
        "ends_on": contract.ends_on,
        "expiring": _expiring(contract, today),
        "archived": bool(contract.scan_file),
        "version": contract.version,
    }


def _detail(request: HttpRequest, contract: Contract) -> dict[str, Any]:
    from neiqin.core.rmb import rmb_upper

    contract = selectors.contract_get_for_user(user=request.user, pk=contract.pk)
    return {
        **_summary(contract, timezone.localdate()),
        "quotation_id": contract.quotation_id,
        "seller": {k: str(v) for k, v in (contract.seller or {}).items()},
        "buyer": {k: str(v) for k, v in (contract.buyer or {}).items()},
        "clauses": [
            {"key": str(c.get("key", "")), "title": str(c.get("title", "")), "text": str(c.get("text", ""))}
            for c in contract.clauses or []
        ],
        "signed_at_place": contract.signed_at_place,
        "seller_signatory": contract.seller_signatory,
        "buyer_signatory": contract.buyer_signatory,
        "total_upper": rmb_upper(contract.total),
        "lines": lines_out(contract),
        "reviews": [
            {
                "kind": r.kind,
                "kind_label": str(r.get_kind_display()),
                "approved": r.approved,
                "reviewer": user_ref(r.reviewer) if r.reviewer else None,
                "reviewed_at": r.reviewed_at,
                "comment": r.comment,
            }
            for r in contract.reviews.select_related("reviewer").order_by("kind")
        ],
        "orders": [
            {"id": o.pk, "number": o.number, "status": o.status, "total": str(o.total)}
            for o in contract.orders.order_by("-id")
        ],
    }


def _require_view(user: Any) -> None:
    if not has_role(user, VIEW_ROLES):
        raise PermissionDenied(_("您没有查看合同的权限。"))


def _require_entry(user: Any) -> None:
    if not has_role(user, ENTRY_ROLES):
        raise PermissionDenied(_("您没有起草或办理合同的权限。"))


def _contract(request: HttpRequest, contract_id: int) -> Contract:
    _require_view(request.user)
    return selectors.contract_get_for_user(user=request.user, pk=contract_id)


def _id_path() -> Any:
    return Path(..., ge=1, le=MAX_ID)


@router.get(
    "/contracts",
    response={200: ContractPageOut, **ERRORS_READ},
    operation_id="contracts_list",
    summary="Contracts in the caller's scope; expiring = effective and ending within 30 days",
)
def contracts_list(request: HttpRequest, query: Query[ContractListQuery]):
    _require_view(request.user)
    today = timezone.localdate()
    qs = selectors.contract_queryset(user=request.user)
    if query.status:
        qs = qs.filter(status=query.status)
    if query.customer_id:
        qs = qs.filter(customer_id=query.customer_id)
    soon = {"status": ContractStatus.EFFECTIVE, "ends_on__lte": today + dt.timedelta(days=EXPIRING_DAYS)}
    if query.expiring is True:
        qs = qs.filter(**soon)
    elif query.expiring is False:
        qs = qs.exclude(**soon)
    qs = qs.order_by("-created_at", "-id")
    rows = qs[query.offset : query.offset + query.limit]
    return {"count": qs.count(), "items": [_summary(c, today) for c in rows]}


@router.post(
    "/contracts",
    response={201: ContractOut, **ERRORS_WRITE},
    operation_id="contracts_create",
    summary="Draft a contract from a quotation or from lines (parties and clauses from the template)",
)
def contracts_create(request: HttpRequest, payload: ContractCreateIn):
    from neiqin.customers.selectors import customer_get_for_user

    _require_entry(request.user)
    quotation = None
    if payload.quotation_id is not None:
        quotation = selectors.quotation_get_for_user(user=request.user, pk=payload.quotation_id)
        if quotation.status not in ("issued", "accepted"):
            message = _("只有已发出或客户已接受的报价单可以起草合同。")
            raise ValidationFailed(message, extra={"fields": {"quotation_id": [message]}})
        if payload.customer_id is not None and payload.customer_id != quotation.customer_id:
            message = _("客户与报价单不一致。")
            raise ValidationFailed(message, extra={"fields": {"customer_id": [message]}})
        customer = quotation.customer
    elif payload.customer_id is not None:
        customer = customer_get_for_user(user=request.user, pk=payload.customer_id)
    else:
        message = _("请填写 customer_id 或 quotation_id。")
        raise ValidationFailed(message, extra={"fields": {"customer_id": [message]}})
    if quotation is None and payload.lines is None:
        message = _("请至少填写一行产品。")
        raise ValidationFailed(message, extra={"fields": {"lines": [message]}})
    contract = services.contract_create(
        customer=customer,
        by=request.user,
        title=payload.title,
        lines=service_lines(payload.lines) if payload.lines is not None else None,
        quotation=quotation,
        ends_on=payload.ends_on,
    )
    return Status(201, _detail(request, contract))


@router.get(
    "/contracts/{contract_id}",
    response={200: ContractOut, **ERRORS_READ},
    operation_id="contracts_get",
    summary="A contract with parties, lines, clauses, reviews and linked orders",
)
def contracts_get(request: HttpRequest, contract_id: int = _id_path()):
    return _detail(request, _contract(request, contract_id))


@router.post(
    "/contracts/{contract_id}/submit-review",
    response={200: ContractOut, **ERRORS_WRITE},
    operation_id="contracts_submit_review",
    summary="Send a draft to legal and finance review; it takes its number",
)
def contracts_submit_review(request: HttpRequest, contract_id: int = _id_path()):
    _require_entry(request.user)
    contract = services.contract_submit_review(contract=_contract(request, contract_id), by=request.user)
    return _detail(request, contract)


@router.post(
    "/contracts/{contract_id}/review",
    response={200: ContractOut, **ERRORS_WRITE},
    operation_id="contracts_review",
    summary="Legal (deputy GM, GM, admin) or finance review: approve, or return with a comment",
)
def contracts_review(request: HttpRequest, payload: ReviewIn, contract_id: int = _id_path()):
    if not has_role(request.user, frozenset().union(*services.REVIEWERS.values())):
        raise PermissionDenied(_("只有法务审核人（副总、总经理、管理员）和财务可以审核合同。"))
    contract = services.contract_review(
        contract=_contract(request, contract_id),
        kind=payload.kind,
        by=request.user,
        approved=payload.approved,
        comment=payload.comment,
    )
    return _detail(request, contract)


@router.post(
    "/contracts/{contract_id}/sign",
    response={200: ContractOut, **ERRORS_WRITE},
    operation_id="contracts_sign",
    summary="Record the signing (date and both signatories): the contract becomes effective",
)
def contracts_sign(request: HttpRequest, payload: SignIn, contract_id: int = _id_path()):
    _require_entry(request.user)
    contract = services.contract_sign(
        contract=_contract(request, contract_id),
        by=request.user,
        signed_on=payload.signed_on or "",
        seller_signatory=payload.seller_signatory,
        buyer_signatory=payload.buyer_signatory,
        place=payload.place,
    )
    return _detail(request, contract)
