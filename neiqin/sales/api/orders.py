"""Order desk API: /api/v1/orders… (ORD-3 … ORD-8, RELIABILITY R3, R6).

Reading: everybody who sees prices (the warehouse does not), within the customer scope: an order
of a customer outside it answers 404 exactly like a missing one. Writing: the order entry roles
(finance reads only); the services lock the order row and re-check scope and state.

Every unsafe operation honours the ``Idempotency-Key`` request header
(``neiqin.core.idempotency.once``): the first request runs and its response is stored with the
effect in one transaction; a replay with the same key and body returns the stored status and
body with ``Idempotent-Replayed: true``; the same key with another body is a 422; a replay while
the first is still running is a 409. A business refusal is not stored, so a client may retry the
key after fixing the cause. Without a key the request simply runs (a second confirm of the same
order is then refused by the service with 409 ``already_confirmed``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet, Sum
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Path, Query, Router, Status

from neiqin.accounts.roles import CAN_SEE_PRICES, Role
from neiqin.accounts.scoping import has_role
from neiqin.catalog.visibility import sees_floor
from neiqin.core import idempotency
from neiqin.core.errors import PermissionDenied, ValidationFailed
from neiqin.core.money import round_quantity
from neiqin.customers.schemas import MAX_ID, ErrorOut
from neiqin.sales import selectors
from neiqin.sales.api.schemas import (
    OrderCancelIn,
    OrderConfirmIn,
    OrderCreateIn,
    OrderListQuery,
    OrderOut,
    OrderPageOut,
    OrderSubmitOut,
    OrderUpdateIn,
)
from neiqin.sales.models import ApprovalRequest, SalesOrder
from neiqin.sales.services import orders as services

router = Router(tags=["orders"])

VIEW_ROLES = frozenset(CAN_SEE_PRICES)
ENTRY_ROLES = frozenset({Role.CLERK, Role.SALESPERSON, Role.SALES_MANAGER, Role.DEPUTY_GM, Role.GM, Role.ADMIN})
ERRORS_READ = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
ERRORS_WRITE = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
IDEMPOTENCY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
# The service says "warehouse"; the API says "warehouse_id".
API_FIELD_NAMES = {"warehouse": "warehouse_id"}


def _id_path() -> Any:
    return Path(..., ge=1, le=MAX_ID)


# ---- shared helpers (also used by the approvals and opportunities routers) --------------------


def require_view(user: Any) -> None:
    if not has_role(user, VIEW_ROLES):
        raise PermissionDenied(_("您没有查看销售单据的权限。"))


def require_entry(user: Any) -> None:
    if not has_role(user, ENTRY_ROLES):
        raise PermissionDenied(_("您没有录入或处理销售单据的权限。"))


def once(
    request: HttpRequest,
    response: HttpResponse,
    *,
    payload: Any,
    action: Callable[[], tuple[int, Any]],
) -> Status:
    """Run ``action`` at most once per ``Idempotency-Key`` (R3) and answer its (stored) result.

    ``action`` returns ``(status, body)`` with a JSON-ready body (``schema.model_dump(mode="json")``),
    since that body is what a replay answers."""
    outcome = idempotency.once(
        user=request.user,
        key=request.headers.get(IDEMPOTENCY_HEADER),
        scope=f"{request.method} {request.path}",
        payload=payload,
        action=action,
    )
    if outcome.replayed:
        response[REPLAYED_HEADER] = "true"
    return Status(outcome.status, outcome.body)


def as_json(schema: Any, data: Any) -> Any:
    return schema.model_validate(data).model_dump(mode="json")


@contextmanager
def api_field_names(names: Mapping[str, str] = API_FIELD_NAMES) -> Iterator[None]:
    """Report a service's field errors under the API's field names."""
    try:
        yield
    except ValidationFailed as exc:
        fields = exc.extra.get("fields")
        if isinstance(fields, Mapping):
            exc.extra["fields"] = {names.get(k, k): v for k, v in fields.items()}
        raise


def user_ref(user: Any) -> dict[str, Any] | None:
    if user is None:
        return None
    return {"id": user.pk, "display_name": user.display_name or user.username}


def customer_ref(customer: Any) -> dict[str, Any] | None:
    return {"id": customer.pk, "name": customer.name} if customer is not None else None


def text_of(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:f}"


def money(value: Decimal | None) -> str:
    return str(Decimal(value or 0).quantize(Decimal("0.01")))


def page(qs: QuerySet, query: Any, render: Callable[[Any], Any]) -> dict[str, Any]:
    count = qs.count()
    rows = qs[query.offset : query.offset + query.limit]
    return {"count": count, "items": [render(row) for row in rows]}


def approval_dict(approval: ApprovalRequest) -> dict[str, Any]:
    document = approval.order if approval.order_id else approval.quotation
    return {
        "id": approval.pk,
        "document_type": approval.document_type,
        "document_id": approval.document_id,
        "document_number": getattr(document, "number", None),
        "customer": customer_ref(document.customer) if document is not None else None,
        "rule": approval.rule.code,
        "rule_name": approval.rule.name,
        "approver_role": approval.approver_role,
        "reason": approval.reason,
        "figures": approval.figures or {},
        "status": approval.status,
        "requested_by": user_ref(approval.requested_by),
        "requested_at": approval.requested_at,
        "decided_by": user_ref(approval.decided_by),
        "decided_at": approval.decided_at,
        "comment": approval.comment,
        "voided_at": approval.voided_at,
        "void_reason": approval.void_reason,
    }


# ---- rendering -------------------------------------------------------------------------------


def _summary(order: SalesOrder) -> dict[str, Any]:
    return {
        "id": order.pk,
        "number": order.number,
        "customer": customer_ref(order.customer),
        "owner": user_ref(order.owner),
        "status": order.status,
        "status_label": str(order.get_status_display()),
        "channel": order.channel,
        "ordered_on": order.ordered_on,
        "delivery_on": order.delivery_on,
        "promised_on": order.promised_on,
        "total": money(order.total),
        "waiting_for_stock": order.waiting_for_stock,
        "changed_since_confirmation": order.changed_since_confirmation,
        "shipped": order.shipped,
        "invoiced": order.invoiced,
        "paid": order.paid,
        "created_at": order.created_at,
        "updated_at": order.updated_at,
        "version": order.version,
    }


def _line(line: Any, *, floor: bool) -> dict[str, Any]:
    data = {
        "id": line.pk,
        "position": line.position,
        "product": {
            "id": line.product.pk,
            "model": line.product.model,
            "name": line.product.name,
            "unit": line.product.unit,
        },
        "description": line.description,
        "quantity": text_of(line.quantity),
        "list_price": text_of(line.list_price),
        "price_source": line.price_source,
        "discount_rate": text_of(line.discount_rate),
        "unit_price": text_of(line.unit_price),
        "vat_rate": line.vat_rate,
        "amount": money(line.amount),
        "delivery_on": line.delivery_on,
        "note": line.note,
        "warehouse_id": line.warehouse_id,
        "reserved_quantity": text_of(line.reserved_quantity),
        "shipped_quantity": text_of(line.shipped_quantity),
    }
    if floor:
        data["floor_price"] = text_of(line.floor_price)
    return data


def order_dict(user: Any, order: SalesOrder) -> dict[str, Any]:
    """The full order: lines, checks, approvals, versions, timeline and derived progress."""
    order = SalesOrder.objects.select_related("customer", "owner").get(pk=order.pk)
    lines = list(order.lines.select_related("product").order_by("position"))
    floor = sees_floor(user)
    sums = order.lines.aggregate(
        ordered=Sum("quantity"), reserved=Sum("reserved_quantity"), shipped=Sum("shipped_quantity")
    )
    sums = {k: round_quantity(v) if v is not None else v for k, v in sums.items()}  # SQLite sums in floats
    data = _summary(order)
    data.update(
        customer_reference=order.customer_reference,
        payment_mode=order.payment_mode,
        payment_term_days=order.payment_term_days,
        delivery_address=order.delivery_address,
        receiver=order.receiver,
        receiver_phone=order.receiver_phone,
        warehouse_id=order.warehouse_id,
        notes=order.notes,
        written_record=order.written_record,
        copied_from_id=order.copied_from_id,
        submitted_at=order.submitted_at,
        confirmed_at=order.confirmed_at,
        cancelled_at=order.cancelled_at,
        cancel_reason=order.cancel_reason,
        checked_at=order.checked_at,
        lines=[_line(line, floor=floor) for line in lines],
        checks=list(order.checks or []),
        approvals=[
            approval_dict(a)
            for a in selectors.approvals_for(document_type="order", document_id=order.pk).select_related(
                "order", "order__customer"
            )
        ],
        versions=[
            {
                "number": v.number,
                "diff": v.diff or [],
                "reason": v.reason,
                "created_by": user_ref(v.created_by),
                "created_at": v.created_at,
            }
            for v in order.versions.select_related("created_by").order_by("number")
        ],
        # Oldest first: the order's story from entry to now (the audit trail lists newest first).
        timeline=[
            {**event, "actor": str(event["actor"]), "data": event["data"] or {}}
            for event in reversed(selectors.order_timeline(order=order))
        ],
        progress={
            "shipped": order.shipped,
            "invoiced": order.invoiced,
            "paid": order.paid,
            "ordered_quantity": text_of(round_quantity(sums["ordered"] or 0)),
            "reserved_quantity": text_of(round_quantity(sums["reserved"] or 0)),
            "shipped_quantity": text_of(round_quantity(sums["shipped"] or 0)),
        },
    )
    return data


def _order(request: HttpRequest, order_id: int) -> SalesOrder:
    require_view(request.user)
    return selectors.order_get_for_user(user=request.user, pk=order_id)


def _customer(user: Any, customer_id: int) -> Any:
    """A customer named in a request body: in scope or "unknown" (422, no existence leak)."""
    from neiqin.customers.selectors import customer_queryset

    customer = customer_queryset(user=user).filter(pk=customer_id).first()
    if customer is None:
        raise ValidationFailed(_("客户不存在。"), extra={"fields": {"customer_id": [_("客户不存在。")]}})
    return customer


def _header(payload: Any) -> dict[str, Any]:
    data = payload.model_dump(exclude_unset=True, exclude={"customer_id", "lines", "version", "reason"})
    if "warehouse_id" in data:
        data["warehouse"] = data.pop("warehouse_id")
    return data


def _lines(rows: list[Any]) -> list[dict[str, Any]]:
    return [row.model_dump() for row in rows]


# ---- operations ------------------------------------------------------------------------------


@router.get(
    "/orders",
    response={200: OrderPageOut, **ERRORS_READ},
    operation_id="orders_list",
    summary="Orders in the caller's scope, newest first (filters: status, customer, q)",
)
def orders_list(request: HttpRequest, query: Query[OrderListQuery]):
    require_view(request.user)
    qs = selectors.order_queryset(user=request.user)
    if query.status:
        qs = qs.filter(status=query.status)
    if query.customer:
        qs = qs.filter(customer_id=query.customer)
    if query.q:
        q = query.q.strip()
        qs = qs.filter(Q(number__icontains=q) | Q(customer__name__icontains=q) | Q(customer_reference__icontains=q))
    return page(qs.order_by("-created_at", "-id"), query, _summary)


@router.post(
    "/orders",
    response={201: OrderOut, **ERRORS_WRITE},
    operation_id="orders_create",
    summary="Enter a draft order (honours Idempotency-Key: one order per key)",
)
def orders_create(request: HttpRequest, response: HttpResponse, payload: OrderCreateIn):
    user = request.user
    require_entry(user)

    def create() -> tuple[int, Any]:
        customer = _customer(user, payload.customer_id)
        with api_field_names():
            order = services.order_create(
                customer=customer, lines=_lines(payload.lines), by=user, fields=_header(payload)
            )
        return 201, as_json(OrderOut, order_dict(user, order))

    return once(request, response, payload=payload.model_dump(), action=create)


@router.get(
    "/orders/{order_id}",
    response={200: OrderOut, **ERRORS_READ},
    operation_id="orders_get",
    summary="One order with lines, checks, approvals, versions, timeline and progress",
)
def orders_get(request: HttpRequest, order_id: int = _id_path()):
    return order_dict(request.user, _order(request, order_id))


@router.patch(
    "/orders/{order_id}",
    response={200: OrderOut, **ERRORS_WRITE},
    operation_id="orders_update",
    summary="Change an order (send the version you read; lines, when sent, replace all lines)",
)
def orders_update(request: HttpRequest, response: HttpResponse, payload: OrderUpdateIn, order_id: int = _id_path()):
    order = _order(request, order_id)
    require_entry(request.user)

    def update() -> tuple[int, Any]:
        with api_field_names():
            updated = services.order_update(
                order=order,
                by=request.user,
                version=payload.version,
                fields=_header(payload),
                lines=_lines(payload.lines) if payload.lines is not None else None,
                reason=payload.reason,
            )
        return 200, as_json(OrderOut, order_dict(request.user, updated))

    return once(request, response, payload=payload.model_dump(exclude_unset=True), action=update)


@router.post(
    "/orders/{order_id}/submit",
    response={200: OrderSubmitOut, **ERRORS_WRITE},
    operation_id="orders_submit",
    summary="Submit for checking (审单); blocking failures answer 422 with the checks in extra",
)
def orders_submit(request: HttpRequest, response: HttpResponse, order_id: int = _id_path()):
    order = _order(request, order_id)
    require_entry(request.user)

    def submit() -> tuple[int, Any]:
        submitted, checks = services.order_submit(order=order, by=request.user)
        body = {"order": order_dict(request.user, submitted), "checks": [c.as_dict() for c in checks]}
        return 200, as_json(OrderSubmitOut, body)

    return once(request, response, payload={}, action=submit)


@router.post(
    "/orders/{order_id}/confirm",
    response={200: OrderOut, **ERRORS_WRITE},
    operation_id="orders_confirm",
    summary="Confirm an approved order and reserve stock (already confirmed: 409)",
)
def orders_confirm(
    request: HttpRequest, response: HttpResponse, payload: OrderConfirmIn = None, order_id: int = _id_path()
):
    order = _order(request, order_id)
    require_entry(request.user)
    payload = payload or OrderConfirmIn()

    def confirm() -> tuple[int, Any]:
        confirmed = services.order_confirm(order=order, by=request.user, promised_on=payload.promised_on)
        return 200, as_json(OrderOut, order_dict(request.user, confirmed))

    return once(request, response, payload=payload.model_dump(), action=confirm)


@router.post(
    "/orders/{order_id}/cancel",
    response={200: OrderOut, **ERRORS_WRITE},
    operation_id="orders_cancel",
    summary="Cancel an order with the reason (reservations are released, approvals voided)",
)
def orders_cancel(request: HttpRequest, response: HttpResponse, payload: OrderCancelIn, order_id: int = _id_path()):
    order = _order(request, order_id)
    require_entry(request.user)

    def cancel() -> tuple[int, Any]:
        cancelled = services.order_cancel(order=order, by=request.user, reason=payload.reason)
        return 200, as_json(OrderOut, order_dict(request.user, cancelled))

    return once(request, response, payload=payload.model_dump(), action=cancel)


@router.post(
    "/orders/{order_id}/copy",
    response={201: OrderOut, **ERRORS_WRITE},
    operation_id="orders_copy",
    summary="A new draft with the same customer, terms and lines (approvals are never copied)",
)
def orders_copy(request: HttpRequest, response: HttpResponse, order_id: int = _id_path()):
    order = _order(request, order_id)
    require_entry(request.user)

    def copy() -> tuple[int, Any]:
        created = services.order_copy(order=order, by=request.user)
        return 201, as_json(OrderOut, order_dict(request.user, created))

    return once(request, response, payload={}, action=copy)
