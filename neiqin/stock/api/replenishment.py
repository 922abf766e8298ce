"""Stock API: replenishment requests (INV-3), slow-moving stock (INV-5) and low stock.

``/api/v1/stock/replenishments…``, ``/api/v1/stock/slow-moving``, ``/api/v1/stock/low-stock``.
Quantities travel as strings with up to 3 decimals. The customer of a request is returned only
to callers who may see that customer (``null`` otherwise); the value of slow-moving stock only to
callers who may see cost (``value`` and ``total_value`` are ``null`` otherwise).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Path, Query, Router, Schema, Status
from pydantic import BeforeValidator, ConfigDict, Field, StrictInt, StrictStr

from neiqin.catalog.models import Product
from neiqin.catalog.visibility import sees_cost
from neiqin.core.errors import PermissionDenied, ValidationFailed
from neiqin.customers.schemas import MAX_ID, ErrorOut, _iso_date, text
from neiqin.stock.choices import ReplenishmentStatus
from neiqin.stock.models import ReplenishmentRequest, StockLevel, Warehouse
from neiqin.stock.selectors import replenishment as selectors
from neiqin.stock.selectors import reports
from neiqin.stock.services import replenishment as services

router = Router(tags=["stock-replenishment"])

ERRORS_READ = {401: ErrorOut, 404: ErrorOut, 422: ErrorOut}
ERRORS_WRITE = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
MAX_LIMIT = 200
DEFAULT_LIMIT = 50
MAX_OFFSET = 10**9

Id = Annotated[StrictInt, Field(ge=1, le=MAX_ID)]
IsoDate = Annotated[dt.date, BeforeValidator(_iso_date)]
QuantityText = Annotated[StrictStr, Field(min_length=1, max_length=20)]


def _id_path() -> Any:
    return Path(..., ge=1, le=MAX_ID)


# ---- schemas ----------------------------------------------------------------------------------------------


class InputSchema(Schema):
    model_config = ConfigDict(extra="forbid")


class PageQuery(InputSchema):
    limit: Annotated[int, Field(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT
    offset: Annotated[int, Field(ge=0, le=MAX_OFFSET)] = 0


class ReplenishmentListQuery(PageQuery):
    status: Literal["", "active", *ReplenishmentStatus.values] = ""  # type: ignore[valid-type]
    warehouse_id: Id | None = None
    q: text(60) = ""
    overdue: bool = False


class ReplenishmentCreateIn(InputSchema):
    product_id: Id
    warehouse_id: Id
    quantity: QuantityText = Field(description='Decimal string, e.g. "120" or "12.5" (up to 3 decimals)')
    needed_by: IsoDate | None = None
    customer_id: Id | None = None
    note: text(2000) = ""


class ReplenishmentTransitionIn(InputSchema):
    status: Literal["in_progress", "fulfilled", "cancelled"]
    response: text(2000) = ""
    expected_on: IsoDate | None = None
    version: Id | None = None


class ProductRef(Schema):
    id: int
    code: str
    model: str
    name: str
    spec: str
    unit: str


class WarehouseRef(Schema):
    id: int
    code: str
    name: str


class NamedRef(Schema):
    id: int
    name: str


class ReplenishmentOut(Schema):
    id: int
    number: str
    product: ProductRef
    warehouse: WarehouseRef
    quantity: str
    needed_by: dt.date | None
    overdue: bool
    status: str
    status_label: str
    demand_type: str
    demand_id: str
    demand_number: str
    customer: NamedRef | None
    note: str
    response: str
    expected_on: dt.date | None
    requested_by: NamedRef | None
    handled_by: NamedRef | None
    closed_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime
    version: int


class ReplenishmentPageOut(Schema):
    count: int
    items: list[ReplenishmentOut]


class SlowMovingQuery(PageQuery):
    days: Annotated[int, Field(ge=1, le=3650)] = reports.DEFAULT_SLOW_DAYS
    warehouse_id: Id | None = None


class SlowMovingOut(Schema):
    product: ProductRef
    warehouse: WarehouseRef
    on_hand: str
    last_outbound_on: dt.date | None
    idle_since: dt.date
    days_idle: int
    value: str | None


class SlowMovingPageOut(Schema):
    count: int
    shows_value: bool
    total_value: str | None
    items: list[SlowMovingOut]


class LowStockQuery(PageQuery):
    warehouse_id: Id | None = None


class LowStockOut(Schema):
    product: ProductRef
    warehouse: WarehouseRef
    on_hand: str
    reserved: str
    available: str
    min_quantity: str
    shortage: str


class LowStockPageOut(Schema):
    count: int
    items: list[LowStockOut]


# ---- rendering ----------------------------------------------------------------------------------------------


def _qty(value: Decimal) -> str:
    return str(Decimal(value).quantize(Decimal("0.001")))


def _product(product: Product) -> dict[str, Any]:
    return {
        "id": product.pk,
        "code": product.code,
        "model": product.model,
        "name": product.name,
        "spec": product.spec,
        "unit": product.unit,
    }


def _warehouse(warehouse: Warehouse) -> dict[str, Any]:
    return {"id": warehouse.pk, "code": warehouse.code, "name": warehouse.name}


def _user(user: Any) -> dict[str, Any] | None:
    return {"id": user.pk, "name": str(user)} if user is not None else None


def _request(item: ReplenishmentRequest, visible_customers: set[int]) -> dict[str, Any]:
    customer = item.customer if item.customer_id in visible_customers else None
    return {
        "id": item.pk,
        "number": item.number,
        "product": _product(item.product),
        "warehouse": _warehouse(item.warehouse),
        "quantity": _qty(item.quantity),
        "needed_by": item.needed_by,
        "overdue": selectors.is_overdue(item),
        "status": item.status,
        "status_label": str(item.get_status_display()),
        "demand_type": item.demand_type,
        "demand_id": item.demand_id,
        "demand_number": item.demand_number,
        "customer": {"id": customer.pk, "name": customer.name} if customer is not None else None,
        "note": item.note,
        "response": item.response,
        "expected_on": item.expected_on,
        "requested_by": _user(item.requested_by),
        "handled_by": _user(item.handled_by),
        "closed_at": item.closed_at,
        "created_at": item.created_at,
        "updated_at": item.updated_at,
        "version": item.version,
    }


def _one(user: Any, item: ReplenishmentRequest) -> dict[str, Any]:
    item = selectors.replenishment_get_for_user(user=user, pk=item.pk)  # fresh, with relations
    return _request(item, selectors.visible_customer_ids(user=user, requests=[item]))


def _warehouse_or_none(warehouse_id: int | None, *, field: str = "warehouse_id") -> Warehouse | None:
    if warehouse_id is None:
        return None
    warehouse = Warehouse.objects.filter(pk=warehouse_id).first()
    if warehouse is None:
        message = _("仓库不存在。")
        raise ValidationFailed(message, extra={"fields": {field: [message]}})
    return warehouse


# ---- replenishment requests ----------------------------------------------------------------------------------


@router.get(
    "/stock/replenishments",
    response={200: ReplenishmentPageOut, **ERRORS_READ},
    operation_id="stock_replenishments_list",
    url_name="stock_replenishments_list",
    summary="Replenishment requests (newest first)",
)
def stock_replenishments_list(request: HttpRequest, filters: Query[ReplenishmentListQuery]):
    criteria = selectors.ReplenishmentFilters(
        status=filters.status, warehouse=filters.warehouse_id, q=filters.q.strip(), overdue=filters.overdue
    )
    qs = selectors.replenishment_list(user=request.user, filters=criteria)
    rows = list(qs[filters.offset : filters.offset + filters.limit])
    visible = selectors.visible_customer_ids(user=request.user, requests=rows)
    return {"count": qs.count(), "items": [_request(r, visible) for r in rows]}


@router.post(
    "/stock/replenishments",
    response={201: ReplenishmentOut, **ERRORS_WRITE},
    operation_id="stock_replenishments_create",
    url_name="stock_replenishments_create",
    summary="Request replenishment (merged into the open request of the same need, if any)",
)
def stock_replenishments_create(request: HttpRequest, payload: ReplenishmentCreateIn):
    user = request.user
    if not services.can_request(user):
        raise PermissionDenied(_("您没有申请补货的权限。"))
    product = Product.objects.filter(pk=payload.product_id).first()
    if product is None:
        raise ValidationFailed(_("产品不存在。"), extra={"fields": {"product_id": [_("产品不存在。")]}})
    warehouse = _warehouse_or_none(payload.warehouse_id)
    customer = None
    if payload.customer_id is not None:
        from neiqin.customers.selectors import customer_queryset

        customer = customer_queryset(user=user).filter(pk=payload.customer_id).first()
        if customer is None:
            message = _("客户不存在或无权查看。")
            raise ValidationFailed(message, extra={"fields": {"customer_id": [message]}})
    item = services.replenishment_request(
        product=product,
        warehouse=warehouse,
        quantity=payload.quantity,
        needed_by=payload.needed_by,
        customer=customer,
        note=payload.note,
        by=user,
    )
    return Status(201, _one(user, item))


@router.get(
    "/stock/replenishments/{request_id}",
    response={200: ReplenishmentOut, **ERRORS_READ},
    operation_id="stock_replenishments_get",
    url_name="stock_replenishments_get",
    summary="One replenishment request",
)
def stock_replenishments_get(request: HttpRequest, request_id: int = _id_path()):
    item = selectors.replenishment_get_for_user(user=request.user, pk=request_id)
    return _request(item, selectors.visible_customer_ids(user=request.user, requests=[item]))


@router.post(
    "/stock/replenishments/{request_id}/status",
    response={200: ReplenishmentOut, **ERRORS_WRITE},
    operation_id="stock_replenishments_transition",
    url_name="stock_replenishments_transition",
    summary="Move a request on: in_progress (with expected_on), fulfilled, or cancelled (response = reason)",
)
def stock_replenishments_transition(
    request: HttpRequest, payload: ReplenishmentTransitionIn, request_id: int = _id_path()
):
    user = request.user
    item = selectors.replenishment_get_for_user(user=user, pk=request_id)
    if payload.status == ReplenishmentStatus.IN_PROGRESS:
        item = services.replenishment_start(
            request=item, by=user, response=payload.response, expected_on=payload.expected_on, version=payload.version
        )
    elif payload.expected_on is not None:
        message = _("只有开始处理时可以填写预计到货日期。")
        raise ValidationFailed(message, extra={"fields": {"expected_on": [message]}})
    elif payload.status == ReplenishmentStatus.FULFILLED:
        item = services.replenishment_fulfil(request=item, by=user, response=payload.response, version=payload.version)
    else:
        item = services.replenishment_cancel(request=item, by=user, response=payload.response, version=payload.version)
    return _one(user, item)


# ---- reports ---------------------------------------------------------------------------------------------------


@router.get(
    "/stock/slow-moving",
    response={200: SlowMovingPageOut, **ERRORS_READ},
    operation_id="stock_slow_moving",
    url_name="stock_slow_moving",
    summary="Stock with no sales outbound move for `days` days (value only for cost-seeing roles)",
)
def stock_slow_moving(request: HttpRequest, filters: Query[SlowMovingQuery]):
    rows = reports.slow_moving(days=filters.days, warehouse=_warehouse_or_none(filters.warehouse_id))
    show = sees_cost(request.user)
    items = [
        {
            "product": _product(r.product),
            "warehouse": _warehouse(r.warehouse),
            "on_hand": _qty(r.on_hand),
            "last_outbound_on": r.last_outbound_on,
            "idle_since": r.idle_since,
            "days_idle": r.days_idle,
            "value": str(r.value) if show and r.value is not None else None,
        }
        for r in rows[filters.offset : filters.offset + filters.limit]
    ]
    total = str(reports.total_value(rows)) if show else None
    return {"count": len(rows), "shows_value": show, "total_value": total, "items": items}


@router.get(
    "/stock/low-stock",
    response={200: LowStockPageOut, **ERRORS_READ},
    operation_id="stock_low_stock",
    url_name="stock_low_stock",
    summary="Levels whose available quantity is below the safety stock (安全库存)",
)
def stock_low_stock(request: HttpRequest, filters: Query[LowStockQuery]):
    qs = reports.low_stock(warehouse=_warehouse_or_none(filters.warehouse_id))
    levels: list[StockLevel] = list(qs[filters.offset : filters.offset + filters.limit])
    items = [
        {
            "product": _product(level.product),
            "warehouse": _warehouse(level.warehouse),
            "on_hand": _qty(level.on_hand),
            "reserved": _qty(level.reserved),
            "available": _qty(level.available),
            "min_quantity": _qty(level.min_quantity),
            "shortage": _qty(level.shortage),
        }
        for level in levels
    ]
    return {"count": qs.count(), "items": items}
