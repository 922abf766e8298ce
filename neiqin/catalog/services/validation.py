"""Cleaning product fields: the one place that turns user input into valid product values."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from neiqin.catalog.choices import ProductKind, VatRate
from neiqin.catalog.models import Product, ProductSeries
from neiqin.core.errors import ValidationFailed
from neiqin.core.quantities import parse_price

TEXT_FIELDS = {
    "code": 30,
    "name": 120,
    "model": 60,
    "spec": 120,
    "brand": 60,
    "unit": 10,
    "barcode": 32,
    "notes": 2000,
}
REQUIRED = ("name", "model", "unit")
BOOL_FIELDS = ("price_includes_tax", "is_special", "is_active")
PRICE_INPUTS = ("standard_price", "floor_price", "cost")
EDITABLE_FIELDS = (*TEXT_FIELDS, "series", "kind", "vat_rate", *BOOL_FIELDS, *PRICE_INPUTS)
AUDIT_FIELDS = (*TEXT_FIELDS, "series", "kind", "vat_rate", *BOOL_FIELDS, *PRICE_INPUTS)
LABELS = {
    "code": _l("产品编码"),
    "name": _l("品名"),
    "model": _l("型号"),
    "spec": _l("规格"),
    "brand": _l("品牌"),
    "unit": _l("单位"),
    "standard_price": _l("标准价"),
    "floor_price": _l("底价"),
    "cost": _l("成本"),
}


def normalize_model(model: str) -> str:
    """型号 as compared for duplicates and lookups: upper case, no spaces, ASCII dashes."""
    import unicodedata

    text = unicodedata.normalize("NFKC", model or "").upper()
    return "".join(text.split()).replace("—", "-").replace("－", "-")


def _as_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in {"1", "true", "yes", "y", "on", "是", "√", "✓"}


def clean_product_fields(fields: dict[str, Any], *, instance: Product | None) -> dict[str, Any]:
    """Validate ``fields`` (a subset of ``EDITABLE_FIELDS``) against ``instance`` (None: new).

    Raises ``ValidationFailed`` with every field's message at once; returns model values.
    """
    errors: dict[str, list[str]] = {}
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationFailed(_("未知字段：%(names)s") % {"names": ", ".join(sorted(unknown))})
    data: dict[str, Any] = {}
    for name, limit in TEXT_FIELDS.items():
        if name not in fields:
            continue
        value = str(fields[name] if fields[name] is not None else "").strip()
        if len(value) > limit:
            errors.setdefault(name, []).append(_("最多 %(n)s 个字。") % {"n": limit})
        data[name] = value
    for name in REQUIRED:
        current = data.get(name, getattr(instance, name, "") if instance is not None else "")
        if not current:
            errors.setdefault(name, []).append(_("请填写%(label)s。") % {"label": LABELS[name]})
    if "series" in fields:
        data["series"] = _series(fields["series"], errors)
    if "kind" in fields:
        if fields["kind"] not in ProductKind.values:
            errors.setdefault("kind", []).append(_("类别只能是商品或促销品。"))
        data["kind"] = fields["kind"]
    if "vat_rate" in fields:
        rate = _vat(fields["vat_rate"])
        if rate is None:
            errors.setdefault("vat_rate", []).append(_("税率只能是 13%、9%、6%、3% 或 0%。"))
        data["vat_rate"] = rate
    for name in BOOL_FIELDS:
        if name in fields:
            data[name] = _as_bool(fields[name])
    for name in PRICE_INPUTS:
        if name not in fields:
            continue
        raw = fields[name]
        if raw in (None, "") and name != "standard_price":
            data[name] = None
            continue
        try:
            data[name] = parse_price(raw, field=name, label=str(LABELS[name]))
        except ValidationFailed as exc:
            errors.setdefault(name, []).append(str(exc.message))
    _check_floor(data, instance, errors)
    _check_duplicate(data, instance, errors)
    if errors:
        first = next(iter(errors.values()))[0]
        raise ValidationFailed(first, extra={"fields": errors})
    if "model" in data:
        data["model_normalized"] = normalize_model(data["model"])
    return data


def _series(value: Any, errors: dict[str, list[str]]) -> ProductSeries | None:
    if value in (None, ""):
        return None
    if isinstance(value, ProductSeries):
        return value
    series = None
    if str(value).isdigit():
        series = ProductSeries.objects.filter(pk=int(value)).first()
    if series is None:
        series = ProductSeries.objects.filter(name=str(value).strip()).first()
    if series is None:
        errors.setdefault("series", []).append(_("没有这个产品系列：%(name)s") % {"name": value})
    return series


def _vat(value: Any) -> str | None:
    text = str(value if value is not None else "").strip().replace("％", "%")
    if text.endswith("%"):
        try:
            text = str((Decimal(text[:-1]) / 100).quantize(Decimal("0.01")))
        except ArithmeticError:
            return None
    try:
        text = str(Decimal(text).quantize(Decimal("0.01")))
    except ArithmeticError:
        return None
    return text if text in VatRate.values else None


def _check_floor(data: dict[str, Any], instance: Product | None, errors: dict[str, list[str]]) -> None:
    def current(name: str) -> Any:
        if name in data:
            return data[name]
        return getattr(instance, name, None) if instance is not None else None

    standard, floor = current("standard_price"), current("floor_price")
    if standard is not None and floor is not None and "standard_price" not in errors and floor > standard:
        errors.setdefault("floor_price", []).append(_("底价不能高于标准价。"))


def _check_duplicate(data: dict[str, Any], instance: Product | None, errors: dict[str, list[str]]) -> None:
    model = data.get("model", instance.model if instance is not None else "")
    spec = data.get("spec", instance.spec if instance is not None else "")
    if model:
        clash = Product.objects.filter(model_normalized=normalize_model(model), spec=spec)
        if instance is not None:
            clash = clash.exclude(pk=instance.pk)
        other = clash.first()
        if other is not None:
            errors.setdefault("model", []).append(
                _("型号和规格与已有产品 %(code)s（%(name)s）相同。") % {"code": other.code, "name": other.name}
            )
    code = data.get("code")
    if code:
        clash = Product.objects.filter(code=code)
        if instance is not None:
            clash = clash.exclude(pk=instance.pk)
        if clash.exists():
            errors.setdefault("code", []).append(_("产品编码 %(code)s 已存在。") % {"code": code})
