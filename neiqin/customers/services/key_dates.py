"""Key dates on a customer file (lease and contract expiry, birthdays, founding days) that drive reminders."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from neiqin.core import audit
from neiqin.core.errors import ValidationFailed
from neiqin.customers.choices import KEY_DATE_LEAD_DAYS, KeyDateKind
from neiqin.customers.models import Customer, KeyDate
from neiqin.customers.services.guards import _locked, _require_edit


@transaction.atomic
def key_date_add(
    *,
    customer: Customer,
    kind: str,
    date: dt.date,
    by: Any,
    note: str = "",
    recurring: bool = False,
    remind_days_before: int | None = None,
) -> KeyDate:
    customer = _locked(customer)
    _require_edit(by, customer)
    if kind not in KeyDateKind.values:
        raise ValidationFailed(_("无效的日期类型：%(value)s") % {"value": kind})
    if not isinstance(date, dt.date):
        raise ValidationFailed(_("请输入日期，例如 2027-03-31。"))
    lead = KEY_DATE_LEAD_DAYS.get(kind, 7) if remind_days_before is None else remind_days_before
    if not 0 <= lead <= 366:
        raise ValidationFailed(_("提前提醒天数必须在 0 到 366 之间。"))
    row = KeyDate.objects.create(
        customer=customer, kind=kind, date=date, note=note.strip()[:200], recurring=recurring, remind_days_before=lead
    )
    audit.record(
        action="customers.key_date.added",
        obj=customer,
        by=by,
        data={"kind": kind, "date": date.isoformat(), "remind_days_before": lead},
    )
    return row
