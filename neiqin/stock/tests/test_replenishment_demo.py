"""The replenishment demo step: requests in every status, some overdue, and a few low levels."""

from __future__ import annotations

import random

import pytest
from django.utils import timezone

from neiqin.catalog.services import product_create
from neiqin.customers import services as customer_services
from neiqin.demo import replenishment as step
from neiqin.demo.context import SCALES, Clock, DemoContext
from neiqin.stock.choices import ReplenishmentStatus
from neiqin.stock.models import ReplenishmentRequest
from neiqin.stock.selectors.reports import low_stock
from neiqin.stock.services import Line, stock_receive, warehouse_create

pytestmark = pytest.mark.django_db


def context(cast) -> DemoContext:
    users = {name: cast.by_name(name) for name in ("clerk", "warehouse", "admin")}
    return DemoContext(seed=7, scale=SCALES["tiny"], clock=Clock(timezone.now()), rng=random.Random(7), users=users)


def test_step_does_nothing_without_catalog(cast):
    step.build(context(cast))
    assert ReplenishmentRequest.objects.count() == 0


def test_step_builds_requests_in_every_status_and_low_levels(cast):
    warehouses = [
        warehouse_create(fields={"code": code, "name": name}, by=cast.admin)
        for code, name in (("CS", "长沙库"), ("ZZ", "郑州库"))
    ]
    for index in range(12):
        product = product_create(fields={"name": f"地板{index}", "model": f"DM-{index}", "unit": "箱"}, by=cast.admin)
        stock_receive(warehouse=warehouses[index % 2], lines=[Line(product, str(10 + index))], by=cast.warehouse)
    for name in ("长沙演示建材有限公司", "郑州演示装饰有限公司"):
        customer_services.customer_create(fields={"name": name}, by=cast.clerk, owner=cast.sales1)

    step.build(context(cast))

    requests = ReplenishmentRequest.objects.all()
    assert set(requests.values_list("status", flat=True)) == set(ReplenishmentStatus.values)
    assert requests.filter(customer__isnull=False).count() >= 6
    today = timezone.localdate()
    assert requests.filter(status=ReplenishmentStatus.OPEN, needed_by__lt=today).exists()
    assert requests.filter(status=ReplenishmentStatus.OPEN, needed_by__gte=today).exists()
    assert requests.filter(status=ReplenishmentStatus.CANCELLED).exclude(response="").count() == 2
    assert low_stock().count() == step.LOW_LEVELS
