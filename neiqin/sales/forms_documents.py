"""Page forms of the quotation and contract pages (ORD-1, ORD-2). They parse input; the
services validate it. Product lines reuse the order entry's parallel lists (``line_product``,
``line_quantity`` …, see ``sales.forms.rows_from_post``); contract clauses post the same way
(``clause_title``, ``clause_text``) so that a clause can be added or removed without a formset."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from neiqin.catalog.models import Product
from neiqin.core.errors import ValidationFailed
from neiqin.sales.choices import ContractStatus, QuotationStatus, ReviewKind
from neiqin.sales.forms import ISO_DATE, LineRow, _Bootstrap
from neiqin.sales.services.contracts import PARTY_KEYS

MAX_CLAUSES = 30


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format=ISO_DATE)


class _Filter(_Bootstrap, forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._style()

    def value(self, name: str) -> Any:
        return self.cleaned_data.get(name) if hasattr(self, "cleaned_data") and name not in self.errors else None


# ---- quotations ---------------------------------------------------------------------------------


class QuotationFilterForm(_Filter):
    q = forms.CharField(
        label=gettext_lazy("搜索"),
        required=False,
        max_length=60,
        widget=forms.TextInput(attrs={"placeholder": gettext_lazy("报价单号、客户名称或拼音")}),
    )
    status = forms.ChoiceField(
        label=gettext_lazy("状态"), required=False, choices=[("", gettext_lazy("全部状态")), *QuotationStatus.choices]
    )
    customer = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    date_from = forms.DateField(label=gettext_lazy("报价日期从"), required=False, widget=_date_input())
    date_to = forms.DateField(label=gettext_lazy("至"), required=False, widget=_date_input())
    expired = forms.BooleanField(label=gettext_lazy("只看已过期"), required=False)
    page = forms.IntegerField(required=False, min_value=1)


class QuotationForm(_Bootstrap, forms.Form):
    quoted_on = forms.DateField(label=gettext_lazy("报价日期"), widget=_date_input())
    valid_until = forms.DateField(label=gettext_lazy("有效期至"), widget=_date_input())
    contact_name = forms.CharField(label=gettext_lazy("联系人"), required=False, max_length=40)
    payment_terms = forms.CharField(label=gettext_lazy("付款方式"), required=False, max_length=100)
    delivery_terms = forms.CharField(label=gettext_lazy("交货方式"), required=False, max_length=100)
    notes = forms.CharField(label=gettext_lazy("备注"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._style()

    def service_fields(self) -> dict[str, Any]:
        names = ("quoted_on", "valid_until", "contact_name", "payment_terms", "delivery_terms", "notes")
        return {name: self.cleaned_data.get(name) for name in names}


QUOTATION_LAYOUT = (
    ("quoted_on", "col-6 col-md-3 col-xl-2"),
    ("valid_until", "col-6 col-md-3 col-xl-2"),
    ("contact_name", "col-6 col-md-3 col-xl-2"),
    ("payment_terms", "col-6 col-md-3 col-xl-3"),
    ("delivery_terms", "col-6 col-md-3 col-xl-3"),
    ("notes", "col-12"),
)


# ---- product lines ------------------------------------------------------------------------------


def product_from_text(text: str) -> Product:
    """The product meant by a typed 产品编码, or a 型号 that names exactly one product."""
    from neiqin.catalog.selectors import product_by_model
    from neiqin.catalog.services.validation import normalize_model

    text = (text or "").strip()
    product = Product.objects.filter(code__iexact=text).first() or product_by_model(text)
    if product is not None:
        return product
    if Product.objects.filter(model_normalized=normalize_model(text)).count() > 1:
        raise ValidationFailed(_("型号 %(model)s 有多个规格，请填写产品编码。") % {"model": text})
    raise ValidationFailed(_("找不到型号为 %(model)s 的产品。") % {"model": text})


def service_lines(rows: list[LineRow]) -> tuple[list[dict[str, Any]], list[LineRow]]:
    """Non-blank rows as service input; unknown products are marked on their row. The second
    value lists the rows in service order (service line n = used[n - 1])."""
    lines, used = [], []
    for row in rows:
        if row.is_blank:
            continue
        used.append(row)
        item: dict[str, Any] = {
            "quantity": row.quantity,
            "unit_price": row.unit_price,
            "discount_rate": row.discount,
            "delivery_on": row.delivery_on,
            "note": row.note,
        }
        if not row.product:
            row.errors.append(_("请填写型号。"))
            row.error_fields.add("product")
        else:
            try:
                item["product_id"] = product_from_text(row.product).pk
            except ValidationFailed as exc:
                row.errors.append(str(exc.message))
                row.error_fields.add("product")
        lines.append(item)
    return lines, used


def place_line_errors(exc: ValidationFailed, used: list[LineRow]) -> str | None:
    """Service errors ``lines.<n>.<field>`` go on their rows; anything else is returned."""
    other = []
    for key, errors in (exc.extra.get("fields") or {}).items():
        parts = key.split(".")
        if parts[0] == "lines" and len(parts) == 3 and parts[1].isdigit() and 0 < int(parts[1]) <= len(used):
            row = used[int(parts[1]) - 1]
            prefix = _("第 %(n)s 行：") % {"n": parts[1]}
            row.errors.extend(str(e)[len(prefix) :] if str(e).startswith(prefix) else str(e) for e in errors)
            row.error_fields.add({"discount_rate": "discount"}.get(parts[2], parts[2]))
        else:
            other.extend(str(e) for e in errors)
    if other or not any(r.errors for r in used):
        return str(exc.message)
    return None


# ---- contracts ----------------------------------------------------------------------------------


class ContractFilterForm(_Filter):
    q = forms.CharField(
        label=gettext_lazy("搜索"),
        required=False,
        max_length=60,
        widget=forms.TextInput(attrs={"placeholder": gettext_lazy("合同编号、名称或客户")}),
    )
    status = forms.ChoiceField(
        label=gettext_lazy("状态"), required=False, choices=[("", gettext_lazy("全部状态")), *ContractStatus.choices]
    )
    customer = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    expiring = forms.BooleanField(label=gettext_lazy("30 天内到期"), required=False)
    page = forms.IntegerField(required=False, min_value=1)


class ContractCreateForm(_Bootstrap, forms.Form):
    title = forms.CharField(label=gettext_lazy("合同名称"), max_length=120)
    ends_on = forms.DateField(label=gettext_lazy("到期日期"), required=False, widget=_date_input())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._style()


PARTY_LABELS = {
    "name": gettext_lazy("单位名称"),
    "address": gettext_lazy("地址"),
    "bank": gettext_lazy("开户银行"),
    "account": gettext_lazy("账号"),
    "tax_id": gettext_lazy("税号"),
    "phone": gettext_lazy("电话"),
    "fax": gettext_lazy("传真"),
    "representative": gettext_lazy("法定代表人"),
}


class ContractEditForm(_Bootstrap, forms.Form):
    """The draft's header and both parties (``buyer_<key>`` / ``seller_<key>``)."""

    title = forms.CharField(label=gettext_lazy("合同名称"), max_length=120)
    starts_on = forms.DateField(label=gettext_lazy("起始日期"), required=False, widget=_date_input())
    ends_on = forms.DateField(label=gettext_lazy("到期日期"), required=False, widget=_date_input())
    expiry_warning_days = forms.IntegerField(
        label=gettext_lazy("到期提前提醒天数"), min_value=0, max_value=365, initial=30
    )
    signed_at_place = forms.CharField(label=gettext_lazy("签订地点"), required=False, max_length=60)
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for side in ("buyer", "seller"):
            for key in PARTY_KEYS:
                self.fields[f"{side}_{key}"] = forms.CharField(label=PARTY_LABELS[key], required=False, max_length=200)
        self._style()

    def party_fields(self, side: str) -> list[Any]:
        return [self[f"{side}_{key}"] for key in PARTY_KEYS]

    def party(self, side: str) -> dict[str, str]:
        return {key: self.cleaned_data.get(f"{side}_{key}") or "" for key in PARTY_KEYS}

    def service_fields(self) -> dict[str, Any]:
        data = {
            name: self.cleaned_data.get(name)
            for name in ("title", "starts_on", "ends_on", "expiry_warning_days", "signed_at_place")
        }
        data["signed_at_place"] = data["signed_at_place"] or ""
        data["buyer"] = self.party("buyer")
        data["seller"] = self.party("seller")
        return data

    @staticmethod
    def initial_for(contract: Any) -> dict[str, Any]:
        initial = {
            "title": contract.title,
            "starts_on": contract.starts_on,
            "ends_on": contract.ends_on,
            "expiry_warning_days": contract.expiry_warning_days,
            "signed_at_place": contract.signed_at_place,
            "version": contract.version,
        }
        for side in ("buyer", "seller"):
            party = getattr(contract, side) or {}
            for key in PARTY_KEYS:
                initial[f"{side}_{key}"] = party.get(key, "")
        return initial


def clauses_from_post(data: QueryDict) -> list[dict[str, str]]:
    """The clause rows as typed (``clause_key``, ``clause_title``, ``clause_text``); rows with
    neither title nor text are dropped, a text without a title is kept (the service refuses it)."""
    keys = data.getlist("clause_key")[:MAX_CLAUSES]
    titles = data.getlist("clause_title")[:MAX_CLAUSES]
    texts = data.getlist("clause_text")[:MAX_CLAUSES]
    clauses = []
    for index in range(max(len(titles), len(texts))):
        title = (titles[index] if index < len(titles) else "").strip()
        text = (texts[index] if index < len(texts) else "").strip()
        if not title and not text:
            continue
        clauses.append({"key": (keys[index] if index < len(keys) else "")[:40], "title": title, "text": text})
    return clauses


class ReviewForm(forms.Form):
    kind = forms.ChoiceField(choices=ReviewKind.choices)
    decision = forms.ChoiceField(choices=[("approve", gettext_lazy("通过")), ("return", gettext_lazy("退回"))])
    comment = forms.CharField(required=False, max_length=300)


class SignForm(_Bootstrap, forms.Form):
    signed_on = forms.DateField(label=gettext_lazy("签订日期"), required=False, widget=_date_input())
    buyer_signatory = forms.CharField(label=gettext_lazy("买方签字人"), required=False, max_length=40)
    seller_signatory = forms.CharField(label=gettext_lazy("卖方签字人"), required=False, max_length=40)
    place = forms.CharField(label=gettext_lazy("签订地点"), required=False, max_length=60)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._style()


class ScanForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("签字盖章扫描件"))


class CloseForm(forms.Form):
    outcome = forms.ChoiceField(choices=[("complete", gettext_lazy("履行完毕")), ("terminate", gettext_lazy("终止"))])
    reason = forms.CharField(required=False, max_length=200)
