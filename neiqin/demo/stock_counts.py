"""Demo step: stock counts (盘点, INV-4).

Every active warehouse was counted last quarter (a few small variances with their reasons,
posted as adjustments), and 西安库 has a count in progress today with about half of its lines
entered. Products and warehouses come from the database (the catalog step); without them the
step does nothing.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings

from neiqin.accounts.roles import CAN_COUNT_STOCK
from neiqin.accounts.scoping import has_role
from neiqin.core.errors import DomainError
from neiqin.demo.context import DemoContext
from neiqin.stock.choices import CountStatus
from neiqin.stock.models import StockCount, StockLevel, Warehouse
from neiqin.stock.services.counts import count_approve, count_create, count_enter, count_submit

IN_PROGRESS_WAREHOUSE = "西安库"
GAIN_REASONS = ("上次入库漏登记", "退货未及时入账", "调拨入库未确认")
LOSS_REASONS = ("搬运破损", "受潮报废", "发货多发未登记", "样品领用未登记")


def _last_quarter_day(today: dt.date, rng: random.Random) -> dt.datetime:
    """A working day in the last month of the previous quarter, mid-morning."""
    quarter_start = dt.date(today.year, (today.month - 1) // 3 * 3 + 1, 1)
    day = quarter_start - dt.timedelta(days=rng.randint(3, 12))
    while day.weekday() >= 5:
        day -= dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(9, rng.randint(0, 50)), tzinfo=ZoneInfo(settings.TIME_ZONE))


def _counter(ctx: DemoContext, warehouse: Warehouse) -> Any:
    if warehouse.keeper is not None and has_role(warehouse.keeper, CAN_COUNT_STOCK):
        return warehouse.keeper
    return ctx.users.get("warehouse") or ctx.users.get("admin")


def _entries(count: StockCount, rng: random.Random, *, variances: int, share: float = 1.0) -> dict[int, dict]:
    lines = list(count.lines.all())
    candidates = [line for line in lines if line.expected >= 2]
    varied = {line.pk for line in rng.sample(candidates, min(variances, len(candidates)))}
    entries: dict[int, dict] = {}
    for line in lines:
        if share < 1.0 and rng.random() > share:
            continue
        counted, reason = line.expected, ""
        if line.pk in varied:
            if rng.random() < 0.4:
                counted, reason = line.expected + 1, rng.choice(GAIN_REASONS)
            else:
                counted, reason = line.expected - 1, rng.choice(LOSS_REASONS)
        entries[line.product_id] = {"counted": str(max(counted, 0)), "reason": reason}
    return entries


def build(ctx: DemoContext) -> None:
    rng = ctx.rng_for("stock_counts")
    stocked = set(StockLevel.objects.order_by().values_list("warehouse_id", flat=True).distinct())
    warehouses = [w for w in Warehouse.objects.filter(is_active=True).select_related("keeper") if w.pk in stocked]
    approver = ctx.users.get("finance") or ctx.users.get("gm")
    if not warehouses or approver is None:
        return
    for warehouse in warehouses:
        counter = _counter(ctx, warehouse)
        if counter is None:
            return
        moment = _last_quarter_day(ctx.today, rng)
        try:
            with ctx.clock.at(moment):
                count = count_create(warehouse=warehouse, by=counter, note="季度盘点")
                count_enter(count=count, entries=_entries(count, rng, variances=rng.randint(1, 3)), by=counter)
                count = count_submit(count=count, by=counter)
            if count.status == CountStatus.SUBMITTED:
                with ctx.clock.at(moment + dt.timedelta(hours=5)):
                    count_approve(count=count, by=approver, comment="差异已核实，同意调整")
        except DomainError as exc:  # stock too thin for a variance, etc.: leave this warehouse
            ctx.log(f"[demo] stock_counts: {warehouse.name}: {exc.message}")
            continue
        ctx.stats["stock_counts"] += 1
    open_in = next((w for w in warehouses if w.name == IN_PROGRESS_WAREHOUSE), None)
    if open_in is not None:
        counter = _counter(ctx, open_in)
        with ctx.clock.at(ctx.now - dt.timedelta(hours=2)):
            count = count_create(warehouse=open_in, by=counter, note="季度盘点（进行中）")
            count_enter(count=count, entries=_entries(count, rng, variances=2, share=0.5), by=counter)
        ctx.stats["stock_counts"] += 1
