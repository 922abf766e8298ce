"""Money helpers: parsing, half-up rounding at line/tax/total, and exact tax splits."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from neiqin.core.money import (
    AMOUNT,
    PRICE,
    QUANTITY,
    VAT_RATES,
    MoneyError,
    TaxSplit,
    format_cny,
    line_amount,
    round_amount,
    round_price,
    round_quantity,
    sum_amounts,
    tax_split,
    to_decimal,
)

# No example database: nothing is written into the working tree.
property_test = settings(database=None, max_examples=300)

amounts = st.decimals(
    min_value=Decimal("-99999999.99"),
    max_value=Decimal("99999999.99"),
    places=2,
    allow_nan=False,
    allow_infinity=False,
)


def test_scales_and_vat_rates():
    assert (AMOUNT, PRICE, QUANTITY) == (Decimal("0.01"), Decimal("0.0001"), Decimal("0.001"))
    assert VAT_RATES == tuple(Decimal(rate) for rate in ("0.13", "0.09", "0.06", "0.03", "0.01", "0"))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("12.30"), Decimal("12.30")),
        (7, Decimal("7")),
        (-3, Decimal("-3")),
        ("1234.5", Decimal("1234.5")),
        ("  1,234.50 ", Decimal("1234.50")),
        ("1,234,567.891", Decimal("1234567.891")),
        ("¥1,234.50", Decimal("1234.50")),
        ("￥ 88", Decimal("88")),
        ("-¥1,234.50", Decimal("-1234.50")),
        ("¥-5", Decimal("-5")),
        ("+3", Decimal("3")),
        ("１２，３４５．６", Decimal("12345.6")),
        ("\u3000￥１００\u3000", Decimal("100")),
        (".5", Decimal("0.5")),
        ("0", Decimal("0")),
    ],
)
def test_to_decimal_accepts_what_people_type(value, expected):
    result = to_decimal(value)

    assert result == expected
    assert isinstance(result, Decimal)


@pytest.mark.parametrize(
    "value",
    [
        1.5,
        0.0,
        True,
        False,
        None,
        [1],
        Decimal("NaN"),
        Decimal("sNaN"),
        Decimal("Infinity"),
        Decimal("-Infinity"),
        "",
        "   ",
        "NaN",
        "Infinity",
        "1e3",
        "abc",
        "12元",
        "1,2,3",
        "1,23",
        "12,34.5",
        "--1",
        "-¥-1",
        "1.2.3",
        "¥",
    ],
)
def test_to_decimal_rejects_with_a_chinese_message(value):
    with pytest.raises(MoneyError) as caught:
        to_decimal(value)

    assert isinstance(caught.value, ValueError)
    assert "金额" in str(caught.value) or "有效" in str(caught.value)


@property_test
@given(st.floats())
def test_every_float_is_rejected(value):
    with pytest.raises(MoneyError, match="浮点数"):
        to_decimal(value)


@property_test
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_helpers_reject_floats_too(value):
    with pytest.raises(MoneyError):
        round_amount(value)
    with pytest.raises(MoneyError):
        line_amount(quantity=value, unit_price=Decimal("1"))


@pytest.mark.parametrize(
    ("function", "value", "expected"),
    [
        (round_amount, "1.005", Decimal("1.01")),
        (round_amount, "1.0049999", Decimal("1.00")),
        (round_amount, "2.675", Decimal("2.68")),
        (round_amount, "-1.005", Decimal("-1.01")),
        (round_amount, "0.125", Decimal("0.13")),
        (round_amount, 5, Decimal("5.00")),
        (round_price, "3.14155", Decimal("3.1416")),
        (round_price, "3.14145", Decimal("3.1415")),
        (round_quantity, "2.0005", Decimal("2.001")),
        (round_quantity, "2.0004", Decimal("2.000")),
    ],
)
def test_rounding_is_half_up_away_from_zero(function, value, expected):
    result = function(value)

    assert result == expected
    assert result.as_tuple().exponent == expected.as_tuple().exponent


@property_test
@given(cents=st.integers(min_value=0, max_value=10**12))
def test_amount_exactly_half_a_fen_rounds_up(cents):
    value = Decimal(cents) / 100 + Decimal("0.005")

    assert round_amount(value) == Decimal(cents + 1) / 100
    assert round_amount(-value) == -Decimal(cents + 1) / 100


@property_test
@given(cents=st.integers(min_value=0, max_value=10**12), below=st.integers(min_value=1, max_value=4999))
def test_amount_below_half_a_fen_rounds_down(cents, below):
    value = Decimal(cents) / 100 + Decimal(below) / 1_000_000

    assert round_amount(value) == Decimal(cents) / 100


def test_absurdly_large_values_are_refused_not_crashed():
    with pytest.raises(MoneyError, match="超出"):
        round_amount(Decimal("1E+100"))


def test_negative_zero_becomes_zero():
    result = round_amount("-0.004")

    assert result == 0
    assert str(result) == "0.00"
    assert format_cny(Decimal("-0.001")) == "¥0.00"


@pytest.mark.parametrize(
    ("quantity", "unit_price", "discount_rate", "expected"),
    [
        ("3", "0.3333", "0", Decimal("1.00")),
        ("10", "9.99", "0", Decimal("99.90")),
        ("2.5", "4.0001", "0", Decimal("10.00")),
        ("3", "3.3333", "0.1", Decimal("9.00")),
        ("1", "100", "1", Decimal("0.00")),
        ("1", "0.015", "0", Decimal("0.02")),
        ("-2", "50", "0", Decimal("-100.00")),
        ("1.0005", "100", "0", Decimal("100.10")),  # quantity first kept at its stored 3 places
    ],
)
def test_line_amount_is_rounded_once_at_the_line(quantity, unit_price, discount_rate, expected):
    assert line_amount(quantity=quantity, unit_price=unit_price, discount_rate=discount_rate) == expected


def test_line_amount_is_not_the_sum_of_rounded_units():
    """Three units at 0.3333 make 1.00, not 3 × 0.33."""
    assert line_amount(quantity=Decimal("3"), unit_price=Decimal("0.3333")) == Decimal("1.00")


@pytest.mark.parametrize("discount_rate", ["-0.1", "1.01", "90"])
def test_line_amount_refuses_discounts_outside_zero_to_one(discount_rate):
    with pytest.raises(MoneyError, match="折扣率"):
        line_amount(quantity="1", unit_price="10", discount_rate=discount_rate)


@pytest.mark.parametrize(
    ("gross", "rate", "net", "tax"),
    [
        ("113.00", "0.13", Decimal("100.00"), Decimal("13.00")),
        ("100.00", "0.13", Decimal("88.50"), Decimal("11.50")),
        ("1.00", "0.13", Decimal("0.88"), Decimal("0.12")),
        ("0.01", "0.13", Decimal("0.01"), Decimal("0.00")),
        ("109.00", "0.09", Decimal("100.00"), Decimal("9.00")),
        ("106.00", "0.06", Decimal("100.00"), Decimal("6.00")),
        ("103.00", "0.03", Decimal("100.00"), Decimal("3.00")),
        ("101.00", "0.01", Decimal("100.00"), Decimal("1.00")),
        ("100.00", "0", Decimal("100.00"), Decimal("0.00")),
        ("-113.00", "0.13", Decimal("-100.00"), Decimal("-13.00")),
        ("¥1,130.00", "0.13", Decimal("1000.00"), Decimal("130.00")),
    ],
)
def test_tax_inclusive_split(gross, rate, net, tax):
    result = tax_split(gross=gross, rate=rate)

    assert result == (net, tax)
    assert isinstance(result, TaxSplit)


@pytest.mark.parametrize(
    ("net", "rate", "tax", "gross"),
    [
        ("100.00", "0.13", Decimal("13.00"), Decimal("113.00")),
        ("88.50", "0.13", Decimal("11.51"), Decimal("100.01")),  # 11.505 rounds half up
        ("0.04", "0.13", Decimal("0.01"), Decimal("0.05")),  # 0.0052
        ("0.03", "0.13", Decimal("0.00"), Decimal("0.03")),  # 0.0039
        ("-88.50", "0.13", Decimal("-11.51"), Decimal("-100.01")),
    ],
)
def test_tax_exclusive_split(net, rate, tax, gross):
    result = tax_split(gross=net, rate=rate, tax_inclusive=False)

    assert (result.net, result.tax, result.gross) == (Decimal(net), tax, gross)


@property_test
@given(gross=amounts, rate=st.sampled_from(VAT_RATES))
def test_tax_inclusive_net_plus_tax_is_exactly_gross(gross, rate):
    net, tax = tax_split(gross=gross, rate=rate)

    assert net + tax == gross
    assert tax == (gross * rate / (1 + rate)).quantize(AMOUNT, rounding="ROUND_HALF_UP")
    assert net.as_tuple().exponent == tax.as_tuple().exponent == -2


@property_test
@given(net=amounts, rate=st.sampled_from(VAT_RATES))
def test_tax_exclusive_gross_is_net_plus_rounded_tax(net, rate):
    result = tax_split(gross=net, rate=rate, tax_inclusive=False)

    assert result.net == net
    assert result.tax == (net * rate).quantize(AMOUNT, rounding="ROUND_HALF_UP")
    assert result.gross == net + result.tax


@pytest.mark.parametrize("rate", ["13", "1", "-0.01", "0.13abc"])
def test_tax_split_refuses_rates_that_are_not_fractions(rate):
    with pytest.raises(MoneyError):
        tax_split(gross="100", rate=rate)


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        (Decimal("1234.5"), "¥1,234.50"),
        (Decimal("0"), "¥0.00"),
        (Decimal("0.005"), "¥0.01"),  # half up, where format() alone would round half-even
        ("2.675", "¥2.68"),
        (Decimal("-1234.5"), "-¥1,234.50"),
        (1234567, "¥1,234,567.00"),
        ("999.995", "¥1,000.00"),
    ],
)
def test_format_cny(amount, expected):
    assert format_cny(amount) == expected


def test_format_cny_rejects_float():
    with pytest.raises(MoneyError):
        format_cny(1.5)


def test_sum_amounts_of_nothing_is_zero_with_two_places():
    assert str(sum_amounts([])) == "0.00"


def test_sum_amounts_mixes_inputs_exactly():
    assert sum_amounts(["0.10", Decimal("0.20"), 1, "¥1,000.70"]) == Decimal("1002.00")


def test_sum_amounts_does_not_round_huge_totals():
    assert sum_amounts([Decimal("1" + "0" * 30), Decimal("0.01")]) == Decimal("1" + "0" * 30 + ".01")


def test_sum_amounts_rejects_float_items():
    with pytest.raises(MoneyError):
        sum_amounts([Decimal("1.00"), 0.1])


@property_test
@given(st.lists(amounts, max_size=50))
def test_sum_amounts_is_exact(values):
    assert sum_amounts(values) == sum(values, Decimal(0))
    assert sum_amounts(values) == sum_amounts(reversed(values))
