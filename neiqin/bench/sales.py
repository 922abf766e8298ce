"""Order desk benchmark: N orders of 5 lines through the real services (``docs/benchmarks.md``,
section "Orders").

    manage.py bench orders --rows 10000     # 10 000 orders × 5 lines
    manage.py bench orders --rows 1000      # quick

Four timed phases, each over all N orders in turn: **create** (``order_create``: pricing from the
price lists, lines, audit), **check** (``order_submit``: the checks of ORD-4, number, approval
requests), **approve** (``approval_decide`` by the bench GM for the orders that need it — every
fifth order is a monthly-settlement customer's, i.e. a credit sale) and **confirm**
(``order_confirm``: approvals re-verified, stock reserved from 3 warehouses). Stock is received
first, enough for every line, so confirmation never falls short. Reported: orders/s per phase and
overall, and the median / p95 of one order's time per phase and in all.

Everything belongs to the bench's own users (``bench_…``), customers (名称 "基准客户…"), products
(``BENCH-P…``) and warehouses (``BENCH-W…``); a second run adds N more orders beside the first.
"""

from __future__ import annotations

import random
import secrets
import time
from decimal import Decimal
from typing import Any

from django.core.management.base import CommandError

from neiqin.accounts.models import User
from neiqin.accounts.roles import Role
from neiqin.accounts.services import user_create
from neiqin.customers.models import Customer

from . import stock_data
from .registry import BenchContext, BenchResult, peak_rss_mb, register, stopwatch, summary_ms

PRODUCTS = 200
CUSTOMERS = 50
LINES = 5
GM = "bench_gm"
ADMIN = "bench_admin"
CUSTOMER_PREFIX = "基准客户"


def _user(username: str, role: str) -> User:
    existing = User.objects.filter(username=username).first()
    return existing or user_create(
        username=username,
        password=secrets.token_urlsafe(16),
        display_name=username,
        role_codes=[role],
        by=None,
        check_password=False,
    )


def _customers(admin: User, sales: list[User]) -> list[Customer]:
    """50 bench customers (every fifth on monthly settlement with a large credit limit)."""
    from neiqin.customers.services import customer_create

    have = {c.name: c for c in Customer.objects.filter(name__startswith=CUSTOMER_PREFIX)}
    result = []
    for n in range(CUSTOMERS):
        name = f"{CUSTOMER_PREFIX}{n:03d}建材有限公司"
        if name in have:
            result.append(have[name])
            continue
        monthly = n % 5 == 0
        fields = {
            "name": name,
            "phone": f"0731-8{n:03d}{n:04d}",
            "address": f"长沙市岳麓区基准路 {n + 1} 号",
            "payment_mode": "monthly" if monthly else "prepay",
            "payment_term_days": 30 if monthly else 0,
            "credit_limit": Decimal("1000000000.00") if monthly else Decimal("0.00"),
        }
        result.append(customer_create(fields=fields, by=admin, owner=sales[n % len(sales)]))
    return result


def _stock(product_ids: list[int], warehouses: list[Any], orders: int, keeper: User) -> None:
    """Enough stock for every line of every order (receipts through the service)."""
    from neiqin.catalog.models import Product
    from neiqin.stock.services import Line, stock_receive

    per_level = Decimal(max(100, orders * LINES * 5 // (len(product_ids) * len(warehouses)) * 2))
    products = list(Product.objects.filter(pk__in=product_ids))
    for warehouse in warehouses:
        stock_receive(
            warehouse=warehouse, lines=[Line(p, per_level) for p in products], by=keeper, reason="基准测试入库"
        )


def _rate(count: int, seconds: float) -> float:
    return round(count / seconds, 1) if seconds else 0.0


@register("orders")
def orders_bench(ctx: BenchContext) -> BenchResult:
    """ORD-3…ORD-8: create + check + approve + confirm N orders of 5 lines through the services."""
    from neiqin.sales.choices import OrderStatus
    from neiqin.sales.models import ApprovalRequest
    from neiqin.sales.services import approvals
    from neiqin.sales.services import orders as services

    from .customers import bench_users

    count = ctx.rows
    clerk, sales = bench_users()
    admin, gm = _user(ADMIN, Role.ADMIN), _user(GM, Role.GM)
    keeper = _user("bench_warehouse", Role.WAREHOUSE)
    approvals.ensure_default_rules()
    ctx.say(f"preparing {PRODUCTS} products × 3 warehouses, {CUSTOMERS} customers …")
    warehouses = stock_data.ensure_warehouses(3)
    product_ids = stock_data.ensure_products(PRODUCTS)
    _stock(product_ids, warehouses, count, keeper)
    customers = _customers(admin, sales)
    stock_data.analyze()
    rng = random.Random(ctx.seed)
    delivery = "2099-12-31"

    ctx.say(f"create {count} orders × {LINES} lines …")
    made, create_s = [], []
    with stopwatch() as create_wall:
        for i in range(count):
            customer = customers[i % CUSTOMERS]
            lines = [{"product_id": pid, "quantity": rng.randint(1, 5)} for pid in rng.sample(product_ids, LINES)]
            begin = time.perf_counter()
            made.append(
                services.order_create(
                    customer=customer,
                    lines=lines,
                    by=clerk,
                    fields={"delivery_on": delivery, "channel": "fax", "customer_reference": f"B{ctx.seed}-{i}"},
                )
            )
            create_s.append(time.perf_counter() - begin)

    ctx.say("check (submit) …")
    submit_s = []
    with stopwatch() as submit_wall:
        for i, order in enumerate(made):
            begin = time.perf_counter()
            made[i], _checks = services.order_submit(order=order, by=clerk)
            submit_s.append(time.perf_counter() - begin)
    pending = [i for i, order in enumerate(made) if order.status == OrderStatus.PENDING_APPROVAL]

    ctx.say(f"approve {len(pending)} orders …")
    approve_s = [0.0] * count
    decided = 0
    with stopwatch() as approve_wall:
        for i in pending:
            begin = time.perf_counter()
            for approval in ApprovalRequest.objects.filter(order=made[i], status="pending"):
                approvals.approval_decide(approval=approval, by=gm, approve=True, comment="同意")
                decided += 1
            approve_s[i] = time.perf_counter() - begin

    ctx.say("confirm …")
    confirm_s = []
    short = 0
    with stopwatch() as confirm_wall:
        for order in made:
            begin = time.perf_counter()
            confirmed = services.order_confirm(order=order, by=clerk)
            confirm_s.append(time.perf_counter() - begin)
            short += int(confirmed.waiting_for_stock)
    if short:
        raise CommandError(f"{short} orders fell short of stock: the bench stock is too small")

    per_order = [create_s[i] + submit_s[i] + approve_s[i] + confirm_s[i] for i in range(count)]
    total_wall = create_wall["seconds"] + submit_wall["seconds"] + approve_wall["seconds"] + confirm_wall["seconds"]
    figures: dict[str, Any] = {"orders": count, "lines_per_order": LINES, "products": PRODUCTS, "warehouses": 3}
    figures["create"] = {**summary_ms(create_s), "orders_per_s": _rate(count, create_wall["seconds"])}
    figures["check"] = {**summary_ms(submit_s), "orders_per_s": _rate(count, submit_wall["seconds"])}
    figures["approve"] = {
        **summary_ms([approve_s[i] for i in pending] or [0.0]),
        "orders": len(pending),
        "approvals": decided,
        "orders_per_s": _rate(len(pending), approve_wall["seconds"]),
    }
    figures["confirm"] = {**summary_ms(confirm_s), "orders_per_s": _rate(count, confirm_wall["seconds"])}
    figures["overall"] = {
        **summary_ms(per_order),
        "orders_per_s": _rate(count, total_wall),
        "wall_s": round(total_wall, 1),
    }
    figures["peak_rss_mb"] = peak_rss_mb()
    table = []
    for phase in ("create", "check", "approve", "confirm", "overall"):
        stats = figures[phase]
        table.append(
            (
                f"{phase:<8} orders/s",
                f"{stats['orders_per_s']}",
                f"(median {stats['median_ms']} ms, p95 {stats['p95_ms']} ms)",
            )
        )
    table.append(("orders needing approval", str(len(pending)), f"({decided} approvals)"))
    table.append(("total wall", f"{total_wall:.1f}", "s"))
    return BenchResult("orders", count, figures, table)
