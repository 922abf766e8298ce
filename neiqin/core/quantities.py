"""Parsing quantities and prices typed by users, spreadsheets and API clients.

One function per kind of number so that every form, import and API refuses the same inputs
with the same message: blanks, text that is not a number, floats, NaN, negatives (unless
allowed), zero (unless allowed) and more decimals than the column keeps.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from neiqin.core.errors import ValidationFailed
from neiqin.core.money import PRICE, QUANTITY, MoneyError, to_decimal

MAX_QUANTITY = Decimal("99999999999.999")
MAX_PRICE = Decimal("9999999999.9999")


def _fail(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, extra={"fields": {field: [message]}})


def _parse(value: Any, field: str, label: str) -> Decimal:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise _fail(field, _("请填写%(label)s。") % {"label": label})
    if isinstance(value, float):
        # JSON numbers arrive as floats: accept them only when they are exact decimals.
        value = repr(value)
    try:
        return to_decimal(value)
    except MoneyError:
        raise _fail(field, _("%(label)s必须是数字，例如 12 或 12.5。") % {"label": label})


def parse_quantity(
    value: Any,
    *,
    field: str = "quantity",
    label: str | None = None,
    allow_zero: bool = False,
    allow_negative: bool = False,
) -> Decimal:
    """A quantity with at most 3 decimals; positive unless told otherwise."""
    label = label or _("数量")
    number = _parse(value, field, label)
    if abs(number) >= MAX_QUANTITY:
        raise _fail(field, _("%(label)s太大。") % {"label": label})
    if number != number.quantize(QUANTITY):
        raise _fail(field, _("%(label)s最多保留 3 位小数。") % {"label": label})
    if number < 0 and not allow_negative:
        raise _fail(field, _("%(label)s不能为负数。") % {"label": label})
    if number == 0 and not allow_zero:
        raise _fail(field, _("%(label)s必须大于 0。") % {"label": label})
    return number.quantize(QUANTITY)


def parse_price(value: Any, *, field: str = "unit_price", label: str | None = None, allow_zero: bool = True) -> Decimal:
    """A unit price with at most 4 decimals, never negative."""
    label = label or _("单价")
    number = _parse(value, field, label)
    if abs(number) >= MAX_PRICE:
        raise _fail(field, _("%(label)s太大。") % {"label": label})
    if number != number.quantize(PRICE):
        raise _fail(field, _("%(label)s最多保留 4 位小数。") % {"label": label})
    if number < 0:
        raise _fail(field, _("%(label)s不能为负数。") % {"label": label})
    if number == 0 and not allow_zero:
        raise _fail(field, _("%(label)s必须大于 0。") % {"label": label})
    return number.quantize(PRICE)
