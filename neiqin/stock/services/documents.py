"""Stock documents the warehouse enters by hand: receipts (入库), shipments without an order,
transfers between warehouses (调拨), adjustments (调整) and opening stock (期初). Each takes a
number from its series in the same transaction, writes its moves through the ledger and is
recorded in the audit trail."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from neiqin.accounts.roles import CAN_MOVE_STOCK
from neiqin.accounts.scoping import has_role
from neiqin.catalog.models import Product
from neiqin.core import audit, numbering
from neiqin.core.errors import PermissionDenied, ValidationFailed
from neiqin.core.quantities import parse_price, parse_quantity
from neiqin.stock.choices import MoveKind
from neiqin.stock.models import StockMove, Warehouse
from neiqin.stock.services.ledger import Document, MoveLine, post_moves

MAX_REASON = 200


@dataclass(frozen=True)
class Line:
    """A document line as entered: product, positive quantity (signed for adjustments), cost."""

    product: Product
    quantity: Any
    unit_cost: Any = None


@dataclass(frozen=True)
class Posted:
    number: str
    moves: list[StockMove]


def _require(by: Any) -> None:
    if by is not None and not has_role(by, CAN_MOVE_STOCK):
        raise PermissionDenied(_("只有仓库人员可以登记出入库。"))


def _lines(lines: Sequence[Line], *, signed: bool = False) -> list[tuple[Product, Decimal, Decimal | None]]:
    if not lines:
        raise ValidationFailed(_("请至少填写一行产品和数量。"), extra={"fields": {"lines": [_("没有明细。")]}})
    parsed = []
    for index, line in enumerate(lines, start=1):
        field = f"lines.{index}.quantity"
        # Signed lines (adjustments) check zero themselves: "must be > 0" would be wrong for them.
        quantity = parse_quantity(line.quantity, field=field, allow_negative=signed, allow_zero=signed)
        cost = None
        if line.unit_cost not in (None, ""):
            cost = parse_price(line.unit_cost, field=f"lines.{index}.unit_cost", label=_("单位成本"))
        if not line.product.is_active and not signed:
            pass  # receipts of discontinued products are allowed (returns, leftovers)
        parsed.append((line.product, quantity, cost))
    return parsed


def _reason(reason: str, *, required: bool) -> str:
    text = (reason or "").strip()
    if required and not text:
        raise ValidationFailed(_("请填写原因。"), extra={"fields": {"reason": [_("请填写原因。")]}})
    if len(text) > MAX_REASON:
        raise ValidationFailed(
            _("原因最多 %(n)s 个字。") % {"n": MAX_REASON}, extra={"fields": {"reason": [_("太长。")]}}
        )
    return text


def _post(
    *,
    series: str,
    kind: str,
    document_type: str,
    lines: list[MoveLine],
    by: Any,
    moved_on: dt.date | None,
    reason: str,
    customer: Any = None,
    counterpart: Warehouse | None = None,
    number: str | None = None,
) -> Posted:
    with transaction.atomic():
        number = number or numbering.next_number(series=series, on=moved_on)
        moves = post_moves(
            lines,
            kind=kind,
            by=by,
            document=Document(type=document_type, id=number, number=number),
            moved_on=moved_on,
            reason=reason,
            customer=customer,
            counterpart=counterpart,
        )
        first = moves[0]
        audit.record(
            action=f"stock.{document_type}.posted",
            obj=first,
            by=by,
            data={
                "number": number,
                "lines": [
                    {"warehouse": m.warehouse_id, "product": m.product_id, "quantity": str(m.quantity)} for m in moves
                ],
                "reason": reason,
            },
        )
    return Posted(number=number, moves=moves)


def stock_receive(
    *,
    warehouse: Warehouse,
    lines: Sequence[Line],
    by: Any,
    moved_on: dt.date | None = None,
    reason: str = "",
    kind: str = MoveKind.RECEIPT,
    customer: Any = None,
) -> Posted:
    """Goods into a warehouse: a receipt from purchasing/production, a customer return, or
    opening stock (``kind``)."""
    _require(by)
    if kind not in (MoveKind.RECEIPT, MoveKind.RETURN, MoveKind.OPENING):
        raise ValueError(kind)
    parsed = _lines(lines)
    move_lines = [MoveLine(product=p, warehouse=warehouse, quantity=q, unit_cost=c) for p, q, c in parsed]
    return _post(
        series="receipt",
        kind=kind,
        document_type="receipt",
        lines=move_lines,
        by=by,
        moved_on=moved_on,
        reason=_reason(reason, required=kind == MoveKind.RETURN),
        customer=customer,
    )


def stock_ship(
    *,
    warehouse: Warehouse,
    lines: Sequence[Line],
    by: Any,
    reason: str,
    moved_on: dt.date | None = None,
    customer: Any = None,
) -> Posted:
    """Goods out without a sales order (samples, replacements); needs a reason. Shipments of
    orders consume their reservations instead (``reservations.reservation_consume``)."""
    _require(by)
    parsed = _lines(lines)
    move_lines = [MoveLine(product=p, warehouse=warehouse, quantity=-q, unit_cost=c) for p, q, c in parsed]
    return _post(
        series="delivery",
        kind=MoveKind.SHIPMENT,
        document_type="shipment",
        lines=move_lines,
        by=by,
        moved_on=moved_on,
        reason=_reason(reason, required=True),
        customer=customer,
    )


def stock_transfer(
    *,
    source: Warehouse,
    target: Warehouse,
    lines: Sequence[Line],
    by: Any,
    moved_on: dt.date | None = None,
    reason: str = "",
) -> Posted:
    """Move goods from one warehouse to another: two moves per line under one number."""
    _require(by)
    if source.pk == target.pk:
        message = _("调出仓库和调入仓库不能相同。")
        raise ValidationFailed(message, extra={"fields": {"target": [message]}})
    parsed = _lines(lines)
    outs = [MoveLine(product=p, warehouse=source, quantity=-q) for p, q, _c in parsed]
    ins = [MoveLine(product=p, warehouse=target, quantity=q) for p, q, _c in parsed]
    text = _reason(reason, required=False)
    with transaction.atomic():
        number = numbering.next_number(series="transfer", on=moved_on)
        document = Document(type="transfer", id=number, number=number)
        common = {"by": by, "document": document, "moved_on": moved_on, "reason": text}
        moves = post_moves(outs, kind=MoveKind.TRANSFER_OUT, counterpart=target, **common)
        moves += post_moves(ins, kind=MoveKind.TRANSFER_IN, counterpart=source, **common)
        audit.record(
            action="stock.transfer.posted",
            obj=moves[0],
            by=by,
            data={
                "number": number,
                "from": source.pk,
                "to": target.pk,
                "lines": [{"product": p.pk, "quantity": str(q)} for p, q, _c in parsed],
            },
        )
    return Posted(number=number, moves=moves)


def stock_adjust(
    *,
    warehouse: Warehouse,
    lines: Sequence[Line],
    by: Any,
    reason: str,
    moved_on: dt.date | None = None,
    document: Document | None = None,
    check_role: bool = True,
) -> Posted:
    """Signed corrections of on-hand (damage, found goods, count variances); a reason is required.
    A decrease may take on-hand below what is reserved (the goods are simply not there) but never
    below zero unless the warehouse allows it."""
    if check_role:
        _require(by)
    parsed = _lines(lines, signed=True)
    for index, (_p, quantity, _c) in enumerate(parsed, start=1):
        if quantity == 0:
            message = _("调整数量不能为 0。")
            raise ValidationFailed(message, extra={"fields": {f"lines.{index}.quantity": [message]}})
    text = _reason(reason, required=True)
    move_lines = [MoveLine(product=p, warehouse=warehouse, quantity=q, unit_cost=c) for p, q, c in parsed]
    with transaction.atomic():
        if document is None:
            number = numbering.next_number(series="adjustment", on=moved_on)
            document = Document(type="adjustment", id=number, number=number)
        moves = post_moves(
            move_lines,
            kind=MoveKind.ADJUSTMENT,
            by=by,
            document=document,
            moved_on=moved_on,
            reason=text,
            protect_reserved=False,
        )
        audit.record(
            action="stock.adjustment.posted",
            obj=moves[0],
            by=by,
            data={
                "number": document.number,
                "reason": text,
                "lines": [{"product": m.product_id, "quantity": str(m.quantity)} for m in moves],
            },
        )
    return Posted(number=document.number, moves=moves)
