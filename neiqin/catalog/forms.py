"""Page forms of the catalogue (PRD-1). They parse input; ``catalog.services`` validates it.

Field names match ``services.validation.EDITABLE_FIELDS`` so that the field errors of
``ValidationFailed.extra["fields"]`` land next to the right input. Prices are text inputs: the
service parses them (``core.quantities.parse_price``) and explains what is wrong in Chinese.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from neiqin.catalog.choices import ProductKind, VatRate
from neiqin.catalog.models import Product, ProductSeries
from neiqin.catalog.selectors import SORTS, ProductFilters

PAGE_SIZE = 50
TRI = {"1": True, "0": False}


def _blank(label: Any, choices: Any) -> list[tuple[str, Any]]:
    return [("", label), *choices]


class _Bootstrap:
    """Small Bootstrap controls on every widget (the pages are dense)."""

    def _style(self) -> None:
        for field in self.fields.values():  # type: ignore[attr-defined]
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, forms.Select | forms.SelectMultiple):
                widget.attrs.setdefault("class", "form-select form-select-sm")
            else:
                widget.attrs.setdefault("class", "form-control form-control-sm")


# ---- list filters -------------------------------------------------------------------------------


class ProductFilterForm(_Bootstrap, forms.Form):
    """Query-string filters of the product list and its export."""

    q = forms.CharField(required=False, max_length=100)
    series = forms.ModelChoiceField(required=False, queryset=ProductSeries.objects.all(), empty_label=_("全部系列"))
    brand = forms.ChoiceField(required=False)
    kind = forms.ChoiceField(required=False, choices=_blank(_("全部类别"), ProductKind.choices))
    active = forms.ChoiceField(required=False, choices=[("1", _("在售")), ("0", _("停售")), ("all", _("在售和停售"))])
    special = forms.ChoiceField(
        required=False, choices=[("", _("特殊品不限")), ("1", _("仅特殊/定制")), ("0", _("非特殊"))]
    )
    sort = forms.ChoiceField(required=False, choices=[(key, key) for key in SORTS])
    page = forms.IntegerField(required=False, min_value=1)

    def __init__(self, *args: Any, brands: list[str] | None = None, sees_prices: bool = True, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["brand"].choices = _blank(_("全部品牌"), [(b, b) for b in brands or []])
        if not sees_prices:
            # Sorting by price would reveal the price order to a role that may not see prices.
            self.fields["sort"].choices = [(k, k) for k in SORTS if "price" not in k]
        self._style()
        self.fields["q"].widget.attrs.update(
            {"placeholder": _("型号 / 品名 / 拼音首字母 / 编码 / 条形码"), "type": "search"}
        )

    def filters(self) -> ProductFilters:
        """The valid part of the query (invalid values are ignored and shown on the form)."""
        data = self.cleaned_data if self.is_bound else {}
        active = data.get("active") or "1"
        series = data.get("series")
        return ProductFilters(
            q=(data.get("q") or "").strip(),
            series=series.pk if series else None,
            brand=data.get("brand") or "",
            kind=data.get("kind") or "",
            active=None if active == "all" else TRI[active],
            special=TRI.get(data.get("special") or ""),
            sort=data.get("sort") or "model",
        )

    def active_filters(self) -> dict[str, Any]:
        """The filters in force, for the export's audit record."""
        data = self.cleaned_data if self.is_bound else {}
        shown = {}
        for name in ("q", "series", "brand", "kind", "active", "special"):
            value = data.get(name)
            if value not in (None, ""):
                shown[name] = value.pk if isinstance(value, ProductSeries) else value
        return shown

    def get_page_number(self) -> int:
        return (self.cleaned_data.get("page") if self.is_bound else None) or 1


# ---- product ----------------------------------------------------------------------------------

BASIC = ("code", "model", "name", "spec", "unit", "series", "brand", "kind", "barcode")
PRICING = ("standard_price", "price_includes_tax", "floor_price", "cost", "vat_rate")
FLAGS = ("is_special", "is_active", "notes")
SECTIONS = (
    (_("基本信息"), BASIC),
    (_("价格与税率"), PRICING),
    (_("状态与备注"), FLAGS),
)
PRICE_FIELDS = ("standard_price", "floor_price", "cost")
BOOL_FIELDS = ("price_includes_tax", "is_special", "is_active")


def _label(name: str) -> Any:
    return Product._meta.get_field(name).verbose_name


class ProductForm(_Bootstrap, forms.Form):
    """Create or edit a product with only the fields the user may set.

    ``settable`` names the price fields the role may set here: the standard price only when
    creating (later it changes by a dated price change), the floor price for the deputy GM and
    above, the cost for finance and management. ``version`` carries the copy the user started from.
    """

    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, settable: frozenset[str], creating: bool, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.creating = creating
        for _title, names in SECTIONS:
            for name in names:
                if name in PRICE_FIELDS and name not in settable:
                    continue
                self.fields[name] = self._field(name)
        if creating:
            self.fields["code"].help_text = _("留空则自动编号。")
        self._style()

    @staticmethod
    def _field(name: str) -> forms.Field:
        label = _label(name)
        if name == "series":
            return forms.ModelChoiceField(
                label=label,
                queryset=ProductSeries.objects.all(),
                required=False,
                empty_label="—",
                error_messages={"invalid_choice": _("没有这个产品系列，请从列表中选择。")},
            )
        if name == "kind":
            return forms.ChoiceField(label=label, choices=ProductKind.choices, required=False)
        if name == "vat_rate":
            return forms.ChoiceField(
                label=label,
                choices=VatRate.choices,
                required=False,
                # Django formats this message with the value: the percent signs are doubled.
                error_messages={"invalid_choice": _("税率只能是 13%%、9%%、6%%、3%% 或 0%%。")},
            )
        if name in BOOL_FIELDS:
            return forms.BooleanField(label=label, required=False)
        if name in PRICE_FIELDS:
            return forms.CharField(
                label=label, required=False, max_length=32, widget=forms.TextInput(attrs={"inputmode": "decimal"})
            )
        widget = forms.Textarea(attrs={"rows": 3}) if name == "notes" else forms.TextInput()
        return forms.CharField(label=label, required=False, widget=widget, strip=True)

    def clean_code(self) -> str:
        code = self.cleaned_data.get("code") or ""
        if not code and not self.creating:
            raise forms.ValidationError(_("请填写产品编码。"))
        return code

    def sections(self) -> list[tuple[Any, list[forms.BoundField]]]:
        return [
            (title, [self[name] for name in names if name in self.fields])
            for title, names in SECTIONS
            if any(name in self.fields for name in names)
        ]

    def service_fields(self) -> dict[str, Any]:
        """The parsed values in the shape ``product_create`` / ``product_update`` take."""
        data = self.cleaned_data
        fields: dict[str, Any] = {}
        for _title, names in SECTIONS:
            for name in names:
                if name not in self.fields or name not in data:
                    continue
                value = data[name]
                if name in ("kind", "vat_rate") and value == "":
                    continue  # not given: the model default (create) or the current value (edit) stays
                if name == "code" and self.creating and not value:
                    continue  # numbered by the service
                if name in ("floor_price", "cost") and self.creating and value == "":
                    continue  # nothing to set: no permission needed
                fields[name] = value
        return fields

    @classmethod
    def initial_for(cls, product: Product) -> dict[str, Any]:
        initial: dict[str, Any] = {name: getattr(product, name) for _t, names in SECTIONS for name in names}
        initial["series"] = product.series_id
        for name in PRICE_FIELDS:
            value = getattr(product, name)
            initial[name] = "" if value is None else _plain(value)
        initial["version"] = product.version
        return initial


def _plain(value: Any) -> str:
    from neiqin.catalog.schemas import price_text

    return price_text(value) or ""


def create_initial() -> dict[str, Any]:
    """Initial values of a new product form (the model defaults)."""
    return {"kind": ProductKind.GOODS, "vat_rate": VatRate.R13, "price_includes_tax": True, "is_active": True}


# ---- series -----------------------------------------------------------------------------------


class SeriesForm(_Bootstrap, forms.Form):
    name = forms.CharField(label=_("系列名称"), max_length=60, required=False, strip=True)
    description = forms.CharField(label=_("说明"), max_length=200, required=False, strip=True)
    sort_order = forms.IntegerField(
        label=_("排序"),
        required=False,
        min_value=0,
        max_value=2**31 - 1,
        error_messages={"invalid": _("排序必须是整数。"), "min_value": _("排序不能为负数。")},
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._style()
