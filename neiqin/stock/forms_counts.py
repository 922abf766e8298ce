"""Forms of the stock count pages (盘点). They only parse: the services check the rules."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from neiqin.catalog.models import ProductSeries
from neiqin.stock.choices import CountStatus
from neiqin.stock.models import Warehouse


class _Bootstrap:
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "form-select form-select-sm")
            elif not isinstance(widget, forms.HiddenInput | forms.FileInput):
                widget.attrs.setdefault("class", "form-control form-control-sm")


class CountFilterForm(_Bootstrap, forms.Form):
    warehouse = forms.ModelChoiceField(
        label=_("仓库"), queryset=Warehouse.objects.all(), required=False, empty_label=_("全部仓库")
    )
    status = forms.ChoiceField(label=_("状态"), choices=[("", _("全部状态")), *CountStatus.choices], required=False)
    page = forms.IntegerField(required=False, min_value=1)

    def filters(self) -> dict:
        data = self.cleaned_data if self.is_valid() else {}
        warehouse = data.get("warehouse")
        return {"warehouse": warehouse.pk if warehouse else None, "status": data.get("status") or ""}


class CountCreateForm(_Bootstrap, forms.Form):
    warehouse = forms.ModelChoiceField(
        label=_("仓库"), queryset=Warehouse.objects.filter(is_active=True), empty_label=_("请选择仓库")
    )
    series = forms.ModelChoiceField(
        label=_("产品系列"),
        queryset=ProductSeries.objects.filter(is_active=True),
        required=False,
        empty_label=_("全部系列"),
    )
    note = forms.CharField(label=_("备注"), max_length=200, required=False)


class DecisionForm(_Bootstrap, forms.Form):
    comment = forms.CharField(label=_("意见"), max_length=200, required=False)


class CancelForm(_Bootstrap, forms.Form):
    reason = forms.CharField(label=_("作废原因"), max_length=200, required=False)


class SheetUploadForm(_Bootstrap, forms.Form):
    file = forms.FileField(label=_("已填写的盘点表（Excel）"))
