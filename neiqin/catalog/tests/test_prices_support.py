"""Builders shared by the price tests (no tests here): products, customers in a stage, lists.

Everything goes through the services, as a user of the cast would do it.
"""

from __future__ import annotations

import itertools
from typing import Any

from neiqin.catalog import services
from neiqin.catalog.choices import PriceListKind
from neiqin.catalog.models import PriceList, Product
from neiqin.customers import services as customer_services
from neiqin.customers.models import Customer

_models = itertools.count(1)


def make_product(*, price: str = "100", floor: str | None = "80", model: str | None = None, **extra: Any) -> Product:
    fields = {
        "name": extra.pop("name", "强化复合地板"),
        "model": model or f"QH-{next(_models):04d}",
        "unit": "平方米",
        "standard_price": price,
        **extra,
    }
    if floor is not None:
        fields["floor_price"] = floor
    return services.product_create(fields=fields, by=None)


def make_customer(cast, name: str, *, owner=None, grade: str = "C", stage: str = "signed") -> Customer:
    """A customer of ``owner`` in ``stage`` (potential → intended → signed, as the desk moves it)."""
    customer = customer_services.customer_create(
        fields={"name": name, "grade": grade}, by=cast.clerk, owner=owner or cast.sales1
    )
    path = {"potential": [], "intended": ["intended"], "signed": ["intended", "signed"]}[stage]
    for step in path:
        customer = customer_services.customer_set_stage(customer=customer, stage=step, by=cast.clerk)
    return Customer.objects.get(pk=customer.pk)


def grade_list(grade: str) -> PriceList:
    return services.price_list_create(kind=PriceListKind.GRADE, grade=grade, by=None)


def customer_list(customer: Customer) -> PriceList:
    return services.price_list_create(kind=PriceListKind.CUSTOMER, customer=customer, by=None)
