"""The daily low-stock alert: one summary per warehouse user and clerk, once a day."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from neiqin.accounts.roles import Role
from neiqin.accounts.services import user_create
from neiqin.catalog.services import product_create
from neiqin.core.models import Notification
from neiqin.stock.services import Line, level_set_min_quantity, stock_receive, warehouse_create
from neiqin.stock.services.alerts import low_stock_alert

pytestmark = pytest.mark.django_db


@pytest.fixture
def cs(cast):
    return warehouse_create(fields={"code": "CS", "name": "长沙库"}, by=cast.admin)


def low(cast, cs, model: str, on_hand: str, minimum: str):
    product = product_create(fields={"name": f"地板{model}", "model": model, "unit": "箱"}, by=cast.admin)
    stock_receive(warehouse=cs, lines=[Line(product, on_hand)], by=cast.warehouse)
    level_set_min_quantity(warehouse=cs, product=product, min_quantity=minimum, by=cast.warehouse)
    return product


def test_alert_goes_once_a_day_to_warehouse_and_clerks_only(cast, cs):
    low(cast, cs, "HR-01", "2", "10")
    low(cast, cs, "HR-02", "50", "10")  # fine
    today = timezone.localdate()

    sent = low_stock_alert(today=today)
    again = low_stock_alert(today=today)

    assert (sent, again) == (2, 0)
    told = Notification.objects.filter(title=f"低库存提醒（{today.isoformat()}）")
    assert sorted(told.values_list("user__username", flat=True)) == ["clerk", "warehouse"]
    body = told.first().body
    assert body.startswith("共 1 项库存低于安全库存：") and "HR-01（长沙库 可用 2 / 安全库存 10 箱）" in body
    assert "HR-02" not in body
    assert low_stock_alert(today=today + dt.timedelta(days=1)) == 2  # a new day, a new alert


def test_alert_summarises_the_first_few_models(cast, cs):
    for index in range(7):
        low(cast, cs, f"LS-{index}", "1", "5")
    low_stock_alert(today=timezone.localdate())
    body = Notification.objects.filter(user=cast.warehouse).get().body
    assert body.startswith("共 7 项库存低于安全库存：")
    assert "LS-4" in body and "LS-5" not in body and "等。" in body


def test_nothing_low_means_no_notification(cast, cs):
    low(cast, cs, "HR-03", "20", "10")
    assert low_stock_alert(today=timezone.localdate()) == 0
    assert not Notification.objects.exists()


def test_inactive_users_are_not_told(cast, cs):
    extra = user_create(
        username="clerk2",
        password="demo1234",
        display_name="clerk2",
        role_codes=[Role.CLERK],
        by=None,
        check_password=False,
    )
    extra.is_active = False
    extra.save(update_fields=["is_active"])
    low(cast, cs, "HR-04", "1", "10")
    assert low_stock_alert(today=timezone.localdate()) == 2
    assert not Notification.objects.filter(user=extra).exists()
