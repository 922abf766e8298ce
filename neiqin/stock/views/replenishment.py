"""Stock pages: replenishment requests (INV-3) and the stock reports (INV-5): slow-moving stock,
turnover and low stock, with their exports.

Views parse, authorize (``services.replenishment.can_*``), call a service or selector and render.
The customer on a request is shown only to users who may see that customer ("—" otherwise);
the value of slow-moving stock (on-hand × cost) only to users who may see cost.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from neiqin.catalog.selectors import product_by_model
from neiqin.catalog.visibility import sees_cost
from neiqin.core import audit
from neiqin.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from neiqin.core.pages import apply_errors, attachment, domain_errors, is_fragment, require
from neiqin.core.spreadsheets import Column, write_xlsx
from neiqin.stock.choices import ReplenishmentStatus
from neiqin.stock.models import ReplenishmentRequest, StockLevel, Warehouse
from neiqin.stock.selectors import replenishment as selectors
from neiqin.stock.selectors import reports
from neiqin.stock.services import replenishment as services

PAGE_SIZE = 50
LIST_TARGET = "replenishment-table"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ISO_DATE = "%Y-%m-%d"
MAX_SLOW_DAYS = 3650


def _style(form: forms.Form) -> None:
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput):
            widget.attrs.setdefault("class", "form-check-input")
        elif isinstance(widget, forms.Select):
            widget.attrs.setdefault("class", "form-select form-select-sm")
        else:
            widget.attrs.setdefault("class", "form-control form-control-sm")


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format=ISO_DATE)


def _warehouse_field(label: Any, *, required: bool) -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        label=label,
        required=required,
        queryset=Warehouse.objects.filter(is_active=True).order_by("sort_order", "code"),
        empty_label=_("全部仓库") if not required else _("请选择仓库"),
    )


# ---- forms ------------------------------------------------------------------------------------------------


class FilterForm(forms.Form):
    STATUS_CHOICES = [
        ("", gettext_lazy("全部状态")),
        ("active", gettext_lazy("未关闭")),
        *ReplenishmentStatus.choices,
    ]

    q = forms.CharField(required=False, max_length=60)
    status = forms.ChoiceField(required=False, choices=STATUS_CHOICES)
    warehouse = forms.ModelChoiceField(required=False, queryset=Warehouse.objects.none())
    overdue = forms.BooleanField(required=False)
    page = forms.IntegerField(required=False, min_value=1)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["warehouse"] = _warehouse_field(_("仓库"), required=False)
        _style(self)
        self.fields["q"].widget.attrs.update({"placeholder": _("单号 / 型号 / 品名 / 来源单号"), "type": "search"})

    def filters(self) -> selectors.ReplenishmentFilters:
        data = self.cleaned_data if self.is_bound and hasattr(self, "cleaned_data") else {}
        warehouse = data.get("warehouse")
        return selectors.ReplenishmentFilters(
            status=data.get("status") or "",
            warehouse=warehouse.pk if warehouse else None,
            q=(data.get("q") or "").strip(),
            overdue=bool(data.get("overdue")),
        )


class RequestForm(forms.Form):
    model = forms.CharField(label=gettext_lazy("型号"), max_length=60)
    spec = forms.CharField(label=gettext_lazy("规格"), max_length=120, required=False)
    warehouse = forms.ModelChoiceField(label=gettext_lazy("到货仓库"), queryset=Warehouse.objects.none())
    quantity = forms.CharField(label=gettext_lazy("需求数量"), max_length=20)
    needed_by = forms.DateField(label=gettext_lazy("需求日期"), required=False, widget=_date_input())
    customer = forms.CharField(label=gettext_lazy("客户（编号或名称，可不填）"), max_length=120, required=False)
    note = forms.CharField(label=gettext_lazy("说明"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, show_customer: bool = True, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["warehouse"] = _warehouse_field(_("到货仓库"), required=True)
        if not show_customer:
            del self.fields["customer"]
        _style(self)
        self.fields["model"].widget.attrs["placeholder"] = _("例如 HR-1208")


class ActionForm(forms.Form):
    response = forms.CharField(required=False, max_length=2000)
    expected_on = forms.DateField(required=False)
    version = forms.IntegerField(required=False, min_value=1)


# ---- list, create, detail -------------------------------------------------------------------------------


def _customer_labels(user: Any, requests: list[ReplenishmentRequest]) -> None:
    visible = selectors.visible_customer_ids(user=user, requests=requests)
    today = timezone.localdate()
    for r in requests:
        r.customer_visible = r.customer_id in visible
        r.overdue = selectors.is_overdue(r, today)


@login_required
@require_GET
def replenishment_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = FilterForm(request.GET)
    form.is_valid()
    qs = selectors.replenishment_list(user=user, filters=form.filters())
    page = Paginator(qs, PAGE_SIZE).get_page(form.cleaned_data.get("page") or 1)
    _customer_labels(user, list(page.object_list))
    context = {
        "form": form,
        "page": page,
        "can_request": services.can_request(user),
        "has_filters": any(v for k, v in request.GET.items() if k != "page"),
        "section": "replenishments",
    }
    template = "stock/replenishment_list.html"
    if is_fragment(request, LIST_TARGET):
        template += "#table"
    response = render(request, template, context)
    patch_vary_headers(response, ("HX-Request", "HX-Target"))
    return response


def _find_customer(user: Any, text: str) -> Any:
    """A customer in the user's scope by code, or by exact (short) name."""
    from neiqin.customers.selectors import customer_queryset

    text = text.strip()
    if not text:
        return None
    found = list(
        customer_queryset(user=user)
        .filter(Q(code__iexact=text) | Q(name=text) | Q(short_name=text))
        .values_list("pk", flat=True)[:2]
    )
    if len(found) != 1:
        message = _("找不到客户“%(text)s”，请填写您可查看的客户的编号或全称。") % {"text": text}
        if len(found) > 1:
            message = _("“%(text)s”对应多个客户，请填写客户编号。") % {"text": text}
        raise ValidationFailed(message, extra={"fields": {"customer": [message]}})
    return customer_queryset(user=user).get(pk=found[0])


def _find_product(model: str, spec: str) -> Any:
    product = product_by_model(model, spec.strip() or None)
    if product is None and not spec.strip() and product_by_model(model, "") is not None:
        product = product_by_model(model, "")
    if product is None:
        message = _("找不到型号“%(model)s”的产品；同一型号有多个规格时请填写规格。") % {"model": model}
        raise ValidationFailed(message, extra={"fields": {"model": [message]}})
    return product


def _initial(request: HttpRequest) -> dict[str, Any]:
    initial: dict[str, Any] = {}
    for key in ("model", "spec", "quantity", "customer"):
        if request.GET.get(key):
            initial[key] = request.GET[key][:120]
    if request.GET.get("warehouse", "").isdigit():
        initial["warehouse"] = int(request.GET["warehouse"])
    return initial


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def replenishment_create(request: HttpRequest) -> HttpResponse:
    user = request.user
    require(services.can_request(user), _("您没有申请补货的权限。"))
    from neiqin.customers.selectors import customer_visible_q

    show_customer = customer_visible_q(user) is not None
    form_error = None
    status = 200
    if request.method == "POST":
        form = RequestForm(request.POST, show_customer=show_customer)
        status = 422
        if form.is_valid():
            data = form.cleaned_data
            try:
                created = services.replenishment_request(
                    product=_find_product(data["model"], data.get("spec") or ""),
                    warehouse=data["warehouse"],
                    quantity=data["quantity"],
                    needed_by=data.get("needed_by"),
                    customer=_find_customer(user, data.get("customer") or "") if show_customer else None,
                    note=data.get("note") or "",
                    by=user,
                )
            except ValidationFailed as exc:
                form_error = apply_errors(form, exc)
            else:
                messages.success(request, _("补货申请 %(number)s 已提交。") % {"number": created.number})
                return redirect("stock:replenishment_detail", pk=created.pk)
    else:
        form = RequestForm(initial=_initial(request), show_customer=show_customer)
    context = {"form": form, "form_error": form_error, "section": "replenishments"}
    return render(request, "stock/replenishment_form.html", context, status=status)


@login_required
@require_GET
@domain_errors
def replenishment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    item = selectors.replenishment_get_for_user(user=user, pk=pk)
    _customer_labels(user, [item])
    level = StockLevel.objects.filter(warehouse_id=item.warehouse_id, product_id=item.product_id).first()
    context = {
        "item": item,
        "level": level,
        "can": {
            "start": services.can_start(user, item),
            "fulfil": services.can_fulfil(user, item),
            "cancel": services.can_cancel(user, item),
        },
        "history": _history(item),
        "today": timezone.localdate(),
        "section": "replenishments",
    }
    return render(request, "stock/replenishment_detail.html", context)


ACTION_LABELS = {
    "stock.replenishment.requested": gettext_lazy("提交申请"),
    "stock.replenishment.increased": gettext_lazy("追加数量"),
    "stock.replenishment.topped_up": gettext_lazy("缺货补足数量"),
    "stock.replenishment.in_progress": gettext_lazy("开始采购/生产"),
    "stock.replenishment.fulfilled": gettext_lazy("确认到货"),
    "stock.replenishment.cancelled": gettext_lazy("取消申请"),
}


def _status_label(value: Any) -> str:
    try:
        return str(ReplenishmentStatus(value).label)
    except ValueError:
        return "—"


def _plain(value: Any) -> str:
    """ "200.000" -> "200", "12.500" -> "12.5" (audit rows keep quantities as 3-decimal strings)."""
    text = str(value or "")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _history(item: ReplenishmentRequest) -> list[dict[str, Any]]:
    rows = []
    for event in audit.history(item).order_by("created_at", "id"):
        changes = event.changes or {}
        details = []
        if "quantity" in changes:
            old, new = changes["quantity"]
            details.append(_("数量 %(old)s → %(new)s") % {"old": _plain(old) or "—", "new": _plain(new)})
        if "expected_on" in changes and changes["expected_on"][1]:
            details.append(_("预计到货 %(date)s") % {"date": changes["expected_on"][1]})
        if "response" in changes and changes["response"][1]:
            details.append(str(changes["response"][1]))
        rows.append(
            {
                "at": event.created_at,
                "actor": event.actor,
                "label": ACTION_LABELS.get(event.action, event.action),
                "status": _status_label(changes["status"][1]) if "status" in changes else "",
                "details": "；".join(details),
            }
        )
    return rows


def _act(request: HttpRequest, pk: int, run: Callable[[ReplenishmentRequest, dict[str, Any]], Any], done: str):
    item = selectors.replenishment_get_for_user(user=request.user, pk=pk)
    form = ActionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("输入有误：预计到货日期应为 2026-05-01 这样的日期。"))
        return redirect("stock:replenishment_detail", pk=item.pk)
    try:
        run(item, form.cleaned_data)
    except (NotFound, PermissionDenied):
        raise
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return redirect("stock:replenishment_detail", pk=item.pk)


@login_required
@require_POST
@domain_errors
def replenishment_start(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        lambda item, data: services.replenishment_start(
            request=item,
            by=request.user,
            response=data.get("response") or "",
            expected_on=data.get("expected_on"),
            version=data.get("version"),
        ),
        _("已开始处理。"),
    )


@login_required
@require_POST
@domain_errors
def replenishment_fulfil(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        lambda item, data: services.replenishment_fulfil(
            request=item, by=request.user, response=data.get("response") or "", version=data.get("version")
        ),
        _("已确认到货。"),
    )


@login_required
@require_POST
@domain_errors
def replenishment_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        lambda item, data: services.replenishment_cancel(
            request=item, by=request.user, response=data.get("response") or "", version=data.get("version")
        ),
        _("补货申请已取消。"),
    )


# ---- reports ------------------------------------------------------------------------------------------------


def _warehouse_param(request: HttpRequest) -> Warehouse | None:
    raw = request.GET.get("warehouse", "")
    if not raw.isdigit():
        return None
    return Warehouse.objects.filter(pk=int(raw)).first()


def _days_param(request: HttpRequest) -> tuple[int, str | None]:
    raw = (request.GET.get("days") or "").strip()
    if not raw:
        return reports.DEFAULT_SLOW_DAYS, None
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_SLOW_DAYS:
        return reports.DEFAULT_SLOW_DAYS, _("天数应为 1 到 %(max)s 之间的整数，已按 365 天统计。") % {
            "max": MAX_SLOW_DAYS
        }
    return int(raw), None


def _report_context(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    return {
        "warehouses": reports.warehouses_for_filter(),
        "warehouse": _warehouse_param(request),
        "section": "stock_reports",
        **extra,
    }


@login_required
@require_GET
def slow_moving(request: HttpRequest) -> HttpResponse:
    days, days_error = _days_param(request)
    warehouse = _warehouse_param(request)
    rows = reports.slow_moving(days=days, warehouse=warehouse)
    show_value = sees_cost(request.user)
    context = _report_context(
        request,
        rows=rows,
        days=days,
        days_error=days_error,
        show_value=show_value,
        total_value=reports.total_value(rows) if show_value else None,
    )
    return render(request, "stock/slow_moving.html", context)


def _export_name(kind: str) -> str:
    return f"{kind}-{timezone.localdate().isoformat()}.xlsx"


@login_required
@require_GET
def slow_moving_export(request: HttpRequest) -> HttpResponse:
    days, _error = _days_param(request)
    warehouse = _warehouse_param(request)
    rows = reports.slow_moving(days=days, warehouse=warehouse)
    columns = [
        Column("warehouse", _("仓库")),
        Column("model", _("型号")),
        Column("name", _("品名")),
        Column("spec", _("规格")),
        Column("unit", _("单位"), width=8),
        Column("on_hand", _("库存数量"), "quantity"),
        Column("last_outbound_on", _("最近出库日期"), "date"),
        Column("days_idle", _("未出库天数"), "int"),
    ]
    show_value = sees_cost(request.user)
    if show_value:
        columns.append(Column("value", _("库存金额（成本）"), "money"))
    data = (
        {
            "warehouse": r.warehouse.name,
            "model": r.product.model,
            "name": r.product.name,
            "spec": r.product.spec,
            "unit": r.product.unit,
            "on_hand": r.on_hand,
            "last_outbound_on": r.last_outbound_on,
            "days_idle": r.days_idle,
            "value": r.value if show_value else None,
        }
        for r in rows
    )
    content = write_xlsx(columns=columns, rows=data, sheet_title=_("滞销库存"))
    audit.record_collection(
        action="stock.slow_moving.exported",
        model=StockLevel,
        by=request.user,
        data={"days": days, "warehouse": warehouse.pk if warehouse else None, "rows": len(rows), "value": show_value},
    )
    return attachment(content, _export_name("slow-moving"), XLSX)


def _year_before(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def _period(request: HttpRequest) -> tuple[dt.date, dt.date, str | None]:
    today = timezone.localdate()
    default_from = _year_before(today) + dt.timedelta(days=1)
    try:
        date_from = dt.date.fromisoformat(request.GET["date_from"]) if request.GET.get("date_from") else default_from
        date_to = dt.date.fromisoformat(request.GET["date_to"]) if request.GET.get("date_to") else today
    except ValueError:
        return default_from, today, _("日期格式不对，已按最近 12 个月统计。")
    if date_from > date_to:
        return default_from, today, _("开始日期晚于结束日期，已按最近 12 个月统计。")
    return date_from, date_to, None


@login_required
@require_GET
def turnover(request: HttpRequest) -> HttpResponse:
    date_from, date_to, period_error = _period(request)
    warehouse = _warehouse_param(request)
    rows = reports.turnover(date_from=date_from, date_to=date_to, warehouse=warehouse)
    context = _report_context(
        request,
        rows=rows,
        date_from=date_from,
        date_to=date_to,
        period_error=period_error,
        period_days=(date_to - date_from).days + 1,
    )
    return render(request, "stock/slow_turnover.html", context)


@login_required
@require_GET
def low_stock(request: HttpRequest) -> HttpResponse:
    warehouse = _warehouse_param(request)
    levels = list(reports.low_stock(warehouse=warehouse))
    context = _report_context(request, levels=levels, can_request=services.can_request(request.user))
    return render(request, "stock/low_stock.html", context)


@login_required
@require_GET
def low_stock_export(request: HttpRequest) -> HttpResponse:
    warehouse = _warehouse_param(request)
    columns = [
        Column("warehouse", _("仓库")),
        Column("model", _("型号")),
        Column("name", _("品名")),
        Column("spec", _("规格")),
        Column("unit", _("单位"), width=8),
        Column("on_hand", _("库存数量"), "quantity"),
        Column("reserved", _("已占用"), "quantity"),
        Column("available", _("可用"), "quantity"),
        Column("min_quantity", _("安全库存"), "quantity"),
        Column("shortage", _("缺口"), "quantity"),
    ]
    data = (
        {
            "warehouse": level.warehouse.name,
            "model": level.product.model,
            "name": level.product.name,
            "spec": level.product.spec,
            "unit": level.product.unit,
            "on_hand": level.on_hand,
            "reserved": level.reserved,
            "available": level.available,
            "min_quantity": level.min_quantity,
            "shortage": level.shortage,
        }
        for level in reports.low_stock(warehouse=warehouse)
    )
    content = write_xlsx(columns=columns, rows=data, sheet_title=_("低库存"))
    return attachment(content, _export_name("low-stock"), XLSX)


urlpatterns = [
    path("replenishments/", replenishment_list, name="replenishments"),
    path("replenishments/new/", replenishment_create, name="replenishment_create"),
    path("replenishments/<int:pk>/", replenishment_detail, name="replenishment_detail"),
    path("replenishments/<int:pk>/start/", replenishment_start, name="replenishment_start"),
    path("replenishments/<int:pk>/fulfil/", replenishment_fulfil, name="replenishment_fulfil"),
    path("replenishments/<int:pk>/cancel/", replenishment_cancel, name="replenishment_cancel"),
    path("slow-moving/", slow_moving, name="slow_moving"),
    path("slow-moving/export/", slow_moving_export, name="slow_moving_export"),
    path("turnover/", turnover, name="turnover"),
    path("low-stock/", low_stock, name="low_stock"),
    path("low-stock/export/", low_stock_export, name="low_stock_export"),
]
