"""Price resolution (PRD-2): customer list > grade list > company list > standard price; dated
items (a future price is not used before its day, history kept); quantity breaks; inactive
lists ignored."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from neiqin.catalog import selectors, services
from neiqin.catalog.choices import PriceSource
from neiqin.catalog.models import PriceListItem, Product
from neiqin.catalog.tests.test_prices_support import customer_list, grade_list, make_customer, make_product

pytestmark = pytest.mark.django_db


def today() -> dt.date:
    return timezone.localdate()


def company():
    return services.company_price_list()


def test_precedence_customer_over_grade_over_company_over_standard(cast):
    product = make_product(price="100", floor="50")
    customer = make_customer(cast, "长沙优先级建材有限公司", grade="A")
    other_a = make_customer(cast, "株洲同级建材有限公司", grade="A")
    other_b = make_customer(cast, "湘潭乙级建材有限公司", grade="B")
    services.price_set(price_list=grade_list("A"), product=product, unit_price="90", effective_from=None, by=None)
    services.price_set(
        price_list=customer_list(customer), product=product, unit_price="85", effective_from=None, by=None
    )

    own = selectors.resolve_price(product=product, customer=customer)
    same_grade = selectors.resolve_price(product=product, customer=other_a)
    other_grade = selectors.resolve_price(product=product, customer=other_b)
    nobody = selectors.resolve_price(product=product)

    assert (own.unit_price, own.source, own.source_label) == (Decimal("85"), PriceSource.CUSTOMER, "客户专属价")
    assert (same_grade.unit_price, same_grade.source) == (Decimal("90"), PriceSource.GRADE)
    assert (other_grade.unit_price, other_grade.source, other_grade.source_label) == (
        Decimal("100"),
        PriceSource.COMPANY,
        "公司统一价",
    )
    assert nobody.price_list_name == company().name and nobody.effective_from == today()


def test_standard_price_when_no_list_has_the_product(cast):
    product = make_product(price="100", floor=None)
    PriceListItem.objects.filter(product=product).delete()  # a product that predates the price lists

    resolved = selectors.resolve_price(product=product)

    assert (resolved.unit_price, resolved.source, resolved.source_label) == (
        Decimal("100"),
        PriceSource.STANDARD,
        "产品标准价",
    )
    assert resolved.price_list_id is None and resolved.below_floor() is False


def test_future_price_is_not_used_before_its_day_and_history_is_kept(cast):
    product = make_product(price="100", floor="50")
    next_week = today() + dt.timedelta(days=7)
    services.price_set(price_list=company(), product=product, unit_price="120", effective_from=next_week, by=None)

    now = selectors.resolve_price(product=product)
    later = selectors.resolve_price(product=product, on=next_week)
    before = selectors.resolve_price(product=product, on=next_week - dt.timedelta(days=1))

    assert now.unit_price == Decimal("100") and before.unit_price == Decimal("100")
    assert later.unit_price == Decimal("120") and later.effective_from == next_week
    assert list(
        PriceListItem.objects.filter(product=product).order_by("effective_from").values_list("unit_price", flat=True)
    ) == [Decimal("100"), Decimal("120")]
    assert Product.objects.get(pk=product.pk).standard_price == Decimal("100")  # not yet in force


def test_quantity_breaks_apply_from_their_minimum(cast):
    product = make_product(price="100", floor="50")
    services.price_set(
        price_list=company(), product=product, unit_price="92", min_quantity="100", effective_from=None, by=None
    )
    services.price_set(
        price_list=company(), product=product, unit_price="88", min_quantity="500", effective_from=None, by=None
    )

    prices = {
        q: selectors.resolve_price(product=product, quantity=Decimal(q)).unit_price
        for q in ("1", "99.999", "100", "499", "500")
    }
    break_item = selectors.resolve_price(product=product, quantity=Decimal("600"))

    assert prices == {
        "1": Decimal("100"),
        "99.999": Decimal("100"),
        "100": Decimal("92"),
        "499": Decimal("92"),
        "500": Decimal("88"),
    }
    assert break_item.min_quantity == Decimal("500")


def test_a_customer_break_the_quantity_does_not_reach_falls_back_to_the_next_list(cast):
    product = make_product(price="100", floor="50")
    customer = make_customer(cast, "长沙批量建材有限公司", grade="A")
    services.price_set(
        price_list=customer_list(customer),
        product=product,
        unit_price="80",
        min_quantity="1000",
        effective_from=None,
        by=None,
    )

    small = selectors.resolve_price(product=product, customer=customer, quantity=Decimal("10"))
    large = selectors.resolve_price(product=product, customer=customer, quantity=Decimal("1000"))

    assert (small.unit_price, small.source) == (Decimal("100"), PriceSource.COMPANY)
    assert (large.unit_price, large.source) == (Decimal("80"), PriceSource.CUSTOMER)


def test_inactive_lists_are_ignored(cast):
    product = make_product(price="100", floor="50")
    customer = make_customer(cast, "长沙停用价格表建材有限公司", grade="B")
    own = customer_list(customer)
    graded = grade_list("B")
    services.price_set(price_list=own, product=product, unit_price="85", effective_from=None, by=None)
    services.price_set(price_list=graded, product=product, unit_price="90", effective_from=None, by=None)
    # No service switches a list off yet (PRD-2 has no such screen); the flag is set directly.
    own.is_active = False
    own.save(update_fields=["is_active"])

    assert selectors.resolve_price(product=product, customer=customer).unit_price == Decimal("90")

    graded.is_active = False
    graded.save(update_fields=["is_active"])

    resolved = selectors.resolve_price(product=product, customer=customer)
    assert (resolved.unit_price, resolved.source) == (Decimal("100"), PriceSource.COMPANY)


def test_resolve_prices_answers_many_products_in_few_queries(cast, django_assert_max_num_queries):
    products = [make_product(price=str(100 + i), floor="50") for i in range(5)]
    customer = make_customer(cast, "长沙批量查价建材有限公司", grade="A")
    services.price_set(price_list=grade_list("A"), product=products[0], unit_price="90", effective_from=None, by=None)

    with django_assert_max_num_queries(2):
        resolved = selectors.resolve_prices(products=products, customer=customer)

    assert [resolved[p.pk].unit_price for p in products] == [Decimal("90"), *[Decimal(101 + i) for i in range(4)]]


def test_below_floor_compares_a_typed_price(cast):
    product = make_product(price="100", floor="80")

    resolved = selectors.resolve_price(product=product)

    assert resolved.below_floor() is False
    assert resolved.below_floor(Decimal("79.99")) is True
    assert resolved.below_floor(Decimal("80")) is False
