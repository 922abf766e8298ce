"""Stock API: promotional material issues and product loans (INV-6).

``/stock/loans…`` and ``/stock/promo-issues``. Objects named in a URL are fetched through the
scoped selectors (outside the caller's scope answers 404 like a missing one); ids in a body
that do not resolve are field errors (422). Quantities and prices travel as strings; the
charge price and amount of a loan are ``null`` for users who may not see prices (the warehouse).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Path, Query, Router, Schema, Status
from pydantic import ConfigDict, Field, StrictInt, StrictStr

from neiqin.accounts.models import User
from neiqin.accounts.roles import CAN_ISSUE_PROMO, CAN_REQUEST_LOAN
from neiqin.accounts.scoping import has_role
from neiqin.catalog.models import Product
from neiqin.catalog.visibility import sees_prices
from neiqin.core.errors import PermissionDenied, ValidationFailed
from neiqin.customers.schemas import IsoDate, text
from neiqin.stock.choices import LoanStatus
from neiqin.stock.models import ProductLoan, PromoIssue, Warehouse
from neiqin.stock.selectors import materials as selectors
from neiqin.stock.services import materials as services

router = Router(tags=["stock-materials"])

MAX_ID = 2**63 - 1
MAX_LIMIT = 200
DEFAULT_LIMIT = 50
Id = Annotated[StrictInt, Field(ge=1, le=MAX_ID)]
NumberText = Annotated[StrictStr, Field(min_length=1, max_length=24)]
LOAN_STATUSES = Literal[("", selectors.OVERDUE, *LoanStatus.values)]  # type: ignore[valid-type]


def _id_path() -> Any:
    return Path(..., ge=1, le=MAX_ID)


# ---- schemas -----------------------------------------------------------------------------------


class InputSchema(Schema):
    model_config = ConfigDict(extra="forbid")


class ErrorOut(Schema):
    code: str
    message: str
    extra: dict[str, Any]


class PageQuery(InputSchema):
    limit: Annotated[int, Field(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT
    offset: Annotated[int, Field(ge=0, le=10**9)] = 0


class LoanListQuery(PageQuery):
    status: LOAN_STATUSES = ""  # a status, "overdue", or "" for all
    q: text(60) = ""


class PromoListQuery(PageQuery):
    customer: text(60) = ""
    salesperson_id: Id | None = None
    date_from: IsoDate | None = None
    date_to: IsoDate | None = None


class LoanCreateIn(InputSchema):
    product_id: Id
    warehouse_id: Id
    quantity: NumberText
    customer_id: Id | None = None
    purpose: text(200, min_length=1)
    due_on: IsoDate


class LoanDecisionIn(InputSchema):
    comment: text(200) = ""


class LoanLendIn(InputSchema):
    lent_on: IsoDate | None = None


class LoanReturnIn(InputSchema):
    quantity: NumberText
    returned_on: IsoDate | None = None


class LoanChargeIn(InputSchema):
    quantity: NumberText
    unit_price: NumberText | None = None


class PromoIssueIn(InputSchema):
    product_id: Id
    warehouse_id: Id
    quantity: NumberText
    recipient: text(60, min_length=1)
    customer_id: Id | None = None
    salesperson_id: Id | None = None
    purpose: text(200) = ""
    issued_on: IsoDate | None = None


class Ref(Schema):
    id: int
    name: str


class ProductRef(Schema):
    id: int
    code: str
    model: str
    name: str
    spec: str
    unit: str


class CustomerRef(Schema):
    id: int
    code: str
    name: str


class LoanOut(Schema):
    id: int
    number: str
    status: str
    status_label: str
    product: ProductRef
    warehouse: Ref
    customer: CustomerRef | None
    quantity: str
    returned_quantity: str
    charged_quantity: str
    outstanding: str
    purpose: str
    due_on: IsoDate
    overdue: bool
    overdue_days: int
    requested_by: Ref
    decided_by: Ref | None
    decided_at: dt.datetime | None
    decision_comment: str
    lent_on: dt.date | None
    closed_on: dt.date | None
    charge_unit_price: str | None = Field(description="null for users who may not see prices")
    charge_amount: str | None = Field(description="null for users who may not see prices")
    created_at: dt.datetime
    version: int


class LoanPageOut(Schema):
    count: int
    items: list[LoanOut]


class PromoIssueOut(Schema):
    id: int
    number: str
    product: ProductRef
    warehouse: Ref
    quantity: str
    customer: CustomerRef | None
    recipient: str
    salesperson: Ref | None
    purpose: str
    issued_on: dt.date
    created_by: Ref | None
    created_at: dt.datetime


class PromoIssuePageOut(Schema):
    count: int
    items: list[PromoIssueOut]


ERRORS_READ = {401: ErrorOut, 404: ErrorOut, 422: ErrorOut}
ERRORS_WRITE = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


# ---- rendering ---------------------------------------------------------------------------------


def _quantity(value: Decimal) -> str:
    return str(Decimal(value).quantize(Decimal("0.001")))


def _price(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _user(user: User | None) -> dict[str, Any] | None:
    return {"id": user.pk, "name": str(user)} if user is not None else None


def _product(product: Product) -> dict[str, Any]:
    return {
        "id": product.pk,
        "code": product.code,
        "model": product.model,
        "name": product.name,
        "spec": product.spec,
        "unit": product.unit,
    }


def _customer(customer: Any) -> dict[str, Any] | None:
    return {"id": customer.pk, "code": customer.code, "name": customer.name} if customer is not None else None


def _loan(loan: ProductLoan, *, show_amounts: bool, today: dt.date) -> dict[str, Any]:
    return {
        "id": loan.pk,
        "number": loan.number,
        "status": loan.status,
        "status_label": str(loan.get_status_display()),
        "product": _product(loan.product),
        "warehouse": {"id": loan.warehouse.pk, "name": loan.warehouse.name},
        "customer": _customer(loan.customer),
        "quantity": _quantity(loan.quantity),
        "returned_quantity": _quantity(loan.returned_quantity),
        "charged_quantity": _quantity(loan.charged_quantity),
        "outstanding": _quantity(loan.outstanding),
        "purpose": loan.purpose,
        "due_on": loan.due_on,
        "overdue": selectors.is_overdue(loan, today),
        "overdue_days": selectors.overdue_days(loan, today),
        "requested_by": _user(loan.requested_by),
        "decided_by": _user(loan.decided_by),
        "decided_at": loan.decided_at,
        "decision_comment": loan.decision_comment,
        "lent_on": loan.lent_on,
        "closed_on": loan.closed_on,
        "charge_unit_price": _price(loan.charge_unit_price) if show_amounts else None,
        "charge_amount": str(loan.charge_amount) if show_amounts else None,
        "created_at": loan.created_at,
        "version": loan.version,
    }


def _promo(issue: PromoIssue) -> dict[str, Any]:
    return {
        "id": issue.pk,
        "number": issue.number,
        "product": _product(issue.product),
        "warehouse": {"id": issue.warehouse.pk, "name": issue.warehouse.name},
        "quantity": _quantity(issue.quantity),
        "customer": _customer(issue.customer),
        "recipient": issue.recipient,
        "salesperson": _user(issue.salesperson),
        "purpose": issue.purpose,
        "issued_on": issue.issued_on,
        "created_by": _user(issue.created_by),
        "created_at": issue.created_at,
    }


def _loan_out(request: HttpRequest, loan: ProductLoan) -> dict[str, Any]:
    fresh = selectors.loan_queryset(user=request.user).filter(pk=loan.pk).first() or loan
    return _loan(fresh, show_amounts=sees_prices(request.user), today=timezone.localdate())


# ---- resolving ids of a body ------------------------------------------------------------------------


def _missing(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, extra={"fields": {field: [message]}})


def _product_by_id(pk: int) -> Product:
    product = Product.objects.filter(pk=pk).first()
    if product is None:
        raise _missing("product_id", _("产品不存在。"))
    return product


def _warehouse_by_id(pk: int) -> Warehouse:
    warehouse = Warehouse.objects.filter(pk=pk).first()
    if warehouse is None:
        raise _missing("warehouse_id", _("仓库不存在。"))
    return warehouse


def _customer_by_id(user: Any, pk: int | None) -> Any:
    from neiqin.customers.selectors import customer_queryset

    if pk is None:
        return None
    customer = customer_queryset(user=user).filter(pk=pk).first()
    if customer is None:
        raise _missing("customer_id", _("客户不存在，或不在您负责的范围内。"))
    return customer


def _user_by_id(pk: int | None) -> User | None:
    if pk is None:
        return None
    user = User.objects.filter(pk=pk, is_active=True).first()
    if user is None:
        raise _missing("salesperson_id", _("业务员不存在或已停用。"))
    return user


def _api_fields(exc: ValidationFailed, names: dict[str, str]) -> ValidationFailed:
    fields = exc.extra.get("fields")
    if isinstance(fields, dict):
        exc.extra["fields"] = {names.get(k, k): v for k, v in fields.items()}
    return exc


ID_FIELDS = {
    "product": "product_id",
    "warehouse": "warehouse_id",
    "customer": "customer_id",
    "salesperson": "salesperson_id",
}


# ---- loans -----------------------------------------------------------------------------------------


@router.get(
    "/stock/loans",
    response={200: LoanPageOut, **ERRORS_READ},
    operation_id="stock_loans_list",
    summary="Product loans in the caller's scope (status may be 'overdue')",
)
def stock_loans_list(request: HttpRequest, filters: Query[LoanListQuery]):
    today = timezone.localdate()
    criteria = selectors.LoanFilters(status=filters.status, q=filters.q)
    qs = selectors.loan_list(user=request.user, filters=criteria, today=today)
    show = sees_prices(request.user)
    rows = qs[filters.offset : filters.offset + filters.limit]
    return {"count": qs.count(), "items": [_loan(row, show_amounts=show, today=today) for row in rows]}


@router.post(
    "/stock/loans",
    response={201: LoanOut, **ERRORS_WRITE},
    operation_id="stock_loans_create",
    summary="Request a product loan (产品借用申请单); approvers are notified",
)
def stock_loans_create(request: HttpRequest, payload: LoanCreateIn):
    user = request.user
    if not has_role(user, CAN_REQUEST_LOAN):
        raise PermissionDenied(_("您没有申请借用产品的权限。"))
    try:
        loan = services.loan_request(
            product=_product_by_id(payload.product_id),
            warehouse=_warehouse_by_id(payload.warehouse_id),
            quantity=payload.quantity,
            customer=_customer_by_id(user, payload.customer_id),
            purpose=payload.purpose,
            due_on=payload.due_on,
            by=user,
        )
    except ValidationFailed as exc:
        raise _api_fields(exc, ID_FIELDS) from None
    return Status(201, _loan_out(request, loan))


@router.get(
    "/stock/loans/{loan_id}",
    response={200: LoanOut, **ERRORS_READ},
    operation_id="stock_loans_get",
    summary="One product loan",
)
def stock_loans_get(request: HttpRequest, loan_id: int = _id_path()):
    return _loan_out(request, selectors.loan_get_for_user(user=request.user, pk=loan_id))


def _loan_for(request: HttpRequest, loan_id: int) -> ProductLoan:
    return selectors.loan_get_for_user(user=request.user, pk=loan_id)


@router.post(
    "/stock/loans/{loan_id}/approve",
    response={200: LoanOut, **ERRORS_WRITE},
    operation_id="stock_loans_approve",
    summary="Approve a loan request (deputy GM, GM; never one's own)",
)
def stock_loans_approve(request: HttpRequest, payload: LoanDecisionIn | None = None, loan_id: int = _id_path()):
    loan = _loan_for(request, loan_id)
    comment = payload.comment if payload else ""
    return _loan_out(request, services.loan_approve(loan=loan, by=request.user, comment=comment))


@router.post(
    "/stock/loans/{loan_id}/reject",
    response={200: LoanOut, **ERRORS_WRITE},
    operation_id="stock_loans_reject",
    summary="Reject a loan request with a reason",
)
def stock_loans_reject(request: HttpRequest, payload: LoanDecisionIn, loan_id: int = _id_path()):
    loan = _loan_for(request, loan_id)
    return _loan_out(request, services.loan_reject(loan=loan, by=request.user, comment=payload.comment))


@router.post(
    "/stock/loans/{loan_id}/lend",
    response={200: LoanOut, **ERRORS_WRITE},
    operation_id="stock_loans_lend",
    summary="Hand the approved goods out (warehouse); refused without enough available stock",
)
def stock_loans_lend(request: HttpRequest, payload: LoanLendIn | None = None, loan_id: int = _id_path()):
    loan = _loan_for(request, loan_id)
    lent_on = payload.lent_on if payload else None
    return _loan_out(request, services.loan_lend(loan=loan, by=request.user, lent_on=lent_on))


@router.post(
    "/stock/loans/{loan_id}/return",
    response={200: LoanOut, **ERRORS_WRITE},
    operation_id="stock_loans_return",
    summary="Take (part of) the goods back (warehouse); closes the loan when settled",
)
def stock_loans_return(request: HttpRequest, payload: LoanReturnIn, loan_id: int = _id_path()):
    loan = _loan_for(request, loan_id)
    result = services.loan_return(
        loan=loan, quantity=payload.quantity, by=request.user, returned_on=payload.returned_on
    )
    return _loan_out(request, result)


@router.post(
    "/stock/loans/{loan_id}/charge",
    response={200: LoanOut, **ERRORS_WRITE},
    operation_id="stock_loans_charge",
    summary="The customer keeps (part of) the goods and pays (clerk, finance)",
)
def stock_loans_charge(request: HttpRequest, payload: LoanChargeIn, loan_id: int = _id_path()):
    loan = _loan_for(request, loan_id)
    result = services.loan_charge(loan=loan, quantity=payload.quantity, by=request.user, unit_price=payload.unit_price)
    return _loan_out(request, result)


@router.post(
    "/stock/loans/{loan_id}/cancel",
    response={200: LoanOut, **ERRORS_WRITE},
    operation_id="stock_loans_cancel",
    summary="Withdraw a loan before it is lent (requester or approvers)",
)
def stock_loans_cancel(request: HttpRequest, loan_id: int = _id_path()):
    loan = _loan_for(request, loan_id)
    return _loan_out(request, services.loan_cancel(loan=loan, by=request.user))


# ---- promotional materials -------------------------------------------------------------------------


@router.get(
    "/stock/promo-issues",
    response={200: PromoIssuePageOut, **ERRORS_READ},
    operation_id="stock_promo_issues_list",
    summary="Promotional material issues in the caller's scope",
)
def stock_promo_issues_list(request: HttpRequest, filters: Query[PromoListQuery]):
    criteria = selectors.PromoFilters(
        customer=filters.customer,
        salesperson=filters.salesperson_id,
        date_from=filters.date_from,
        date_to=filters.date_to,
    )
    qs = selectors.promo_issue_list(user=request.user, filters=criteria)
    rows = qs[filters.offset : filters.offset + filters.limit]
    return {"count": qs.count(), "items": [_promo(row) for row in rows]}


@router.post(
    "/stock/promo-issues",
    response={201: PromoIssueOut, **ERRORS_WRITE},
    operation_id="stock_promo_issues_create",
    summary="Issue promotional material (clerk, warehouse); takes it off the stock",
)
def stock_promo_issues_create(request: HttpRequest, payload: PromoIssueIn):
    user = request.user
    if not has_role(user, CAN_ISSUE_PROMO):
        raise PermissionDenied(_("只有内勤或仓库人员可以登记促销品发放。"))
    try:
        issue = services.promo_issue(
            product=_product_by_id(payload.product_id),
            warehouse=_warehouse_by_id(payload.warehouse_id),
            quantity=payload.quantity,
            recipient=payload.recipient,
            customer=_customer_by_id(user, payload.customer_id),
            salesperson=_user_by_id(payload.salesperson_id),
            purpose=payload.purpose,
            issued_on=payload.issued_on,
            by=user,
        )
    except ValidationFailed as exc:
        raise _api_fields(exc, ID_FIELDS) from None
    return Status(201, _promo(issue))
