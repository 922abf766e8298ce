"""A customer's credit exposure (ORD-4, R5): open orders now; receivables join when the finance
module registers its source here (``register_receivable_source``). Until invoices exist in the
system there is nothing overdue and nothing receivable, and the functions say so truthfully."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Sum

from neiqin.core.money import round_amount
from neiqin.sales.choices import OPEN_ORDER_STATUSES

ZERO = Decimal("0.00")

# Each source answers (customer) -> (open receivable, overdue receivable).
_RECEIVABLE_SOURCES: list[Callable[[Any], tuple[Decimal, Decimal]]] = []


def register_receivable_source(source: Callable[[Any], tuple[Decimal, Decimal]]) -> None:
    _RECEIVABLE_SOURCES.append(source)


@dataclass(frozen=True)
class Exposure:
    limit: Decimal
    open_orders: Decimal
    receivable: Decimal
    overdue: Decimal

    @property
    def used(self) -> Decimal:
        return self.open_orders + self.receivable

    @property
    def available(self) -> Decimal:
        return self.limit - self.used


def exposure(customer: Any, *, excluding_order_id: int | None = None) -> Exposure:
    from neiqin.sales.models import SalesOrder

    orders = SalesOrder.objects.filter(customer_id=customer.pk, status__in=OPEN_ORDER_STATUSES)
    if excluding_order_id is not None:
        orders = orders.exclude(pk=excluding_order_id)
    total = orders.aggregate(s=Sum("total"))["s"]
    open_orders = round_amount(total) if total is not None else ZERO  # exact again after SQLite's float sum
    receivable = overdue = ZERO
    for source in _RECEIVABLE_SOURCES:
        open_amount, overdue_amount = source(customer)
        receivable += open_amount
        overdue += overdue_amount
    return Exposure(limit=customer.credit_limit, open_orders=open_orders, receivable=receivable, overdue=overdue)
