"""Dated price changes (PRD-2): who is affected, who is told, when a future price takes effect,
and what is refused (below floor, past dates, no pricing right, customers out of scope)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from huey.contrib.djhuey import HUEY

from neiqin.catalog import selectors, services
from neiqin.catalog.choices import PriceListKind
from neiqin.catalog.models import PriceChange, PriceChangeCustomer, PriceListItem, Product
from neiqin.catalog.tasks import apply_due_price_changes_daily
from neiqin.catalog.tests.test_prices_support import customer_list, grade_list, make_customer, make_product
from neiqin.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from neiqin.core.models import Event, Notification

pytestmark = pytest.mark.django_db


def today() -> dt.date:
    return timezone.localdate()


def company():
    return services.company_price_list()


def put(price_list, product, price: str, *, by=None, **options):
    return services.price_set(price_list=price_list, product=product, unit_price=price, by=by, **options)


def affected_ids(change: PriceChange) -> set[int]:
    return set(PriceChangeCustomer.objects.filter(change=change).values_list("customer_id", flat=True))


# ---- affected customers ---------------------------------------------------------------------------


def test_company_change_affects_intended_and_signed_customers_without_a_more_specific_price(cast):
    product = make_product(price="100", floor="50")
    signed = make_customer(cast, "长沙签约建材有限公司", grade="C", stage="signed")
    intended = make_customer(cast, "长沙意向建材有限公司", grade="C", stage="intended", owner=cast.sales2)
    prospect = make_customer(cast, "长沙潜在建材有限公司", grade="C", stage="potential")
    own_price = make_customer(cast, "长沙专属价建材有限公司", grade="C")
    graded = make_customer(cast, "长沙甲级建材有限公司", grade="A")
    services.price_set(
        price_list=customer_list(own_price), product=product, unit_price="95", effective_from=None, by=None
    )
    put(grade_list("A"), product, "96", by=None, effective_from=None)

    change = services.price_set(
        price_list=company(), product=product, unit_price="110", effective_from=None, by=cast.clerk, reason="原料涨价"
    )

    assert affected_ids(change) == {signed.pk, intended.pk}
    assert change.affected_count == 2
    assert (change.old_price, change.new_price, change.reason) == (Decimal("100"), Decimal("110"), "原料涨价")
    assert prospect.pk not in affected_ids(change) and own_price.pk not in affected_ids(change)
    assert graded.pk not in affected_ids(change)


def test_grade_change_affects_only_that_grade(cast):
    product = make_product(price="100", floor="50")
    a1 = make_customer(cast, "长沙甲一建材有限公司", grade="A")
    a2 = make_customer(cast, "长沙甲二建材有限公司", grade="A", stage="intended")
    make_customer(cast, "长沙乙级建材有限公司", grade="B")
    lost = make_customer(cast, "长沙甲三建材有限公司", grade="A", stage="intended")
    from neiqin.customers import services as customer_services

    customer_services.customer_set_stage(customer=lost, stage="lost", by=cast.clerk, reason="转投竞品")

    change = services.price_set(
        price_list=grade_list("A"), product=product, unit_price="92", effective_from=None, by=None
    )

    assert affected_ids(change) == {a1.pk, a2.pk}
    assert change.old_price is None  # first price on this list


def test_customer_list_change_affects_only_that_customer(cast):
    product = make_product(price="100", floor="50")
    customer = make_customer(cast, "长沙专属建材有限公司", grade="A")
    make_customer(cast, "长沙同级建材有限公司", grade="A")

    change = services.price_set(
        price_list=customer_list(customer), product=product, unit_price="90", effective_from=None, by=None
    )

    assert affected_ids(change) == {customer.pk}
    row = PriceChangeCustomer.objects.get(change=change)
    assert (row.owner, row.new_price) == (cast.sales1, Decimal("90"))


def test_owners_get_one_notification_each_with_their_count(cast):
    product = make_product(price="100", floor="50", model="TZ-100")
    for i in range(3):
        make_customer(cast, f"长沙通知{i}建材有限公司", owner=cast.sales1)
    make_customer(cast, "郑州通知建材有限公司", owner=cast.sales2)
    Notification.objects.all().delete()

    change = put(company(), product, "105", by=None, effective_from=None)

    notes = {n.user: n for n in Notification.objects.filter(object_id=str(change.pk))}
    assert set(notes) == {cast.sales1, cast.sales2}
    assert "3 个客户" in notes[cast.sales1].body and "1 个客户" in notes[cast.sales2].body
    assert "TZ-100" in notes[cast.sales1].title
    assert notes[cast.sales1].object_type == "catalog.pricechange"


def test_setting_the_same_price_again_affects_nobody(cast):
    product = make_product(price="100", floor="50")
    make_customer(cast, "长沙同价建材有限公司")
    Notification.objects.all().delete()

    change = services.price_set(
        price_list=company(), product=product, unit_price="100.00", effective_from=None, by=None
    )

    assert change.affected_count == 0 and not Notification.objects.exists()


# ---- dated changes ---------------------------------------------------------------------------------


def test_today_company_change_moves_the_standard_price_at_once_and_is_audited(cast):
    product = make_product(price="100", floor="50")

    change = services.price_set(
        price_list=company(), product=product, unit_price="108.5", effective_from=None, by=cast.clerk
    )

    fresh = Product.objects.get(pk=product.pk)
    assert change.applied is True and change.effective_from == today()
    assert fresh.standard_price == Decimal("108.5") and fresh.version == product.version + 1
    event = Event.objects.get(action="catalog.price.set", object_id=str(product.pk))
    assert event.changes == {"price": ["100.0000", "108.5000"]}


def test_apply_due_price_changes_mirrors_the_company_price_on_the_day(cast):
    product = make_product(price="100", floor="50")
    in_three_days = today() + dt.timedelta(days=3)
    change = services.price_set(
        price_list=company(), product=product, unit_price="115", effective_from=in_three_days, by=None
    )
    assert change.applied is False

    assert services.apply_due_price_changes(today=in_three_days - dt.timedelta(days=1)) == 0
    assert Product.objects.get(pk=product.pk).standard_price == Decimal("100")

    assert services.apply_due_price_changes(today=in_three_days) == 1
    assert Product.objects.get(pk=product.pk).standard_price == Decimal("115")
    assert PriceChange.objects.get(pk=change.pk).applied is True
    assert services.apply_due_price_changes(today=in_three_days) == 0  # idempotent


def test_a_future_grade_change_does_not_touch_the_standard_price(cast):
    product = make_product(price="100", floor="50")
    tomorrow = today() + dt.timedelta(days=1)
    services.price_set(price_list=grade_list("A"), product=product, unit_price="90", effective_from=tomorrow, by=None)

    assert services.apply_due_price_changes(today=tomorrow) == 1
    assert Product.objects.get(pk=product.pk).standard_price == Decimal("100")


def test_daily_job_is_scheduled_at_0010_shanghai_and_applies_due_changes(cast):
    names = {task.name.rsplit(".", 1)[-1] for task in HUEY.read_periodic(dt.datetime(2026, 3, 1, 16, 10))}  # UTC
    assert "apply_due_price_changes_daily" in names
    later = {task.name.rsplit(".", 1)[-1] for task in HUEY.read_periodic(dt.datetime(2026, 3, 1, 0, 10))}
    assert "apply_due_price_changes_daily" not in later

    product = make_product(price="100", floor="50")
    change = services.price_set(
        price_list=company(), product=product, unit_price="120", effective_from=today() + dt.timedelta(days=1), by=None
    )
    # The due change is moved to today the way the calendar would: by waiting. Here: by the
    # service's own date argument, then the job runs on the real today and finds nothing more.
    services.apply_due_price_changes(today=today() + dt.timedelta(days=1))
    assert apply_due_price_changes_daily.call_local() == 0
    assert PriceChange.objects.get(pk=change.pk).applied is True


# ---- refusals --------------------------------------------------------------------------------------


def test_below_floor_price_is_refused_with_a_clear_message_and_nothing_changes(cast):
    product = make_product(price="100", floor="80")
    make_customer(cast, "长沙底价建材有限公司")
    items_before = PriceListItem.objects.count()
    Notification.objects.all().delete()

    with pytest.raises(ValidationFailed) as refused:
        services.price_set(
            price_list=company(), product=product, unit_price="79.99", effective_from=None, by=cast.clerk
        )

    assert "低于底价" in refused.value.message and "¥80.00" in refused.value.message
    assert set(refused.value.extra["fields"]) == {"unit_price"}
    assert PriceListItem.objects.count() == items_before
    assert not PriceChange.objects.exists() and not Notification.objects.exists()
    assert Product.objects.get(pk=product.pk).standard_price == Decimal("100")


def test_past_effective_date_is_refused(cast):
    product = make_product(price="100", floor="50")

    with pytest.raises(ValidationFailed) as refused:
        services.price_set(
            price_list=company(),
            product=product,
            unit_price="110",
            effective_from=today() - dt.timedelta(days=1),
            by=cast.clerk,
        )

    assert "effective_from" in refused.value.extra["fields"]
    assert not PriceChange.objects.exists()


@pytest.mark.parametrize("bad", ["-1", "abc", "12.34567", ""])
def test_bad_prices_are_refused_on_the_price_field(cast, bad):
    product = make_product(price="100", floor=None)

    with pytest.raises(ValidationFailed) as refused:
        services.price_set(price_list=company(), product=product, unit_price=bad, effective_from=None, by=cast.clerk)

    assert set(refused.value.extra["fields"]) == {"unit_price"}
    assert not PriceChange.objects.exists()


@pytest.mark.parametrize("bad", ["-5", "x", "1.2345"])
def test_bad_quantity_breaks_are_refused(cast, bad):
    product = make_product(price="100", floor=None)

    with pytest.raises(ValidationFailed) as refused:
        services.price_set(
            price_list=company(), product=product, unit_price="90", min_quantity=bad, effective_from=None, by=cast.clerk
        )

    assert set(refused.value.extra["fields"]) == {"min_quantity"}


def test_salesperson_and_warehouse_may_not_set_prices(cast):
    product = make_product(price="100", floor=None)

    for user in (cast.sales1, cast.warehouse, cast.finance):
        with pytest.raises(PermissionDenied):
            put(company(), product, "90", by=user, effective_from=None)

    assert not PriceChange.objects.exists()


def test_manager_may_not_price_another_teams_customer(cast):
    product = make_product(price="100", floor=None)
    theirs = customer_list(make_customer(cast, "郑州他组建材有限公司", owner=cast.sales2))

    with pytest.raises(NotFound):
        put(theirs, product, "90", by=cast.manager, effective_from=None)

    change = services.price_set(
        price_list=theirs, product=product, unit_price="90", effective_from=None, by=cast.manager2
    )
    assert change.new_price == Decimal("90")


def test_price_list_create_refuses_duplicates_and_bad_input(cast):
    grade_list("A")
    customer = make_customer(cast, "长沙重复价格表建材有限公司")
    customer_list(customer)

    with pytest.raises(Conflict):
        services.price_list_create(kind=PriceListKind.GRADE, grade="A", by=cast.clerk)
    with pytest.raises(Conflict):
        services.price_list_create(kind=PriceListKind.CUSTOMER, customer=customer, by=cast.clerk)
    with pytest.raises(ValidationFailed):
        services.price_list_create(kind=PriceListKind.GRADE, grade="Z", by=cast.clerk)
    with pytest.raises(ValidationFailed):
        services.price_list_create(kind=PriceListKind.COMPANY, by=cast.clerk)
    with pytest.raises(PermissionDenied):
        services.price_list_create(kind=PriceListKind.GRADE, grade="B", by=cast.sales1)
    with pytest.raises(NotFound):
        services.price_list_create(kind=PriceListKind.CUSTOMER, customer=customer, by=cast.manager2)


def test_scoped_reads_of_lists_and_affected_customers(cast):
    product = make_product(price="100", floor=None)
    mine = make_customer(cast, "长沙业务一建材有限公司", owner=cast.sales1)
    theirs = make_customer(cast, "郑州业务二建材有限公司", owner=cast.sales2)
    mine_list, theirs_list = customer_list(mine), customer_list(theirs)
    change = put(company(), product, "105", by=None, effective_from=None)

    visible = set(selectors.price_lists_for(user=cast.sales1).values_list("pk", flat=True))
    assert mine_list.pk in visible and theirs_list.pk not in visible
    assert set(selectors.affected_customers(change=change, user=cast.sales1)) == {mine}
    assert set(selectors.affected_customers(change=change, user=cast.clerk)) == {mine, theirs}
    assert not selectors.price_lists_for(user=cast.warehouse).exists()
