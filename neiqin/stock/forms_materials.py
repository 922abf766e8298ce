"""Page forms for promotional materials and product loans. They parse what was typed; the
services (``neiqin.stock.services.materials``) decide what is allowed. Field names match the
services' field errors so that those land next to the right input."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from neiqin.accounts.models import User
from neiqin.accounts.roles import Role
from neiqin.catalog.choices import ProductKind
from neiqin.catalog.models import Product
from neiqin.stock.choices import LoanStatus
from neiqin.stock.models import Warehouse
from neiqin.stock.selectors import materials as selectors

ISO_DATE = "%Y-%m-%d"
CUSTOMER_HINTS = 200  # customers offered in the datalist of the customer input


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format=ISO_DATE)


def sales_users() -> QuerySet[User]:
    return (
        User.objects.filter(is_active=True, groups__name__in=[Role.SALESPERSON, Role.SALES_MANAGER])
        .distinct()
        .order_by("username")
    )


def warehouses() -> QuerySet[Warehouse]:
    return Warehouse.objects.filter(is_active=True).order_by("sort_order", "code")


def visible_customers(user: Any) -> QuerySet[Any]:
    from neiqin.customers.selectors import customer_queryset

    return customer_queryset(user=user)


def customer_hints(user: Any) -> list[tuple[str, str]]:
    """(code, name) of customers the user sees, for the datalist; most recently contacted first."""
    qs = visible_customers(user).order_by("-last_contact_at", "code").values_list("code", "name")
    return list(qs[:CUSTOMER_HINTS])


class _Bootstrap:
    def _style(self) -> None:
        for field in self.fields.values():  # type: ignore[attr-defined]
            widget = field.widget
            if isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "form-select form-select-sm")
            else:
                widget.attrs.setdefault("class", "form-control form-control-sm")


class _CustomerField:
    """A customer typed as its code (客户编号) or full name, looked up within the user's scope."""

    user: Any

    def clean_customer(self) -> Any:
        text = (self.cleaned_data.get("customer") or "").strip()  # type: ignore[attr-defined]
        if not text:
            return None
        matches = list(visible_customers(self.user).filter(Q(code__iexact=text) | Q(name=text))[:2])
        if not matches:
            raise forms.ValidationError(_("找不到这个客户（请输入客户编号或完整名称）。"))
        if len(matches) > 1:
            raise forms.ValidationError(_("有多个客户同名，请输入客户编号。"))
        return matches[0]


class PromoIssueForm(_CustomerField, _Bootstrap, forms.Form):
    product = forms.ModelChoiceField(label=_("促销品"), queryset=Product.objects.none(), empty_label=_("请选择促销品"))
    warehouse = forms.ModelChoiceField(label=_("仓库"), queryset=Warehouse.objects.none(), empty_label=None)
    quantity = forms.CharField(label=_("数量"), max_length=20)
    recipient = forms.CharField(label=_("领取人"), max_length=60)
    customer = forms.CharField(label=_("客户"), max_length=120, required=False)
    salesperson = forms.ModelChoiceField(
        label=_("业务员"), queryset=User.objects.none(), required=False, empty_label=_("（无）")
    )
    purpose = forms.CharField(label=_("用途"), max_length=200, required=False)
    issued_on = forms.DateField(label=_("发放日期"), required=False, widget=_date_input())

    def __init__(self, *args: Any, user: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["product"].queryset = selectors.promo_products()
        self.fields["warehouse"].queryset = warehouses()
        self.fields["salesperson"].queryset = sales_users()
        self.fields["customer"].widget.attrs.update(list="customer-hints", autocomplete="off")
        self.fields["customer"].help_text = _("输入客户编号或完整名称，可不填。")
        self.fields["quantity"].widget.attrs.update(inputmode="decimal")
        self._style()


class LoanRequestForm(_CustomerField, _Bootstrap, forms.Form):
    product = forms.ModelChoiceField(label=_("产品"), queryset=Product.objects.none(), empty_label=_("请选择产品"))
    warehouse = forms.ModelChoiceField(label=_("仓库"), queryset=Warehouse.objects.none(), empty_label=None)
    quantity = forms.CharField(label=_("借用数量"), max_length=20)
    customer = forms.CharField(label=_("客户"), max_length=120, required=False)
    purpose = forms.CharField(label=_("借用用途"), max_length=200)
    due_on = forms.DateField(label=_("约定归还日期"), widget=_date_input())

    def __init__(self, *args: Any, user: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["product"].queryset = Product.objects.filter(kind=ProductKind.GOODS, is_active=True).order_by(
            "model", "spec", "id"
        )
        self.fields["warehouse"].queryset = warehouses()
        self.fields["customer"].widget.attrs.update(list="customer-hints", autocomplete="off")
        self.fields["customer"].help_text = _("借给哪个客户试用或展示；输入客户编号或完整名称。")
        self.fields["quantity"].widget.attrs.update(inputmode="decimal")
        self._style()


class LoanDecisionForm(_Bootstrap, forms.Form):
    comment = forms.CharField(
        label=_("审批意见"), max_length=200, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._style()


class LoanLendForm(_Bootstrap, forms.Form):
    lent_on = forms.DateField(label=_("借出日期"), required=False, widget=_date_input())

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._style()


class LoanReturnForm(_Bootstrap, forms.Form):
    quantity = forms.CharField(label=_("归还数量"), max_length=20)
    returned_on = forms.DateField(label=_("归还日期"), required=False, widget=_date_input())

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._style()


class LoanChargeForm(_Bootstrap, forms.Form):
    quantity = forms.CharField(label=_("转销售数量"), max_length=20)
    unit_price = forms.CharField(
        label=_("单价"), max_length=20, required=False, help_text=_("不填则按客户当前价格计算。")
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._style()


# ---- list filters -----------------------------------------------------------------------------


class LoanFilterForm(_Bootstrap, forms.Form):
    status = forms.ChoiceField(label=_("状态"), required=False)
    q = forms.CharField(label=_("搜索"), required=False, max_length=60)
    warehouse = forms.ModelChoiceField(
        label=_("仓库"), queryset=Warehouse.objects.none(), required=False, empty_label=_("全部仓库")
    )
    page = forms.IntegerField(required=False, min_value=1)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("全部")), *LoanStatus.choices, (selectors.OVERDUE, _("已逾期"))]
        self.fields["warehouse"].queryset = warehouses()
        self.fields["q"].widget.attrs["placeholder"] = _("单号 / 型号 / 品名 / 客户")
        self._style()

    def filters(self) -> selectors.LoanFilters:
        self.is_valid()  # invalid values are dropped, the rest still filters
        data = self.cleaned_data
        warehouse = data.get("warehouse")
        return selectors.LoanFilters(
            status=data.get("status") or "", q=data.get("q") or "", warehouse=warehouse.pk if warehouse else None
        )


class PromoFilterForm(_Bootstrap, forms.Form):
    customer = forms.CharField(label=_("客户"), required=False, max_length=60)
    salesperson = forms.ModelChoiceField(
        label=_("业务员"), queryset=User.objects.none(), required=False, empty_label=_("全部业务员")
    )
    date_from = forms.DateField(label=_("开始日期"), required=False, widget=_date_input())
    date_to = forms.DateField(label=_("结束日期"), required=False, widget=_date_input())
    page = forms.IntegerField(required=False, min_value=1)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["salesperson"].queryset = sales_users()
        self.fields["customer"].widget.attrs["placeholder"] = _("客户名称或编号")
        self._style()

    def filters(self) -> selectors.PromoFilters:
        self.is_valid()  # invalid values are dropped, the rest still filters
        data = self.cleaned_data
        salesperson = data.get("salesperson")
        return selectors.PromoFilters(
            customer=data.get("customer") or "",
            salesperson=salesperson.pk if salesperson else None,
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
        )
