"""Stock reports (INV-5): slow-moving stock (滞销), turnover (周转) and low stock (低于安全库存).

Each report is a fixed number of aggregate queries whatever the number of rows: the ledger is
summed in the database (grouped by product, or correlated subqueries per level row), never by
looping over products in Python. Quantities only; the value column of the slow-moving report is
on-hand × cost and is left out by the pages and API for users who may not see cost.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import DecimalField, F, OuterRef, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from neiqin.catalog.models import Product
from neiqin.core.money import round_quantity
from neiqin.stock.choices import SALES_OUTBOUND_KINDS
from neiqin.stock.models import QUANTITY, StockLevel, StockMove, Warehouse

ZERO = Decimal("0")
DEFAULT_SLOW_DAYS = 365
MONEY = Decimal("0.01")
RATE = Decimal("0.01")
DAYS = Decimal("0.1")


# ---- slow-moving stock ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SlowRow:
    product: Product
    warehouse: Warehouse
    on_hand: Decimal
    last_outbound_on: dt.date | None  # last sales outbound move; None: never sold from here
    idle_since: dt.date  # the last sales outbound, or when the stock first arrived
    days_idle: int
    value: Decimal | None  # on_hand × cost; None when the product has no cost

    @property
    def level_key(self) -> tuple[int, int]:
        return (self.warehouse.pk, self.product.pk)


def _sales_moves() -> QuerySet[StockMove]:
    return StockMove.objects.filter(
        product=OuterRef("product_id"), warehouse=OuterRef("warehouse_id"), kind__in=list(SALES_OUTBOUND_KINDS)
    )


def slow_moving(
    *, days: int = DEFAULT_SLOW_DAYS, warehouse: Warehouse | None = None, today: dt.date | None = None
) -> list[SlowRow]:
    """Stock on hand with no sales outbound move (shipment, promo issue, loan) for ``days`` days.

    Stock that never left a warehouse counts from its first move there (opening stock or first
    receipt), so goods received last week are not "slow" yet. Ordered longest idle first.
    """
    today = today or timezone.localdate()
    cutoff = today - dt.timedelta(days=days)
    # Both dates are kept on the level row by the ledger (one indexed scan of the levels, no
    # ledger read): the last sales outbound move, else the first goods in.
    qs = StockLevel.objects.filter(on_hand__gt=0).annotate(
        last_sale=F("last_outbound_on"), first_move=F("first_inbound_on")
    )
    if warehouse is not None:
        qs = qs.filter(warehouse=warehouse)
    qs = qs.filter(Q(last_sale__lte=cutoff) | Q(last_sale__isnull=True, first_move__lte=cutoff))
    rows = []
    for level in qs.select_related("product", "warehouse"):
        since = level.last_sale or level.first_move
        cost = level.product.cost
        rows.append(
            SlowRow(
                product=level.product,
                warehouse=level.warehouse,
                on_hand=level.on_hand,
                last_outbound_on=level.last_sale,
                idle_since=since,
                days_idle=(today - since).days,
                value=(level.on_hand * cost).quantize(MONEY) if cost is not None else None,
            )
        )
    rows.sort(key=lambda r: (-r.days_idle, r.warehouse.sort_order, r.warehouse.code, r.product.model, r.product.pk))
    return rows


def total_value(rows: list[SlowRow]) -> Decimal:
    return sum((r.value for r in rows if r.value is not None), Decimal("0.00"))


# ---- turnover -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TurnoverRow:
    product: Product
    opening: Decimal  # on-hand at the start of date_from (Σ moves before it)
    closing: Decimal  # on-hand at the end of date_to (Σ moves up to it)
    outbound: Decimal  # sales outbound quantity in the period (positive)
    average: Decimal  # (opening + closing) / 2
    rate: Decimal | None  # outbound / average; None when the average stock is not positive
    days_of_stock: Decimal | None  # period days / rate; None when nothing went out


def _sum(condition: Q) -> Coalesce:
    field = DecimalField(**QUANTITY)
    return Coalesce(Sum("quantity", filter=condition), Value(ZERO, output_field=field), output_field=field)


def turnover(*, date_from: dt.date, date_to: dt.date, warehouse: Warehouse | None = None) -> list[TurnoverRow]:
    """Per product (all warehouses, or one): opening and closing stock from the ledger, sales
    outbound in the period, average stock, turnover rate and days of stock. One grouped query
    over the ledger plus one for the products."""
    if date_to < date_from:
        date_from, date_to = date_to, date_from
    moves = StockMove.objects.filter(moved_on__lte=date_to)
    if warehouse is not None:
        moves = moves.filter(warehouse=warehouse)
    sales = Q(kind__in=list(SALES_OUTBOUND_KINDS), moved_on__gte=date_from)
    figures = (
        moves.order_by()
        .values("product_id")
        .annotate(
            opening=_sum(Q(moved_on__lt=date_from)),
            closing=_sum(Q()),
            outbound=_sum(sales),
        )
    )
    # SQLite sums NUMERIC in floating point: round back to the stored 3 decimals.
    figures = [
        {**f, **{k: round_quantity(f[k]) for k in ("opening", "closing", "outbound")}}
        for f in figures
        if f["opening"] or f["closing"] or f["outbound"]
    ]
    products = Product.objects.in_bulk([f["product_id"] for f in figures])
    period_days = Decimal((date_to - date_from).days + 1)
    rows = []
    for f in figures:
        outbound = -f["outbound"]
        average = (f["opening"] + f["closing"]) / 2
        rate = (outbound / average).quantize(RATE) if average > 0 else None
        days = (average * period_days / outbound).quantize(DAYS) if outbound > 0 and average > 0 else None
        rows.append(
            TurnoverRow(
                product=products[f["product_id"]],
                opening=f["opening"],
                closing=f["closing"],
                outbound=outbound,
                average=average.quantize(Decimal("0.001")),
                rate=rate,
                days_of_stock=days,
            )
        )
    rows.sort(key=lambda r: (r.rate is None, -(r.rate or ZERO), r.product.model, r.product.pk))
    return rows


# ---- low stock ----------------------------------------------------------------------------------------------


def low_stock(*, warehouse: Warehouse | None = None) -> QuerySet[StockLevel]:
    """Levels with a safety stock set whose available quantity (on-hand − reserved) is below it;
    ``shortage`` = safety stock − available."""
    qs = (
        StockLevel.objects.filter(min_quantity__gt=0)
        .annotate(available_now=StockLevel.available_expression())
        .filter(available_now__lt=F("min_quantity"))
        .annotate(shortage=F("min_quantity") - F("available_now"))
        .select_related("product", "warehouse")
        .order_by("warehouse__sort_order", "warehouse__code", "product__model", "product_id")
    )
    if warehouse is not None:
        qs = qs.filter(warehouse=warehouse)
    return qs


def warehouses_for_filter() -> QuerySet[Warehouse]:
    return Warehouse.objects.filter(is_active=True).order_by("sort_order", "code")
