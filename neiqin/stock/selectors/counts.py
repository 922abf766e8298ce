"""Stock selectors: counts (盘点).

Counts are seen by those who count (warehouse, admin) and those who approve them (finance,
management). Quantities are shown to all of them; the money value of a variance only to the
roles that see cost (``catalog.visibility.sees_cost``), so the warehouse never sees an amount.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet

from neiqin.accounts.roles import CAN_APPROVE_COUNT, CAN_COUNT_STOCK
from neiqin.accounts.scoping import has_role
from neiqin.catalog.visibility import sees_cost
from neiqin.core.errors import NotFound
from neiqin.core.money import round_amount
from neiqin.stock.choices import CountStatus
from neiqin.stock.models import StockCount, StockCountLine, StockMove

CAN_SEE_COUNTS = CAN_COUNT_STOCK | CAN_APPROVE_COUNT


def can_see_counts(user: Any) -> bool:
    return has_role(user, CAN_SEE_COUNTS)


def quantity_text(value: Decimal | None) -> str:
    """3-decimal quantities without trailing zeros: 12.500 -> "12.5", None -> ""."""
    if value is None:
        return ""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


@dataclass(frozen=True)
class CountFilters:
    warehouse: int | None = None
    status: str = ""


def count_queryset(*, user: Any) -> QuerySet[StockCount]:
    if not can_see_counts(user):
        return StockCount.objects.none()
    return StockCount.objects.all()


def count_list(*, user: Any, filters: CountFilters = CountFilters()) -> QuerySet[StockCount]:
    qs = count_queryset(user=user).select_related("warehouse", "created_by", "submitted_by", "approved_by")
    if filters.warehouse:
        qs = qs.filter(warehouse_id=filters.warehouse)
    if filters.status:
        qs = qs.filter(status=filters.status)
    return qs.annotate(
        line_count=Count("lines"),
        counted_count=Count("lines", filter=Q(lines__counted__isnull=False)),
    ).order_by("-created_at", "-id")


def count_get_for_user(*, user: Any, pk: Any) -> StockCount:
    try:
        return (
            count_queryset(user=user)
            .select_related("warehouse", "created_by", "submitted_by", "approved_by")
            .get(pk=int(pk))
        )
    except (StockCount.DoesNotExist, TypeError, ValueError, OverflowError):
        raise NotFound(_not_found()) from None


def _not_found() -> str:
    from django.utils.translation import gettext as _

    return _("盘点单不存在或您无权查看。")


@dataclass(frozen=True)
class CountRow:
    index: int
    line: StockCountLine
    product_id: int
    model: str
    name: str
    spec: str
    unit: str
    expected: Decimal
    counted: Decimal | None
    variance: Decimal | None
    reason: str
    value: Decimal | None  # signed variance × unit cost; None when hidden or unknown

    @property
    def expected_text(self) -> str:
        return quantity_text(self.expected)

    @property
    def counted_text(self) -> str:
        return quantity_text(self.counted)

    @property
    def variance_text(self) -> str:
        if self.variance is None:
            return ""
        text = quantity_text(self.variance)
        return f"+{text}" if self.variance > 0 else text


@dataclass
class CountDetail:
    count: StockCount
    rows: list[CountRow]
    shows_value: bool
    line_count: int = 0
    counted_count: int = 0
    variance_count: int = 0
    gain_count: int = 0
    loss_count: int = 0
    variance_value: Decimal | None = None  # Σ |value|, only for cost-seeing roles
    moves_since_snapshot: int = 0
    adjustment_numbers: list[str] = field(default_factory=list)


def count_detail(*, count: StockCount, user: Any) -> CountDetail:
    """The count with its lines as the user may see them."""
    shows_value = sees_cost(user)
    rows = []
    lines = count.lines.select_related("product").order_by("product__model", "product__spec", "id")
    for index, line in enumerate(lines, start=1):
        variance = line.variance
        value = None
        if shows_value and variance is not None and line.unit_cost is not None:
            value = round_amount(variance * line.unit_cost)
        product = line.product
        rows.append(
            CountRow(
                index=index,
                line=line,
                product_id=line.product_id,
                model=product.model,
                name=product.name,
                spec=product.spec,
                unit=product.unit,
                expected=line.expected,
                counted=line.counted,
                variance=variance,
                reason=line.reason,
                value=value,
            )
        )
    detail = CountDetail(count=count, rows=rows, shows_value=shows_value)
    detail.line_count = len(rows)
    detail.counted_count = sum(1 for r in rows if r.counted is not None)
    detail.variance_count = sum(1 for r in rows if r.variance)
    detail.gain_count = sum(1 for r in rows if r.variance and r.variance > 0)
    detail.loss_count = sum(1 for r in rows if r.variance and r.variance < 0)
    if shows_value:
        if count.status in (CountStatus.SUBMITTED, CountStatus.POSTED):
            detail.variance_value = count.variance_value
        else:
            detail.variance_value = round_amount(sum((abs(r.value) for r in rows if r.value is not None), Decimal(0)))
    if count.status in (CountStatus.COUNTING, CountStatus.SUBMITTED):
        detail.moves_since_snapshot = (
            StockMove.objects.filter(warehouse_id=count.warehouse_id, created_at__gt=count.snapshot_at)
            .exclude(document_type="stock_count")
            .count()
        )
    if count.status == CountStatus.POSTED:
        detail.adjustment_numbers = list(
            StockMove.objects.filter(document_type="stock_count", document_id=str(count.pk))
            .order_by()
            .values_list("document_number", flat=True)
            .distinct()
        )
    return detail
