"""A small sales world: products with floor prices, two warehouses with stock, customers."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest

from neiqin.catalog import services as catalog
from neiqin.customers import services as customers
from neiqin.stock import services as stock


@dataclass
class SalesWorld:
    cast: object
    floor: object  # standard 100, floor 80
    special: object
    cs: object
    zz: object
    acme: object  # sales1's customer, prepay
    monthly: object  # sales1's customer, monthly settlement, credit limit 10 000
    other: object  # sales2's customer


@pytest.fixture
def world(cast) -> SalesWorld:
    floor = catalog.product_create(
        fields={
            "name": "强化复合地板",
            "model": "QH-1201",
            "unit": "平方米",
            "standard_price": "100",
            "floor_price": "80",
        },
        by=cast.admin,
    )
    special = catalog.product_create(
        fields={
            "name": "定制实木地板",
            "model": "SM-D01",
            "unit": "平方米",
            "standard_price": "500",
            "is_special": True,
        },
        by=cast.admin,
    )
    cs = stock.warehouse_create(fields={"code": "CS", "name": "长沙库"}, by=cast.admin)
    zz = stock.warehouse_create(fields={"code": "ZZ", "name": "郑州库"}, by=cast.admin)
    stock.stock_receive(warehouse=cs, lines=[stock.Line(floor, "100"), stock.Line(special, "10")], by=cast.warehouse)
    stock.stock_receive(warehouse=zz, lines=[stock.Line(floor, "50")], by=cast.warehouse)
    acme = customers.customer_create(
        fields={"name": "长沙宏达装饰工程有限公司", "phone": "0731-88886666", "address": "长沙市岳麓区麓谷大道 1 号"},
        by=cast.clerk,
        owner=cast.sales1,
    )
    monthly = customers.customer_create(
        fields={
            "name": "株洲华源建材有限公司",
            "phone": "0731-22223333",
            "address": "株洲市天元区 8 号",
            "payment_mode": "monthly",
            "payment_term_days": 30,
            "credit_limit": Decimal("10000.00"),
        },
        by=cast.admin,
        owner=cast.sales1,
    )
    other = customers.customer_create(
        fields={"name": "郑州恒通建设有限公司", "phone": "0371-66668888", "address": "郑州市金水区 9 号"},
        by=cast.clerk,
        owner=cast.sales2,
    )
    return SalesWorld(cast, floor, special, cs, zz, acme, monthly, other)


def line(product, quantity, **extra):
    return {"product_id": product.pk, "quantity": str(quantity), **extra}
