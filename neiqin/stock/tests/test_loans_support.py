"""Shared set-up for the promotional material and loan tests (no tests here).

``stage(cast)`` builds, through the services, one warehouse with a goods product (10 箱 in
stock, standard price 100) and a promotional material (100 本), a customer of sales1 and one
of sales2.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import timezone

from neiqin.catalog.services import product_create
from neiqin.customers.services import customer_create
from neiqin.stock.models import StockLevel, StockMove
from neiqin.stock.services import Line, ledger_balance, stock_receive, warehouse_create
from neiqin.stock.services import materials as services


@dataclass
class Stage:
    warehouse: Any
    goods: Any
    promo: Any
    customer1: Any  # owned by sales1 (team A)
    customer2: Any  # owned by sales2 (team B)


def stage(cast, *, goods_quantity: str = "10", promo_quantity: str = "100") -> Stage:
    warehouse = warehouse_create(fields={"code": "CS", "name": "长沙库"}, by=None)
    goods = product_create(
        fields={"name": "强化复合地板", "model": "QH-8801", "unit": "箱", "standard_price": "100"}, by=None
    )
    promo = product_create(
        fields={"name": "样品册", "model": "YP-01", "unit": "本", "kind": "promo", "standard_price": "0"}, by=None
    )
    lines = [Line(p, q) for p, q in ((goods, goods_quantity), (promo, promo_quantity)) if Decimal(q) > 0]
    if lines:
        stock_receive(warehouse=warehouse, lines=lines, by=cast.warehouse)
    customer1 = customer_create(fields={"name": "长沙涵瑞建筑装饰有限公司"}, by=cast.clerk, owner=cast.sales1)
    customer2 = customer_create(fields={"name": "郑州恒达建材有限公司"}, by=cast.clerk, owner=cast.sales2)
    return Stage(warehouse=warehouse, goods=goods, promo=promo, customer1=customer1, customer2=customer2)


def on_hand(st: Stage, product: Any = None) -> Decimal:
    product = product or st.goods
    level = StockLevel.objects.filter(warehouse=st.warehouse, product=product).first()
    return level.on_hand if level else Decimal("0")


def ledger_agrees(st: Stage, product: Any = None) -> bool:
    product = product or st.goods
    return ledger_balance(warehouse=st.warehouse, product=product) == on_hand(st, product)


def loan_moves(loan: Any) -> list[tuple[str, Decimal]]:
    moves = StockMove.objects.filter(document_type="loan", document_id=loan.number).order_by("id")
    return [(m.kind, m.quantity) for m in moves]


def request_loan(cast, st: Stage, *, by: Any = None, quantity: str = "5", customer: Any = None, due_in: int = 14):
    by = by or cast.sales1
    return services.loan_request(
        product=st.goods,
        warehouse=st.warehouse,
        quantity=quantity,
        customer=customer if customer is not None else (st.customer1 if by != cast.sales2 else st.customer2),
        purpose="客户试铺样品",
        due_on=timezone.localdate() + dt.timedelta(days=due_in),
        by=by,
    )


def lent_loan(cast, st: Stage, **kwargs: Any):
    loan = request_loan(cast, st, **kwargs)
    loan = services.loan_approve(loan=loan, by=cast.deputy)
    return services.loan_lend(loan=loan, by=cast.warehouse)
