"""Page forms of the order desk. They parse input into Python values; the services validate it.

Header field names match ``services.orders.HEADER_FIELDS`` so that the field errors of
``ValidationFailed.extra["fields"]`` land next to the right input. Order lines are not a Django
formset: the entry table posts parallel lists (``line_product``, ``line_quantity`` …) so that an
"add line" fragment can append a row without renumbering anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from neiqin.customers.choices import PaymentMode
from neiqin.sales.choices import Channel, OrderStatus

ISO_DATE = "%Y-%m-%d"  # what <input type="date"> expects, whatever the UI language
BLANK_ROWS = 5
MAX_ROWS = 200
PAGE_SIZE = 50
LINE_INPUTS = ("product", "quantity", "unit_price", "discount", "delivery_on", "note")


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format=ISO_DATE)


class _Bootstrap:
    """Small Bootstrap controls: the order desk pages are dense."""

    def _style(self) -> None:
        for item in self.fields.values():  # type: ignore[attr-defined]
            widget = item.widget
            if isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "form-select form-select-sm")
            elif not isinstance(widget, forms.HiddenInput):
                widget.attrs.setdefault("class", "form-control form-control-sm")


# ---- the order inbox --------------------------------------------------------------------------


class OrderFilterForm(_Bootstrap, forms.Form):
    q = forms.CharField(
        label=_("搜索"),
        required=False,
        max_length=60,
        widget=forms.TextInput(attrs={"placeholder": _("订单号、客户名称或拼音、客户订单号")}),
    )
    status = forms.ChoiceField(label=_("状态"), required=False, choices=[("", _("全部状态")), *OrderStatus.choices])
    date_from = forms.DateField(label=_("下单日期从"), required=False, widget=_date_input())
    date_to = forms.DateField(label=_("至"), required=False, widget=_date_input())
    page = forms.IntegerField(required=False, min_value=1)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._style()

    def value(self, name: str) -> Any:
        return self.cleaned_data.get(name) if hasattr(self, "cleaned_data") and name not in self.errors else None


# ---- order entry ------------------------------------------------------------------------------


class OrderForm(_Bootstrap, forms.Form):
    """The order header. ``version`` is set when editing (optimistic locking); the
    ``idempotency_key`` is generated when the entry form renders (R3)."""

    channel = forms.ChoiceField(label=_("下单方式"), choices=Channel.choices, initial=Channel.PHONE)
    customer_reference = forms.CharField(label=_("客户订单号"), required=False, max_length=60)
    ordered_on = forms.DateField(label=_("下单日期"), widget=_date_input())
    delivery_on = forms.DateField(label=_("要求交货日期"), required=False, widget=_date_input())
    payment_mode = forms.ChoiceField(
        label=_("结算方式"), required=False, choices=[("", _("按客户档案")), *PaymentMode.choices]
    )
    payment_term_days = forms.IntegerField(label=_("账期天数"), required=False, min_value=0, max_value=365)
    delivery_address = forms.CharField(label=_("收货地址"), required=False, max_length=200)
    receiver = forms.CharField(label=_("收货人"), required=False, max_length=40)
    receiver_phone = forms.CharField(label=_("收货电话"), required=False, max_length=40)
    warehouse = forms.ModelChoiceField(label=_("发货仓库"), required=False, queryset=None, empty_label=_("自动"))
    written_record = forms.CharField(
        label=_("书面凭证"),
        required=False,
        max_length=200,
        help_text=_("口头订单请补充客户的书面确认（传真、邮件或签字件的编号/文件名）。"),
    )
    notes = forms.CharField(label=_("备注"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    reason = forms.CharField(label=_("变更原因"), required=False, max_length=200)
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)
    idempotency_key = forms.CharField(required=False, max_length=100, widget=forms.HiddenInput)

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        from neiqin.stock.models import Warehouse

        super().__init__(*args, **kwargs)
        self.fields["warehouse"].queryset = Warehouse.objects.filter(is_active=True).order_by("sort_order", "code")
        if not editing:
            del self.fields["reason"]
            del self.fields["version"]
        for name in ("customer_reference", "receiver", "receiver_phone"):
            self.fields[name].widget.attrs["autocomplete"] = "off"
        self._style()

    def header_fields(self, *, creating: bool) -> dict[str, Any]:
        """The cleaned header for the service; on entry a blank payment mode or address is left
        out so that the customer file's terms apply."""
        data = {name: self.cleaned_data.get(name) for name in HEADER_NAMES}
        if data.get("payment_term_days") is None:
            data["payment_term_days"] = 0
        if creating:
            if not data.get("payment_mode"):
                data.pop("payment_mode")
                data.pop("payment_term_days")
            if not data.get("delivery_address"):
                data.pop("delivery_address")
        return data


HEADER_NAMES = (
    "channel",
    "customer_reference",
    "ordered_on",
    "delivery_on",
    "payment_mode",
    "payment_term_days",
    "delivery_address",
    "receiver",
    "receiver_phone",
    "warehouse",
    "written_record",
    "notes",
)
HEADER_LAYOUT = (
    ("channel", "col-6 col-md-3 col-xl-2"),
    ("customer_reference", "col-6 col-md-3 col-xl-2"),
    ("ordered_on", "col-6 col-md-3 col-xl-2"),
    ("delivery_on", "col-6 col-md-3 col-xl-2"),
    ("payment_mode", "col-6 col-md-3 col-xl-2"),
    ("payment_term_days", "col-6 col-md-3 col-xl-2"),
    ("delivery_address", "col-12 col-md-6"),
    ("receiver", "col-6 col-md-3"),
    ("receiver_phone", "col-6 col-md-3"),
    ("warehouse", "col-6 col-md-3 col-xl-2"),
    ("written_record", "col-12 col-md-9 col-xl-4"),
    ("notes", "col-12 col-xl-6"),
)


@dataclass
class LineRow:
    """One row of the entry table as typed, with the errors the service reported for it."""

    index: int  # 1-based row number in the table
    product: str = ""
    quantity: str = ""
    unit_price: str = ""
    discount: str = ""
    delivery_on: str = ""
    note: str = ""
    errors: list[str] = field(default_factory=list)
    error_fields: set[str] = field(default_factory=set)
    price: dict[str, Any] | None = None  # what the price cell shows (views.orders.price_info)

    @property
    def is_blank(self) -> bool:
        return not any((self.product, self.quantity, self.unit_price, self.discount, self.delivery_on, self.note))


def rows_from_post(data: QueryDict) -> list[LineRow]:
    """The typed rows (blank ones included, so the table re-renders as it was)."""
    columns = {name: data.getlist(f"line_{name}")[:MAX_ROWS] for name in LINE_INPUTS}
    count = max((len(values) for values in columns.values()), default=0)
    rows = []
    for position in range(count):
        values = {
            name: (columns[name][position] if position < len(columns[name]) else "").strip()[:200]
            for name in LINE_INPUTS
        }
        rows.append(LineRow(index=position + 1, **values))
    return rows


def padded(rows: list[LineRow], minimum: int = BLANK_ROWS) -> list[LineRow]:
    """At least ``minimum`` rows, and always one blank row at the end to type into."""
    rows = list(rows)
    while len(rows) < minimum or not rows or not rows[-1].is_blank:
        rows.append(LineRow(index=len(rows) + 1))
    return rows


def discount_text(rate: Decimal | None) -> str:
    """0.0500 -> "5%" (what the clerk types); zero -> blank."""
    if not rate:
        return ""
    percent = (rate * 100).normalize()
    return f"{percent:f}%"


def rows_from_order(order: Any) -> list[LineRow]:
    """The order's lines as entry rows; the saved unit price and discount are kept as typed so
    that an edit that changes nothing else keeps the price (and the approvals covering it)."""
    shared = _shared_models(order)
    return [
        LineRow(
            index=index,
            product=line.product.code if line.product.model_normalized in shared else line.product.model,
            quantity=_plain(line.quantity),
            unit_price=_plain(line.unit_price),
            discount=discount_text(line.discount_rate),
            delivery_on=line.delivery_on.isoformat() if line.delivery_on else "",
            note=line.note,
        )
        for index, line in enumerate(order.lines.select_related("product").order_by("position"), start=1)
    ]


def _shared_models(order: Any) -> set[str]:
    """Normalised models used by more than one product: such lines are written by product code."""
    from django.db.models import Count

    from neiqin.catalog.models import Product

    models = set(order.lines.values_list("product__model_normalized", flat=True))
    return {
        row["model_normalized"]
        for row in Product.objects.filter(model_normalized__in=models)
        .values("model_normalized")
        .annotate(n=Count("id"))
        if row["n"] > 1
    }


def _plain(value: Decimal) -> str:
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", _("批准")), ("reject", _("驳回"))])
    comment = forms.CharField(required=False, max_length=300)
