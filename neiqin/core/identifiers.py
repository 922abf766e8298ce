"""Chinese identifiers: credit codes, phone numbers, company names and e-mail addresses.

Each function returns the normalised form that is stored and compared (duplicate detection,
matching a caller's number to a customer), or raises ``ValidationError`` with a message that says
what is wrong and where. Empty input normalises to ``""`` so optional form fields can call these
unconditionally; whether a value is required is the form's decision.
"""

from __future__ import annotations

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _
from stdnum.cn import uscc

USCC_LENGTH = 18
# GB 32100-2015 code set: digits and upper-case letters without I, O, S, V, Z.
_USCC_ALPHABET = frozenset("0123456789ABCDEFGHJKLMNPQRTUWXY")
# Positions 3-8 (1-based) are the registering authority's administrative division code.
_USCC_REGION = range(2, 8)

_PHONE_SEPARATORS = re.compile(r"[\s\-()\u2010-\u2015.]")
_MIN_PHONE_DIGITS = 7
_MAX_PHONE_DIGITS = 20

_LIMITED_LIABILITY_LONG = "有限责任公司"
_LIMITED_LIABILITY_SHORT = "有限公司"


def _compact(value: str | None) -> str:
    """NFKC (full-width letters and digits to ASCII) and drop all whitespace."""
    return "".join(unicodedata.normalize("NFKC", value or "").split())


# --- 统一社会信用代码 ---------------------------------------------------------------------


def validate_uscc(value: str | None) -> str:
    """Return the unified social credit code in canonical form (18 upper-case characters).

    Spaces, hyphens, full-width characters and lower case are tolerated because codes are copied
    from scanned licences and PDFs. Checks length, then characters, then the GB 32100-2015 check
    character, so the message names the first real problem.

    Positions 1-2 may be letters (e.g. "N2…" rural collective organisations), which the standard
    allows but ``stdnum.cn.uscc.validate`` refuses; we use stdnum only for the check character.
    """
    code = _compact(value).replace("-", "").upper()
    if not code:
        return ""
    if len(code) != USCC_LENGTH:
        raise ValidationError(
            _("统一社会信用代码应为18位，当前为%(length)d位"),
            code="uscc_length",
            params={"length": len(code)},
        )
    _check_uscc_characters(code)
    if uscc.calc_check_digit(code[:-1]) != code[-1]:
        raise ValidationError(_("统一社会信用代码校验位错误，请核对第18位"), code="uscc_checksum")
    return code


def _check_uscc_characters(code: str) -> None:
    for index, char in enumerate(code):
        if index in _USCC_REGION and not char.isdigit():
            raise ValidationError(
                _("统一社会信用代码第%(position)d位应为数字（第3至8位是登记机关行政区划码）"),
                code="uscc_characters",
                params={"position": index + 1},
            )
        if char not in _USCC_ALPHABET:
            raise ValidationError(
                _("统一社会信用代码第%(position)d位“%(char)s”无效：只能使用数字和除 I、O、S、V、Z 以外的大写字母"),
                code="uscc_characters",
                params={"position": index + 1, "char": char},
            )


def make_uscc(seed_digits: str) -> str:
    """Append the check character to a 17-character body; used by the demo data and tests.

    Raises ``ValueError`` (a programming error, not user input) for a malformed body.
    """
    body = seed_digits.strip().upper()
    if len(body) != USCC_LENGTH - 1 or not set(body) <= _USCC_ALPHABET or not body[2:8].isdigit():
        raise ValueError(f"USCC body must be 17 code characters with digits at 3-8, got {seed_digits!r}")
    return body + uscc.calc_check_digit(body)


# --- 电话 -----------------------------------------------------------------------------------


def normalize_phone(value: str | None) -> str:
    """Digits-only form used to store numbers and match callers to customers.

    Separators (spaces, dashes, dots, parentheses, also full-width) go; a landline keeps its area
    code with the leading 0 ("0731-8888 1234" -> "073188881234"). The China prefix +86 / 0086 /
    86 is removed and a landline written internationally gets its 0 back
    ("+86 10 1234 5678" -> "01012345678"). Other international numbers keep a leading "+"
    ("00852 …" -> "+852…") so a Hong Kong number is not mistaken for a domestic one.
    """
    text = _PHONE_SEPARATORS.sub("", unicodedata.normalize("NFKC", value or ""))
    if not text:
        return ""
    international = text.startswith(("+", "00"))
    digits = text.removeprefix("+").removeprefix("00") if international else text
    if not digits.isascii() or not digits.isdigit():
        raise ValidationError(
            _("电话号码“%(value)s”只能包含数字、空格、短横线和括号，分机号请写在备注中"),
            code="phone_characters",
            params={"value": (value or "").strip()},
        )
    if international and not digits.startswith("86"):
        _check_phone_length(digits)
        return "+" + digits
    if international or _is_mobile_with_country_code(digits):
        national = digits.removeprefix("86")
        _check_phone_length(national)
        return _domestic(national)
    _check_phone_length(digits)
    return digits


def _is_mobile_with_country_code(digits: str) -> bool:
    """True for 86 + an 11-digit mobile ("8613800138000"), as phones and CRMs export them."""
    return len(digits) == 13 and digits.startswith("861")


def _domestic(national: str) -> str:
    """A national significant number: mobiles start with 1[3-9]; landlines need their 0 back."""
    is_mobile = len(national) == 11 and national[0] == "1" and national[1] in "3456789"
    return national if is_mobile or national.startswith("0") else "0" + national


def _check_phone_length(digits: str) -> None:
    if len(digits) < _MIN_PHONE_DIGITS:
        raise ValidationError(
            _("电话号码太短：至少需要%(minimum)d位数字，座机请带上区号"),
            code="phone_too_short",
            params={"minimum": _MIN_PHONE_DIGITS},
        )
    if len(digits) > _MAX_PHONE_DIGITS:
        raise ValidationError(
            _("电话号码太长：最多%(maximum)d位数字，一次只填一个号码"),
            code="phone_too_long",
            params={"maximum": _MAX_PHONE_DIGITS},
        )


# --- 公司名称 -------------------------------------------------------------------------------


def normalize_company_name(value: str | None) -> str:
    """Comparison key for duplicate detection, never for display.

    Full-width and half-width forms, whitespace, punctuation and symbols (（）()·,&…) are
    ignored, ASCII is lower-cased, and "有限责任公司" counts as "有限公司" because people use both
    for the same company. So "长沙 涵瑞（建筑）有限责任公司" == "长沙涵瑞(建筑)有限公司".
    """
    text = unicodedata.normalize("NFKC", value or "").lower()
    kept = "".join(char for char in text if char.isalnum())
    return kept.replace(_LIMITED_LIABILITY_LONG, _LIMITED_LIABILITY_SHORT)


# --- 邮箱 -----------------------------------------------------------------------------------


def validate_email_address(value: str | None) -> str:
    """Return the address with a lower-case domain, or raise with a Chinese message.

    Full-width "＠" and the ideographic full stop "。" typed with a Chinese input method are
    accepted and converted. The local part keeps its case: servers may treat it as significant.
    """
    address = unicodedata.normalize("NFKC", value or "").strip().replace("。", ".")
    if not address:
        return ""
    try:
        validate_email(address)
    except ValidationError as error:
        raise ValidationError(
            _("邮箱地址“%(value)s”格式不正确，例如 name@example.com"),
            code="email_invalid",
            params={"value": (value or "").strip()},
        ) from error
    local, _at, domain = address.rpartition("@")
    return f"{local}@{domain.lower()}"
