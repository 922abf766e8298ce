"""Printable documents of the order desk (SYS-4): quotation (报价单), sales contract (购销合同)
and order confirmation (订单确认书) as PDF.

Each ``*_context`` function gathers what the template prints (amounts formatted, 人民币大写
computed once, clauses numbered 一、二、…); ``*_pdf`` renders it with ``core.pdf.render_pdf``.
The templates carry their CSS inline (WeasyPrint; CSP concerns browser pages only) and name the
Noto CJK fonts first so every Chinese glyph is embedded.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils import timezone

from neiqin.core.money import format_cny
from neiqin.core.pdf import render_pdf
from neiqin.core.rmb import rmb_upper

CHINESE_NUMERALS = "一二三四五六七八九十"


def chinese_ordinal(n: int) -> str:
    """1 -> 一, 10 -> 十, 11 -> 十一, 20 -> 二十, 23 -> 二十三 (clause numbers 一、二、…)."""
    if n <= 0:
        return str(n)
    if n <= 10:
        return CHINESE_NUMERALS[n - 1]
    if n < 20:
        return "十" + CHINESE_NUMERALS[n - 11]
    if n < 100:
        tens, ones = divmod(n, 10)
        return CHINESE_NUMERALS[tens - 1] + "十" + (CHINESE_NUMERALS[ones - 1] if ones else "")
    return str(n)


def quantity_text(value: Decimal | None) -> str:
    if value is None:
        return ""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def price_text(value: Decimal | None) -> str:
    """A unit price: two decimals, or up to four when the price has them (no currency sign)."""
    if value is None:
        return ""
    if value == value.quantize(Decimal("0.01")):
        return f"{value:,.2f}"
    return f"{value:,.4f}".rstrip("0")


def amount_text(value: Decimal | None) -> str:
    return f"{Decimal(value or 0):,.2f}"


def _lines(document: Any) -> list[dict[str, Any]]:
    rows = []
    for line in document.lines.select_related("product").order_by("position"):
        product = line.product
        rows.append(
            {
                "position": line.position,
                "name": product.name,
                "model": product.model,
                "spec": product.spec,
                "unit": product.unit,
                "quantity": quantity_text(line.quantity),
                "unit_price": price_text(line.unit_price),
                "amount": amount_text(line.amount),
                "delivery_on": line.delivery_on,
                "note": line.note or line.description,
            }
        )
    return rows


def _totals(total: Decimal) -> dict[str, str]:
    return {"total_figures": format_cny(total), "total_text": amount_text(total), "total_upper": rmb_upper(total)}


def _company() -> dict[str, str]:
    from neiqin.sales.services.contracts import seller_party

    return seller_party()


def _base(title: str) -> dict[str, Any]:
    return {
        "doc_title": title,
        "company": _company(),
        "company_name": getattr(settings, "NEIQIN_COMPANY_NAME", ""),
        "printed_at": timezone.localtime(),
    }


# ---- quotation ----------------------------------------------------------------------------------


def quotation_context(quotation: Any) -> dict[str, Any]:
    customer = quotation.customer
    owner = quotation.owner
    return {
        **_base("报价单"),
        "quotation": quotation,
        "customer": customer,
        "contact_name": quotation.contact_name,
        "customer_phone": customer.phone,
        "customer_fax": customer.fax,
        "customer_address": customer.address,
        "salesperson": (owner.display_name or owner.username) if owner else "",
        "salesperson_phone": getattr(owner, "phone", "") or getattr(owner, "mobile", "") or "",
        "lines": _lines(quotation),
        "is_draft": not quotation.number,
        **_totals(quotation.total),
    }


def quotation_pdf(quotation: Any) -> bytes:
    return render_pdf("sales/pdf/quotation.html", quotation_context(quotation))


def quotation_filename(quotation: Any) -> str:
    return f"报价单-{quotation.number or f'草稿{quotation.pk}'}.pdf"


# ---- contract -----------------------------------------------------------------------------------


def numbered_clauses(clauses: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [
        {"ordinal": chinese_ordinal(index), "title": str(c.get("title", "")), "text": str(c.get("text", ""))}
        for index, c in enumerate(clauses or [], start=1)
    ]


PARTY_ROWS = (
    ("name", "单位名称"),
    ("address", "地址"),
    ("representative", "法定代表人"),
    ("bank", "开户银行"),
    ("account", "账号"),
    ("tax_id", "税号"),
    ("phone", "电话"),
    ("fax", "传真"),
)


def party_rows(buyer: dict[str, Any] | None, seller: dict[str, Any] | None) -> list[tuple[str, str, str]]:
    """(label, buyer value, seller value) per row of the parties table."""
    buyer, seller = buyer or {}, seller or {}
    return [(label, str(buyer.get(key, "") or ""), str(seller.get(key, "") or "")) for key, label in PARTY_ROWS]


def contract_context(contract: Any) -> dict[str, Any]:
    return {
        **_base("购销合同"),
        "contract": contract,
        "buyer": contract.buyer or {},
        "seller": contract.seller or {},
        "party_rows": party_rows(contract.buyer, contract.seller),
        "lines": _lines(contract),
        "clauses": numbered_clauses(contract.clauses),
        "is_draft": not contract.number,
        **_totals(contract.total),
    }


def contract_pdf(contract: Any) -> bytes:
    return render_pdf("sales/pdf/contract.html", contract_context(contract))


def contract_filename(contract: Any) -> str:
    return f"合同-{contract.number or f'草稿{contract.pk}'}.pdf"


# ---- order confirmation -------------------------------------------------------------------------


def order_confirmation_context(order: Any) -> dict[str, Any]:
    customer = order.customer
    owner = order.owner
    return {
        **_base("订单确认书"),
        "order": order,
        "customer": customer,
        "salesperson": (owner.display_name or owner.username) if owner else "",
        "lines": _lines(order),
        "is_draft": not order.number,
        **_totals(order.total),
    }


def order_confirmation_pdf(order: Any) -> bytes:
    return render_pdf("sales/pdf/order_confirmation.html", order_confirmation_context(order))


def order_confirmation_filename(order: Any) -> str:
    return f"订单确认书-{order.number or f'草稿{order.pk}'}.pdf"
