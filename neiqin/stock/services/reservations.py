"""Reservations (INV-3): what order confirmation, change, cancellation and shipment call.

``reserve`` takes stock for one document line in one warehouse; ``reserve_from`` tries several
warehouses in the caller's order (optionally splitting the quantity). Both check and take the
available quantity with the level row locked, so N clerks confirming orders at once allocate
exactly what is there and never more (RELIABILITY R1). A refusal raises ``InsufficientStock``
with the figures and changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from neiqin.catalog.models import Product
from neiqin.core import audit
from neiqin.core.errors import Conflict, ValidationFailed
from neiqin.core.quantities import parse_quantity
from neiqin.stock.choices import MoveKind, ReservationStatus
from neiqin.stock.models import Reservation, StockLevel, StockMove, Warehouse
from neiqin.stock.services.ledger import Document, InsufficientStock, MoveLine, lock_levels, post_moves

ZERO = Decimal("0")


@dataclass(frozen=True)
class For:
    """The document line a reservation belongs to."""

    type: str
    id: Any
    number: str = ""
    line: str = ""
    customer: Any = None


@dataclass(frozen=True)
class DocumentHooks:
    """What the module owning a kind of document (the order desk for "order") does when its
    reserved goods ship: ``lock(document_id)`` takes the document's row before any stock row
    (the lock order its own services use: document, then levels), ``consumed(document_id,
    line_key, quantity, by)`` records the shipment on the document in the same transaction."""

    lock: Callable[[str], None]
    consumed: Callable[[str, str, Decimal, Any], None]


_HOOKS: dict[str, DocumentHooks] = {}


def register_document_hooks(document_type: str, hooks: DocumentHooks) -> None:
    """Called from the owning app's ``AppConfig.ready`` (stock never imports the apps above it)."""
    _HOOKS[document_type] = hooks


def _shortage(
    product: Product, warehouse: Warehouse | None, requested: Decimal, available: Decimal
) -> InsufficientStock:
    where = warehouse.name if warehouse is not None else _("各仓库")
    return InsufficientStock(
        _("%(product)s 在%(warehouse)s的可用库存只有 %(available)s %(unit)s，不够占用 %(need)s %(unit)s。")
        % {
            "product": product.model,
            "warehouse": where,
            "available": _fmt(max(available, ZERO)),
            "need": _fmt(requested),
            "unit": product.unit,
        },
        extra={
            "product": product.pk,
            "warehouse": warehouse.pk if warehouse is not None else None,
            "requested": str(requested),
            "available": str(max(available, ZERO)),
        },
    )


def _fmt(quantity: Decimal) -> str:
    text = f"{quantity:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _take(level: StockLevel, quantity: Decimal) -> None:
    level.reserved += quantity
    StockLevel.objects.filter(pk=level.pk).update(reserved=level.reserved, updated_at=timezone.now())


def _new(
    product: Product, warehouse: Warehouse, quantity: Decimal, document: For, by: Any, *, line: str
) -> Reservation:
    """An unsaved reservation of ``quantity`` for ``document``'s ``line``."""
    return Reservation(
        product=product,
        warehouse=warehouse,
        quantity=quantity,
        original_quantity=quantity,
        document_type=document.type,
        document_id=str(document.id),
        document_number=document.number,
        line_key=line,
        customer=document.customer,
        created_by=by if getattr(by, "pk", None) else None,
    )


def _add(*, product: Product, warehouse: Warehouse, quantity: Decimal, document: For, by: Any) -> Reservation:
    existing = (
        Reservation.objects.select_for_update()
        .filter(
            document_type=document.type,
            document_id=str(document.id),
            line_key=document.line,
            warehouse=warehouse,
            product=product,
            status=ReservationStatus.ACTIVE,
        )
        .first()
    )
    if existing is not None:
        existing.quantity += quantity
        existing.original_quantity += quantity
        existing.save(update_fields=["quantity", "original_quantity", "updated_at"])
        reservation = existing
    else:
        reservation = _new(product, warehouse, quantity, document, by, line=document.line)
        reservation.save(force_insert=True)
    audit.record(
        action="stock.reservation.reserved",
        obj=reservation,
        by=by,
        data={"quantity": str(quantity), "warehouse": warehouse.pk, "product": product.pk, "document": document.number},
    )
    return reservation


def reserve(*, product: Product, warehouse: Warehouse, quantity: Any, document: For, by: Any) -> Reservation:
    """Hold ``quantity`` of ``product`` in ``warehouse`` for ``document`` or refuse."""
    amount = parse_quantity(quantity)
    with transaction.atomic():
        level = lock_levels([(warehouse, product)])[(warehouse.pk, product.pk)]
        available = level.on_hand - level.reserved
        if amount > available and not level.allow_negative:
            raise _shortage(product, warehouse, amount, available)
        _take(level, amount)
        return _add(product=product, warehouse=warehouse, quantity=amount, document=document, by=by)


def _plan(
    warehouses: Sequence[Warehouse], free: dict[int, Decimal], amount: Decimal, *, split: bool
) -> list[tuple[Warehouse, Decimal]]:
    """Where to take ``amount`` from: the first warehouse (in the caller's order) that has it all,
    or, with ``split``, as many as needed in that order; ``[]`` when it cannot be had."""
    for warehouse in warehouses:
        if free[warehouse.pk] >= amount:
            return [(warehouse, amount)]
    if not split:
        return []
    plan, left = [], amount
    for warehouse in warehouses:
        take = min(max(free[warehouse.pk], ZERO), left)
        if take > 0:
            plan.append((warehouse, take))
            left -= take
        if left == 0:
            return plan
    return []


def reserve_from(
    *,
    product: Product,
    warehouses: Sequence[Warehouse],
    quantity: Any,
    document: For,
    by: Any,
    split: bool = False,
) -> list[Reservation]:
    """Hold ``quantity`` from the first warehouse (in the given order) that has it all, or, with
    ``split``, from as many warehouses as needed in that order. All or nothing."""
    amount = parse_quantity(quantity)
    if not warehouses:
        raise ValidationFailed(_("请选择仓库。"), extra={"fields": {"warehouse": [_("请选择仓库。")]}})
    with transaction.atomic():
        levels = lock_levels((w, product) for w in warehouses)
        free = {w.pk: levels[(w.pk, product.pk)].on_hand - levels[(w.pk, product.pk)].reserved for w in warehouses}
        plan = _plan(warehouses, free, amount, split=split)
        if not plan:
            total = sum((max(v, ZERO) for v in free.values()), ZERO)
            raise _shortage(product, None if len(warehouses) > 1 else warehouses[0], amount, total)
        reservations = []
        for warehouse, take in plan:
            _take(levels[(warehouse.pk, product.pk)], take)
            reservations.append(_add(product=product, warehouse=warehouse, quantity=take, document=document, by=by))
        return reservations


@dataclass(frozen=True)
class Want:
    """One document line's demand: ``quantity`` of ``product``, from ``warehouses`` in that order."""

    product: Product
    warehouses: Sequence[Warehouse]
    quantity: Decimal
    line: str = ""


def reserve_available(*, wants: Sequence[Want], document: For, by: Any) -> list[Decimal]:
    """Hold, for each want in turn, as much as is available (split over its warehouses if need
    be) and return the quantity taken per want; the shortfall is the caller's to handle.

    Used by order confirmation: every level of the document is locked at once, in the ledger's
    one fixed order, so two documents whose lines name the same products in a different order
    cannot deadlock, and the whole document costs one lock query instead of one per line.
    """
    if not wants:
        return []
    quantities = [parse_quantity(want.quantity) for want in wants]
    if any(not want.warehouses for want in wants):
        raise ValidationFailed(_("请选择仓库。"), extra={"fields": {"warehouse": [_("请选择仓库。")]}})
    with transaction.atomic():
        levels = lock_levels((w, want.product) for want in wants for w in want.warehouses)
        held = {
            (r.line_key, r.warehouse_id, r.product_id): r
            for r in Reservation.objects.select_for_update().filter(
                document_type=document.type, document_id=str(document.id), status=ReservationStatus.ACTIVE
            )
        }
        taken: list[Decimal] = []
        touched: dict[int, StockLevel] = {}
        changed: dict[tuple[str, int, int], tuple[Reservation, Decimal]] = {}
        for want, wanted in zip(wants, quantities, strict=True):
            keys = {w.pk: (w.pk, want.product.pk) for w in want.warehouses}
            free = {pk: levels[key].on_hand - levels[key].reserved for pk, key in keys.items()}
            amount = min(wanted, sum((max(v, ZERO) for v in free.values()), ZERO))
            plan = _plan(want.warehouses, free, amount, split=True) if amount > 0 else []
            for warehouse, take in plan:
                level = levels[keys[warehouse.pk]]
                level.reserved += take
                touched[level.pk] = level
                key = (want.line, warehouse.pk, want.product.pk)
                reservation = held.get(key) or _new(want.product, warehouse, ZERO, document, by, line=want.line)
                held[key] = reservation
                reservation.quantity += take
                reservation.original_quantity += take
                changed[key] = (reservation, changed.get(key, (None, ZERO))[1] + take)
            taken.append(amount if plan else ZERO)
        if touched:
            now = timezone.now()
            for level in touched.values():
                level.updated_at = now
            StockLevel.objects.bulk_update(list(touched.values()), ["reserved", "updated_at"])
        grown = [r for r, _q in changed.values() if r.pk is not None]
        fresh = [r for r, _q in changed.values() if r.pk is None]
        if fresh:
            Reservation.objects.bulk_create(fresh)  # noqa: NQ001 (events written below)
        for reservation in grown:
            reservation.save(update_fields=["quantity", "original_quantity", "updated_at"])
        audit.record_each(
            action="stock.reservation.reserved",
            by=by,
            items=[
                (
                    r,
                    {
                        "quantity": str(q),
                        "warehouse": r.warehouse_id,
                        "product": r.product_id,
                        "document": document.number,
                    },
                )
                for r, q in changed.values()
            ],
        )
        return taken


def _locked_reservation(reservation: Reservation) -> Reservation:
    locked = Reservation.objects.select_for_update().get(pk=reservation.pk)
    if locked.status != ReservationStatus.ACTIVE:
        raise Conflict(
            _("该占用%(status)s，不能再操作。") % {"status": locked.get_status_display()}, code="reservation_closed"
        )
    return locked


def reservation_release(*, reservation: Reservation, by: Any, quantity: Any = None, reason: str = "") -> Reservation:
    """Give back all (default) or part of a reservation (order cancelled or reduced)."""
    with transaction.atomic():
        level = lock_levels([(reservation.warehouse, reservation.product)])[
            (reservation.warehouse_id, reservation.product_id)
        ]
        locked = _locked_reservation(reservation)
        amount = locked.quantity if quantity is None else parse_quantity(quantity)
        if amount > locked.quantity:
            raise ValidationFailed(
                _("释放数量 %(n)s 超过占用数量 %(held)s。") % {"n": _fmt(amount), "held": _fmt(locked.quantity)},
                extra={"fields": {"quantity": [_("超过占用数量。")]}},
            )
        level.reserved -= amount
        StockLevel.objects.filter(pk=level.pk).update(reserved=level.reserved, updated_at=timezone.now())
        locked.quantity -= amount
        if locked.quantity == 0:
            locked.status = ReservationStatus.RELEASED
        locked.save(update_fields=["quantity", "status", "updated_at"])
        audit.record(
            action="stock.reservation.released",
            obj=locked,
            by=by,
            data={"quantity": str(amount), "reason": reason[:200]},
        )
        return locked


def reservations_release_for(*, document_type: str, document_id: Any, by: Any, reason: str = "") -> int:
    """Release every active reservation of a document (order cancelled); returns how many."""
    count = 0
    with transaction.atomic():
        active = list(
            Reservation.objects.filter(
                document_type=document_type, document_id=str(document_id), status=ReservationStatus.ACTIVE
            )
            .select_related("warehouse", "product")
            .order_by("warehouse_id", "product_id", "id")
        )
        for reservation in active:
            try:
                reservation_release(reservation=reservation, by=by, reason=reason)
            except Conflict as exc:
                if exc.code != "reservation_closed":
                    raise
                continue  # released or shipped by a concurrent transaction since it was listed
            count += 1
    return count


def reservation_consume(
    *,
    reservation: Reservation,
    quantity: Any,
    by: Any,
    document: Document,
    moved_on: dt.date | None = None,
    customer: Any = None,
) -> StockMove:
    """Ship reserved goods: on-hand and reserved both go down by ``quantity`` in one move."""
    amount = parse_quantity(quantity)
    hooks = _HOOKS.get(reservation.document_type)
    with transaction.atomic():
        if hooks is not None:
            hooks.lock(reservation.document_id)
        # Level first, then the reservation: the order every other path takes (reserve, release).
        # Locking the reservation first deadlocked against a concurrent release on PostgreSQL.
        lock_levels([(reservation.warehouse, reservation.product)])
        locked = _locked_reservation(reservation)
        if amount > locked.quantity:
            raise ValidationFailed(
                _("出库数量 %(n)s 超过占用数量 %(held)s。") % {"n": _fmt(amount), "held": _fmt(locked.quantity)},
                extra={"fields": {"quantity": [_("超过占用数量。")]}},
            )
        key = (locked.warehouse_id, locked.product_id)
        (move,) = post_moves(
            [MoveLine(product=locked.product, warehouse=locked.warehouse, quantity=-amount)],
            kind=MoveKind.SHIPMENT,
            by=by,
            document=document,
            moved_on=moved_on,
            customer=customer or locked.customer,
            consume_reserved={key: amount},
        )
        locked.quantity -= amount
        if locked.quantity == 0:
            locked.status = ReservationStatus.CONSUMED
        locked.save(update_fields=["quantity", "status", "updated_at"])
        audit.record(
            action="stock.reservation.consumed",
            obj=locked,
            by=by,
            data={"quantity": str(amount), "document": document.number},
        )
        if hooks is not None:
            hooks.consumed(locked.document_id, locked.line_key, amount, by)
        return move
