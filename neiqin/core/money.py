"""Decimal-only money helpers: the one place where amounts, prices and tax are rounded.

Scales follow the document tables: amounts 2 places, unit prices 4, quantities 3. Rounding is
``ROUND_HALF_UP`` (四舍五入), which in ``decimal`` rounds halves away from zero, so a credit note
line is the exact mirror of the invoice line it reverses (-0.005 -> -0.01).

Floats are refused everywhere: ``0.1 + 0.2`` is how a statement ends up one fen off, and a float
that reaches this module is a bug upstream, not an input to be guessed at.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal, Inexact, InvalidOperation, localcontext
from typing import NamedTuple

from django.utils.translation import gettext_lazy as _

AMOUNT = Decimal("0.01")
PRICE = Decimal("0.0001")
QUANTITY = Decimal("0.001")

# China VAT rates: general 13 / 9 / 6, simplified-method 3 and its reduced 1, zero-rated 0.
VAT_RATES: tuple[Decimal, ...] = (
    Decimal("0.13"),
    Decimal("0.09"),
    Decimal("0.06"),
    Decimal("0.03"),
    Decimal("0.01"),
    Decimal("0"),
)

MoneyInput = Decimal | int | str

# Enough digits that no product or sum of stored values is ever rounded by the context itself.
_WORKING_PRECISION = 60

# After NFKC (full-width digits, "，" and "￥" become ASCII / "¥"): optional sign, optional yuan
# sign (either order), then digits with either correct thousands grouping or none at all.
_NUMBER_PATTERN = re.compile(
    r"""
    (?P<sign1>[+-])?\s*(?:¥\s*)?(?P<sign2>[+-])?\s*
    (?P<number>
        (?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d*)?
      | \.\d+
    )
    """,
    re.VERBOSE | re.ASCII,
)


class MoneyError(ValueError):
    """A value cannot be used as money; ``str(error)`` is a message for the user."""

    def __init__(self, message: object) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return str(self.message)


class TaxSplit(NamedTuple):
    """Result of :func:`tax_split`; unpacks as ``net, tax`` and always has ``net + tax == gross``."""

    net: Decimal
    tax: Decimal

    @property
    def gross(self) -> Decimal:
        return self.net + self.tax


def to_decimal(value: MoneyInput) -> Decimal:
    """Parse what users and spreadsheets actually type into an exact ``Decimal``.

    Accepts ``Decimal``, ``int`` and strings such as ``" ￥１２，３４５.６ "`` or ``"-¥1,234.50"``.
    Refuses floats (already inexact), bools (a ``True`` amount is a bug), NaN, infinities and
    blanks, so a bad cell is reported instead of silently becoming 0.
    """
    if isinstance(value, bool):
        raise MoneyError(_("金额不能是布尔值"))
    if isinstance(value, float):
        raise MoneyError(_("金额不能使用浮点数，请使用 Decimal 或文本"))
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, Decimal):
        return _require_finite(value)
    if isinstance(value, str):
        return _parse_text(value)
    raise MoneyError(_("无法识别的金额：%(value)s") % {"value": repr(value)})


def _require_finite(value: Decimal) -> Decimal:
    if not value.is_finite():
        raise MoneyError(_("金额必须是有限的数字"))
    return value


def _parse_text(text: str) -> Decimal:
    cleaned = unicodedata.normalize("NFKC", text).strip()
    if not cleaned:
        raise MoneyError(_("金额不能为空"))
    match = _NUMBER_PATTERN.fullmatch(cleaned)
    if match is None or (match["sign1"] and match["sign2"]):
        raise MoneyError(_("“%(text)s”不是有效的金额，示例：1,234.50") % {"text": text.strip()})
    sign = match["sign1"] or match["sign2"] or ""
    return Decimal(sign + match["number"].replace(",", ""))


def _quantize(value: MoneyInput, exponent: Decimal) -> Decimal:
    number = to_decimal(value)
    try:
        with localcontext() as context:
            context.prec = _WORKING_PRECISION
            result = number.quantize(exponent, rounding=ROUND_HALF_UP)
    except InvalidOperation as error:  # more digits than the working precision
        raise MoneyError(_("金额超出可计算范围")) from error
    # "-0.00" prints as a negative zero on statements; there is no such amount.
    return result.copy_abs() if result.is_zero() else result


def round_amount(value: MoneyInput) -> Decimal:
    """Round to fen (0.01), half up: the scale of every stored amount and total."""
    return _quantize(value, AMOUNT)


def round_price(value: MoneyInput) -> Decimal:
    """Round to 0.0001, half up: unit prices keep 4 places so per-unit prices of bulk goods survive."""
    return _quantize(value, PRICE)


def round_quantity(value: MoneyInput) -> Decimal:
    """Round to 0.001, half up: quantities keep 3 places (kg, metres)."""
    return _quantize(value, QUANTITY)


def line_amount(*, quantity: MoneyInput, unit_price: MoneyInput, discount_rate: MoneyInput = Decimal(0)) -> Decimal:
    """Amount of one document line, rounded once, at the line.

    Quantity and price are first brought to their stored scales so that recomputing a saved line
    from its saved columns gives the same amount. ``discount_rate`` is the fraction taken off
    (0.1 = 10 % off, i.e. 九折) and is applied unrounded.
    """
    rate = to_decimal(discount_rate)
    if not Decimal(0) <= rate <= Decimal(1):
        raise MoneyError(_("折扣率应在 0 到 1 之间，例如 0.1 表示优惠 10%"))
    with localcontext() as context:
        context.prec = _WORKING_PRECISION
        exact = round_quantity(quantity) * round_price(unit_price) * (Decimal(1) - rate)
    return round_amount(exact)


def _require_rate(rate: MoneyInput) -> Decimal:
    value = to_decimal(rate)
    if not Decimal(0) <= value < Decimal(1):
        raise MoneyError(_("税率应为小数，例如 0.13 表示 13%"))
    return value


def tax_split(*, gross: MoneyInput, rate: MoneyInput, tax_inclusive: bool = True) -> TaxSplit:
    """Split an amount into net and tax so that ``net + tax`` is exactly the gross.

    Tax-inclusive (含税, the usual case): ``gross`` is what the customer pays; the tax is
    ``gross * rate / (1 + rate)`` rounded half up to fen and the net is the remainder, so the
    split never loses or invents a fen. (Multiplying before dividing keeps the one division
    exact whenever the true result is, so a real .005 is never mis-rounded.)

    Tax-exclusive (不含税): ``gross`` is the pre-tax amount the line was priced at; it becomes
    the net, tax is ``net * rate`` rounded, and the returned ``TaxSplit.gross`` is ``net + tax``.
    """
    amount = round_amount(gross)
    tax_rate = _require_rate(rate)
    with localcontext() as context:
        context.prec = _WORKING_PRECISION
        if tax_inclusive:
            tax = round_amount(amount * tax_rate / (Decimal(1) + tax_rate))
            return TaxSplit(net=amount - tax, tax=tax)
        return TaxSplit(net=amount, tax=round_amount(amount * tax_rate))


def format_cny(amount: MoneyInput) -> str:
    """Format for documents and lists: ``¥1,234.50``, negatives as ``-¥1,234.50``.

    Rounds half up first; ``format()`` on a Decimal would otherwise round half-even.
    """
    value = round_amount(amount)
    sign = "-" if value < 0 else ""
    return f"{sign}¥{abs(value):,.2f}"


def sum_amounts(values: Iterable[MoneyInput]) -> Decimal:
    """Exact sum of amounts (no rounding); an inexact addition raises instead of losing a fen.

    Returns ``Decimal("0.00")`` for an empty iterable so blank totals print as 0.00.
    """
    total = Decimal("0.00")
    try:
        with localcontext() as context:
            context.prec = _WORKING_PRECISION
            context.traps[Inexact] = True
            for value in values:
                total += to_decimal(value)
    except Inexact as error:
        raise MoneyError(_("金额合计超出精度范围")) from error
    return total
