"""Stock API: warehouses, levels, availability, the ledger, and the documents the warehouse posts
(receipts, shipments without an order, transfers, adjustments) — INV-1, INV-2.

Reading is open to every signed-in role (``CAN_SEE_STOCK``); posting needs ``CAN_MOVE_STOCK``,
checked before anything else so that a refused caller learns nothing about the ids it sent.
Unknown ids in a body are a 422 naming the field (``lines.2.product_id``); the services refuse
bad quantities, a transfer to the same warehouse, an inactive warehouse and stock that is not
there (409 ``insufficient_stock`` with requested/available), all before anything is written.
"""

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from neiqin.accounts.roles import CAN_MOVE_STOCK
from neiqin.accounts.scoping import has_role
from neiqin.catalog.models import Product
from neiqin.catalog.visibility import sees_cost
from neiqin.core.errors import NotFound, PermissionDenied, ValidationFailed
from neiqin.customers.models import Customer
from neiqin.stock import services
from neiqin.stock.api.level_schemas import (
    AdjustmentIn,
    AvailabilityOut,
    AvailabilityQuery,
    ErrorOut,
    LevelPageOut,
    LevelQuery,
    MovePageOut,
    MoveQuery,
    PostedOut,
    ReceiptIn,
    ShipmentIn,
    TransferIn,
    WarehousePageOut,
    WarehouseQuery,
)
from neiqin.stock.models import StockMove, Warehouse
from neiqin.stock.selectors import levels as selectors
from neiqin.stock.services import Line, Posted

router = Router(tags=["stock-levels"])

ERRORS_READ = {401: ErrorOut, 404: ErrorOut, 422: ErrorOut}
ERRORS_WRITE = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
# Service field names -> API field names in error reports.
API_FIELD_NAMES = {"warehouse": "warehouse_id", "target": "target_warehouse_id", "source": "source_warehouse_id"}


# ---- helpers ---------------------------------------------------------------------------------------


def _q(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _warehouse_ref(warehouse: Warehouse | None) -> dict[str, Any] | None:
    return None if warehouse is None else {"id": warehouse.pk, "code": warehouse.code, "name": warehouse.name}


def _product_ref(product: Product) -> dict[str, Any]:
    return {
        "id": product.pk,
        "code": product.code,
        "model": product.model,
        "name": product.name,
        "spec": product.spec,
        "unit": product.unit,
        "series": product.series.name if product.series_id else None,
    }


def _user_ref(user: Any) -> dict[str, Any] | None:
    return None if user is None else {"id": user.pk, "display_name": user.display_name or user.username}


def _move(move: StockMove, *, show_cost: bool, customers: set[int]) -> dict[str, Any]:
    customer = None
    if move.customer_id and move.customer_id in customers:
        customer = {"id": move.customer_id, "name": move.customer.name}
    return {
        "id": move.pk,
        "moved_on": move.moved_on,
        "kind": move.kind,
        "kind_label": str(move.get_kind_display()),
        "warehouse": _warehouse_ref(move.warehouse),
        "counterpart": _warehouse_ref(move.counterpart),
        "product": _product_ref(move.product),
        "quantity": str(move.quantity),
        "balance_after": str(move.balance_after),
        "unit_cost": _q(move.unit_cost) if show_cost else None,
        "document_type": move.document_type,
        "document_number": move.document_number,
        "customer": customer,
        "reason": move.reason,
        "created_by": _user_ref(move.created_by),
        "created_at": move.created_at,
    }


def _moves(request: HttpRequest, moves: list[StockMove]) -> list[dict[str, Any]]:
    show_cost = sees_cost(request.user)
    customers = selectors.visible_customer_ids(user=request.user, moves=moves)
    return [_move(m, show_cost=show_cost, customers=customers) for m in moves]


def _cell(cell: dict[str, Any]) -> dict[str, Any]:
    warehouse = cell["warehouse"]
    return {
        "warehouse_id": warehouse.pk,
        "warehouse_code": warehouse.code,
        "warehouse_name": warehouse.name,
        "on_hand": str(cell["on_hand"]),
        "reserved": str(cell["reserved"]),
        "available": str(cell["available"]),
        "min_quantity": str(cell["min_quantity"]),
        "low": cell["low"],
    }


def _totals(data: Mapping[str, Any]) -> dict[str, str]:
    return {key: str(data[key]) for key in ("on_hand", "reserved", "available")}


@contextmanager
def _api_field_names() -> Iterator[None]:
    try:
        yield
    except ValidationFailed as exc:
        fields = exc.extra.get("fields")
        if isinstance(fields, Mapping):
            exc.extra["fields"] = {API_FIELD_NAMES.get(k, k): v for k, v in fields.items()}
        raise


def _require_mover(request: HttpRequest) -> None:
    if not has_role(request.user, CAN_MOVE_STOCK):
        raise PermissionDenied(_("只有仓库人员可以登记出入库。"))


def _moved_on(value: Any) -> Any:
    if value is not None and value > timezone.localdate():
        message = _("业务日期不能晚于今天。")
        raise ValidationFailed(message, extra={"fields": {"moved_on": [message]}})
    return value


def _warehouse(pk: int, field: str) -> Warehouse:
    warehouse = Warehouse.objects.filter(pk=pk).first()
    if warehouse is None:
        message = _("仓库不存在（id=%(id)s）。") % {"id": pk}
        raise ValidationFailed(message, extra={"fields": {field: [_("仓库不存在。")]}})
    return warehouse


def _lines(payload_lines: list[Any], *, with_cost: bool) -> list[Line]:
    if not payload_lines:
        raise ValidationFailed(_("请至少填写一行产品和数量。"), extra={"fields": {"lines": [_("没有明细。")]}})
    products = Product.objects.in_bulk({line.product_id for line in payload_lines})
    lines = []
    for index, line in enumerate(payload_lines, start=1):
        product = products.get(line.product_id)
        if product is None:
            message = _("第 %(n)s 行的产品不存在（id=%(id)s）。") % {"n": index, "id": line.product_id}
            raise ValidationFailed(message, extra={"fields": {f"lines.{index}.product_id": [_("产品不存在。")]}})
        cost = getattr(line, "unit_cost", None) if with_cost else None
        lines.append(Line(product=product, quantity=line.quantity, unit_cost=cost))
    return lines


def _posted(request: HttpRequest, posted: Posted) -> Status:
    ids = [m.pk for m in posted.moves if m.pk]
    moves = list(
        StockMove.objects.filter(pk__in=ids).select_related(
            "warehouse", "product__series", "counterpart", "customer", "created_by"
        )
    )
    if len(moves) != len(posted.moves):  # bulk_create without returned ids (older SQLite): look up by number
        moves = list(selectors.move_list(filters=selectors.MoveFilters(document_number=posted.number)).order_by("id"))
    moves.sort(key=lambda m: m.pk)
    return Status(201, {"number": posted.number, "moves": _moves(request, moves)})


# ---- reading ---------------------------------------------------------------------------------------


@router.get(
    "/warehouses",
    response={200: WarehousePageOut, **ERRORS_READ},
    operation_id="warehouses_list",
    url_name="warehouses_list",
    summary="Warehouses (active ones unless include_inactive)",
)
def warehouses_list(request: HttpRequest, query: Query[WarehouseQuery]):
    qs = selectors.warehouses_all() if query.include_inactive else selectors.warehouses_active()
    qs = qs.select_related("region", "keeper")
    count = qs.count()
    items = [
        {
            "id": w.pk,
            "code": w.code,
            "name": w.name,
            "region": {"id": w.region.pk, "code": w.region.code, "name": w.region.name} if w.region_id else None,
            "address": w.address,
            "keeper": _user_ref(w.keeper),
            "allow_negative": w.allow_negative,
            "is_active": w.is_active,
            "sort_order": w.sort_order,
        }
        for w in qs[query.offset : query.offset + query.limit]
    ]
    return {"count": count, "items": items}


@router.get(
    "/stock/levels",
    response={200: LevelPageOut, **ERRORS_READ},
    operation_id="stock_levels_list",
    url_name="stock_levels_list",
    summary="On-hand, reserved and available per product and active warehouse",
)
def stock_levels_list(request: HttpRequest, query: Query[LevelQuery]):
    filters = selectors.LevelFilters(**query.model_dump(exclude={"limit", "offset"}))
    warehouses = selectors.matrix_warehouses(filters)
    qs = selectors.level_rows(filters=filters, warehouses=warehouses)
    count = selectors.level_count(filters=filters, warehouses=warehouses)
    items = []
    for product in qs[query.offset : query.offset + query.limit]:
        row = selectors.level_row(product, warehouses)
        items.append(
            {
                "product": _product_ref(product),
                "warehouses": [_cell(cell) for cell in row["cells"]],
                "total": _totals(row),
                "low": row["low"],
            }
        )
    return {"count": count, "items": items}


@router.get(
    "/stock/availability",
    response={200: AvailabilityOut, **ERRORS_READ},
    operation_id="stock_availability",
    url_name="stock_availability",
    summary="Availability of one product per active warehouse and in total",
)
def stock_availability(request: HttpRequest, query: Query[AvailabilityQuery]):
    product = Product.objects.filter(pk=query.product).first()
    if product is None:
        raise NotFound(_("产品不存在。"))
    data = selectors.availability(product=product)
    warehouses = {w.pk: w for w in selectors.warehouses_active()}
    cells = [
        _cell({**row, "warehouse": warehouses[row["warehouse_id"]]})
        for row in data["warehouses"]
        if row["warehouse_id"] in warehouses
    ]
    return {"product_id": product.pk, "unit": product.unit, "warehouses": cells, "total": _totals(data["total"])}


@router.get(
    "/stock/moves",
    response={200: MovePageOut, **ERRORS_READ},
    operation_id="stock_moves_list",
    url_name="stock_moves_list",
    summary="The move ledger, newest first",
)
def stock_moves_list(request: HttpRequest, query: Query[MoveQuery]):
    filters = selectors.MoveFilters(**query.model_dump(exclude={"limit", "offset"}))
    qs = selectors.move_list(filters=filters).select_related("product__series")
    count = qs.count()
    moves = list(qs[query.offset : query.offset + query.limit])
    return {"count": count, "items": _moves(request, moves)}


# ---- posting documents -------------------------------------------------------------------------------


@router.post(
    "/stock/receipts",
    response={201: PostedOut, **ERRORS_WRITE},
    operation_id="stock_receipts_create",
    url_name="stock_receipts_create",
    summary="Post a receipt (入库): goods into one warehouse",
)
def stock_receipts_create(request: HttpRequest, payload: ReceiptIn):
    _require_mover(request)
    with _api_field_names():
        warehouse = _warehouse(payload.warehouse_id, "warehouse_id")
        lines = _lines(payload.lines, with_cost=sees_cost(request.user))
        posted = services.stock_receive(
            warehouse=warehouse,
            lines=lines,
            by=request.user,
            moved_on=_moved_on(payload.moved_on),
            reason=payload.reason,
        )
    return _posted(request, posted)


@router.post(
    "/stock/shipments",
    response={201: PostedOut, **ERRORS_WRITE},
    operation_id="stock_shipments_create",
    url_name="stock_shipments_create",
    summary="Post a shipment without an order (样品、补发); only available stock can leave",
)
def stock_shipments_create(request: HttpRequest, payload: ShipmentIn):
    _require_mover(request)
    with _api_field_names():
        warehouse = _warehouse(payload.warehouse_id, "warehouse_id")
        customer = None
        if payload.customer_id is not None:
            customer = Customer.objects.filter(pk=payload.customer_id).first()
            if customer is None:
                raise ValidationFailed(_("客户不存在。"), extra={"fields": {"customer_id": [_("客户不存在。")]}})
        lines = _lines(payload.lines, with_cost=False)
        posted = services.stock_ship(
            warehouse=warehouse,
            lines=lines,
            by=request.user,
            moved_on=_moved_on(payload.moved_on),
            reason=payload.reason,
            customer=customer,
        )
    return _posted(request, posted)


@router.post(
    "/stock/transfers",
    response={201: PostedOut, **ERRORS_WRITE},
    operation_id="stock_transfers_create",
    url_name="stock_transfers_create",
    summary="Post a transfer (调拨): out of one warehouse into another under one number",
)
def stock_transfers_create(request: HttpRequest, payload: TransferIn):
    _require_mover(request)
    with _api_field_names():
        source = _warehouse(payload.source_warehouse_id, "source_warehouse_id")
        target = _warehouse(payload.target_warehouse_id, "target_warehouse_id")
        lines = _lines(payload.lines, with_cost=False)
        posted = services.stock_transfer(
            source=source,
            target=target,
            lines=lines,
            by=request.user,
            moved_on=_moved_on(payload.moved_on),
            reason=payload.reason,
        )
    return _posted(request, posted)


@router.post(
    "/stock/adjustments",
    response={201: PostedOut, **ERRORS_WRITE},
    operation_id="stock_adjustments_create",
    url_name="stock_adjustments_create",
    summary="Post an adjustment (库存调整): signed quantities, a reason is required",
)
def stock_adjustments_create(request: HttpRequest, payload: AdjustmentIn):
    _require_mover(request)
    with _api_field_names():
        warehouse = _warehouse(payload.warehouse_id, "warehouse_id")
        lines = _lines(payload.lines, with_cost=False)
        posted = services.stock_adjust(
            warehouse=warehouse,
            lines=lines,
            by=request.user,
            moved_on=_moved_on(payload.moved_on),
            reason=payload.reason,
        )
    return _posted(request, posted)
