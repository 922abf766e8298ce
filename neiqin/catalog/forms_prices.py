"""Page forms for price lists, price changes and the price lookup (PRD-2).

The forms only parse: prices and quantities stay text so that ``services.price_set`` (through
``core.quantities``) refuses bad numbers with the same message on pages, API and imports, and
its field errors (``unit_price``, ``min_quantity``, ``effective_from``, ``product``) land next to
the inputs of the same name.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from neiqin.catalog.choices import PriceListKind
from neiqin.customers.choices import Grade

ISO_DATE = "%Y-%m-%d"  # what <input type="date"> expects, whatever the UI language


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format=ISO_DATE)


class _Bootstrap:
    """Small Bootstrap controls on every widget (the pages are dense and used on phones)."""

    def _style(self) -> None:
        for field in self.fields.values():  # type: ignore[attr-defined]
            widget = field.widget
            if isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "form-select form-select-sm")
            else:
                widget.attrs.setdefault("class", "form-control form-control-sm")


class PriceListCreateForm(_Bootstrap, forms.Form):
    """A grade list (one per grade) or a customer list (one per customer)."""

    kind = forms.ChoiceField(
        label=_("类型"),
        choices=[
            (PriceListKind.GRADE.value, PriceListKind.GRADE.label),
            (PriceListKind.CUSTOMER.value, PriceListKind.CUSTOMER.label),
        ],
    )
    grade = forms.ChoiceField(label=_("客户等级"), required=False, choices=[("", "—"), *Grade.choices])
    customer = forms.IntegerField(label=_("客户"), required=False, min_value=1, widget=forms.Select)
    name = forms.CharField(label=_("名称"), required=False, max_length=80)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._style()
        self.fields["name"].widget.attrs["placeholder"] = _("留空则自动命名")


class PriceSetForm(_Bootstrap, forms.Form):
    """A new dated price on one list: the product by 型号 (or 产品编码), price, break, date, reason."""

    product = forms.CharField(label=_("型号"), max_length=60)
    unit_price = forms.CharField(label=_("单价"), max_length=30)
    min_quantity = forms.CharField(label=_("起订数量"), max_length=30, required=False, initial="0")
    effective_from = forms.DateField(
        label=_("生效日期"), required=False, widget=_date_input(), input_formats=[ISO_DATE]
    )
    reason = forms.CharField(label=_("调价原因"), max_length=200, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"effective_from": timezone.localdate(), "min_quantity": "0"})
        super().__init__(*args, **kwargs)
        self._style()
        attrs = self.fields["product"].widget.attrs
        attrs.update({"placeholder": _("输入型号或品名搜索"), "autocomplete": "off", "list": "price-product-options"})
        self.fields["unit_price"].widget.attrs.update({"inputmode": "decimal", "placeholder": "0.00"})
        self.fields["min_quantity"].widget.attrs.update({"inputmode": "decimal"})


class PriceChangeFilterForm(_Bootstrap, forms.Form):
    """Filters of the price change list: product, list, effective date range."""

    product = forms.CharField(required=False, max_length=60)
    price_list = forms.IntegerField(required=False, min_value=1, widget=forms.Select)
    date_from = forms.DateField(required=False, widget=_date_input(), input_formats=[ISO_DATE])
    date_to = forms.DateField(required=False, widget=_date_input(), input_formats=[ISO_DATE])
    page = forms.IntegerField(required=False, min_value=1)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._style()
        self.fields["product"].widget.attrs.update({"placeholder": _("型号 / 品名"), "type": "search"})

    def value(self, name: str) -> Any:
        """The cleaned value, or None when missing or invalid (invalid filters are ignored)."""
        if not self.is_bound or not hasattr(self, "cleaned_data"):
            return None
        return self.cleaned_data.get(name)


class PriceLookupForm(_Bootstrap, forms.Form):
    """查价: customer (searched), product (型号), quantity, date, and optionally a price to check."""

    customer_q = forms.CharField(label=_("客户"), required=False, max_length=60)
    customer = forms.IntegerField(label=_("客户"), required=False, min_value=1, widget=forms.Select)
    product = forms.CharField(label=_("型号"), required=False, max_length=60)
    quantity = forms.CharField(label=_("数量"), required=False, max_length=30)
    on = forms.DateField(label=_("日期"), required=False, widget=_date_input(), input_formats=[ISO_DATE])
    price = forms.CharField(label=_("拟报单价"), required=False, max_length=30)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._style()
        self.fields["customer_q"].widget.attrs.update(
            {"placeholder": _("客户名称 / 简称 / 拼音首字母"), "type": "search", "autocomplete": "off"}
        )
        self.fields["product"].widget.attrs.update(
            {"placeholder": _("型号"), "autocomplete": "off", "list": "price-product-options"}
        )
        self.fields["quantity"].widget.attrs.update({"inputmode": "decimal", "placeholder": "1"})
        self.fields["price"].widget.attrs.update({"inputmode": "decimal", "placeholder": _("可选")})
