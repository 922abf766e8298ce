"""Page forms for customer files. They parse input into Python values; the services validate it.

Field names match ``services.EDITABLE_FIELDS`` / ``services.CONTACT_FIELDS`` so that the field
errors of ``ValidationFailed.extra["fields"]`` land next to the right input.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from neiqin.accounts.models import Region, Team, User
from neiqin.accounts.roles import Role
from neiqin.customers import services
from neiqin.customers.choices import Grade, Industry, KeyDateKind, Kind, PaymentMode, Potential, Scale, Source, Stage
from neiqin.customers.models import Contact, Customer

ISO_DATE = "%Y-%m-%d"  # what <input type="date"> expects, whatever the UI language
MAX_PAGE_SIZE = 200
DEFAULT_PAGE_SIZE = 50


def sales_users() -> QuerySet[User]:
    """Active users a customer can be assigned to (salespeople and sales managers)."""
    return (
        User.objects.filter(is_active=True, groups__name__in=[Role.SALESPERSON, Role.SALES_MANAGER])
        .distinct()
        .order_by("username")
    )


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format=ISO_DATE)


def _blank(label: Any, choices: Any) -> list[tuple[str, Any]]:
    return [("", label), *choices]


class _Bootstrap:
    """Add Bootstrap classes to every widget (small controls: the pages are dense)."""

    def _style(self) -> None:
        for field in self.fields.values():  # type: ignore[attr-defined]
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, forms.Select | forms.SelectMultiple):
                widget.attrs.setdefault("class", "form-select form-select-sm")
            else:
                widget.attrs.setdefault("class", "form-control form-control-sm")


# ---- list filters -----------------------------------------------------------------------------


class CustomerFilterForm(_Bootstrap, forms.Form):
    """Query-string filters of the customer list and export (CUS-2, CUS-7)."""

    q = forms.CharField(required=False, max_length=100)
    stage = forms.ChoiceField(required=False, choices=_blank(_("全部阶段"), Stage.choices))
    grade = forms.ChoiceField(required=False, choices=_blank(_("全部等级"), Grade.choices))
    is_vip = forms.ChoiceField(required=False, choices=[("", _("VIP 不限")), ("1", _("仅 VIP")), ("0", _("非 VIP"))])
    kind = forms.ChoiceField(required=False, choices=_blank(_("全部性质"), Kind.choices))
    industry = forms.ChoiceField(required=False, choices=_blank(_("全部行业"), Industry.choices))
    scale = forms.ChoiceField(required=False, choices=_blank(_("全部规模"), Scale.choices))
    potential = forms.ChoiceField(required=False, choices=_blank(_("购买潜力不限"), Potential.choices))
    source = forms.ChoiceField(required=False, choices=_blank(_("全部来源"), Source.choices))
    province = forms.ChoiceField(required=False)
    region = forms.ModelChoiceField(required=False, queryset=Region.objects.all(), empty_label=_("全部大区"))
    team = forms.ModelChoiceField(required=False, queryset=Team.objects.all(), empty_label=_("全部团队"))
    owner = forms.ModelChoiceField(required=False, queryset=User.objects.none(), empty_label=_("全部负责人"))
    pool = forms.ChoiceField(required=False, choices=[("", _("归属不限")), ("0", _("已分配")), ("1", _("公海"))])
    follow_up_due = forms.BooleanField(required=False, label=_("待跟进"))
    sort = forms.CharField(required=False, max_length=40)
    page = forms.IntegerField(required=False, min_value=1)
    page_size = forms.IntegerField(required=False, min_value=1)

    def __init__(self, *args: Any, provinces: list[str] | None = None, show_people: bool = True, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["province"].choices = _blank(_("全部省份"), [(p, p) for p in provinces or []])
        if show_people:
            self.fields["owner"].queryset = sales_users()
        else:
            del self.fields["owner"], self.fields["team"]
        self._style()
        self.fields["q"].widget.attrs.update(
            {"placeholder": _("名称 / 简称 / 拼音首字母 / 电话 / 联系人 / 信用代码"), "type": "search"}
        )

    def filters(self) -> Any:
        """The valid part of the query as ``CustomerFilters`` (invalid values are ignored)."""
        from neiqin.customers.selectors import CustomerFilters

        data = self.cleaned_data if self.is_bound else {}
        tri = {"1": True, "0": False}
        model_pk = {name: data[name].pk if data.get(name) else None for name in ("region", "team", "owner")}
        return CustomerFilters(
            q=(data.get("q") or "").strip(),
            stage=data.get("stage") or "",
            grade=data.get("grade") or "",
            kind=data.get("kind") or "",
            industry=data.get("industry") or "",
            scale=data.get("scale") or "",
            potential=data.get("potential") or "",
            source=data.get("source") or "",
            province=data.get("province") or "",
            region=model_pk["region"],
            owner=model_pk["owner"],
            team=model_pk["team"],
            is_vip=tri.get(data.get("is_vip") or ""),
            pool=tri.get(data.get("pool") or ""),
            follow_up_due=True if data.get("follow_up_due") else None,
            sort=(data.get("sort") or "").strip() or "-created_at",
        )

    def get_page_size(self) -> int:
        size = (self.cleaned_data.get("page_size") if self.is_bound else None) or DEFAULT_PAGE_SIZE
        return min(size, MAX_PAGE_SIZE)

    def get_page_number(self) -> int:
        return (self.cleaned_data.get("page") if self.is_bound else None) or 1


# ---- customer file ------------------------------------------------------------------------------

# Sections of the create/edit form and of the detail page.
BASIC = ("name", "short_name", "kind", "industry", "scale", "source", "credit_code", "id_number", "website")
CONTACT_INFO = ("phone", "fax", "email", "province", "city", "region", "address")
INVOICE = ("invoice_title", "invoice_tax_id", "invoice_address_phone", "invoice_bank", "invoice_account")
CLASSIFICATION = ("grade", "is_vip", "potential")
CREDIT = services.CREDIT_FIELDS
FOLLOW_UP = ("next_contact_on", "purchase_intent", "purchase_capacity", "business_scope", "lost_reason", "notes")
SECTIONS = (
    (_("基本信息"), BASIC),
    (_("联系方式"), CONTACT_INFO),
    (_("开票信息"), INVOICE),
    (_("分类"), CLASSIFICATION),
    (_("信用与结算"), CREDIT),
    (_("跟进"), FOLLOW_UP),
)
LONG_TEXT = {"business_scope", "purchase_intent", "lost_reason", "notes"}
# Choice fields without a blank option in the model.
REQUIRED_CHOICES = {"kind", "industry", "grade", "payment_mode"}


def _label(name: str) -> Any:
    return Customer._meta.get_field(name).verbose_name


class CustomerForm(_Bootstrap, forms.Form):
    """Create and edit a customer file. ``version`` carries the copy the user started from."""

    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, can_edit_credit: bool, owner_choice: bool = False, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.can_edit_credit = can_edit_credit
        for _title, names in SECTIONS:
            for name in names:
                if name in CREDIT and not can_edit_credit:
                    continue
                self.fields[name] = self._field(name)
        if owner_choice:
            self.fields["owner"] = forms.ModelChoiceField(
                label=_("负责业务员"),
                queryset=sales_users(),
                required=False,
                empty_label=_("（不分配，放入公海）"),
            )
        self._style()

    @staticmethod
    def _field(name: str) -> forms.Field:
        label = _label(name)
        choice_sets = {
            "kind": (Kind, False),
            "industry": (Industry, False),
            "scale": (Scale, True),
            "potential": (Potential, True),
            "source": (Source, True),
            "grade": (Grade, False),
            "payment_mode": (PaymentMode, False),
        }
        if name in choice_sets:
            choices, blank_ok = choice_sets[name]
            options = _blank("—", choices.choices) if blank_ok else choices.choices
            return forms.ChoiceField(label=label, choices=options, required=False)
        if name == "is_vip":
            return forms.BooleanField(label=label, required=False)
        if name == "region":
            return forms.ModelChoiceField(label=label, queryset=Region.objects.all(), required=False, empty_label="—")
        if name == "next_contact_on":
            return forms.DateField(label=label, required=False, widget=_date_input())
        if name == "payment_term_days":
            return forms.IntegerField(label=label, required=False, min_value=0)
        if name == "credit_limit":
            return forms.CharField(label=label, required=False, widget=forms.TextInput(attrs={"inputmode": "decimal"}))
        widget = forms.Textarea(attrs={"rows": 2}) if name in LONG_TEXT else forms.TextInput()
        return forms.CharField(label=label, required=False, widget=widget, strip=True)

    def sections(self) -> list[tuple[Any, list[forms.BoundField]]]:
        return [
            (title, [self[name] for name in names if name in self.fields])
            for title, names in SECTIONS
            if any(name in self.fields for name in names)
        ]

    def service_fields(self) -> dict[str, Any]:
        """The parsed values in the shape ``customer_create`` / ``customer_update`` take."""
        data = self.cleaned_data
        fields: dict[str, Any] = {}
        for name in services.EDITABLE_FIELDS:
            if name not in self.fields or name not in data:
                continue
            value = data[name]
            if name in REQUIRED_CHOICES and value == "":
                continue  # not given: the model default (create) or the current value (edit) stays
            if name == "payment_term_days" and value is None:
                value = 0
            fields[name] = value
        return fields

    @classmethod
    def initial_for(cls, customer: Customer) -> dict[str, Any]:
        initial = {name: getattr(customer, name) for _t, names in SECTIONS for name in names if name != "region"}
        initial["region"] = customer.region_id
        initial["version"] = customer.version
        return initial


class ContactForm(_Bootstrap, forms.Form):
    name = forms.CharField(label=Contact._meta.get_field("name").verbose_name, required=False)
    title = forms.CharField(label=Contact._meta.get_field("title").verbose_name, required=False)
    department = forms.CharField(label=Contact._meta.get_field("department").verbose_name, required=False)
    mobile = forms.CharField(label=Contact._meta.get_field("mobile").verbose_name, required=False)
    phone = forms.CharField(label=Contact._meta.get_field("phone").verbose_name, required=False)
    email = forms.CharField(label=Contact._meta.get_field("email").verbose_name, required=False)
    wechat = forms.CharField(label=Contact._meta.get_field("wechat").verbose_name, required=False)
    birthday = forms.DateField(
        label=Contact._meta.get_field("birthday").verbose_name,
        required=False,
        widget=_date_input(),
    )
    is_decision_maker = forms.BooleanField(
        label=Contact._meta.get_field("is_decision_maker").verbose_name, required=False
    )
    is_primary = forms.BooleanField(label=Contact._meta.get_field("is_primary").verbose_name, required=False)
    notes = forms.CharField(
        label=Contact._meta.get_field("notes").verbose_name, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._style()

    @classmethod
    def initial_for(cls, contact: Contact) -> dict[str, Any]:
        return {name: getattr(contact, name) for name in cls.base_fields}


# ---- actions on the detail page ---------------------------------------------------------------------


class AssignForm(_Bootstrap, forms.Form):
    owner = forms.ModelChoiceField(label=_("负责业务员"), queryset=User.objects.none())
    reason = forms.CharField(label=_("说明"), required=False, max_length=200)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = sales_users()
        self._style()


class ReasonForm(_Bootstrap, forms.Form):
    reason = forms.CharField(label=_("原因"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._style()


class StageForm(_Bootstrap, forms.Form):
    stage = forms.ChoiceField(label=_("新阶段"), choices=Stage.choices)
    reason = forms.CharField(
        label=_("未成交 / 流失原因"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("变为“流失客户”时必填。"),
    )

    def __init__(self, *args: Any, targets: list[str] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if targets is not None:
            self.fields["stage"].choices = [(value, label) for value, label in Stage.choices if value in targets]
        self._style()


class FollowUpForm(_Bootstrap, forms.Form):
    next_contact_on = forms.DateField(
        label=_("下次联系日期"),
        required=False,
        widget=_date_input(),
        help_text=_("留空则按客户等级自动安排定期回访。"),
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._style()


class KeyDateForm(_Bootstrap, forms.Form):
    kind = forms.ChoiceField(label=_("类型"), choices=KeyDateKind.choices)
    date = forms.DateField(label=_("日期"), widget=_date_input())
    note = forms.CharField(label=_("说明"), required=False, max_length=200)
    recurring = forms.BooleanField(label=_("每年重复"), required=False)
    remind_days_before = forms.IntegerField(label=_("提前提醒天数"), required=False, min_value=0)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["date"].error_messages["required"] = _("请填写日期。")
        self._style()


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Excel 或 CSV 文件"),
        widget=forms.ClearableFileInput(attrs={"class": "form-control", "accept": ".xlsx,.xls,.csv"}),
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["file"].error_messages["required"] = _("请选择要导入的文件。")


class PoolSearchForm(_Bootstrap, forms.Form):
    q = forms.CharField(required=False, max_length=100)
    page = forms.IntegerField(required=False, min_value=1)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._style()
        self.fields["q"].widget.attrs.update({"placeholder": _("名称 / 拼音首字母 / 电话"), "type": "search"})
