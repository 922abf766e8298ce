"""Demo step: replenishment requests (INV-3) and safety stock (低库存).

A handful of requests in every status, each for a customer, raised by the clerk or the warehouse
at moments of the last few weeks and handled by the warehouse: open ones needed around today
(one already overdue), some in progress with an expected date, some fulfilled, some cancelled.
Safety stock is set on a few levels, some of them above what is available, so the low-stock page
and the 07:30 alert have something to show. Products and warehouses come from the catalog step;
without them the step does nothing.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

from neiqin.accounts.models import User
from neiqin.accounts.roles import Role
from neiqin.catalog.choices import ProductKind
from neiqin.catalog.models import Product
from neiqin.customers.models import Customer
from neiqin.demo.context import At, DemoContext
from neiqin.stock.models import StockLevel, Warehouse
from neiqin.stock.services import level_set_min_quantity
from neiqin.stock.services import replenishment as services

# (status, working days ago it was raised, days after that it is needed by)
PLAN: tuple[tuple[str, int, int], ...] = (
    ("open", 0, 5),
    ("open", 1, 12),
    ("open", 3, 2),
    ("open", 9, 4),  # needed 4 days after a request made 9 working days ago: overdue
    ("in_progress", 6, 14),
    ("in_progress", 12, 20),
    ("in_progress", 15, 10),
    ("fulfilled", 25, 10),
    ("fulfilled", 40, 15),
    ("cancelled", 18, 7),
    ("cancelled", 30, 10),
)
CANCEL_REASONS = ("客户取消订单", "已从郑州库调拨解决", "客户改用其他型号")
START_NOTES = ("已下采购单，供应商确认交期", "已排产", "已向厂家催货")
LOW_LEVELS = 4
SAFE_LEVELS = 6


def _user(ctx: DemoContext, username: str, role: str) -> Any:
    return ctx.users.get(username) or User.objects.filter(groups__name=role, is_active=True).order_by("pk").first()


def build(ctx: DemoContext) -> None:
    products = list(Product.objects.filter(is_active=True, kind=ProductKind.GOODS).order_by("pk")[:300])
    warehouses = list(Warehouse.objects.filter(is_active=True).order_by("sort_order", "code"))
    keeper = User.objects.filter(groups__name=Role.WAREHOUSE, is_active=True).order_by("pk").first()
    clerk = _user(ctx, "clerk", Role.CLERK)
    if not products or not warehouses or keeper is None or clerk is None:
        return
    rng = ctx.rng_for("replenishment")
    customers = list(Customer.objects.filter(owner__isnull=False).order_by("pk").values_list("pk", flat=True)[:500])
    _requests(ctx, rng, products, warehouses, customers, requesters=[clerk, keeper], handler=keeper)
    _safety_stock(ctx, rng, keeper)


def _requests(
    ctx: DemoContext,
    rng: random.Random,
    products: list[Product],
    warehouses: list[Warehouse],
    customer_ids: list[int],
    *,
    requesters: list[Any],
    handler: Any,
) -> None:
    clerk, keeper = requesters
    for index, (status, days_ago, lead) in enumerate(PLAN):
        product = rng.choice(products)
        warehouse = rng.choice(warehouses)
        # The clerk asks for customers' orders; the warehouse tops up its own stock (no customer:
        # the warehouse does not see customer files).
        from_clerk = index % 4 != 3 and bool(customer_ids)
        customer = Customer.objects.get(pk=rng.choice(customer_ids)) if from_clerk else None
        requester = clerk if from_clerk else keeper
        with ctx.clock.at(At(days_ago=days_ago, minute=rng.randrange(30, 480))) as moment:
            raised_on = moment.date()
            request = services.replenishment_request(
                product=product,
                warehouse=warehouse,
                quantity=Decimal(rng.choice((20, 30, 50, 60, 100, 120, 200))),
                needed_by=raised_on + dt.timedelta(days=lead),
                customer=customer,
                note=f"客户 {customer.name} 要货，库存不足" if customer is not None else "",
                by=requester,
            )
        ctx.stats["replenishment_requests"] += 1
        if status == "open":
            continue
        handled_at = At(days_ago=max(days_ago - 1, 0), minute=rng.randrange(30, 480))
        with ctx.clock.at(handled_at) as moment:
            if status == "cancelled":
                services.replenishment_cancel(request=request, by=handler, response=rng.choice(CANCEL_REASONS))
                continue
            request = services.replenishment_start(
                request=request,
                by=handler,
                response=rng.choice(START_NOTES),
                expected_on=moment.date() + dt.timedelta(days=lead),
            )
        if status == "fulfilled":
            with ctx.clock.at(At(days_ago=max(days_ago - lead // 2, 0), minute=rng.randrange(30, 480))):
                services.replenishment_fulfil(request=request, by=handler, response="已到货入库")


def _safety_stock(ctx: DemoContext, rng: random.Random, keeper: Any) -> None:
    """Safety stock on a few stocked levels: some set above what is available (low), the rest below."""
    levels = list(
        StockLevel.objects.filter(on_hand__gt=0, product__kind=ProductKind.GOODS)
        .select_related("product", "warehouse")
        .order_by("warehouse_id", "product_id")[:400]
    )
    if not levels:
        return
    picked = rng.sample(levels, min(len(levels), LOW_LEVELS + SAFE_LEVELS))
    for index, level in enumerate(picked):
        available = level.on_hand - level.reserved
        if index < LOW_LEVELS:
            minimum = (max(available, Decimal("0")) * Decimal("1.5")).quantize(Decimal("1")) + 10
        else:
            minimum = max((available * Decimal("0.3")).quantize(Decimal("1")), Decimal("1"))
            if minimum >= available:
                continue
        level_set_min_quantity(warehouse=level.warehouse, product=level.product, min_quantity=minimum, by=keeper)
        ctx.stats["safety_stock_levels"] += 1
