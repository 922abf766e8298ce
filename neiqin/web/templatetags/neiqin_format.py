"""Presentation filters shared by the pages."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from django import template

register = template.Library()

_MOBILE = re.compile(r"^1\d{10}$")
# Two-digit area codes (Beijing, Shanghai, Tianjin, Chongqing and the big cities); others have three.
_TWO_DIGIT_AREAS = {"10", "20", "21", "22", "23", "24", "25", "27", "28", "29"}


@register.filter
def website_href(value: str) -> str:
    """A link target for a free-text website, or "" when it must not be a link.

    Only http(s) URLs become links; a bare domain gets "http://". Anything else (javascript:,
    data:, a scheme hidden with tabs or newlines) stays plain text.
    """
    text = (value or "").strip()
    if not text or any(ord(ch) < 32 for ch in text):
        return ""
    parts = urlsplit(text)
    if parts.scheme.lower() in {"http", "https"} and parts.netloc:
        return text
    if ":" not in text.split("/", 1)[0] and "." in text.split("/", 1)[0]:
        return "http://" + text
    return ""


@register.filter
def phone_display(value: str) -> str:
    """Group a normalised phone number for reading: 138 0013 8000, 0731-8888 1234, 010-6552 9988."""
    digits = (value or "").strip()
    if not digits.isdigit():
        return digits
    if _MOBILE.match(digits):
        return f"{digits[:3]} {digits[3:7]} {digits[7:]}"
    if digits.startswith("0") and len(digits) >= 10:
        area_len = 3 if digits[1:3] in _TWO_DIGIT_AREAS else 4
        area, local = digits[:area_len], digits[area_len:]
        return f"{area}-{local[:-4]} {local[-4:]}" if len(local) > 4 else f"{area}-{local}"
    return digits


@register.filter
def qty(value: Any) -> str:
    """A quantity as people write it: thousands grouped, no trailing zeros (12.500 → 12.5,
    1200.000 → 1,200). Blank stays blank."""
    from decimal import Decimal, InvalidOperation

    if value in (None, ""):
        return ""
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    text = f"{number:,.3f}"
    text = text.rstrip("0").rstrip(".") if "." in text else text
    return "0" if text in ("-0", "") else text
