"""Shipped progress of orders (ORD-7), derived from the stock ledger, never typed.

The warehouse ships an order by consuming its reservations (``stock.reservation_consume``; the
delivery notes of the fulfilment module will call the same service). Stock does not know orders:
the order desk registers ``DocumentHooks`` for document type "order" (``SalesConfig.ready``), so
each consumption, inside its transaction, locks the order first (the order desk's lock order:
order, then stock levels) and moves the quantity from the line's reserved to its shipped
quantity. The order's ``shipped`` progress is then recomputed from its lines: none, partial, full.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from neiqin.core import audit
from neiqin.sales.choices import Progress
from neiqin.sales.models import SalesOrder
from neiqin.stock.services import DocumentHooks, register_document_hooks

ZERO = Decimal("0")


def shipped_progress(lines: list[Any]) -> str:
    """none: nothing shipped; full: every line shipped in full; partial: anything between."""
    if not lines or all(line.shipped_quantity <= 0 for line in lines):
        return Progress.NONE
    if all(line.shipped_quantity >= line.quantity for line in lines):
        return Progress.FULL
    return Progress.PARTIAL


def _order_pk(document_id: str) -> int | None:
    """Reservations of type "order" made outside the order desk (stock tests, imports) may carry
    ids that are no order's: those have no order to update."""
    return int(document_id) if str(document_id).isdigit() else None


def _lock(document_id: str) -> None:
    pk = _order_pk(document_id)
    if pk is not None:
        list(SalesOrder.objects.select_for_update(no_key=True, of=("self",)).filter(pk=pk))


def _consumed(document_id: str, line_key: str, quantity: Decimal, by: Any) -> None:
    pk = _order_pk(document_id)
    order = SalesOrder.objects.filter(pk=pk).first() if pk is not None else None
    if order is None:
        return
    lines = list(order.lines.order_by("position"))
    shipped_line = next((line for line in lines if line_key.isdigit() and line.pk == int(line_key)), None)
    if shipped_line is not None:
        shipped_line.reserved_quantity = max(shipped_line.reserved_quantity - quantity, ZERO)
        shipped_line.shipped_quantity += quantity
        shipped_line.save(update_fields=["reserved_quantity", "shipped_quantity"])
    progress = shipped_progress(lines)
    before = order.shipped
    if progress != before:
        order.shipped = progress
        order.save(update_fields=["shipped"])
    audit.record(
        action="sales.order.shipped",
        obj=order,
        by=by,
        data={
            "position": shipped_line.position if shipped_line is not None else None,
            "product": shipped_line.product_id if shipped_line is not None else None,
            "quantity": str(quantity),
            "progress": progress,
        },
        changes={"shipped": [before, progress]} if progress != before else None,
    )


def register() -> None:
    register_document_hooks("order", DocumentHooks(lock=_lock, consumed=_consumed))
