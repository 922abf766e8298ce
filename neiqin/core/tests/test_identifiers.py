"""Credit codes, phones, company names and e-mail: normal forms and messages that say what is wrong."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.cn import uscc

from neiqin.core.identifiers import (
    make_uscc,
    normalize_company_name,
    normalize_phone,
    validate_email_address,
    validate_uscc,
)

CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
KNOWN_VALID = "91110000600037341L"  # the example in python-stdnum's documentation

property_test = settings(database=None, max_examples=300)

uscc_bodies = st.builds(
    lambda head, region, subject: head + region + subject,
    st.text(alphabet=CODE_CHARS, min_size=2, max_size=2),
    st.text(alphabet="0123456789", min_size=6, max_size=6),
    st.text(alphabet=CODE_CHARS, min_size=9, max_size=9),
)


def _message(error: pytest.ExceptionInfo[ValidationError]) -> str:
    return " ".join(error.value.messages)


# --- 统一社会信用代码 -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        KNOWN_VALID,
        "91110000600037341l",
        " 9111 0000 6000 3734 1L ",
        "911100-006000-37341L",
        "９１１１００００６０００３７３４１Ｌ",
    ],
)
def test_validate_uscc_returns_the_canonical_code(value):
    assert validate_uscc(value) == KNOWN_VALID


@pytest.mark.parametrize("value", ["", "   ", None])
def test_validate_uscc_leaves_empty_to_the_form(value):
    assert validate_uscc(value) == ""


@pytest.mark.parametrize(("value", "length"), [("91110000600037341", 17), (KNOWN_VALID + "1", 19), ("1", 1)])
def test_validate_uscc_reports_the_length(value, length):
    with pytest.raises(ValidationError) as caught:
        validate_uscc(value)

    assert caught.value.code == "uscc_length"
    assert _message(caught) == f"统一社会信用代码应为18位，当前为{length}位"


@pytest.mark.parametrize(
    ("value", "position", "fragment"),
    [
        ("9111000060003734IL", 17, "第17位“I”无效"),
        ("O1110000600037341L", 1, "第1位“O”无效"),
        ("91110000600037341Z", 18, "第18位“Z”无效"),
        ("9111000060003734#L", 17, "第17位“#”无效"),
        ("91A10000600037341L", 3, "第3位应为数字"),
    ],
)
def test_validate_uscc_reports_the_bad_character_and_where(value, position, fragment):
    with pytest.raises(ValidationError) as caught:
        validate_uscc(value)

    assert caught.value.code == "uscc_characters"
    assert caught.value.params["position"] == position
    assert fragment in _message(caught)


def test_validate_uscc_reports_a_wrong_check_character():
    with pytest.raises(ValidationError) as caught:
        validate_uscc("91110000600037341M")

    assert caught.value.code == "uscc_checksum"
    assert _message(caught) == "统一社会信用代码校验位错误，请核对第18位"


def test_letters_in_the_first_two_positions_are_allowed_by_the_standard():
    """GB 32100 allows e.g. N2… (rural collectives); stdnum's own validate() refuses them."""
    code = make_uscc("N2430102MA4L00001")

    assert validate_uscc(code) == code


def test_make_uscc_agrees_with_stdnum():
    assert make_uscc(KNOWN_VALID[:-1]) == KNOWN_VALID
    assert make_uscc("91430100mA4l8x9k2") == "91430100MA4L8X9K2" + uscc.calc_check_digit("91430100MA4L8X9K2")


@pytest.mark.parametrize("seed", ["9111000060003734", "911100006000373411", "91A10000600037341", "9111000060003734I"])
def test_make_uscc_refuses_malformed_bodies(seed):
    with pytest.raises(ValueError):
        make_uscc(seed)


@property_test
@given(uscc_bodies)
def test_made_codes_validate(body):
    code = make_uscc(body)

    assert validate_uscc(code) == code
    if body[:2].isdigit():
        assert uscc.is_valid(code)


@property_test
@given(body=uscc_bodies, position=st.integers(min_value=0, max_value=17), data=st.data())
def test_any_single_character_change_is_caught(body, position, data):
    code = make_uscc(body)
    alphabet = "0123456789" if 2 <= position <= 7 else CODE_CHARS
    replacement = data.draw(st.sampled_from([char for char in alphabet if char != code[position]]))
    changed = code[:position] + replacement + code[position + 1 :]

    with pytest.raises(ValidationError) as caught:
        validate_uscc(changed)

    assert caught.value.code == "uscc_checksum"


# --- 电话 -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0731-8888 1234", "073188881234"),
        ("138 0013 8000", "13800138000"),
        ("138-0013-8000", "13800138000"),
        ("(0731) 8888-1234", "073188881234"),
        ("（０７３１）８８８８－１２３４", "073188881234"),
        ("１３８００１３８０００", "13800138000"),
        ("+86 138 0013 8000", "13800138000"),
        ("+86-13800138000", "13800138000"),
        ("0086 138 0013 8000", "13800138000"),
        ("8613800138000", "13800138000"),
        ("+86 731 8888 1234", "073188881234"),
        ("+86 (0)731 8888 1234", "073188881234"),
        ("+86 10 1234 5678", "01012345678"),
        ("010.1234.5678", "01012345678"),
        ("8888 1234", "88881234"),
        ("400-800-8888", "4008008888"),
        ("+852 2345 6789", "+85223456789"),
        ("00852 2345 6789", "+85223456789"),
    ],
)
def test_normalize_phone(value, expected):
    assert normalize_phone(value) == expected


@pytest.mark.parametrize("value", ["", "  ", "\u3000", None, " - ( ) "])
def test_normalize_phone_returns_empty_for_blank(value):
    assert normalize_phone(value) == ""


@pytest.mark.parametrize("value", ["138abc00138", "0731-88881234转801", "tel 13800138000", "138/139", "1+38"])
def test_normalize_phone_refuses_letters_and_symbols(value):
    with pytest.raises(ValidationError) as caught:
        normalize_phone(value)

    assert caught.value.code == "phone_characters"
    assert "只能包含数字" in _message(caught)


@pytest.mark.parametrize("value", ["12345", "888 123", "+86 12345", "0086 123456"])
def test_normalize_phone_refuses_fewer_than_seven_digits(value):
    with pytest.raises(ValidationError) as caught:
        normalize_phone(value)

    assert caught.value.code == "phone_too_short"
    assert "至少需要7位数字" in _message(caught)


def test_normalize_phone_refuses_two_numbers_run_together():
    with pytest.raises(ValidationError) as caught:
        normalize_phone("13800138000 13900139000")

    assert caught.value.code == "phone_too_long"


@property_test
@given(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True))
def test_any_mobile_written_any_way_normalises_the_same(mobile):
    written = [
        mobile,
        f"{mobile[:3]} {mobile[3:7]} {mobile[7:]}",
        f"{mobile[:3]}-{mobile[3:7]}-{mobile[7:]}",
        f"+86 {mobile}",
        f"0086{mobile}",
        f"86{mobile}",
    ]

    assert {normalize_phone(value) for value in written} == {mobile}


# --- 公司名称 -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("长沙 涵瑞（建筑）有限责任公司", "长沙涵瑞(建筑)有限公司"),
        ("涵瑞建筑有限公司", " 涵瑞建筑 有限公司 "),
        ("ＡＢＣ贸易有限公司", "abc贸易有限公司"),
        ("长沙·涵瑞建筑", "长沙涵瑞建筑"),
        ("湖南“涵瑞”建筑，有限公司。", "湖南涵瑞建筑有限公司"),
        ("涵瑞建筑有限 责任 公司", "涵瑞建筑有限公司"),
        ("涵瑞建筑有限责任公司长沙分公司", "涵瑞建筑有限公司长沙分公司"),
        ("A&B Trading Co., Ltd.", "a b trading co ltd"),
    ],
)
def test_normalize_company_name_treats_these_as_the_same(first, second):
    assert normalize_company_name(first) == normalize_company_name(second)


def test_normalize_company_name_example():
    assert normalize_company_name("长沙 涵瑞（建筑）有限责任公司") == "长沙涵瑞建筑有限公司"


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("涵瑞建筑有限公司", "涵瑞建筑股份有限公司"),
        ("长沙涵瑞建筑有限公司", "株洲涵瑞建筑有限公司"),
        ("涵瑞建筑一公司", "涵瑞建筑二公司"),
    ],
)
def test_normalize_company_name_keeps_different_companies_apart(first, second):
    assert normalize_company_name(first) != normalize_company_name(second)


@pytest.mark.parametrize("value", ["", "   ", None, "（）·"])
def test_normalize_company_name_of_nothing_is_empty(value):
    assert normalize_company_name(value) == ""


# --- 邮箱 -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("sales@example.com", "sales@example.com"),
        ("  Zhang.San@Example.COM ", "Zhang.San@example.com"),
        ("zhangsan＠qq。com", "zhangsan@qq.com"),
        ("ｚｈａｎｇ＠１６３．ｃｏｍ", "zhang@163.com"),
    ],
)
def test_validate_email_address(value, expected):
    assert validate_email_address(value) == expected


@pytest.mark.parametrize("value", ["", "  ", None])
def test_validate_email_address_leaves_empty_to_the_form(value):
    assert validate_email_address(value) == ""


@pytest.mark.parametrize("value", ["zhangsan", "zhangsan@", "@qq.com", "a@b", "a@@qq.com", "张三@", "zhang san@qq.com"])
def test_validate_email_address_refuses_with_an_example(value):
    with pytest.raises(ValidationError) as caught:
        validate_email_address(value)

    assert caught.value.code == "email_invalid"
    assert "格式不正确，例如 name@example.com" in _message(caught)
