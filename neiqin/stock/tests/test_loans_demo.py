"""The demo step for promotional materials and loans: materials stocked and handed out, loans
in every status with two overdue; quiet when the catalog step made no warehouse."""

from __future__ import annotations

import random

import pytest
from django.utils import timezone

from neiqin.catalog.choices import ProductKind
from neiqin.catalog.models import Product
from neiqin.catalog.services import product_create
from neiqin.demo import materials
from neiqin.demo.context import SCALES, At, Clock, DemoContext
from neiqin.demo.customers import build_customers
from neiqin.demo.organisation import build_organisation
from neiqin.stock.choices import LoanStatus
from neiqin.stock.models import ProductLoan, PromoIssue
from neiqin.stock.selectors.materials import overdue_q, promo_stock
from neiqin.stock.services import Line, ledger_balance, stock_receive, warehouse_create

pytestmark = pytest.mark.django_db


def _context() -> DemoContext:
    ctx = DemoContext(
        seed=7, scale=SCALES["tiny"], clock=Clock(timezone.now()), rng=random.Random(7), log=lambda _line: None
    )
    build_organisation(ctx)
    build_customers(ctx)
    return ctx


def test_without_warehouses_the_step_does_nothing():
    ctx = _context()
    materials.build(ctx)
    assert not Product.objects.filter(kind=ProductKind.PROMO).exists()
    assert ProductLoan.objects.count() == 0


def test_demo_step_leaves_materials_issues_and_loans_in_every_status():
    ctx = _context()
    warehouses = [
        warehouse_create(fields={"code": c, "name": n}, by=None) for c, n in (("CS", "长沙库"), ("ZZ", "郑州库"))
    ]
    goods = [
        product_create(
            fields={"name": f"演示地板{i}", "model": f"DM-{i}", "unit": "箱", "standard_price": "120"}, by=None
        )
        for i in range(3)
    ]
    with ctx.clock.at(At(days_ago=300)):
        for warehouse in warehouses:
            stock_receive(warehouse=warehouse, lines=[Line(p, "200") for p in goods], by=ctx.users["warehouse"])

    materials.build(ctx)

    stock = promo_stock()
    assert len(stock.rows) >= 5 and all(row.total > 0 for row in stock.rows)
    assert PromoIssue.objects.count() >= 15
    assert PromoIssue.objects.filter(customer__isnull=False).exists()
    statuses = set(ProductLoan.objects.values_list("status", flat=True))
    assert statuses == set(LoanStatus.values)
    assert ProductLoan.objects.filter(overdue_q(ctx.today)).count() == 2
    assert ProductLoan.objects.filter(status=LoanStatus.CLOSED, charged_quantity__gt=0).exists()
    for warehouse in warehouses:
        for product in [*goods, *(row.product for row in stock.rows)]:
            level = product.stock_levels.filter(warehouse=warehouse).first()
            assert ledger_balance(warehouse=warehouse, product=product) == (level.on_hand if level else 0)
