"""Page forms of the stock levels, the ledger, the documents the warehouse enters and warehouses.

Forms parse input into Python values; the services validate and refuse (their field errors are
put back next to the inputs). Document lines are plain repeated inputs (``product``, ``quantity``,
``unit_cost``), so adding a row in the browser is cloning a table row; ``LineRows`` parses them,
finds the products by 型号 or 产品编码 in one query and keeps per-row errors.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.db.models import Q
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from neiqin.accounts.models import Region, User
from neiqin.catalog.choices import ProductKind
from neiqin.catalog.models import Product, ProductSeries
from neiqin.catalog.services.validation import normalize_model
from neiqin.core.errors import ValidationFailed
from neiqin.core.quantities import parse_price, parse_quantity
from neiqin.customers.models import Customer
from neiqin.stock.choices import MoveKind
from neiqin.stock.models import Warehouse
from neiqin.stock.selectors.levels import LEVEL_SORTS, LevelFilters, MoveFilters, warehouses_active
from neiqin.stock.services import Line

ISO_DATE = "%Y-%m-%d"
PAGE_SIZES = (20, 50, 100, 200)
DEFAULT_PAGE_SIZE = 50
BLANK_ROWS = 8
MAX_ROWS = 200


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format=ISO_DATE)


class _Bootstrap:
    def _style(self) -> None:
        for item in self.fields.values():  # type: ignore[attr-defined]
            widget = item.widget
            if isinstance(widget, forms.CheckboxInput):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "form-select form-select-sm")
            else:
                widget.attrs.setdefault("class", "form-control form-control-sm")


class _Paged(forms.Form):
    page = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    page_size = forms.TypedChoiceField(
        required=False, coerce=int, choices=[(n, n) for n in PAGE_SIZES], widget=forms.HiddenInput
    )

    def get_page_number(self) -> int:
        return getattr(self, "cleaned_data", {}).get("page") or 1

    def get_page_size(self) -> int:
        return getattr(self, "cleaned_data", {}).get("page_size") or DEFAULT_PAGE_SIZE


# ---- filters ----------------------------------------------------------------------------------------


class LevelFilterForm(_Bootstrap, _Paged):
    q = forms.CharField(
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"placeholder": gettext_lazy("型号 / 品名 / 拼音 / 编码")}),
    )
    series = forms.ModelChoiceField(
        required=False, queryset=ProductSeries.objects.filter(is_active=True), empty_label=gettext_lazy("全部系列")
    )
    warehouse = forms.ModelChoiceField(
        required=False, queryset=Warehouse.objects.none(), empty_label=gettext_lazy("全部仓库")
    )
    kind = forms.ChoiceField(required=False, choices=[("", gettext_lazy("全部类别")), *ProductKind.choices])
    low_only = forms.BooleanField(required=False, label=gettext_lazy("只看低于安全库存"))
    in_stock_only = forms.BooleanField(required=False, label=gettext_lazy("只看有库存"))
    include_inactive = forms.BooleanField(required=False, label=gettext_lazy("含停售产品"))
    sort = forms.ChoiceField(required=False, choices=[(k, k) for k in LEVEL_SORTS], widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["warehouse"].queryset = warehouses_active()
        self._style()

    def filters(self) -> LevelFilters:
        data = self.cleaned_data if hasattr(self, "cleaned_data") else {}
        warehouse = data.get("warehouse")
        series = data.get("series")
        return LevelFilters(
            q=(data.get("q") or "").strip(),
            series=series.pk if series else None,
            warehouse=warehouse.pk if warehouse else None,
            low_only=bool(data.get("low_only")),
            in_stock_only=bool(data.get("in_stock_only")),
            include_inactive=bool(data.get("include_inactive")),
            sort=data.get("sort") or "model",
            kind=data.get("kind") or "",
        )


MOVE_KIND_CHOICES = [("", gettext_lazy("全部类型")), ("transfer", gettext_lazy("调拨（出+入）")), *MoveKind.choices]


class MoveFilterForm(_Bootstrap, _Paged):
    q = forms.CharField(
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"placeholder": gettext_lazy("型号 / 品名 / 拼音")}),
    )
    warehouse = forms.ModelChoiceField(
        required=False, queryset=Warehouse.objects.all(), empty_label=gettext_lazy("全部仓库")
    )
    kind = forms.ChoiceField(required=False, choices=MOVE_KIND_CHOICES)
    date_from = forms.DateField(required=False, widget=_date_input(), label=gettext_lazy("从"))
    date_to = forms.DateField(required=False, widget=_date_input(), label=gettext_lazy("到"))
    document_number = forms.CharField(
        required=False, max_length=40, widget=forms.TextInput(attrs={"placeholder": gettext_lazy("单据号")})
    )
    product = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._style()

    def filters(self) -> MoveFilters:
        data = self.cleaned_data if hasattr(self, "cleaned_data") else {}
        warehouse = data.get("warehouse")
        return MoveFilters(
            warehouse=warehouse.pk if warehouse else None,
            product=data.get("product"),
            kind=data.get("kind") or "",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            document_number=(data.get("document_number") or "").strip(),
            q=(data.get("q") or "").strip(),
        )


# ---- document headers --------------------------------------------------------------------------------


class _DocumentForm(_Bootstrap, forms.Form):
    moved_on = forms.DateField(label=gettext_lazy("业务日期"), widget=_date_input())
    reason = forms.CharField(label=gettext_lazy("备注"), required=False, max_length=200)

    reason_required = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("moved_on", timezone.localdate())
        super().__init__(*args, **kwargs)
        for name in ("warehouse", "source", "target"):
            if name in self.fields:
                self.fields[name].queryset = warehouses_active()
        if self.reason_required:
            self.fields["reason"].required = True
            self.fields["reason"].label = gettext_lazy("原因")
        self._style()

    def clean_moved_on(self) -> Any:
        value = self.cleaned_data["moved_on"]
        if value > timezone.localdate():
            raise forms.ValidationError(_("业务日期不能晚于今天。"))
        return value


def _warehouse_field(label: Any) -> forms.ModelChoiceField:
    return forms.ModelChoiceField(label=label, queryset=Warehouse.objects.none(), empty_label=gettext_lazy("请选择"))


class ReceiptForm(_DocumentForm):
    warehouse = _warehouse_field(gettext_lazy("入库仓库"))
    field_order = ["warehouse", "moved_on", "reason"]


class TransferForm(_DocumentForm):
    source = _warehouse_field(gettext_lazy("调出仓库"))
    target = _warehouse_field(gettext_lazy("调入仓库"))
    field_order = ["source", "target", "moved_on", "reason"]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("source") and data.get("target") and data["source"].pk == data["target"].pk:
            self.add_error("target", _("调出仓库和调入仓库不能相同。"))
        return data


class AdjustmentForm(_DocumentForm):
    warehouse = _warehouse_field(gettext_lazy("仓库"))
    reason_required = True
    field_order = ["warehouse", "moved_on", "reason"]


class ShipmentForm(_DocumentForm):
    warehouse = _warehouse_field(gettext_lazy("出库仓库"))
    customer = forms.CharField(
        label=gettext_lazy("客户编号"),
        required=False,
        max_length=20,
        help_text=gettext_lazy("可不填；填写客户档案上的客户编号。"),
    )
    reason_required = True
    field_order = ["warehouse", "customer", "moved_on", "reason"]

    def clean_customer(self) -> Customer | None:
        code = (self.cleaned_data.get("customer") or "").strip()
        if not code:
            return None
        # The warehouse sees no customer files, but may name the customer a shipment went to.
        customer = Customer.objects.filter(code__iexact=code).first()
        if customer is None:
            raise forms.ValidationError(_("客户编号“%(code)s”不存在。") % {"code": code})
        return customer


class MinQuantityForm(forms.Form):
    warehouse = forms.ModelChoiceField(queryset=Warehouse.objects.none())
    min_quantity = forms.CharField(max_length=30, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["warehouse"].queryset = warehouses_active()


# ---- document lines ------------------------------------------------------------------------------


@dataclass
class LineRow:
    product_text: str = ""
    quantity: str = ""
    unit_cost: str = ""
    product: Product | None = None
    errors: list[str] = field(default_factory=list)

    @property
    def blank(self) -> bool:
        return not (self.product_text or self.quantity or self.unit_cost)


class LineRows:
    """The repeated line inputs of a document form: ``product`` (型号 or 产品编码), ``quantity``
    and, for roles that see cost on a receipt, ``unit_cost``. Blank rows are ignored."""

    def __init__(self, data: QueryDict | None = None, *, signed: bool = False, with_cost: bool = False) -> None:
        self.signed = signed
        self.with_cost = with_cost
        self.rows: list[LineRow] = []
        self.used: list[LineRow] = []  # rows that became lines, in order (service errors index these)
        self.error: str | None = None
        self.bound = data is not None
        if data is not None:
            products = data.getlist("product")[:MAX_ROWS]
            quantities = data.getlist("quantity")[:MAX_ROWS]
            costs = data.getlist("unit_cost")[:MAX_ROWS] if with_cost else []
            for index in range(max(len(products), len(quantities), len(costs))):
                self.rows.append(
                    LineRow(
                        product_text=_at(products, index),
                        quantity=_at(quantities, index),
                        unit_cost=_at(costs, index),
                    )
                )

    def display_rows(self) -> list[LineRow]:
        shown = [row for row in self.rows if not row.blank] if self.bound else []
        return shown + [LineRow() for _i in range(max(BLANK_ROWS - len(shown), 2))]

    def is_valid(self) -> bool:
        filled = [row for row in self.rows if not row.blank]
        if not filled:
            self.error = _("请至少填写一行产品和数量。")
            return False
        self._find_products(filled)
        for row in filled:
            self._check(row)
        self.used = [row for row in filled if not row.errors]
        if len(self.used) != len(filled):
            self.error = _("请修正标红的明细行。")
            return False
        return True

    def lines(self) -> list[Line]:
        return [Line(product=row.product, quantity=row.quantity, unit_cost=row.unit_cost or None) for row in self.used]

    def apply_service_errors(self, exc: ValidationFailed) -> bool:
        """Put ``lines.N.*`` errors of a service on row N; True when some were placed."""
        placed = False
        for key, messages in (exc.extra.get("fields") or {}).items():
            parts = str(key).split(".")
            if len(parts) >= 2 and parts[0] == "lines" and parts[1].isdigit():
                index = int(parts[1]) - 1
                if 0 <= index < len(self.used):
                    self.used[index].errors.extend(messages)
                    placed = True
        return placed

    def mark_product(self, product_id: Any, message: str) -> None:
        for row in self.used:
            if row.product is not None and row.product.pk == product_id:
                row.errors.append(message)

    def _find_products(self, rows: list[LineRow]) -> None:
        texts = {row.product_text.strip() for row in rows if row.product_text.strip()}
        if not texts:
            return
        codes = {t.upper() for t in texts}
        models = {normalize_model(t) for t in texts}
        found = list(
            Product.objects.filter(Q(code__in=codes | texts) | Q(model_normalized__in=models)).order_by("code")
        )
        by_code = {p.code.upper(): p for p in found}
        by_model: dict[str, list[Product]] = {}
        for product in found:
            by_model.setdefault(product.model_normalized, []).append(product)
        for row in rows:
            text = row.product_text.strip()
            if not text:
                continue
            if text.upper() in by_code:
                row.product = by_code[text.upper()]
                continue
            matches = by_model.get(normalize_model(text), [])
            if len(matches) == 1:
                row.product = matches[0]
            elif matches:
                options = "、".join(f"{p.code}（{p.spec or '-'}）" for p in matches[:6])
                row.errors.append(
                    _("型号“%(model)s”有多个规格：%(options)s，请填写产品编码。") % {"model": text, "options": options}
                )
            else:
                row.errors.append(_("找不到型号或编码为“%(text)s”的产品。") % {"text": text})

    def _check(self, row: LineRow) -> None:
        if not row.product_text.strip():
            row.errors.append(_("请填写型号或产品编码。"))
        try:
            if self.signed:
                quantity = parse_quantity(row.quantity, allow_negative=True, allow_zero=True)
                if quantity == 0:
                    raise ValidationFailed(_("调整数量不能为 0。"))
            else:
                quantity = parse_quantity(row.quantity)
            row.quantity = str(quantity)
        except ValidationFailed as exc:
            row.errors.append(str(exc.message))
        if self.with_cost and row.unit_cost.strip():
            try:
                row.unit_cost = str(parse_price(row.unit_cost, field="unit_cost", label=_("单位成本")))
            except ValidationFailed as exc:
                row.errors.append(str(exc.message))


def _at(values: list[str], index: int) -> str:
    return (values[index] if index < len(values) else "").strip()


# ---- warehouses -----------------------------------------------------------------------------------


class WarehouseForm(_Bootstrap, forms.Form):
    code = forms.CharField(label=gettext_lazy("仓库编码"), max_length=20)
    name = forms.CharField(label=gettext_lazy("仓库名称"), max_length=40)
    region = forms.ModelChoiceField(
        label=gettext_lazy("销售大区"), required=False, queryset=Region.objects.order_by("code")
    )
    address = forms.CharField(label=gettext_lazy("地址"), required=False, max_length=200)
    keeper = forms.ModelChoiceField(
        label=gettext_lazy("库管员"),
        required=False,
        queryset=User.objects.filter(is_active=True).order_by("username"),
    )
    sort_order = forms.IntegerField(label=gettext_lazy("排序"), min_value=0, max_value=100000, initial=0)
    allow_negative = forms.BooleanField(
        label=gettext_lazy("允许负库存"),
        required=False,
        help_text=gettext_lazy("一般不要勾选：勾选后该仓库出库时不再检查库存是否足够。"),
    )
    is_active = forms.BooleanField(label=gettext_lazy("启用"), required=False, initial=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._style()

    @staticmethod
    def initial_for(warehouse: Warehouse) -> dict[str, Any]:
        return {
            "code": warehouse.code,
            "name": warehouse.name,
            "region": warehouse.region_id,
            "address": warehouse.address,
            "keeper": warehouse.keeper_id,
            "sort_order": warehouse.sort_order,
            "allow_negative": warehouse.allow_negative,
            "is_active": warehouse.is_active,
        }

    def service_fields(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        return {
            "code": data["code"],
            "name": data["name"],
            "region": data.get("region"),
            "address": data.get("address") or "",
            "keeper": data.get("keeper"),
            "sort_order": data.get("sort_order") or 0,
            "allow_negative": bool(data.get("allow_negative")),
            "is_active": bool(data.get("is_active")),
        }
