"""人民币大写 against the PBOC examples, a table of edge cases and a round-trip property."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from neiqin.core.money import MoneyError
from neiqin.core.rmb import MAX_AMOUNT, rmb_upper

# The examples of 《正确填写票据和结算凭证的基本规定》, in the first of the forms it allows.
PBOC_EXAMPLES = [
    ("1409.50", "壹仟肆佰零玖元伍角"),
    ("6007.14", "陆仟零柒元壹角肆分"),
    ("1680.32", "壹仟陆佰捌拾元零叁角贰分"),
    ("107000.53", "壹拾万柒仟元零伍角叁分"),
    ("16409.02", "壹万陆仟肆佰零玖元零贰分"),
    ("325.04", "叁佰贰拾伍元零肆分"),
]

BRIEF_EXAMPLES = [
    (Decimal("0"), "零元整"),
    (Decimal("-0.00"), "零元整"),
    (Decimal("100"), "壹佰元整"),
    (Decimal("10"), "壹拾元整"),
    (Decimal("0.5"), "伍角"),
    (Decimal("0.05"), "伍分"),
    (Decimal("1.10"), "壹元壹角"),
    (Decimal("100000000"), "壹亿元整"),
    (Decimal("1000000.01"), "壹佰万元零壹分"),
    (Decimal("10010"), "壹万零壹拾元整"),
    (Decimal("0.125"), "壹角叁分"),
]

MORE_CASES = [
    ("1", "壹元整"),
    ("2.00", "贰元整"),
    ("11", "壹拾壹元整"),
    ("15.50", "壹拾伍元伍角"),
    ("20", "贰拾元整"),
    ("101", "壹佰零壹元整"),
    ("110", "壹佰壹拾元整"),
    ("1001", "壹仟零壹元整"),
    ("1010", "壹仟零壹拾元整"),
    ("1100", "壹仟壹佰元整"),
    ("10000", "壹万元整"),
    ("10001", "壹万零壹元整"),
    ("10100", "壹万零壹佰元整"),
    ("11000", "壹万壹仟元整"),
    ("100100", "壹拾万零壹佰元整"),
    ("120000", "壹拾贰万元整"),
    ("500000.00", "伍拾万元整"),
    ("1001000", "壹佰万壹仟元整"),
    ("1000001", "壹佰万零壹元整"),
    ("10000001", "壹仟万零壹元整"),
    ("10100000", "壹仟零壹拾万元整"),
    ("100000001", "壹亿零壹元整"),
    ("100010000", "壹亿零壹万元整"),
    ("110000000", "壹亿壹仟万元整"),
    ("200000010", "贰亿零壹拾元整"),
    ("1000000000", "壹拾亿元整"),
    ("1000000000000", "壹万亿元整"),
    ("1000000000001", "壹万亿零壹元整"),
    ("1000100000001", "壹万零壹亿零壹元整"),
    ("123456789.12", "壹亿贰仟叁佰肆拾伍万陆仟柒佰捌拾玖元壹角贰分"),
    ("1020304050.60", "壹拾亿贰仟零叁拾万肆仟零伍拾元零陆角"),
    ("9999999999999.99", "玖万玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分"),
    ("0.01", "壹分"),
    ("0.10", "壹角"),
    ("0.99", "玖角玖分"),
    ("1.01", "壹元零壹分"),
    ("10.05", "壹拾元零伍分"),
    ("10.50", "壹拾元零伍角"),
    ("100.01", "壹佰元零壹分"),
    ("2000.06", "贰仟元零陆分"),
    ("30005.80", "叁万零伍元捌角"),
    ("100000.01", "壹拾万元零壹分"),
    ("101010.10", "壹拾万壹仟零壹拾元零壹角"),
    ("0.004", "零元整"),
    ("0.005", "壹分"),
    ("1999.995", "贰仟元整"),
    ("-1409.50", "负壹仟肆佰零玖元伍角"),
    ("-0.004", "零元整"),
    ("-0.05", "负伍分"),
]


@pytest.mark.parametrize(("amount", "expected"), PBOC_EXAMPLES)
def test_pboc_examples(amount, expected):
    assert rmb_upper(Decimal(amount)) == expected


@pytest.mark.parametrize(("amount", "expected"), BRIEF_EXAMPLES)
def test_agreed_conventions(amount, expected):
    assert rmb_upper(amount) == expected


@pytest.mark.parametrize(("amount", "expected"), MORE_CASES)
def test_more_cases(amount, expected):
    assert rmb_upper(amount) == expected


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        (1680, "壹仟陆佰捌拾元整"),
        ("1,000.00", "壹仟元整"),
        ("￥1,000", "壹仟元整"),
        (" 107,000.53 ", "壹拾万柒仟元零伍角叁分"),
        ("-¥6,007.14", "负陆仟零柒元壹角肆分"),
    ],
)
def test_accepts_int_and_formatted_text(amount, expected):
    assert rmb_upper(amount) == expected


@pytest.mark.parametrize("amount", [1409.5, 0.0, float("nan"), True])
def test_refuses_float_and_bool_with_type_error(amount):
    with pytest.raises(TypeError):
        rmb_upper(amount)


@pytest.mark.parametrize(
    "amount",
    ["10000000000000", "9999999999999.995", "-10000000000000", Decimal("1E+20"), Decimal("1E+100")],
)
def test_refuses_amounts_beyond_the_supported_maximum(amount):
    with pytest.raises(ValueError, match="超出"):
        rmb_upper(amount)


@pytest.mark.parametrize("amount", ["", "abc", "1e3", Decimal("NaN"), Decimal("Infinity"), None])
def test_refuses_what_is_not_an_amount(amount):
    with pytest.raises(MoneyError):
        rmb_upper(amount)


def test_maximum_is_supported():
    assert rmb_upper(MAX_AMOUNT).startswith("玖万玖仟")
    assert rmb_upper(-MAX_AMOUNT).startswith("负玖万玖仟")


# --- round trip ---------------------------------------------------------------------------

_DIGIT_VALUES = {char: value for value, char in enumerate("零壹贰叁肆伍陆柒捌玖")}
_SMALL_UNIT_VALUES = {"拾": 10, "佰": 100, "仟": 1000}


def _parse_integer(words: str) -> int:
    """Independent reader for the integer part, splitting at 亿 then 万 (万亿 nests inside)."""
    for unit, base in (("亿", 10**8), ("万", 10**4)):
        if unit in words:
            high, low = words.split(unit, 1)
            return _parse_integer(high) * base + _parse_integer(low)
    total, digit = 0, 0
    for char in words.replace("零", ""):
        if char in _DIGIT_VALUES:
            digit = _DIGIT_VALUES[char]
        else:
            total, digit = total + digit * _SMALL_UNIT_VALUES[char], 0
    return total + digit


def _parse_upper(text: str) -> Decimal:
    sign = -1 if text.startswith("负") else 1
    body = text.removeprefix("负").removesuffix("整")
    yuan_words, _yuan, cents_words = body.rpartition("元")
    jiao = re.search(r"(.)角", cents_words)
    fen = re.search(r"(.)分", cents_words)
    cents = (_DIGIT_VALUES[jiao[1]] * 10 if jiao else 0) + (_DIGIT_VALUES[fen[1]] if fen else 0)
    return sign * (Decimal(_parse_integer(yuan_words)) + Decimal(cents) / 100)


all_amounts = st.decimals(min_value=-MAX_AMOUNT, max_value=MAX_AMOUNT, places=2)


@settings(database=None, max_examples=500)
@given(all_amounts)
def test_round_trip_and_zero_rules(amount):
    text = rmb_upper(amount)

    assert _parse_upper(text) == amount
    assert re.fullmatch(r"负?[零壹贰叁肆伍陆柒捌玖拾佰仟万亿元角分整]+", text)
    assert "零零" not in text
    assert not re.search(r"零[拾佰仟万亿角分]", text)  # 零 never carries a unit
    assert not re.search(r"(^|[^壹贰叁肆伍陆柒捌玖])拾", text.removeprefix("负"))  # always 壹拾
    assert text == "零元整" or "零元" not in text
    assert text.endswith("整") == (amount == amount.to_integral_value())


@settings(database=None, max_examples=200)
@given(st.integers(min_value=-(10**13) + 1, max_value=10**13 - 1))
def test_whole_amounts_end_with_zheng(amount):
    text = rmb_upper(amount)

    assert text.endswith("元整")
    assert _parse_upper(text) == amount
