"""Turning line input into priced document lines: product, quantity, price (resolved from the
price lists unless typed), discount and the exactly rounded amount."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from neiqin.catalog.choices import ProductKind
from neiqin.catalog.models import Product
from neiqin.catalog.selectors import resolve_prices
from neiqin.core.errors import ValidationFailed
from neiqin.core.money import MoneyError, line_amount, sum_amounts, to_decimal
from neiqin.core.quantities import parse_price, parse_quantity

MAX_LINES = 200
ZERO = Decimal("0")


@dataclass
class LineValues:
    position: int
    product: Product
    quantity: Decimal
    list_price: Decimal
    price_source: str
    discount_rate: Decimal
    unit_price: Decimal
    floor_price: Decimal | None
    vat_rate: str
    amount: Decimal
    delivery_on: dt.date | None = None
    description: str = ""
    note: str = ""
    warehouse_id: int | None = None

    def as_model_fields(self) -> dict[str, Any]:
        return {
            "position": self.position,
            "product": self.product,
            "description": self.description,
            "quantity": self.quantity,
            "list_price": self.list_price,
            "price_source": self.price_source,
            "discount_rate": self.discount_rate,
            "unit_price": self.unit_price,
            "floor_price": self.floor_price,
            "vat_rate": self.vat_rate,
            "amount": self.amount,
            "delivery_on": self.delivery_on,
            "note": self.note,
        }


def _rate(value: Any, field: str) -> Decimal:
    """A discount given as a fraction (0.05) or a percentage ("5%"); 0 ≤ rate < 1."""
    if value in (None, ""):
        return ZERO
    text = str(value).strip().replace("％", "%")
    try:
        rate = to_decimal(text[:-1]) / 100 if text.endswith("%") else to_decimal(text)
    except MoneyError:
        raise ValidationFailed(_("折扣必须是数字，例如 0.05 或 5%。"), extra={"fields": {field: [_("折扣格式不对。")]}})
    if not ZERO <= rate < 1:
        raise ValidationFailed(_("折扣应在 0 到 100% 之间。"), extra={"fields": {field: [_("折扣超出范围。")]}})
    if rate != rate.quantize(Decimal("0.0001")):
        raise ValidationFailed(_("折扣最多保留两位百分比小数。"), extra={"fields": {field: [_("小数位太多。")]}})
    return rate


def _date(value: Any, field: str) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValidationFailed(_("日期格式应为 2026-12-31。"), extra={"fields": {field: [_("日期格式不对。")]}})


def price_lines(rows: Sequence[Mapping[str, Any]], *, customer: Any, on: dt.date | None = None) -> list[LineValues]:
    """Validate and price ``rows`` (dicts with product or product_id, quantity, optional unit_price,
    discount_rate, delivery_on, note, warehouse_id). A typed unit price wins over the price list;
    otherwise the resolved price less the discount is used. All errors are reported at once."""
    if not rows:
        raise ValidationFailed(_("请至少填写一行产品。"), extra={"fields": {"lines": [_("没有产品明细。")]}})
    if len(rows) > MAX_LINES:
        raise ValidationFailed(_("一张单据最多 %(n)s 行。") % {"n": MAX_LINES})
    errors: dict[str, list[str]] = {}
    ids = []
    for index, row in enumerate(rows, start=1):
        product = row.get("product")
        pid = product.pk if isinstance(product, Product) else row.get("product_id")
        try:
            ids.append(int(pid))
        except (TypeError, ValueError):
            errors[f"lines.{index}.product"] = [_("第 %(n)s 行：请选择产品。") % {"n": index}]
            ids.append(None)
    products = Product.objects.in_bulk([pid for pid in ids if pid is not None])
    parsed: list[tuple[int, Product, Decimal, Mapping[str, Any]]] = []
    for index, (row, pid) in enumerate(zip(rows, ids, strict=True), start=1):
        product = products.get(pid) if pid is not None else None
        if pid is not None and product is None:
            errors[f"lines.{index}.product"] = [_("第 %(n)s 行：产品不存在。") % {"n": index}]
            continue
        if product is not None and product.kind != ProductKind.GOODS:
            errors[f"lines.{index}.product"] = [_("第 %(n)s 行：促销品不能销售。") % {"n": index}]
        try:
            quantity = parse_quantity(row.get("quantity"), field=f"lines.{index}.quantity")
        except ValidationFailed as exc:
            errors[f"lines.{index}.quantity"] = [_("第 %(n)s 行：") % {"n": index} + str(exc.message)]
            continue
        if product is not None:
            parsed.append((index, product, quantity, row))
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], extra={"fields": errors})
    resolved = resolve_prices(
        products=[p for _i, p, _q, _r in parsed],
        customer=customer,
        on=on,
        quantities={p.pk: q for _i, p, q, _r in parsed},
    )
    lines = []
    for index, product, quantity, row in parsed:
        price = resolved[product.pk]
        try:
            discount = _rate(row.get("discount_rate"), f"lines.{index}.discount_rate")
            typed = row.get("unit_price")
            if typed not in (None, ""):
                unit_price = parse_price(typed, field=f"lines.{index}.unit_price")
                list_price = price.unit_price
                if list_price and discount == 0 and unit_price < list_price:
                    discount = ((list_price - unit_price) / list_price).quantize(Decimal("0.0001"))
            else:
                list_price = price.unit_price
                unit_price = parse_price(str((list_price * (1 - discount)).quantize(Decimal("0.0001"))))
            delivery_on = _date(row.get("delivery_on"), f"lines.{index}.delivery_on")
        except ValidationFailed as exc:
            for key, messages in (exc.extra.get("fields") or {"__all__": [str(exc.message)]}).items():
                errors[key] = [_("第 %(n)s 行：") % {"n": index} + m for m in messages]
            continue
        lines.append(
            LineValues(
                position=index,
                product=product,
                quantity=quantity,
                list_price=list_price,
                price_source=price.source,
                discount_rate=discount,
                unit_price=unit_price,
                floor_price=product.floor_price,
                vat_rate=product.vat_rate,
                amount=line_amount(quantity=quantity, unit_price=unit_price),
                delivery_on=delivery_on,
                description=str(row.get("description") or "")[:200],
                note=str(row.get("note") or "")[:200],
                warehouse_id=_int_or_none(row.get("warehouse_id")),
            )
        )
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], extra={"fields": errors})
    return lines


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def total_of(lines: Sequence[Any]) -> Decimal:
    return sum_amounts(line.amount for line in lines)
