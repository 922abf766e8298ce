"""Overdue handover reminders: who is told (the assigner, the team manager), once per handover.

``handover_overdue_remind`` is the service; ``handover_overdue_scan`` the half-hourly job that
calls it, through huey, for every user who may assign customers.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from neiqin.accounts.models import User
from neiqin.accounts.services import user_set_roles
from neiqin.core.models import Notification
from neiqin.customers import services
from neiqin.customers.models import Customer
from neiqin.customers.selectors import handovers_overdue_all
from neiqin.customers.tasks import handover_overdue_scan
from neiqin.demo.context import Clock

TITLE = "交接超时未确认"


@pytest.fixture
def clock():
    return Clock(timezone.now())


def new_customer(cast, name: str, *, owner=None) -> Customer:
    return services.customer_create(fields={"name": name}, by=cast.clerk, owner=owner)


def overdue_customer(cast, clock, name: str, *, owner=None) -> Customer:
    """Assigned by the clerk three days ago and never acknowledged."""
    with clock.at(timezone.now() - dt.timedelta(days=3)):
        return new_customer(cast, name, owner=owner or cast.sales1)


def reminders(user: User):
    return Notification.objects.filter(user=user, title__startswith=TITLE)


# ---- the selector ---------------------------------------------------------------------------------


def test_all_overdue_handovers_are_listed_across_teams_oldest_deadline_first(cast, clock):
    with clock.at(timezone.now() - dt.timedelta(days=5)):
        oldest = new_customer(cast, "武汉最早分配科技有限公司", owner=cast.sales2)
    late = overdue_customer(cast, clock, "长沙逾期交接科技有限公司")
    acknowledged = overdue_customer(cast, clock, "长沙已经确认科技有限公司")
    services.customer_acknowledge(customer=acknowledged, by=cast.sales1)
    new_customer(cast, "长沙刚刚分配科技有限公司", owner=cast.sales1)  # not overdue yet
    new_customer(cast, "长沙公海客户科技有限公司")  # in the pool: nobody to hand over to

    assert list(handovers_overdue_all()) == [oldest, late]


# ---- the service ----------------------------------------------------------------------------------


def test_the_assigner_is_reminded_once_per_handover(cast, clock):
    late = overdue_customer(cast, clock, "郑州迟迟未确认科技有限公司")

    first = services.handover_overdue_remind(user=cast.clerk)
    second = services.handover_overdue_remind(user=cast.clerk)

    assert (first, second) == (1, 0)
    reminder = reminders(cast.clerk).get()
    assert reminder.title == f"{TITLE}：{late.name}"
    assert reminder.object_type == "customers.customer" and reminder.object_id == str(late.pk)
    assert str(cast.sales1) in reminder.body and late.code in reminder.body


def test_the_team_manager_is_reminded_and_other_managers_and_the_gm_are_not(cast, clock):
    late = overdue_customer(cast, clock, "长沙团队逾期交接有限公司")  # team A, assigned by the clerk

    assert services.handover_overdue_remind(user=cast.manager) == 1
    assert services.handover_overdue_remind(user=cast.manager2) == 0  # team B
    assert services.handover_overdue_remind(user=cast.gm) == 0  # sees it, but neither assigned nor manages it
    assert list(reminders(cast.manager).values_list("object_id", flat=True)) == [str(late.pk)]
    assert not reminders(cast.manager2).exists() and not reminders(cast.gm).exists()


def test_a_reassignment_is_a_new_handover_and_is_reminded_again(cast, clock, settings):
    settings.NEIQIN_HANDOVER_HOURS = 1
    with clock.at(timezone.now() - dt.timedelta(days=3)):
        customer = new_customer(cast, "南昌两次交接贸易有限公司", owner=cast.sales1)
    with clock.at(timezone.now() - dt.timedelta(days=2)):
        told_first = services.handover_overdue_remind(user=cast.clerk)
    with clock.at(timezone.now() - dt.timedelta(days=1)):
        services.customer_assign(customer=customer, owner=cast.sales2, by=cast.clerk, reason="区域调整")

    told_again = services.handover_overdue_remind(user=cast.clerk)

    assert (told_first, told_again) == (1, 1)
    assert reminders(cast.clerk).count() == 2


def test_an_assigner_who_can_no_longer_see_the_file_is_not_told(cast, clock):
    overdue_customer(cast, clock, "株洲权限变更贸易有限公司")
    user_set_roles(user=cast.clerk, role_codes=["warehouse"], by=cast.admin)
    former_clerk = User.objects.get(pk=cast.clerk.pk)

    assert services.handover_overdue_remind(user=former_clerk) == 0
    assert not reminders(former_clerk).exists()


# ---- the job ------------------------------------------------------------------------------------


def test_overdue_handover_notifies_the_assigning_clerk_and_the_team_manager_once(cast, clock):
    with clock.at(timezone.now() - dt.timedelta(days=3)):
        late = new_customer(cast, "郑州迟迟未确认科技有限公司", owner=cast.sales1)
    new_customer(cast, "郑州刚刚分配科技有限公司", owner=cast.sales1)  # not overdue yet

    handover_overdue_scan.call_local()
    handover_overdue_scan.call_local()  # the next half hour: nothing new

    told = Notification.objects.filter(title__startswith="交接超时未确认")
    assert sorted(told.values_list("user__username", flat=True)) == ["clerk", "manager"]
    assert set(told.values_list("object_id", flat=True)) == {str(late.pk)}
    assert str(cast.sales1) in told.first().body  # names the owner who has not acknowledged


def test_an_acknowledged_handover_is_not_reported_again(cast, clock):
    with clock.at(timezone.now() - dt.timedelta(days=3)):
        late = new_customer(cast, "西安确认交接建材有限公司", owner=cast.sales1)
    handover_overdue_scan.call_local()
    services.customer_acknowledge(customer=late, by=cast.sales1)

    handover_overdue_scan.call_local()

    assert Notification.objects.filter(title__startswith="交接超时未确认").count() == 2
