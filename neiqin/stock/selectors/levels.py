"""Reading stock levels and the move ledger (INV-1, INV-2).

The level matrix is one query over products with correlated subqueries per active warehouse
(on-hand, reserved, 安全库存 of the unique level row) and for the totals, so the database sorts
and limits the products first and looks up only the page's levels: a page of 50 costs the same
whatever the size of the catalogue or the number of warehouses (sorting by a total uses one
join + GROUP BY instead). Filters on stock ("only low", "only in stock") are ``EXISTS``
subqueries on ``StockLevel``, so counting the result (``level_count``) touches no aggregate.

Everybody may see stock (``CAN_SEE_STOCK``); what differs per role is money (unit cost, values),
which the pages and the API decide with ``catalog.visibility.sees_cost``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, DecimalField, Exists, F, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from neiqin.catalog.models import Product
from neiqin.catalog.selectors import product_search_q
from neiqin.core.errors import NotFound
from neiqin.stock.choices import MoveKind, ReservationStatus
from neiqin.stock.models import Reservation, StockLevel, StockMove, Warehouse

ZERO = Decimal("0")
QUANTUM = Decimal("0.001")
QUANTITY_FIELD = DecimalField(max_digits=14, decimal_places=3)
# A level below its threshold: 安全库存 set and available (on-hand − reserved) under it.
LOW = Q(min_quantity__gt=0) & Q(min_quantity__gt=F("on_hand") - F("reserved"))

# sort key -> ordering of the level matrix (annotations "total_*" exist on every row)
LEVEL_SORTS: dict[str, tuple[str, ...]] = {
    "model": ("model", "spec", "id"),
    "-model": ("-model", "-spec", "-id"),
    "name": ("name", "id"),
    "code": ("code", "id"),
    "series": ("series__sort_order", "series__name", "model", "id"),
    "on_hand": ("total_on_hand", "model", "id"),
    "-on_hand": ("-total_on_hand", "model", "id"),
    "available": ("total_available", "model", "id"),
    "-available": ("-total_available", "model", "id"),
}


@dataclass
class LevelFilters:
    q: str = ""
    series: int | None = None
    warehouse: int | None = None
    low_only: bool = False
    in_stock_only: bool = False
    include_inactive: bool = False
    sort: str = "model"
    kind: str = ""


@dataclass
class MoveFilters:
    warehouse: int | None = None
    product: int | None = None
    kind: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    document_number: str = ""
    q: str = ""


# ---- warehouses -------------------------------------------------------------------------------------


def warehouses_active() -> QuerySet[Warehouse]:
    return Warehouse.objects.filter(is_active=True).order_by("sort_order", "code")


def warehouses_all() -> QuerySet[Warehouse]:
    return Warehouse.objects.select_related("region", "keeper").order_by("-is_active", "sort_order", "code")


def warehouse_get(*, pk: Any) -> Warehouse:
    try:
        return Warehouse.objects.select_related("region", "keeper").get(pk=int(pk))
    except (Warehouse.DoesNotExist, TypeError, ValueError):
        raise NotFound(_("仓库不存在。")) from None


def warehouse_totals() -> list[dict[str, Any]]:
    """Every warehouse with the sums of its levels (one grouped query).

    ``value`` is Σ on-hand × product cost: callers show it only to roles that see cost."""
    sums = {
        row["warehouse_id"]: row
        for row in StockLevel.objects.values("warehouse_id").annotate(
            products=Count("id", filter=~Q(on_hand=0)),
            sum_on_hand=Sum("on_hand"),
            sum_reserved=Sum("reserved"),
            low=Count("id", filter=LOW),
            value=Sum(F("on_hand") * Coalesce(F("product__cost"), Value(ZERO)), output_field=DecimalField()),
        )
    }
    rows = []
    for warehouse in warehouses_all():
        data = sums.get(warehouse.pk, {})
        on_hand = _qty(data.get("sum_on_hand"))
        reserved = _qty(data.get("sum_reserved"))
        rows.append(
            {
                "warehouse": warehouse,
                "products": data.get("products") or 0,
                "on_hand": on_hand,
                "reserved": reserved,
                "available": on_hand - reserved,
                "low": data.get("low") or 0,
                "value": Decimal(data.get("value") or 0).quantize(Decimal("0.01")),
            }
        )
    return rows


# ---- the level matrix -------------------------------------------------------------------------------


def matrix_warehouses(filters: LevelFilters) -> list[Warehouse]:
    """The warehouse columns of the matrix: all active ones, or the one filtered on."""
    warehouses = list(warehouses_active())
    if filters.warehouse:
        warehouses = [w for w in warehouses if w.pk == filters.warehouse]
    return warehouses


def _cell(field: str, warehouse_id: int) -> Coalesce:
    """One level's value: (warehouse, product) is unique, so no aggregation is needed."""
    value = StockLevel.objects.filter(product_id=OuterRef("pk"), warehouse_id=warehouse_id).values(field)[:1]
    return Coalesce(Subquery(value, output_field=QUANTITY_FIELD), Value(ZERO), output_field=QUANTITY_FIELD)


def _total(field: str, warehouse_ids: list[int]) -> Coalesce:
    value = (
        StockLevel.objects.filter(product_id=OuterRef("pk"), warehouse_id__in=warehouse_ids)
        .order_by()
        .values("product_id")
        .annotate(total=Sum(field))
        .values("total")
    )
    return Coalesce(Subquery(value, output_field=QUANTITY_FIELD), Value(ZERO), output_field=QUANTITY_FIELD)


def _joined(field: str, warehouse_ids: list[int]) -> Coalesce:
    return Coalesce(
        Sum(f"stock_levels__{field}", filter=Q(stock_levels__warehouse_id__in=warehouse_ids)),
        Value(ZERO),
        output_field=QUANTITY_FIELD,
    )


def _level_annotations(warehouses: list[Warehouse], *, sort_by_totals: bool) -> dict[str, Any]:
    """Sorted by product columns: correlated subqueries, so the database sorts and limits the
    products first and looks up the levels of the page's rows only. Sorted by a total: every
    product's total is needed anyway, and one join + GROUP BY computes them all fastest."""
    ids = [w.pk for w in warehouses] or [0]
    cell = (lambda f, w: _joined(f, [w])) if sort_by_totals else _cell
    total = _joined if sort_by_totals else _total
    annotations: dict[str, Any] = {}
    for warehouse in warehouses:
        for field in ("on_hand", "reserved", "min_quantity"):
            annotations[f"w{warehouse.pk}_{field}"] = cell(field, warehouse.pk)
    annotations["total_on_hand"] = total("on_hand", ids)
    annotations["total_reserved"] = total("reserved", ids)
    return annotations


def _level_base(filters: LevelFilters, ids: list[int]) -> QuerySet[Product]:
    """The products of the matrix, filtered, without the aggregates (what counting needs)."""
    qs = Product.objects.all()
    if filters.q:
        qs = qs.filter(product_search_q(filters.q))
    if filters.series:
        qs = qs.filter(series_id=filters.series)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if not filters.include_inactive:
        qs = qs.filter(is_active=True)
    levels = StockLevel.objects.filter(product_id=OuterRef("pk"), warehouse_id__in=ids)
    if filters.low_only:
        qs = qs.filter(Exists(levels.filter(LOW)))
    if filters.in_stock_only:
        qs = qs.filter(Exists(levels.exclude(on_hand=0)))
    return qs


def level_rows(*, filters: LevelFilters, warehouses: list[Warehouse] | None = None) -> QuerySet[Product]:
    """Products with, per active warehouse ``w``, ``w{id}_on_hand``, ``w{id}_reserved`` and
    ``w{id}_min_quantity``, and ``total_on_hand``/``total_reserved``/``total_available``.

    One query; page it with a Paginator or slicing (``level_page`` turns rows into dicts).
    ``warehouses`` saves a query when the caller already has ``matrix_warehouses(filters)``."""
    if warehouses is None:
        warehouses = matrix_warehouses(filters)
    ids = [w.pk for w in warehouses] or [0]
    qs = _level_base(filters, ids).select_related("series")
    sort = filters.sort if filters.sort in LEVEL_SORTS else "model"
    qs = qs.annotate(**_level_annotations(warehouses, sort_by_totals="total_" in LEVEL_SORTS[sort][0]))
    qs = qs.annotate(total_available=F("total_on_hand") - F("total_reserved"))
    return qs.order_by(*LEVEL_SORTS[sort])


def level_count(*, filters: LevelFilters, warehouses: list[Warehouse] | None = None) -> int:
    """How many products ``level_rows`` returns, without joining and grouping the levels."""
    if warehouses is None:
        warehouses = matrix_warehouses(filters)
    return _level_base(filters, [w.pk for w in warehouses] or [0]).count()


def _qty(value: Any) -> Decimal:
    """Aggregates come back as 10 on SQLite and 10.000 on PostgreSQL: always 3 places."""
    return Decimal(value or 0).quantize(QUANTUM)


def level_row(product: Product, warehouses: list[Warehouse]) -> dict[str, Any]:
    """One annotated product of ``level_rows`` as a dict for templates, exports and the API."""
    cells = []
    for warehouse in warehouses:
        on_hand = _qty(getattr(product, f"w{warehouse.pk}_on_hand"))
        reserved = _qty(getattr(product, f"w{warehouse.pk}_reserved"))
        minimum = _qty(getattr(product, f"w{warehouse.pk}_min_quantity"))
        available = on_hand - reserved
        cells.append(
            {
                "warehouse": warehouse,
                "on_hand": on_hand,
                "reserved": reserved,
                "available": available,
                "min_quantity": minimum,
                "low": minimum > 0 and available < minimum,
            }
        )
    total_on_hand, total_reserved = _qty(product.total_on_hand), _qty(product.total_reserved)
    return {
        "product": product,
        "cells": cells,
        "on_hand": total_on_hand,
        "reserved": total_reserved,
        "available": total_on_hand - total_reserved,
        "low": any(cell["low"] for cell in cells),
    }


def level_page(*, filters: LevelFilters, page: int = 1, per_page: int = 50) -> tuple[list[dict[str, Any]], int]:
    """One page of the matrix as dicts (see ``level_row``) and the number of matching products."""
    warehouses = matrix_warehouses(filters)
    qs = level_rows(filters=filters, warehouses=warehouses)
    total = level_count(filters=filters, warehouses=warehouses)
    start = max(page - 1, 0) * per_page
    return [level_row(p, warehouses) for p in qs[start : start + per_page]], total


# ---- one product ----------------------------------------------------------------------------------


def levels_for_product(*, product: Product) -> list[StockLevel]:
    """A level per active warehouse, in warehouse order; unsaved zero rows where none exists."""
    warehouses = list(warehouses_active())
    existing = {
        level.warehouse_id: level
        for level in StockLevel.objects.filter(product=product, warehouse__in=warehouses).select_related("warehouse")
    }
    return [existing.get(w.pk) or StockLevel(warehouse=w, product=product) for w in warehouses]


def availability(*, product: Product) -> dict[str, Any]:
    """On-hand, reserved and available per active warehouse and in total (what an order desk asks)."""
    rows = []
    totals = {"on_hand": ZERO, "reserved": ZERO, "available": ZERO}
    for level in levels_for_product(product=product):
        row = {
            "warehouse_id": level.warehouse.pk,
            "warehouse_code": level.warehouse.code,
            "warehouse_name": level.warehouse.name,
            "on_hand": level.on_hand,
            "reserved": level.reserved,
            "available": level.available,
            "min_quantity": level.min_quantity,
            "low": level.min_quantity > 0 and level.available < level.min_quantity,
        }
        rows.append(row)
        for key in totals:
            totals[key] += row[key]
    return {"product_id": product.pk, "unit": product.unit, "warehouses": rows, "total": totals}


def active_reservations(*, product: Product) -> QuerySet[Reservation]:
    return (
        Reservation.objects.filter(product=product, status=ReservationStatus.ACTIVE, warehouse__is_active=True)
        .select_related("warehouse", "customer")
        .order_by("warehouse__sort_order", "created_at", "id")
    )


def recent_moves(*, product: Product, limit: int = 10) -> list[StockMove]:
    return list(
        StockMove.objects.filter(product=product)
        .select_related("warehouse", "created_by", "counterpart")
        .order_by("-created_at", "-id")[:limit]
    )


# ---- the ledger ---------------------------------------------------------------------------------


def move_list(*, filters: MoveFilters) -> QuerySet[StockMove]:
    """Ledger rows, newest first. ``q`` searches the product (型号, name, pinyin, code)."""
    qs = StockMove.objects.select_related("warehouse", "product", "counterpart", "customer", "created_by")
    if filters.warehouse:
        qs = qs.filter(warehouse_id=filters.warehouse)
    if filters.product:
        qs = qs.filter(product_id=filters.product)
    if filters.kind:
        if filters.kind == "transfer":
            qs = qs.filter(kind__in=[MoveKind.TRANSFER_OUT, MoveKind.TRANSFER_IN])
        else:
            qs = qs.filter(kind=filters.kind)
    if filters.date_from:
        qs = qs.filter(moved_on__gte=filters.date_from)
    if filters.date_to:
        qs = qs.filter(moved_on__lte=filters.date_to)
    if filters.document_number:
        qs = qs.filter(document_number__iexact=filters.document_number.strip())
    if filters.q:
        qs = qs.filter(product__in=Product.objects.filter(product_search_q(filters.q)).values("pk"))
    return qs.order_by("-created_at", "-id")


def visible_customer_ids(*, user: Any, moves: Iterable[StockMove]) -> set[int]:
    """Customers of ``moves`` whose name the user may read in the ledger: the warehouse (who
    ships to them) and roles that see every customer read all; salespeople only their own."""
    from neiqin.accounts.roles import CAN_MOVE_STOCK
    from neiqin.accounts.scoping import has_role
    from neiqin.customers.selectors import customer_queryset

    ids = {m.customer_id for m in moves if m.customer_id}
    if not ids or has_role(user, CAN_MOVE_STOCK):
        return ids
    return set(customer_queryset(user=user).filter(pk__in=ids).values_list("pk", flat=True))
