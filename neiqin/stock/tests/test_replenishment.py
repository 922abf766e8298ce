"""Replenishment requests (INV-3): raising, merging the same need, the shortage hook that order
confirmation calls, the lifecycle with its refusals, audit and notifications."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from neiqin.catalog.services import product_create
from neiqin.core.errors import Conflict, InvalidTransition, PermissionDenied, ValidationFailed
from neiqin.core.models import Event, Notification
from neiqin.customers import services as customer_services
from neiqin.stock.choices import ReplenishmentStatus
from neiqin.stock.models import ReplenishmentRequest
from neiqin.stock.services import For, InsufficientStock, Line, reserve, stock_receive, warehouse_create
from neiqin.stock.services.replenishment import (
    can_cancel,
    can_fulfil,
    can_start,
    replenishment_cancel,
    replenishment_for_shortage,
    replenishment_fulfil,
    replenishment_request,
    replenishment_start,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def wh(cast):
    return warehouse_create(fields={"code": "CS", "name": "长沙库", "keeper": cast.warehouse}, by=cast.admin)


@pytest.fixture
def product(cast):
    return product_create(fields={"name": "强化复合地板", "model": "HR-1208", "unit": "箱"}, by=cast.admin)


@pytest.fixture
def customer(cast):
    return customer_services.customer_create(fields={"name": "长沙涵瑞建材有限公司"}, by=cast.clerk, owner=cast.sales1)


def today() -> dt.date:
    return timezone.localdate()


def ask(cast, product, wh, quantity="10", **kwargs) -> ReplenishmentRequest:
    return replenishment_request(
        product=product, warehouse=wh, quantity=quantity, by=kwargs.pop("by", cast.clerk), **kwargs
    )


# ---- raising ------------------------------------------------------------------------------------------------


def test_request_gets_a_number_is_audited_and_tells_the_warehouse(cast, wh, product, customer):
    """Given a clerk, when they ask for 120 boxes for a customer, then an open request numbered in
    the replenishment series exists, the audit trail has it, and the warehouse user is told."""
    request = ask(cast, product, wh, "120", needed_by=today() + dt.timedelta(days=7), customer=customer, note="急")

    request.refresh_from_db()
    assert request.number.startswith("BH")
    assert request.status == ReplenishmentStatus.OPEN
    assert request.quantity == Decimal("120.000")
    assert request.requested_by == cast.clerk and request.customer == customer and request.note == "急"
    event = Event.objects.get(action="stock.replenishment.requested", object_id=str(request.pk))
    assert event.actor == cast.clerk and event.changes["quantity"] == [None, "120.000"]
    told = Notification.objects.filter(object_type="stock.replenishmentrequest", object_id=str(request.pk))
    assert set(told.values_list("user__username", flat=True)) == {"warehouse"}
    assert "HR-1208" in told.get().body and "120" in told.get().body


def test_same_open_need_is_merged_not_duplicated(cast, wh, product):
    """Asking twice for the same product, warehouse and demand raises the open request's quantity
    and brings its date forward; a different demand gets its own request."""
    first = ask(cast, product, wh, "10", demand_type="order", demand_id="7", demand_number="XS2026-0007")
    again = ask(
        cast,
        product,
        wh,
        "5.5",
        demand_type="order",
        demand_id="7",
        demand_number="XS2026-0007",
        needed_by=today() + dt.timedelta(days=3),
        by=cast.warehouse,
    )
    other = ask(cast, product, wh, "4", demand_type="order", demand_id="8", demand_number="XS2026-0008")

    assert again.pk == first.pk
    first.refresh_from_db()
    assert first.quantity == Decimal("15.500") and first.needed_by == today() + dt.timedelta(days=3)
    assert first.version == 2
    assert other.pk != first.pk
    assert ReplenishmentRequest.objects.count() == 2
    event = Event.objects.get(action="stock.replenishment.increased")
    assert event.changes["quantity"] == ["10.000", "15.500"]


def test_in_progress_request_is_not_merged_into(cast, wh, product):
    """Purchasing already ordered the first quantity: a new ask opens a new request."""
    first = ask(cast, product, wh, "10")
    replenishment_start(request=first, by=cast.warehouse)

    second = ask(cast, product, wh, "3")

    assert second.pk != first.pk and second.status == ReplenishmentStatus.OPEN
    first.refresh_from_db()
    assert first.quantity == Decimal("10.000")


@pytest.mark.parametrize(
    ("quantity", "field"),
    [("0", "quantity"), ("-3", "quantity"), ("abc", "quantity"), ("1.2345", "quantity"), ("", "quantity")],
)
def test_bad_quantity_is_refused_and_nothing_is_written(cast, wh, product, quantity, field):
    with pytest.raises(ValidationFailed) as caught:
        ask(cast, product, wh, quantity)
    assert field in caught.value.extra["fields"]
    assert ReplenishmentRequest.objects.count() == 0
    assert not Notification.objects.exists()


def test_needed_by_in_the_past_is_refused(cast, wh, product):
    with pytest.raises(ValidationFailed) as caught:
        ask(cast, product, wh, needed_by=today() - dt.timedelta(days=1))
    assert caught.value.extra["fields"]["needed_by"] == ["需求日期不能早于今天。"]
    assert ReplenishmentRequest.objects.count() == 0


def test_unknown_product_or_warehouse_or_inactive_warehouse_is_refused(cast, wh, product):
    with pytest.raises(ValidationFailed) as no_product:
        ask(cast, None, wh)
    with pytest.raises(ValidationFailed) as no_warehouse:
        ask(cast, product, None)
    closed = warehouse_create(fields={"code": "XA", "name": "西安库", "is_active": False}, by=cast.admin)
    with pytest.raises(ValidationFailed) as inactive:
        ask(cast, product, closed)
    assert "product" in no_product.value.extra["fields"]
    assert "warehouse" in no_warehouse.value.extra["fields"]
    assert "已停用" in str(inactive.value.message)
    assert ReplenishmentRequest.objects.count() == 0


def test_customer_outside_the_requesters_scope_is_refused(cast, wh, product):
    """A manager of team B cannot attach a customer of team A."""
    theirs = customer_services.customer_create(fields={"name": "甲方公司"}, by=cast.clerk, owner=cast.sales1)
    with pytest.raises(ValidationFailed) as caught:
        ask(cast, product, wh, customer=theirs, by=cast.manager2)
    assert "customer" in caught.value.extra["fields"]
    assert ReplenishmentRequest.objects.count() == 0


def test_roles_without_the_right_cannot_ask(cast, wh, product):
    for user in (cast.sales1, cast.finance, cast.gm):
        with pytest.raises(PermissionDenied):
            ask(cast, product, wh, by=user)
    assert ReplenishmentRequest.objects.count() == 0


def test_system_may_ask_and_promo_products_are_allowed(cast, wh):
    promo = product_create(fields={"name": "展架", "model": "ZJ-01", "unit": "个", "kind": "promo"}, by=cast.admin)
    request = replenishment_request(product=promo, warehouse=wh, quantity="3", by=None)
    assert request.requested_by is None and request.status == ReplenishmentStatus.OPEN


# ---- the shortage hook -------------------------------------------------------------------------------------------


def shortage(cast, product, wh, customer, amount, needed_by=None, by=None):
    return replenishment_for_shortage(
        product=product,
        warehouse=wh,
        shortage=amount,
        needed_by=needed_by,
        demand_type="order",
        demand_id="41",
        demand_number="XS2026-0041",
        customer=customer,
        by=by or cast.sales1,
    )


def test_shortage_after_a_failed_reservation_raises_a_request(cast, wh, product, customer):
    """What order confirmation does: reserve fails with the figures, the missing part becomes a
    request for the order's customer, raised on the confirming user's behalf (no replenishment role)."""
    stock_receive(warehouse=wh, lines=[Line(product, "4")], by=cast.warehouse)
    with pytest.raises(InsufficientStock) as refused:
        reserve(product=product, warehouse=wh, quantity="10", document=For("order", 41, "XS2026-0041"), by=cast.sales1)
    missing = Decimal(refused.value.extra["requested"]) - Decimal(refused.value.extra["available"])

    request = shortage(cast, product, wh, customer, missing, needed_by=today() + dt.timedelta(days=10))

    assert request.quantity == Decimal("6.000")
    assert (request.demand_type, request.demand_id, request.demand_number) == ("order", "41", "XS2026-0041")
    assert request.customer == customer and request.requested_by == cast.sales1
    assert "XS2026-0041" in request.note


def test_shortage_hook_tops_up_to_the_shortage_and_is_idempotent(cast, wh, product, customer):
    first = shortage(cast, product, wh, customer, "6")
    same = shortage(cast, product, wh, customer, "6")
    bigger = shortage(cast, product, wh, customer, "9")
    smaller = shortage(cast, product, wh, customer, "2")

    assert first.pk == same.pk == bigger.pk == smaller.pk
    first.refresh_from_db()
    assert first.quantity == Decimal("9.000")
    assert ReplenishmentRequest.objects.count() == 1
    assert Event.objects.filter(action="stock.replenishment.topped_up").count() == 1


def test_shortage_hook_keeps_a_past_needed_by_and_needs_a_source(cast, wh, product, customer):
    late = shortage(cast, product, wh, customer, "2", needed_by=today() - dt.timedelta(days=2))
    assert late.needed_by == today() - dt.timedelta(days=2)
    with pytest.raises(ValidationFailed):
        replenishment_for_shortage(
            product=product,
            warehouse=wh,
            shortage="1",
            needed_by=None,
            demand_type="",
            demand_id="",
            demand_number="",
            customer=None,
            by=cast.clerk,
        )
    with pytest.raises(ValidationFailed):
        shortage(cast, product, wh, customer, "-1")
    assert ReplenishmentRequest.objects.count() == 1


# ---- lifecycle -------------------------------------------------------------------------------------------------------


def test_lifecycle_start_then_fulfil_notifies_the_requester_each_time(cast, wh, product):
    request = ask(cast, product, wh, "10")
    expected = today() + dt.timedelta(days=5)

    started = replenishment_start(request=request, by=cast.warehouse, response="已下采购单", expected_on=expected)
    done = replenishment_fulfil(request=started, by=cast.warehouse, response="已入库")

    assert started.status == ReplenishmentStatus.IN_PROGRESS and started.expected_on == expected
    assert done.status == ReplenishmentStatus.FULFILLED and done.closed_at is not None
    assert done.handled_by == cast.warehouse and done.response == "已入库" and done.version == 3
    titles = list(
        Notification.objects.filter(user=cast.clerk, object_id=str(request.pk))
        .order_by("id")
        .values_list("title", flat=True)
    )
    assert titles == [f"补货申请 {request.number}：采购/生产中", f"补货申请 {request.number}：已到货"]
    actions = list(
        Event.objects.filter(object_type="stock.replenishmentrequest", object_id=str(request.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == [
        "stock.replenishment.requested",
        "stock.replenishment.in_progress",
        "stock.replenishment.fulfilled",
    ]


def test_invalid_transitions_are_refused_with_a_clear_message(cast, wh, product):
    request = ask(cast, product, wh)
    replenishment_cancel(request=request, by=cast.clerk, response="订单取消")

    with pytest.raises(InvalidTransition) as again:
        replenishment_cancel(request=request, by=cast.warehouse, response="再取消")
    with pytest.raises(InvalidTransition) as revive:
        replenishment_start(request=request, by=cast.warehouse)
    with pytest.raises(InvalidTransition) as fulfil:
        replenishment_fulfil(request=request, by=cast.warehouse)

    assert str(again.value.message) == "已经是“已取消”状态，无需重复操作。"
    assert str(revive.value.message) == "不能从“已取消”变为“采购/生产中”。"
    assert str(fulfil.value.message) == "不能从“已取消”变为“已到货”。"
    request.refresh_from_db()
    assert request.status == ReplenishmentStatus.CANCELLED and request.response == "订单取消"


def test_start_twice_is_refused(cast, wh, product):
    request = ask(cast, product, wh)
    replenishment_start(request=request, by=cast.warehouse)
    with pytest.raises(InvalidTransition) as caught:
        replenishment_start(request=request, by=cast.warehouse)
    assert "无需重复操作" in str(caught.value.message)


def test_cancel_needs_a_reason_and_expected_on_cannot_be_past(cast, wh, product):
    request = ask(cast, product, wh)
    with pytest.raises(ValidationFailed) as no_reason:
        replenishment_cancel(request=request, by=cast.warehouse, response="  ")
    with pytest.raises(ValidationFailed) as past:
        replenishment_start(request=request, by=cast.warehouse, expected_on=today() - dt.timedelta(days=1))
    assert no_reason.value.extra["fields"]["response"] == ["请填写取消原因。"]
    assert "expected_on" in past.value.extra["fields"]
    request.refresh_from_db()
    assert request.status == ReplenishmentStatus.OPEN and request.version == 1


def test_who_may_handle_and_who_may_cancel(cast, wh, product):
    """Handlers (warehouse, clerk, admin) move requests on; a sales manager may withdraw their own
    request but not someone else's; a salesperson may do nothing."""
    own = ask(cast, product, wh, by=cast.manager, demand_type="x", demand_id="1")
    clerks = ask(cast, product, wh, by=cast.clerk, demand_type="x", demand_id="2")

    assert can_start(cast.warehouse, own) and can_fulfil(cast.clerk, own) and not can_start(cast.manager, own)
    assert can_cancel(cast.manager, own) and not can_cancel(cast.manager, clerks)
    assert not can_cancel(cast.sales1, own)
    with pytest.raises(PermissionDenied):
        replenishment_start(request=own, by=cast.manager)
    with pytest.raises(PermissionDenied):
        replenishment_cancel(request=clerks, by=cast.manager, response="不要了")
    with pytest.raises(PermissionDenied):
        replenishment_fulfil(request=own, by=cast.sales1)
    replenishment_cancel(request=own, by=cast.manager, response="客户改期")
    own.refresh_from_db()
    clerks.refresh_from_db()
    assert own.status == ReplenishmentStatus.CANCELLED and clerks.status == ReplenishmentStatus.OPEN
    assert own.handled_by is None  # withdrawn by the requester, not handled


def test_stale_version_is_a_conflict(cast, wh, product):
    request = ask(cast, product, wh)
    replenishment_start(request=request, by=cast.warehouse)
    with pytest.raises(Conflict):
        replenishment_fulfil(request=request, by=cast.warehouse, version=1)
    request.refresh_from_db()
    assert request.status == ReplenishmentStatus.IN_PROGRESS
