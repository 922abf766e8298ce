"""The stock ledger: every change of on-hand is a ``StockMove`` written in the same transaction
that updates the ``StockLevel`` rows (INV-2).

Concurrency: the level rows a posting touches are locked (``SELECT … FOR UPDATE``) in one fixed
order (warehouse id, product id) before anything is checked, so two postings never interleave
between "is there enough?" and "take it", and never deadlock on each other. On SQLite the
IMMEDIATE transaction already serialises writers. The CHECK constraints on ``StockLevel`` are
the last line: a bug here ends in an IntegrityError, not in negative stock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from neiqin.catalog.models import Product
from neiqin.core.errors import Conflict, ValidationFailed
from neiqin.core.money import round_quantity
from neiqin.stock.choices import SALES_OUTBOUND_KINDS
from neiqin.stock.models import StockLevel, StockMove, Warehouse

ZERO = Decimal("0")


class InsufficientStock(Conflict):
    """Not enough available stock; ``extra`` has product, warehouse, requested and available."""

    code = "insufficient_stock"


@dataclass(frozen=True)
class MoveLine:
    """One signed change of on-hand: + into the warehouse, − out of it."""

    product: Product
    warehouse: Warehouse
    quantity: Decimal
    unit_cost: Decimal | None = None


@dataclass(frozen=True)
class Document:
    """What a move belongs to: shown in the ledger and used to find the moves of a document."""

    type: str = ""
    id: str = ""
    number: str = ""


def level_key(warehouse_id: int, product_id: int) -> tuple[int, int]:
    return (warehouse_id, product_id)


def _pairs_q(keys: Iterable[tuple[int, int]]) -> Q:
    """Exactly the level rows of ``keys``: two IN lists when the keys are every warehouse ×
    every product named (an order's lines over the active warehouses), else one OR per pair."""
    keys = set(keys)
    warehouses = {w for w, _p in keys}
    products = {p for _w, p in keys}
    if len(keys) == len(warehouses) * len(products):
        return Q(warehouse_id__in=sorted(warehouses), product_id__in=sorted(products))
    cond = Q(pk__in=[])
    for warehouse_id, product_id in keys:
        cond |= Q(warehouse_id=warehouse_id, product_id=product_id)
    return cond


def ensure_levels(pairs: Iterable[tuple[Warehouse, Product]]) -> None:
    """Create missing level rows (zero on-hand); safe when two transactions race to create one."""
    unique = {level_key(w.pk, p.pk): (w, p) for w, p in pairs}
    if not unique:
        return
    existing = set(StockLevel.objects.filter(_pairs_q(unique)).values_list("warehouse_id", "product_id"))
    for key in sorted(set(unique) - existing):
        warehouse, product = unique[key]
        try:
            with transaction.atomic():
                StockLevel.objects.create(warehouse=warehouse, product=product, allow_negative=warehouse.allow_negative)
        except IntegrityError:
            pass  # created meanwhile by another transaction: fine, we lock it next


def lock_levels(pairs: Iterable[tuple[Warehouse, Product]]) -> dict[tuple[int, int], StockLevel]:
    """Lock the level rows of ``pairs`` (creating missing ones), in one fixed order
    (warehouse id, product id), with one query."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("stock levels must be locked inside a transaction")
    unique = {level_key(w.pk, p.pk): (w, p) for w, p in pairs}
    ensure_levels(unique.values())
    rows = StockLevel.objects.select_for_update().filter(_pairs_q(unique)).order_by("warehouse_id", "product_id")
    return {level_key(level.warehouse_id, level.product_id): level for level in rows}


def _check_line(line: MoveLine) -> None:
    if not line.warehouse.is_active:
        raise ValidationFailed(
            _("仓库“%(warehouse)s”已停用，不能出入库。") % {"warehouse": line.warehouse.name},
            extra={"fields": {"warehouse": [_("仓库已停用。")]}},
        )
    if line.quantity == 0:
        raise ValidationFailed(_("数量不能为 0。"), extra={"fields": {"quantity": [_("数量不能为 0。")]}})


def post_moves(
    lines: Sequence[MoveLine],
    *,
    kind: str,
    by: Any,
    document: Document = Document(),
    moved_on: dt.date | None = None,
    reason: str = "",
    customer: Any = None,
    counterpart: Warehouse | None = None,
    protect_reserved: bool = True,
    consume_reserved: dict[tuple[int, int], Decimal] | None = None,
) -> list[StockMove]:
    """Write the moves and update the levels, all or nothing.

    An outbound line needs enough *available* stock (on-hand minus what is reserved for other
    documents) unless ``protect_reserved`` is False (a count adjustment may take on-hand below
    the reserved quantity); ``consume_reserved`` maps (warehouse id, product id) to the reserved
    quantity this posting ships, which is taken off ``reserved`` too. A line that would take
    on-hand below zero is refused unless the warehouse allows negative stock.
    """
    if not lines:
        raise ValidationFailed(_("没有要登记的明细。"))
    for line in lines:
        _check_line(line)
    consume = consume_reserved or {}
    moved_on = moved_on or timezone.localdate()
    with transaction.atomic():
        levels = lock_levels((line.warehouse, line.product) for line in lines)
        moves: list[StockMove] = []
        for line in lines:
            key = level_key(line.warehouse.pk, line.product.pk)
            level = levels[key]
            taken_from_reserved = consume.pop(key, ZERO)
            _check_enough(level, line, protect_reserved=protect_reserved, from_reserved=taken_from_reserved)
            level.on_hand += line.quantity
            level.reserved -= taken_from_reserved
            if line.quantity > 0:
                level.first_inbound_on = min(filter(None, [level.first_inbound_on, moved_on]))
                level.last_inbound_on = max(filter(None, [level.last_inbound_on, moved_on]))
            elif kind in SALES_OUTBOUND_KINDS:
                level.last_outbound_on = max(filter(None, [level.last_outbound_on, moved_on]))
            moves.append(
                StockMove(
                    warehouse=line.warehouse,
                    product=line.product,
                    kind=kind,
                    quantity=line.quantity,
                    balance_after=level.on_hand,
                    unit_cost=line.unit_cost if line.unit_cost is not None else line.product.cost,
                    moved_on=moved_on,
                    document_type=document.type,
                    document_id=str(document.id or ""),
                    document_number=document.number,
                    counterpart=counterpart,
                    customer=customer,
                    reason=reason[:200],
                    created_by=by if getattr(by, "pk", None) else None,
                )
            )
        for level in levels.values():
            StockLevel.objects.filter(pk=level.pk).update(
                on_hand=level.on_hand,
                reserved=level.reserved,
                first_inbound_on=level.first_inbound_on,
                last_inbound_on=level.last_inbound_on,
                last_outbound_on=level.last_outbound_on,
                updated_at=timezone.now(),
            )
        StockMove.objects.bulk_create(moves)
    return moves


def _check_enough(level: StockLevel, line: MoveLine, *, protect_reserved: bool, from_reserved: Decimal) -> None:
    if line.quantity >= 0 or level.allow_negative:
        return
    need = -line.quantity
    if from_reserved > level.reserved:
        raise Conflict(_("占用数量不足，无法按占用出库。"), code="reservation_short")
    # What this line may take: on-hand minus what stays reserved for others. Shipping goods
    # reserved for this very document may take whatever is physically there (a count may have
    # found less than was reserved: first shipped, first served).
    if not protect_reserved or from_reserved >= need:
        free = level.on_hand
    else:
        free = level.on_hand - (level.reserved - from_reserved)
    if need > free:
        raise InsufficientStock(
            _("%(product)s 在%(warehouse)s的可用库存只有 %(available)s %(unit)s，不够 %(need)s %(unit)s。")
            % {
                "product": line.product.model,
                "warehouse": line.warehouse.name,
                "available": _fmt(max(free, ZERO)),
                "need": _fmt(need),
                "unit": line.product.unit,
            },
            extra={
                "product": line.product.pk,
                "warehouse": line.warehouse.pk,
                "requested": str(need),
                "available": str(max(free, ZERO)),
            },
        )


def _fmt(quantity: Decimal) -> str:
    """3-decimal quantities without trailing zeros for messages: 12.500 -> 12.5."""
    text = f"{quantity:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def ledger_balance(*, warehouse: Warehouse, product: Product) -> Decimal:
    """Σ moves: what on-hand must equal (used by checks and tests)."""
    from django.db.models import Sum

    total = StockMove.objects.filter(warehouse=warehouse, product=product).aggregate(s=Sum("quantity"))["s"]
    # SQLite sums NUMERIC columns in binary floating point (0.514 comes back as
    # 0.513999999999999); every stored quantity has 3 decimals, so rounding the sum to 3
    # decimals restores the exact value.
    return round_quantity(total) if total is not None else ZERO
