"""Stock alerts sent by the daily jobs.

``low_stock_alert`` tells the warehouse and the clerks, once a day, which products have less
available stock (on-hand minus reserved) than their safety stock (安全库存). One notification per
user sums it up (how many, the first few models) and links to the low-stock page; running the job
twice on the same day sends nothing new.

The quarterly count reminder lives in ``counts.count_reminders`` and the overdue loan reminder in
``materials.loans_overdue_remind``; ``neiqin/stock/tasks.py`` schedules all three.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext as _

from neiqin.accounts.models import User
from neiqin.accounts.roles import Role
from neiqin.core.models import Notification
from neiqin.core.notifications import notify
from neiqin.stock.selectors.reports import low_stock

ALERT_ROLES = (Role.WAREHOUSE, Role.CLERK)
SHOWN_MODELS = 5


def _title(today: dt.date) -> str:
    return _("低库存提醒（%(date)s）") % {"date": today.isoformat()}


def _body(levels: list, count: int) -> str:
    items = [
        _("%(model)s（%(warehouse)s 可用 %(available)s / 安全库存 %(minimum)s %(unit)s）")
        % {
            "model": level.product.model,
            "warehouse": level.warehouse.name,
            "available": _fmt(level.available),
            "minimum": _fmt(level.min_quantity),
            "unit": level.product.unit,
        }
        for level in levels[:SHOWN_MODELS]
    ]
    text = _("共 %(count)s 项库存低于安全库存：") % {"count": count} + "；".join(items)
    if count > SHOWN_MODELS:
        text += _(" 等。")
    return text + " " + _("请在“低库存”页面查看全部并安排补货。")


def _fmt(quantity) -> str:
    text = f"{quantity:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def low_stock_alert(*, today: dt.date) -> int:
    """Notify the warehouse users and clerks of the levels below safety stock; returns how many
    users were notified (0 when nothing is low or everyone was already told today)."""
    levels = list(low_stock().select_related("product", "warehouse")[: SHOWN_MODELS + 1])
    if not levels:
        return 0
    count = low_stock().count()
    title = _title(today)
    recipients = User.objects.filter(groups__name__in=ALERT_ROLES, is_active=True).distinct().order_by("pk")
    already = set(Notification.objects.filter(title=title[:120], user__in=recipients).values_list("user_id", flat=True))
    body = _body(levels, count)
    sent = 0
    with transaction.atomic():
        for user in recipients:
            if user.pk in already:
                continue
            notify(user=user, title=title, body=body)
            sent += 1
    return sent
