"""Build the demo company: run the generator steps in order, in one transaction.

Later issues add their own steps (products and price lists, warehouses and opening stock,
opportunities, quotations, orders, shipments, invoices, payments…) to ``STEPS``: a step is a
function ``step(ctx: DemoContext) -> None`` that writes through the services of its app, draws
from ``ctx.rng_for("<step name>")`` and runs service calls at simulated moments with
``ctx.clock.at(...)``. What a later step needs from an earlier one lives on the context
(``ctx.users``, ``ctx.teams``, ``ctx.regions``, ``ctx.extra``).

The whole build is one transaction: a crash leaves an empty database (``neiqin demo`` then
simply builds again), and SQLite pays for one durable commit instead of thousands.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from neiqin.core import audit, context
from neiqin.core.models import Notification
from neiqin.core.notifications import notifications_mark_read
from neiqin.demo import catalog as demo_catalog
from neiqin.demo import materials as demo_materials
from neiqin.demo import replenishment as demo_replenishment
from neiqin.demo import sales as demo_sales
from neiqin.demo import stock_counts as demo_stock_counts
from neiqin.demo.context import SCALES, Clock, DemoContext
from neiqin.demo.customers import build_customers
from neiqin.demo.organisation import build_organisation

Step = Callable[[DemoContext], None]

STEPS: list[tuple[str, Step]] = [
    ("organisation", build_organisation),
    ("customers", build_customers),
    ("catalog", demo_catalog.build),
    ("stock_counts", demo_stock_counts.build),
    ("replenishment", demo_replenishment.build),
    ("materials", demo_materials.build),
    ("sales", demo_sales.build),
]

CATALOGUE_STEPS = {"catalog", "stock_counts", "replenishment", "materials", "sales"}


def _catalogue_exists() -> bool:
    from neiqin.catalog.models import Product

    return Product.objects.exists()


UNREAD_DAYS = 3  # notifications older than this are shown as read, as in a desk that is in use


def build_demo(*, seed: int, scale: str, log: Callable[[str], None] = print) -> DemoContext:
    anchor = timezone.now()
    ctx = DemoContext(seed=seed, scale=SCALES[scale], clock=Clock(anchor), rng=random.Random(seed), log=log)
    token = context.bind(context.RequestContext(request_id=f"demo-seed-{seed}", channel="cli"))
    try:
        with transaction.atomic():
            audit.ensure_armed()
            catalogue_there = _catalogue_exists()
            for name, step in STEPS:
                if catalogue_there and name in CATALOGUE_STEPS:
                    # A forced rebuild over an existing company: the customer steps add what is
                    # missing; the catalogue, stock and order desk are already there.
                    log(f"[demo] {name}: already there, skipped")
                    continue
                started = time.monotonic()
                log(f"[demo] {name} …")
                step(ctx)
                log(f"[demo] {name}: {time.monotonic() - started:.1f} s")
            settle_inbox(ctx)
    finally:
        context.reset(token)
    return ctx


def settle_inbox(ctx: DemoContext) -> None:
    """Old notifications of the simulated history were read long ago; recent ones stay unread."""
    cutoff = ctx.now - dt.timedelta(days=UNREAD_DAYS)
    with ctx.clock.at(cutoff):
        for user in ctx.users.values():
            old = Notification.objects.filter(user=user, read_at__isnull=True, created_at__lt=cutoff)
            ids = list(old.values_list("pk", flat=True))
            if ids:
                notifications_mark_read(user=user, ids=ids)
