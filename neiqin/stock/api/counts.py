"""Stock API: counts (盘点, INV-4) under /api/v1/stock/counts….

Quantities travel as decimal strings (``"12.5"``); ``counted: ""`` clears a line. The variance
value (money) is only present for roles that see cost; for everyone else it is ``null``, so the
warehouse never receives an amount.
"""

from typing import Annotated, Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Path, Query, Router, Schema, Status
from pydantic import Field

from neiqin.catalog.models import ProductSeries
from neiqin.catalog.services.validation import normalize_model
from neiqin.catalog.visibility import sees_cost
from neiqin.core.errors import PermissionDenied, ValidationFailed
from neiqin.customers.schemas import MAX_ID, ErrorOut, InputSchema, PageQuery, choice, text
from neiqin.stock.choices import CountStatus
from neiqin.stock.models import StockCount, Warehouse
from neiqin.stock.selectors import counts as selectors
from neiqin.stock.services import counts as services

router = Router(tags=["stock-counts"])

ERRORS_READ = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
ERRORS_WRITE = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
Id = Annotated[int, Field(ge=1, le=MAX_ID)]


# ---- schemas -------------------------------------------------------------------------------------


class CountListQuery(PageQuery):
    warehouse: Id | None = None
    status: choice(CountStatus.values, blank=True) = ""


class CountCreateIn(InputSchema):
    warehouse_id: Id
    series_id: Id | None = None
    note: text(200) = ""


class EntryIn(InputSchema):
    """One line, named by ``product_id`` or by ``model`` + ``spec`` (as on the count sheet)."""

    product_id: Id | None = None
    model: text(60) = ""
    spec: text(120) = ""
    counted: text(30) = ""
    reason: text(200) = ""


class EntriesIn(InputSchema):
    entries: list[EntryIn] = Field(min_length=1, max_length=5000)
    version: int | None = None


class DecisionIn(InputSchema):
    comment: text(200) = ""


class CancelIn(InputSchema):
    reason: text(200) = ""


class Ref(Schema):
    id: int
    name: str


class CountLineOut(Schema):
    product_id: int
    model: str
    name: str
    spec: str
    unit: str
    expected: str
    counted: str | None
    variance: str | None
    reason: str
    value: str | None


class CountSummaryOut(Schema):
    id: int
    number: str
    warehouse: Ref
    status: str
    status_label: str
    snapshot_at: Any
    note: str
    needs_approval: bool
    variance_value: str | None
    created_by: Ref | None
    submitted_by: Ref | None
    submitted_at: Any
    approved_by: Ref | None
    approved_at: Any
    decision_comment: str
    posted_at: Any
    created_at: Any
    version: int


class CountOut(CountSummaryOut):
    lines: list[CountLineOut]
    permissions: dict[str, bool]


class CountPageOut(Schema):
    count: int
    items: list[CountSummaryOut]


# ---- rendering -----------------------------------------------------------------------------------


def _user(user: Any) -> dict[str, Any] | None:
    return None if user is None else {"id": user.pk, "name": user.display_name or user.username}


def _summary(count: StockCount, *, shows_value: bool) -> dict[str, Any]:
    return {
        "id": count.pk,
        "number": count.number,
        "warehouse": {"id": count.warehouse_id, "name": count.warehouse.name},
        "status": count.status,
        "status_label": str(count.get_status_display()),
        "snapshot_at": count.snapshot_at,
        "note": count.note,
        "needs_approval": count.needs_approval,
        "variance_value": str(count.variance_value) if shows_value else None,
        "created_by": _user(count.created_by),
        "submitted_by": _user(count.submitted_by),
        "submitted_at": count.submitted_at,
        "approved_by": _user(count.approved_by),
        "approved_at": count.approved_at,
        "decision_comment": count.decision_comment,
        "posted_at": count.posted_at,
        "created_at": count.created_at,
        "version": count.version,
    }


def _detail(request: HttpRequest, count: StockCount) -> dict[str, Any]:
    user = request.user
    count = selectors.count_get_for_user(user=user, pk=count.pk)  # fresh, with its relations
    detail = selectors.count_detail(count=count, user=user)
    data = _summary(count, shows_value=detail.shows_value)
    if detail.shows_value and count.status == CountStatus.COUNTING:
        data["variance_value"] = str(detail.variance_value)
    data["lines"] = [
        {
            "product_id": row.product_id,
            "model": row.model,
            "name": row.name,
            "spec": row.spec,
            "unit": row.unit,
            "expected": str(row.expected),
            "counted": None if row.counted is None else str(row.counted),
            "variance": None if row.variance is None else str(row.variance),
            "reason": row.reason,
            "value": None if row.value is None else str(row.value),
        }
        for row in detail.rows
    ]
    data["permissions"] = {
        "enter": services.can_enter(user, count),
        "submit": services.can_submit(user, count),
        "approve": services.can_decide(user, count),
        "reject": services.can_decide(user, count),
        "cancel": services.can_cancel(user, count),
    }
    return data


def _count(request: HttpRequest, count_id: int) -> StockCount:
    if not selectors.can_see_counts(request.user):
        raise PermissionDenied(_("您没有查看盘点单的权限。"))
    return selectors.count_get_for_user(user=request.user, pk=count_id)


def _id_path() -> Any:
    return Path(..., ge=1, le=MAX_ID)


# ---- operations ----------------------------------------------------------------------------------


@router.get(
    "/stock/counts",
    response={200: CountPageOut, **ERRORS_READ},
    operation_id="stock_counts_list",
    summary="Stock counts (盘点单), newest first",
)
def stock_counts_list(request: HttpRequest, query: Query[CountListQuery]):
    if not selectors.can_see_counts(request.user):
        raise PermissionDenied(_("您没有查看盘点单的权限。"))
    filters = selectors.CountFilters(warehouse=query.warehouse, status=query.status)
    qs = selectors.count_list(user=request.user, filters=filters)
    shows_value = sees_cost(request.user)
    rows = qs[query.offset : query.offset + query.limit]
    return {"count": qs.count(), "items": [_summary(c, shows_value=shows_value) for c in rows]}


@router.post(
    "/stock/counts",
    response={201: CountOut, **ERRORS_WRITE},
    operation_id="stock_counts_create",
    summary="Open a count of a warehouse (one line per product with stock there)",
)
def stock_counts_create(request: HttpRequest, payload: CountCreateIn):
    if not services.can_count(request.user):
        raise PermissionDenied(_("只有仓库人员或管理员可以盘点。"))
    warehouse = Warehouse.objects.filter(pk=payload.warehouse_id).first()
    if warehouse is None:
        message = _("仓库不存在。")
        raise ValidationFailed(message, extra={"fields": {"warehouse_id": [message]}})
    series = None
    if payload.series_id is not None:
        series = ProductSeries.objects.filter(pk=payload.series_id).first()
        if series is None:
            message = _("产品系列不存在。")
            raise ValidationFailed(message, extra={"fields": {"series_id": [message]}})
    count = services.count_create(warehouse=warehouse, by=request.user, series=series, note=payload.note)
    return Status(201, _detail(request, count))


@router.get(
    "/stock/counts/{count_id}",
    response={200: CountOut, **ERRORS_READ},
    operation_id="stock_counts_get",
    summary="A count with its lines (value only for roles that see cost)",
)
def stock_counts_get(request: HttpRequest, count_id: int = _id_path()):
    return _detail(request, _count(request, count_id))


@router.post(
    "/stock/counts/{count_id}/entries",
    response={200: CountOut, **ERRORS_WRITE},
    operation_id="stock_counts_enter",
    summary="Enter counted quantities and variance reasons (all rows or none)",
)
def stock_counts_enter(request: HttpRequest, payload: EntriesIn, count_id: int = _id_path()):
    count = _count(request, count_id)
    by_model = {
        (normalize_model(line.product.model), line.product.spec.strip()): line.product_id
        for line in count.lines.select_related("product")
    }
    entries: dict[Any, dict[str, str]] = {}
    for index, entry in enumerate(payload.entries):
        product_id = entry.product_id
        if product_id is None:
            product_id = by_model.get((normalize_model(entry.model), entry.spec.strip()))
            if product_id is None:
                message = _("盘点单上没有型号“%(model)s”规格“%(spec)s”的产品。") % {
                    "model": entry.model,
                    "spec": entry.spec,
                }
                raise ValidationFailed(message, extra={"fields": {f"entries.{index}": [message]}})
        if product_id in entries:
            message = _("产品 %(id)s 重复出现。") % {"id": product_id}
            raise ValidationFailed(message, extra={"fields": {f"entries.{index}": [message]}})
        entries[product_id] = {"counted": entry.counted, "reason": entry.reason}
    services.count_enter(count=count, entries=entries, by=request.user, version=payload.version)
    return _detail(request, count)


@router.post(
    "/stock/counts/{count_id}/submit",
    response={200: CountOut, **ERRORS_WRITE},
    operation_id="stock_counts_submit",
    summary="Submit: posts at once below the approval threshold, else waits for approval",
)
def stock_counts_submit(request: HttpRequest, count_id: int = _id_path()):
    count = _count(request, count_id)
    services.count_submit(count=count, by=request.user)
    return _detail(request, count)


@router.post(
    "/stock/counts/{count_id}/approve",
    response={200: CountOut, **ERRORS_WRITE},
    operation_id="stock_counts_approve",
    summary="Approve a submitted count and post its variances (not your own submission)",
)
def stock_counts_approve(request: HttpRequest, payload: DecisionIn, count_id: int = _id_path()):
    count = _count(request, count_id)
    services.count_approve(count=count, by=request.user, comment=payload.comment)
    return _detail(request, count)


@router.post(
    "/stock/counts/{count_id}/reject",
    response={200: CountOut, **ERRORS_WRITE},
    operation_id="stock_counts_reject",
    summary="Send a submitted count back to counting, with the reason",
)
def stock_counts_reject(request: HttpRequest, payload: DecisionIn, count_id: int = _id_path()):
    count = _count(request, count_id)
    services.count_reject(count=count, by=request.user, comment=payload.comment)
    return _detail(request, count)


@router.post(
    "/stock/counts/{count_id}/cancel",
    response={200: CountOut, **ERRORS_WRITE},
    operation_id="stock_counts_cancel",
    summary="Void a count that is not posted (nothing is adjusted)",
)
def stock_counts_cancel(request: HttpRequest, payload: CancelIn, count_id: int = _id_path()):
    count = _count(request, count_id)
    services.count_cancel(count=count, by=request.user, reason=payload.reason)
    return _detail(request, count)
