"""Gap-free, duplicate-free document numbers per type and year (SYS-2).

``next_number`` must run inside the transaction that creates the document: the counter row is
locked (``select_for_update``; on SQLite the IMMEDIATE transaction already holds the write
lock), incremented, and released at commit. A rollback undoes the increment, so failed
transactions consume no number. The document table keeps a UNIQUE constraint as the last line.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone

from neiqin.core.models import NumberCounter, NumberSeries

# Defaults; admins may change prefixes in NumberSeries. Later issues add their series here.
DEFAULT_SERIES: dict[str, tuple[str, str]] = {
    "customer": ("客户", "KH"),
    "quotation": ("报价单", "BJ"),
    "contract": ("合同", "HT"),
    "order": ("销售订单", "XS"),
    "delivery": ("发货单", "FH"),
    "invoice": ("发票申请", "FP"),
    "payment": ("回款", "HK"),
    "statement": ("对账单", "DZ"),
    "return": ("退货单", "TH"),
    "product": ("产品", "CP"),
    "receipt": ("入库单", "RK"),
    "transfer": ("调拨单", "DB"),
    "adjustment": ("库存调整单", "TZ"),
    "stock_count": ("盘点单", "PD"),
    "replenishment": ("补货申请", "BH"),
    "promo_issue": ("促销品发放", "CX"),
    "loan": ("产品借用", "JY"),
}


def _series(code: str) -> NumberSeries:
    series = NumberSeries.objects.filter(code=code).first()
    if series is None:
        name, prefix = DEFAULT_SERIES.get(code, (code, code.upper()[:4]))
        series, _ = NumberSeries.objects.get_or_create(code=code, defaults={"name": name, "prefix": prefix})
    return series


def next_number(*, series: str, on: dt.date | None = None) -> str:
    """Hand out the next number of ``series`` for the year of ``on`` (default: today, Shanghai)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("next_number must be called inside the transaction that creates the document")
    return reserve_numbers(series=series, count=1, on=on)[0]


def reserve_numbers(*, series: str, count: int, on: dt.date | None = None) -> list[str]:
    """Hand out ``count`` consecutive numbers of ``series`` at once (imports: one lock, one UPDATE).

    Same guarantees as :func:`next_number`: the counter row is locked for the rest of the
    caller's transaction and a rollback returns the whole block, so numbers stay gap-free.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("reserve_numbers must be called inside the transaction that creates the documents")
    if count < 0:
        raise ValueError("count must be >= 0")
    if count == 0:
        return []
    year = (on or timezone.localdate()).year
    config = _series(series)
    counter = NumberCounter.objects.select_for_update().filter(series=series, year=year).first()
    if counter is None:
        try:
            with transaction.atomic():
                NumberCounter.objects.create(series=series, year=year, last_value=0)
        except IntegrityError:
            pass  # another transaction created it first; lock theirs below
        counter = NumberCounter.objects.select_for_update().get(series=series, year=year)
    first = counter.last_value + 1
    counter.last_value += count
    counter.save(update_fields=["last_value"])
    return [f"{config.prefix}{year}-{value:0{config.padding}d}" for value in range(first, counter.last_value + 1)]
