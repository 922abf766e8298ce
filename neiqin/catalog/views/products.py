"""Catalogue pages: the product list (search, filters, sorting, paging, htmx table swaps), its
export, the product page, the create/edit form and the series list (PRD-1).

Every price shown, exported or offered for input passes ``catalog.visibility`` (seeing) and the
roles of ``selectors_products.product_permissions`` (setting): the warehouse sees no prices,
salespeople no cost; the floor price is set by the deputy GM and above, the cost by finance and
management, the standard price only at creation (later by a dated price change, 调价).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from neiqin.catalog import selectors, selectors_products, services
from neiqin.catalog.exports import FORMATS, export_products
from neiqin.catalog.forms import PAGE_SIZE, ProductFilterForm, ProductForm, SeriesForm, create_initial
from neiqin.catalog.models import Product, ProductSeries
from neiqin.catalog.schemas import price_text
from neiqin.catalog.selectors import SORTS
from neiqin.catalog.visibility import PRICE_FIELDS, sees_prices, visible_price_fields
from neiqin.core.errors import Conflict, PermissionDenied, ValidationFailed
from neiqin.core.pages import apply_errors, attachment, domain_errors, is_fragment, require

LIST_FRAGMENT_TARGET = "product-table"
PRICE_HISTORY_LIMIT = 50

# (column label, sort key of selectors.SORTS or None, price field it shows or None).
LIST_COLUMNS = (
    (gettext_lazy("编码"), None, None),
    (gettext_lazy("型号"), "model", None),
    (gettext_lazy("品名"), "name", None),
    (gettext_lazy("规格"), None, None),
    (gettext_lazy("单位"), None, None),
    (gettext_lazy("系列"), "series", None),
    (gettext_lazy("品牌"), None, None),
    (gettext_lazy("标准价"), "price", "standard_price"),
    (gettext_lazy("底价"), None, "floor_price"),
    (gettext_lazy("成本"), None, "cost"),
    (gettext_lazy("税率"), None, None),
    (gettext_lazy("特殊"), None, None),
    (gettext_lazy("状态"), None, None),
)

ACTION_LABELS = {
    "catalog.product.created": gettext_lazy("新建产品"),
    "catalog.product.imported": gettext_lazy("导入产品"),
    "catalog.product.updated": gettext_lazy("修改资料"),
    "catalog.product.standard_price": gettext_lazy("标准价生效"),
    "catalog.price.set": gettext_lazy("调价"),
}


def _detail_url(product: Product) -> str:
    return reverse("catalog:product_detail", args=[product.pk])


def _optional_url(name: str, *args: Any) -> str | None:
    """The URL of a page another area provides, or None while it does not exist."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def _prices(product: Product, visible: frozenset[str]) -> dict[str, str]:
    """The product's price fields the user may see, as display text ("—" for none)."""
    return {name: price_text(getattr(product, name)) or "—" for name in PRICE_FIELDS if name in visible}


# ---- list and export ----------------------------------------------------------------------------


def _filter_form(request: HttpRequest) -> ProductFilterForm:
    form = ProductFilterForm(request.GET, brands=selectors_products.brands(), sees_prices=sees_prices(request.user))
    form.is_valid()  # invalid values are dropped from the filters and shown on the form
    return form


def _sort_headers(current: str, visible: frozenset[str]) -> list[dict[str, Any]]:
    headers = []
    for label, key, price_field in LIST_COLUMNS:
        if price_field and price_field not in visible:
            continue
        header: dict[str, Any] = {"label": label, "key": key, "direction": "", "numeric": bool(price_field)}
        if key:
            descending = f"-{key}"
            if current == key:
                header.update(direction="asc", next=descending if descending in SORTS else None)
            elif current == descending:
                header.update(direction="desc", next=key)
            else:
                header["next"] = key
        headers.append(header)
    return headers


@login_required
@require_GET
def product_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = _filter_form(request)
    filters = form.filters()
    visible = visible_price_fields(user)
    page = Paginator(selectors.product_list(filters=filters), PAGE_SIZE).get_page(form.get_page_number())
    for product in page.object_list:
        product.shown_prices = _prices(product, visible)
    context = {
        "form": form,
        "page": page,
        "filters": filters,
        "headers": _sort_headers(filters.sort, visible),
        "visible": visible,
        "can": selectors_products.product_permissions(user),
        "has_filters": any(v for k, v in request.GET.items() if k not in ("sort", "page")),
        "export_formats": FORMATS,
    }
    template = "catalog/product_list.html"
    if is_fragment(request, LIST_FRAGMENT_TARGET):
        template += "#table"
    response = render(request, template, context)
    patch_vary_headers(response, ("HX-Request", "HX-Target"))
    return response


@login_required
@require_GET
@domain_errors
def product_export(request: HttpRequest) -> HttpResponse:
    """The filtered list as XLSX or CSV, with only the price columns the user may see."""
    fmt = request.GET.get("format") or request.GET.get("fmt") or "xlsx"
    query = request.GET.copy()
    for key in ("format", "fmt", "page"):
        query.pop(key, None)
    back = reverse("catalog:product_list") + ("?" + query.urlencode() if query else "")
    if fmt not in FORMATS:
        messages.error(request, _("不支持的导出格式：%(fmt)s。请选择 xlsx 或 csv。") % {"fmt": fmt})
        return redirect(back)
    form = _filter_form(request)
    try:
        data, filename, content_type = export_products(
            user=request.user, filters=form.filters(), fmt=fmt, shown_filters=form.active_filters()
        )
    except (ValidationFailed, Conflict) as exc:
        messages.error(request, exc.message)
        return redirect(back)
    return attachment(data, filename, content_type)


# ---- product page -------------------------------------------------------------------------------


def _display(product: Product, name: str) -> Any:
    value = getattr(product, name)
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if name in PRICE_FIELDS:
        return price_text(value) or "—"
    if value in (None, ""):
        return "—"
    if name in ("kind", "vat_rate"):
        return getattr(product, f"get_{name}_display")()
    return value


DETAIL_SECTIONS = (
    (gettext_lazy("基本信息"), ("code", "model", "name", "spec", "unit", "series", "brand", "kind", "barcode")),
    (gettext_lazy("价格与税率"), ("standard_price", "price_includes_tax", "floor_price", "cost", "vat_rate")),
    (gettext_lazy("状态"), ("is_special", "is_active", "created_at", "updated_at")),
)


def _sections(product: Product, visible: frozenset[str]) -> list[dict[str, Any]]:
    hidden = set(PRICE_FIELDS) - visible
    if "standard_price" in hidden:
        hidden.add("price_includes_tax")
    sections = []
    for title, names in DETAIL_SECTIONS:
        rows = [
            (Product._meta.get_field(name).verbose_name, _display(product, name), name)
            for name in names
            if name not in hidden
        ]
        sections.append({"title": title, "rows": rows})
    return sections


def _format_change(field: Any, value: Any, series_names: dict[str, str]) -> Any:
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if value in (None, "", []):
        return "—"
    if field is None or field.name in PRICE_FIELDS:  # a price field, or "price" of a price change
        try:
            return price_text(Decimal(str(value)))
        except ArithmeticError:
            return value
    if field.name == "series":
        return series_names.get(str(value), f"#{value}")
    if field.choices:
        return dict(field.flatchoices).get(value, value)
    return value


def _history(product: Product, user: Any) -> list[dict[str, Any]]:
    events = selectors_products.product_history(product=product, user=user)
    series_ids = {str(v) for _event, changes in events for v in changes.get("series", []) if v not in (None, "")}
    series_names = {
        str(pk): name for pk, name in ProductSeries.objects.filter(pk__in=series_ids).values_list("pk", "name")
    }
    list_names = dict(selectors.price_lists_for(user=user).values_list("pk", "name"))
    rows = []
    for event, shown in events:
        changes = []
        for name, (before, after) in shown.items():
            field = _model_field(name)
            label = field.verbose_name if field is not None else (_("价格") if name == "price" else name)
            pair = (_format_change(field, before, series_names), _format_change(field, after, series_names))
            if pair[0] != pair[1]:
                changes.append({"label": label, "before": pair[0], "after": pair[1]})
        rows.append(
            {
                "event": event,
                "label": ACTION_LABELS.get(event.action, event.action),
                "changes": changes,
                "is_creation": event.action.endswith(".created"),
                "note": _event_note(event, list_names),
            }
        )
    return rows


def _model_field(name: str) -> models.Field | None:
    try:
        return Product._meta.get_field(name)
    except Exception:  # noqa: BLE001 - audit keys that are not model fields ("price")
        return None


def _event_note(event: Any, list_names: dict[int, str]) -> str:
    data = event.data or {}
    if event.action != "catalog.price.set":
        return ""
    note = _("%(list)s，%(date)s 起生效") % {
        "list": list_names.get(data.get("price_list"), "—"),
        "date": data.get("effective_from", ""),
    }
    if data.get("reason"):
        note += _("；原因：%(reason)s") % {"reason": data["reason"]}
    return note


def _quantity_text(value: Any) -> str:
    return f"{value.normalize():f}"  # 10.000 -> "10", 2.500 -> "2.5"


def _list_prices(product: Product, user: Any) -> list[Any]:
    entries = selectors_products.product_prices(product=product, user=user)
    for entry in entries:
        for item in (*entry.current, *entry.scheduled):
            item.shown_price = price_text(item.unit_price)
            item.shown_quantity = _quantity_text(item.min_quantity)
    return entries


def _price_changes(product: Product, user: Any, visible: frozenset[str]) -> list[Any]:
    if "standard_price" not in visible:
        return []
    changes = list(selectors.price_history(product=product, user=user)[:PRICE_HISTORY_LIMIT])
    for change in changes:
        change.shown_old = price_text(change.old_price) or "—"
        change.shown_new = price_text(change.new_price)
        change.shown_quantity = _quantity_text(change.min_quantity)
    return changes


@login_required
@require_GET
@domain_errors
def product_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    product = selectors.product_get(pk=pk)
    visible = visible_price_fields(user)
    context = {
        "product": product,
        "sections": _sections(product, visible),
        "visible": visible,
        "list_prices": _list_prices(product, user),
        "price_history": _price_changes(product, user, visible),
        "history": _history(product, user),
        "can": selectors_products.product_permissions(user),
        "stock_url": _optional_url("stock:product_levels", product.pk),
    }
    return render(request, "catalog/product_detail.html", context)


# ---- create and edit -----------------------------------------------------------------------------

FORBIDDEN_PRICE_MESSAGES = {
    "standard_price": gettext_lazy("标准价请通过“调价”修改，以便记录生效日期并通知相关客户。"),
    "floor_price": gettext_lazy("只有副总、总经理或管理员可以设置底价。"),
    "cost": gettext_lazy("只有财务或管理层可以设置成本。"),
}


def _settable(user: Any, *, creating: bool) -> frozenset[str]:
    can = selectors_products.product_permissions(user)
    names = set()
    if creating and can["set_price"]:
        names.add("standard_price")
    if can["set_floor_price"]:
        names.add("floor_price")
    if can["set_cost"]:
        names.add("cost")
    return frozenset(names)


def _refuse_unsettable(request: HttpRequest, settable: frozenset[str]) -> None:
    """A price the role may not set, sent anyway (a tampered form): refuse, change nothing."""
    for name in PRICE_FIELDS:
        if name not in settable and (request.POST.get(name) or "").strip():
            raise PermissionDenied(FORBIDDEN_PRICE_MESSAGES[name])


def _form_context(form: ProductForm, product: Product | None, **extra: Any) -> dict[str, Any]:
    company = selectors_products.company_price_list()
    return {
        "form": form,
        "product": product,
        "company_list_url": _optional_url("catalog:price_list_detail", company.pk) if company else None,
        "form_error": None,
        "conflict": None,
        "required_names": ("name", "model", "unit", "standard_price"),
        **extra,
    }


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def product_create(request: HttpRequest) -> HttpResponse:
    user = request.user
    require(selectors_products.product_permissions(user)["edit"], _("您没有维护产品资料的权限。"))
    settable = _settable(user, creating=True)
    form_error = None
    if request.method == "POST":
        _refuse_unsettable(request, settable)
        form = ProductForm(request.POST, settable=settable, creating=True)
        if form.is_valid():
            try:
                product = services.product_create(fields=form.service_fields(), by=user)
            except ValidationFailed as exc:
                form_error = apply_errors(form, exc)
            else:
                messages.success(
                    request, _("产品 %(code)s %(model)s 已创建。") % {"code": product.code, "model": product.model}
                )
                return redirect(_detail_url(product))
        status = 422
    else:
        form = ProductForm(initial=create_initial(), settable=settable, creating=True)
        status = 200
    return render(request, "catalog/product_form.html", _form_context(form, None, form_error=form_error), status=status)


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def product_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    product = selectors.product_get(pk=pk)
    require(selectors_products.product_permissions(user)["edit"], _("您没有维护产品资料的权限。"))
    settable = _settable(user, creating=False)
    form_error = conflict = None
    status = 200
    if request.method == "POST":
        _refuse_unsettable(request, settable)
        form = ProductForm(request.POST, settable=settable, creating=False)
        status = 422
        if form.is_valid():
            try:
                services.product_update(
                    product=product, fields=form.service_fields(), by=user, version=form.cleaned_data.get("version")
                )
            except ValidationFailed as exc:
                form_error = apply_errors(form, exc)
            except Conflict as exc:
                conflict, status = exc.message, exc.status
            else:
                messages.success(request, _("产品资料已保存。"))
                return redirect(_detail_url(product))
    else:
        form = ProductForm(initial=ProductForm.initial_for(product), settable=settable, creating=False)
    context = _form_context(form, product, form_error=form_error, conflict=conflict)
    return render(request, "catalog/product_form.html", context, status=status)


# ---- series -------------------------------------------------------------------------------------


def _series_page(request: HttpRequest, form: SeriesForm | None, status: int = 200, error: Any = None) -> HttpResponse:
    can = selectors_products.product_permissions(request.user)
    context = {
        "series_list": list(selectors_products.series_with_counts()),
        "form": form if form is not None else (SeriesForm() if can["edit"] else None),
        "form_error": error,
        "can": can,
    }
    return render(request, "catalog/series_list.html", context, status=status)


@login_required
@require_GET
def series_list(request: HttpRequest) -> HttpResponse:
    return _series_page(request, None)


@login_required
@require_POST
@domain_errors
def series_create(request: HttpRequest) -> HttpResponse:
    require(selectors_products.product_permissions(request.user)["edit"], _("您没有维护产品资料的权限。"))
    form = SeriesForm(request.POST)
    if not form.is_valid():
        return _series_page(request, form, 422)
    data = form.cleaned_data
    try:
        series = services.series_create(
            name=data["name"], description=data["description"], sort_order=data["sort_order"] or 0, by=request.user
        )
    except ValidationFailed as exc:
        return _series_page(request, form, 422, apply_errors(form, exc))
    messages.success(request, _("系列“%(name)s”已创建。") % {"name": series.name})
    return redirect("catalog:series_list")


urlpatterns = [
    path("products/", product_list, name="product_list"),
    path("products/new/", product_create, name="product_create"),
    path("products/export/", product_export, name="product_export"),
    path("products/<int:pk>/", product_detail, name="product_detail"),
    path("products/<int:pk>/edit/", product_edit, name="product_edit"),
    path("series/", series_list, name="series_list"),
    path("series/new/", series_create, name="series_create"),
]
