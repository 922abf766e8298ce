"""ORD-7: shipped progress is derived from what the warehouse ships (the stock ledger), never typed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from neiqin.core.errors import Conflict
from neiqin.core.models import Event
from neiqin.sales.choices import OrderStatus, Progress
from neiqin.sales.services import orders
from neiqin.sales.tests.conftest import line
from neiqin.stock.models import Reservation, StockLevel
from neiqin.stock.services import Document, reservation_consume

pytestmark = pytest.mark.django_db

D = Decimal
SOON = {"delivery_on": (dt.date.today() + dt.timedelta(days=7)).isoformat()}


def _confirmed(world, *quantities):
    order = orders.order_create(
        customer=world.acme, lines=[line(world.floor, q) for q in quantities], by=world.cast.clerk, fields=SOON
    )
    order, _checks = orders.order_submit(order=order, by=world.cast.clerk)
    return orders.order_confirm(order=order, by=world.cast.clerk, promised_on=dt.date.today())


def _ship(world, order, position, quantity):
    target = order.lines.get(position=position)
    reservation = Reservation.objects.filter(
        document_id=str(order.pk), line_key=str(target.pk), status="active"
    ).first()
    return reservation_consume(
        reservation=reservation,
        quantity=quantity,
        by=world.cast.warehouse,
        document=Document("order", str(order.pk), order.number),
    )


def test_shipping_moves_quantities_from_reserved_to_shipped_and_derives_the_progress(world, client_for):
    order = _confirmed(world, 30, 20)
    assert order.shipped == Progress.NONE
    _ship(world, order, 1, 10)
    order.refresh_from_db()
    first, second = order.lines.order_by("position")
    assert (first.reserved_quantity, first.shipped_quantity) == (D("20"), D("10"))
    assert (second.reserved_quantity, second.shipped_quantity) == (D("20"), D("0"))
    assert order.shipped == Progress.PARTIAL
    assert sum(lv.on_hand for lv in StockLevel.objects.filter(product=world.floor)) == D("140")
    event = Event.objects.filter(action="sales.order.shipped", object_id=str(order.pk)).get()
    assert event.actor == world.cast.warehouse and D(event.data["quantity"]) == D("10")
    assert event.changes == {"shipped": ["none", "partial"]}

    _ship(world, order, 1, 20)
    _ship(world, order, 2, 20)
    order.refresh_from_db()
    assert order.shipped == Progress.FULL
    assert all(ln.reserved_quantity == 0 and ln.shipped_quantity == ln.quantity for ln in order.lines.all())
    page = client_for(world.cast.clerk).get(reverse("sales:order_detail", args=[order.pk])).content.decode()
    assert "发货出库" in page and "发货 全部" in page and "第 2 行发出 20" in page
    assert 'action="' + reverse("sales:order_cancel", args=[order.pk]) + '"' not in page  # nothing left to cancel


def test_a_shipped_order_keeps_its_lines_and_a_fully_shipped_one_cannot_be_cancelled(world):
    order = _confirmed(world, 30)
    _ship(world, order, 1, 5)
    order.refresh_from_db()
    with pytest.raises(Conflict) as refused:
        orders.order_update(order=order, by=world.cast.clerk, version=order.version, lines=[line(world.floor, 40)])
    assert refused.value.code == "order_shipped" and order.number in str(refused.value.message)
    # The header may still change, also when the edit page posts the unchanged lines with it.
    order = orders.order_update(
        order=order,
        by=world.cast.clerk,
        version=order.version,
        fields={"customer_reference": "PO-88"},
        lines=[line(world.floor, 30)],
    )
    assert order.customer_reference == "PO-88"
    assert order.lines.get().shipped_quantity == D("5")

    _ship(world, order, 1, 25)
    order.refresh_from_db()
    with pytest.raises(Conflict) as refused:
        orders.order_cancel(order=order, by=world.cast.clerk, reason="客户不要了")
    assert refused.value.code == "order_shipped"
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED and order.shipped == Progress.FULL


def test_cancelling_a_partly_shipped_order_releases_only_what_is_left(world):
    order = _confirmed(world, 30)
    _ship(world, order, 1, 12)
    orders.order_cancel(order=orders.SalesOrder.objects.get(pk=order.pk), by=world.cast.clerk, reason="余量不要了")
    levels = StockLevel.objects.filter(product=world.floor)
    assert sum(lv.reserved for lv in levels) == 0 and sum(lv.on_hand for lv in levels) == D("138")
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED and order.shipped == Progress.PARTIAL
    assert order.lines.get().shipped_quantity == D("12")


def test_reconfirming_after_a_change_reserves_only_what_is_not_yet_shipped(world):
    """A header change re-runs the checks; if the order is confirmed again, shipped units are not
    reserved a second time."""
    order = _confirmed(world, 30)
    _ship(world, order, 1, 10)
    held = Reservation.objects.filter(document_id=str(order.pk), status="active")
    assert sum(r.quantity for r in held) == D("20")
    order.refresh_from_db()
    orders._rereserve(order, by=world.cast.clerk)  # what a line-level change of a confirmed order runs
    held = Reservation.objects.filter(document_id=str(order.pk), status="active")
    assert sum(r.quantity for r in held) == D("20")
    assert order.lines.get().reserved_quantity == D("20")
