"""人民币大写: amounts in Chinese capital numerals for contracts, receipts and statements.

Follows the PBOC rules for filling in bills (《正确填写票据和结算凭证的基本规定》):

* An amount that stops at 元 ends in "整"; one with 分 never does. After 角 the rules allow
  either; we never write it (1.10 -> 壹元壹角).
* A zero between digits is written as one "零", however many zeros there are
  (1,409.50 -> 壹仟肆佰零玖元伍角; 6,007.14 -> 陆仟零柒元壹角肆分).
* 角 zero and 分 not: "零" after 元 (16,409.02 -> 壹万陆仟肆佰零玖元零贰分).
* Where the rules allow one "零" or none (万位 or 元位 zero while 千位 or 角位 is not), we take the
  first form of each official example: zeros inside the integer are written as Chinese reads
  the number (107,000 -> 壹拾万柒仟, no 零 before 柒仟), and a zero 元位 followed by a non-zero 角
  is written "元零X角" (1,680.32 -> 壹仟陆佰捌拾元零叁角贰分;
  107,000.53 -> 壹拾万柒仟元零伍角叁分).
* A leading ten is "壹拾", never bare "拾", so nothing can be written in front of it.

Amounts below one yuan start at the first non-zero unit with no "零元" prefix
(0.50 -> 伍角, 0.05 -> 伍分); zero is 零元整 (also for -0.00); negatives get "负".
We do not use cn2an: it truncates instead of rounding, prints 负零元整 for -0.00 and refuses
"1,000.00".
"""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from neiqin.core.money import MoneyInput, round_amount

MAX_AMOUNT = Decimal("9999999999999.99")

_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_SMALL_UNITS = ("", "拾", "佰", "仟")  # by power of ten inside a four-digit group
_WAN = 10**4
_YI = 10**8


def rmb_upper(amount: MoneyInput) -> str:
    """Return the 人民币大写 form of ``amount``, rounded half up to fen first (0.125 -> 壹角叁分).

    Accepts ``Decimal``, ``int`` or text such as ``"1,000.00"`` / ``"￥1,000"``; a float raises
    ``TypeError`` because the figure on a contract must come from an exact value.
    Raises ``ValueError`` beyond ±9,999,999,999,999.99.
    """
    if isinstance(amount, float | bool):
        raise TypeError("rmb_upper() needs a Decimal, int or str amount, not %s" % type(amount).__name__)
    value = round_amount(amount)
    if abs(value) > MAX_AMOUNT:
        raise ValueError(_("金额超出大写支持范围（最大 9,999,999,999,999.99）"))
    fen_total = int(abs(value) * 100)
    yuan, cents = divmod(fen_total, 100)
    words = _yuan_words(yuan, cents) + _cents_words(yuan, *divmod(cents, 10))
    return ("负" if value < 0 else "") + words


def _yuan_words(yuan: int, cents: int) -> str:
    """The part up to and including "元" ("零元整" for zero; nothing for 0.xx)."""
    if yuan == 0:
        return "" if cents else "零元整"
    return _integer_words(yuan) + "元" + ("" if cents else "整")


def _cents_words(yuan: int, jiao: int, fen: int) -> str:
    """角 and 分, with the "零" the PBOC rules ask for after "元"."""
    words = ""
    if jiao:
        # 元位 zero, 角 not: the chosen form writes one 零 (壹仟陆佰捌拾元零叁角).
        words += ("零" if yuan and yuan % 10 == 0 else "") + _DIGITS[jiao] + "角"
    if fen:
        # 角 zero, 分 not: 零 after 元 is required (壹万陆仟肆佰零玖元零贰分).
        words += ("零" if yuan and not jiao else "") + _DIGITS[fen] + "分"
    return words


def _integer_words(number: int) -> str:
    """Read a positive integer with 万/亿 groups; ``number`` may exceed 10**12 (万亿)."""
    if number >= _YI:
        return _join_groups(number, _YI, "亿")
    if number >= _WAN:
        return _join_groups(number, _WAN, "万")
    return _group_words(number)


def _join_groups(number: int, base: int, unit: str) -> str:
    """``high`` + unit + ``low``; a 零 marks the gap when ``low`` lacks its leading digit."""
    high, low = divmod(number, base)
    words = _integer_words(high) + unit
    if low == 0:
        return words
    gap = "零" if low < base // 10 else ""
    return words + gap + _integer_words(low)


def _group_words(number: int) -> str:
    """Read 1..9999: interior zeros collapse into one 零, trailing zeros are silent."""
    words = ""
    pending_zero = False
    for power in range(len(str(number)) - 1, -1, -1):
        digit = number // 10**power % 10
        if digit == 0:
            pending_zero = True
            continue
        words += ("零" if pending_zero else "") + _DIGITS[digit] + _SMALL_UNITS[power]
        pending_zero = False
    return words
