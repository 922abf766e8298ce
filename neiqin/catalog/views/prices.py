"""Price pages (PRD-2): price lists and their items, dated price changes with the customers they
affect (exportable, so the clerk can send notices), and 查价, the live price lookup the clerk
uses on the phone.

Views parse, authorize, call a selector or ``services.price_set`` and render. Everybody who sees
prices (everyone but the warehouse) may read; only ``CAN_SET_PRICES`` roles create lists and set
prices. Customer lists, affected customers and the lookup's customers are scoped by the
customer archive's selectors: a salesperson sees own customers only, and anything outside the
scope is a 404.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from neiqin.accounts.roles import CAN_SET_PRICES
from neiqin.accounts.scoping import has_role
from neiqin.catalog import selectors, services
from neiqin.catalog.choices import PriceListKind
from neiqin.catalog.forms_prices import PriceChangeFilterForm, PriceListCreateForm, PriceLookupForm, PriceSetForm
from neiqin.catalog.models import PriceChange, PriceList, Product
from neiqin.catalog.services.validation import normalize_model
from neiqin.catalog.visibility import sees_floor, sees_prices
from neiqin.core.errors import Conflict, ValidationFailed
from neiqin.core.pages import apply_errors, attachment, domain_errors, is_fragment, require
from neiqin.core.quantities import parse_price, parse_quantity
from neiqin.core.spreadsheets import Column, write_csv, write_xlsx

PAGE_SIZE = 50
ITEMS_PAGE_SIZE = 100
OPTION_LIMIT = 20
SCHEDULED_LIMIT = 200
EXPORT_FORMATS = ("xlsx", "csv")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"
CUSTOMER_LISTS_TARGET = "customer-lists"
ITEMS_TARGET = "price-items"
CHANGES_TARGET = "price-change-table"
AFFECTED_TARGET = "affected-table"
LOOKUP_TARGET = "lookup-result"
TWO_PLACES = Decimal("0.01")


# ---- helpers --------------------------------------------------------------------------------------


def _require_prices(user: Any) -> None:
    require(sees_prices(user), _("您无权查看价格。"))


def _can_set_prices(user: Any) -> bool:
    return has_role(user, CAN_SET_PRICES)


def price_text(value: Decimal | None) -> str:
    """A unit price for reading: two decimals, up to four when the price has them (12.3456)."""
    if value is None:
        return "—"
    number = Decimal(value)
    if number == number.quantize(TWO_PLACES):
        return f"{number.quantize(TWO_PLACES):,}"
    return f"{number.normalize():,}"


def quantity_text(value: Decimal | None) -> str:
    if value is None:
        return "—"
    number = Decimal(value).normalize()
    return f"{number.quantize(Decimal(1)) if number == number.to_integral_value() else number:,}"


def _fragment(request: HttpRequest, template: str, target: str, partial: str) -> str:
    return f"{template}#{partial}" if is_fragment(request, target) else template


def _vary(response: HttpResponse) -> HttpResponse:
    patch_vary_headers(response, ("HX-Request", "HX-Target"))
    return response


def product_from_text(text: str) -> Product:
    """The product a clerk means by what they typed: a 产品编码, or a 型号 that names one product."""
    text = (text or "").strip()
    if not text:
        message = _("请填写型号。")
        raise ValidationFailed(message, extra={"fields": {"product": [message]}})
    product = Product.objects.filter(code__iexact=text).first() or selectors.product_by_model(text)
    if product is not None:
        return product
    if Product.objects.filter(model_normalized=normalize_model(text)).count() > 1:
        message = _("型号 %(model)s 有多个规格，请从列表中选择（按产品编码）。") % {"model": text}
    else:
        message = _("找不到型号为 %(model)s 的产品。") % {"model": text}
    raise ValidationFailed(message, extra={"fields": {"product": [message]}})


def _product_options(q: str) -> list[dict[str, str]]:
    """Datalist options: the 型号 when it names one product, else the 产品编码 (unique)."""
    q = (q or "").strip()
    if not q:
        return []
    matching = selectors.sellable(Product.objects.filter(selectors.product_search_q(q)))
    products = list(matching.order_by("model", "spec")[:OPTION_LIMIT])
    shared = {
        row["model_normalized"]
        for row in Product.objects.filter(model_normalized__in={p.model_normalized for p in products})
        .values("model_normalized")
        .annotate(n=Count("id"))
        if row["n"] > 1
    }
    return [
        {
            "value": p.code if p.model_normalized in shared else p.model,
            "label": " ".join(part for part in (p.model, p.name, p.spec, p.unit) if part),
        }
        for p in products
    ]


def _customer_choices(user: Any, q: str) -> list[Any]:
    from neiqin.customers.selectors import CustomerFilters, customer_list

    q = (q or "").strip()
    if not q:
        return []
    return list(customer_list(user=user, filters=CustomerFilters(q=q, sort="name"))[:OPTION_LIMIT])


# ---- price lists --------------------------------------------------------------------------------


def _price_lists_context(request: HttpRequest, create_form: PriceListCreateForm | None = None) -> dict[str, Any]:
    from neiqin.customers.selectors import customer_queryset, search_q

    user = request.user
    lists = selectors.price_lists_for(user=user).annotate(product_count=Count("items__product", distinct=True))
    shared = list(lists.exclude(kind=PriceListKind.CUSTOMER).order_by("kind", "grade", "id"))
    q = (request.GET.get("q") or "").strip()[:60]
    customer_lists = lists.filter(kind=PriceListKind.CUSTOMER)
    if q:
        matching = customer_queryset(user=user).filter(search_q(q)).values("pk")
        customer_lists = customer_lists.filter(customer_id__in=matching)
    customer_lists = customer_lists.select_related("customer__owner").order_by("customer__name", "id")
    page = Paginator(customer_lists, PAGE_SIZE).get_page(request.GET.get("page"))
    can_set = _can_set_prices(user)
    selected_customer = None
    if create_form is not None and create_form.is_bound and create_form.data.get("customer"):
        selected_customer = _customer_or_none(user, create_form.data.get("customer"))
    return {
        "shared_lists": shared,
        "page": page,
        "q": q,
        "can_set": can_set,
        "create_form": (create_form or PriceListCreateForm()) if can_set else None,
        "selected_customer": selected_customer,
        "kinds": PriceListKind,
    }


def _customer_or_none(user: Any, pk: Any) -> Any:
    from neiqin.customers.selectors import customer_queryset

    try:
        return customer_queryset(user=user).filter(pk=int(pk)).first()
    except (TypeError, ValueError):
        return None


@login_required
@require_GET
@domain_errors
def price_lists(request: HttpRequest) -> HttpResponse:
    _require_prices(request.user)
    template = _fragment(request, "catalog/price_lists.html", CUSTOMER_LISTS_TARGET, "customer_lists")
    return _vary(render(request, template, _price_lists_context(request)))


@login_required
@require_POST
@domain_errors
def price_list_create(request: HttpRequest) -> HttpResponse:
    from neiqin.customers.selectors import customer_get_for_user

    user = request.user
    _require_prices(user)
    require(_can_set_prices(user), _("您没有定价权限。"))
    form = PriceListCreateForm(request.POST)
    form_error = None
    if form.is_valid():
        data = form.cleaned_data
        customer = None
        if data["kind"] == PriceListKind.CUSTOMER and data.get("customer"):
            customer = customer_get_for_user(user=user, pk=data["customer"])
        try:
            price_list = services.price_list_create(
                kind=data["kind"],
                by=user,
                grade=data.get("grade") or "",
                customer=customer,
                name=data.get("name") or "",
            )
        except ValidationFailed as exc:
            form_error = apply_errors(form, exc)
        except Conflict as exc:
            form_error = exc.message
        else:
            messages.success(request, _("价格表“%(name)s”已创建。") % {"name": price_list.name})
            return redirect("catalog:price_list_detail", pk=price_list.pk)
    context = _price_lists_context(request, form)
    context["form_error"] = form_error
    return render(request, "catalog/price_lists.html", context, status=422)


@login_required
@require_GET
@domain_errors
def price_customer_options(request: HttpRequest) -> HttpResponse:
    """``<option>``s of the customers in scope matching ``customer_q`` (htmx search)."""
    _require_prices(request.user)
    q = (request.GET.get("customer_q") or request.GET.get("q") or "").strip()[:60]
    choices = _customer_choices(request.user, q)
    return render(request, "catalog/price_options.html#customers", {"customers": choices, "q": q})


@login_required
@require_GET
@domain_errors
def price_product_options(request: HttpRequest) -> HttpResponse:
    """``<option>``s of a datalist of products matching the typed 型号 or name (htmx search)."""
    _require_prices(request.user)
    q = (request.GET.get("product") or request.GET.get("q") or "").strip()[:60]
    return render(request, "catalog/price_options.html#products", {"products": _product_options(q)})


# ---- one price list ---------------------------------------------------------------------------


def _item_rows(user: Any, price_list: PriceList, items: list[Any]) -> list[dict[str, Any]]:
    show_floor = sees_floor(user)
    rows = []
    for item in items:
        product = item.product
        floor = product.floor_price if show_floor else None
        rows.append(
            {
                "item": item,
                "product": product,
                "price": price_text(item.unit_price),
                "min_quantity": quantity_text(item.min_quantity),
                "company": price_text(product.standard_price),
                "floor": price_text(floor) if floor is not None else "—",
                "below_company": price_list.kind != PriceListKind.COMPANY and item.unit_price < product.standard_price,
                "near_floor": floor is not None and item.unit_price <= floor,
            }
        )
    return rows


def _render_detail(
    request: HttpRequest,
    price_list: PriceList,
    form: PriceSetForm | None,
    *,
    form_error: Any = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    today = timezone.localdate()
    items = selectors.current_items(price_list=price_list, on=today)
    q = (request.GET.get("q") or "").strip()[:60]
    if q:
        matching = set(Product.objects.filter(selectors.product_search_q(q)).values_list("pk", flat=True))
        items = [item for item in items if item.product_id in matching]
    page = Paginator(_item_rows(user, price_list, items), ITEMS_PAGE_SIZE).get_page(request.GET.get("page"))
    scheduled = list(selectors.scheduled_items(price_list=price_list, on=today)[:SCHEDULED_LIMIT])
    can_set = _can_set_prices(user) and price_list.is_active
    context = {
        "price_list": price_list,
        "page": page,
        "q": q,
        "item_count": len(items),
        "scheduled": _item_rows(user, price_list, scheduled),
        "show_floor": sees_floor(user),
        "show_company": price_list.kind != PriceListKind.COMPANY,
        "form": (form or PriceSetForm()) if can_set else None,
        "form_error": form_error,
        "today": today,
    }
    template = _fragment(request, "catalog/price_list_detail.html", ITEMS_TARGET, "items")
    return _vary(render(request, template, context, status=status))


@login_required
@require_GET
@domain_errors
def price_list_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require_prices(request.user)
    price_list = selectors.price_list_get_for_user(user=request.user, pk=pk)
    return _render_detail(request, price_list, None)


@login_required
@require_POST
@domain_errors
def price_list_set_price(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    _require_prices(user)
    price_list = selectors.price_list_get_for_user(user=user, pk=pk)
    require(_can_set_prices(user), _("您没有定价权限。"))
    form = PriceSetForm(request.POST)
    form_error = None
    if form.is_valid():
        data = form.cleaned_data
        try:
            product = product_from_text(data["product"])
            change = services.price_set(
                price_list=price_list,
                product=product,
                unit_price=data["unit_price"],
                effective_from=data.get("effective_from") or None,
                by=user,
                min_quantity=data.get("min_quantity") or "0",
                reason=data.get("reason") or "",
            )
        except ValidationFailed as exc:
            form_error = apply_errors(form, exc)
        except Conflict as exc:
            form_error = exc.message
        else:
            messages.success(
                request,
                _("%(model)s 的价格已设为 %(price)s，自 %(date)s 起生效；受影响客户 %(n)s 个。")
                % {
                    "model": product.model,
                    "price": price_text(change.new_price),
                    "date": change.effective_from.isoformat(),
                    "n": change.affected_count,
                },
            )
            return redirect("catalog:price_change_detail", pk=change.pk)
    return _render_detail(request, price_list, form, form_error=form_error, status=422)


def _export_response(
    request: HttpRequest, columns: list[Column], rows: list[dict[str, Any]], title: str
) -> HttpResponse:
    fmt = request.GET.get("fmt", "xlsx")
    stamp = timezone.localdate().strftime("%Y%m%d")
    if fmt == "csv":
        return attachment(write_csv(columns=columns, rows=rows), f"{title}_{stamp}.csv", CSV_TYPE)
    return attachment(write_xlsx(columns=columns, rows=rows, sheet_title=title), f"{title}_{stamp}.xlsx", XLSX_TYPE)


@login_required
@require_GET
@domain_errors
def price_list_export(request: HttpRequest, pk: int) -> HttpResponse:
    """The items in force today, as Excel (prices as numbers; the floor only for those who see it)."""
    user = request.user
    _require_prices(user)
    price_list = selectors.price_list_get_for_user(user=user, pk=pk)
    columns = [
        Column("code", _("产品编码")),
        Column("model", _("型号")),
        Column("name", _("品名"), width=30),
        Column("spec", _("规格")),
        Column("unit", _("单位"), width=8),
        Column("unit_price", _("单价"), "money"),
        Column("min_quantity", _("起订数量"), "quantity"),
        Column("effective_from", _("生效日期"), "date"),
    ]
    if price_list.kind != PriceListKind.COMPANY:
        columns.append(Column("company_price", _("公司统一价"), "money"))
    show_floor = sees_floor(user)
    if show_floor:
        columns.append(Column("floor_price", _("底价"), "money"))
    rows = [
        {
            "code": item.product.code,
            "model": item.product.model,
            "name": item.product.name,
            "spec": item.product.spec,
            "unit": item.product.unit,
            "unit_price": item.unit_price,
            "min_quantity": item.min_quantity,
            "effective_from": item.effective_from,
            "company_price": item.product.standard_price,
            "floor_price": item.product.floor_price if show_floor else None,
        }
        for item in selectors.current_items(price_list=price_list)
    ]
    return _export_response(request, columns, rows, price_list.name)


# ---- price changes ------------------------------------------------------------------------------


def _change_filters(request: HttpRequest) -> PriceChangeFilterForm:
    user = request.user
    form = PriceChangeFilterForm(request.GET)
    form.is_valid()  # invalid values are ignored and shown on the form
    visible = selectors.price_lists_for(user=user)
    chosen = form.value("price_list")
    options = list(visible.filter(~Q(kind=PriceListKind.CUSTOMER) | Q(pk=chosen or 0)).order_by("kind", "grade", "id"))
    form.fields["price_list"].widget.choices = [("", _("全部价格表")), *[(str(pl.pk), pl.name) for pl in options]]
    return form


def _changes_queryset(user: Any, form: PriceChangeFilterForm) -> Any:
    qs = selectors.price_changes_for(user=user)
    product_q = (form.value("product") or "").strip()
    if product_q:
        qs = qs.filter(product_id__in=Product.objects.filter(selectors.product_search_q(product_q)).values("pk"))
    if form.value("price_list"):
        qs = qs.filter(price_list_id=form.value("price_list"))
    if form.value("date_from"):
        qs = qs.filter(effective_from__gte=form.value("date_from"))
    if form.value("date_to"):
        qs = qs.filter(effective_from__lte=form.value("date_to"))
    return qs.order_by("-created_at", "-id")


def _change_row(change: PriceChange) -> dict[str, Any]:
    direction = ""
    if change.old_price is not None:
        direction = (
            "up" if change.new_price > change.old_price else "down" if change.new_price < change.old_price else ""
        )
    return {
        "change": change,
        "old": price_text(change.old_price),
        "new": price_text(change.new_price),
        "min_quantity": quantity_text(change.min_quantity),
        "direction": direction,
    }


@login_required
@require_GET
@domain_errors
def price_changes(request: HttpRequest) -> HttpResponse:
    user = request.user
    _require_prices(user)
    form = _change_filters(request)
    qs = _changes_queryset(user, form)
    page = Paginator(qs, PAGE_SIZE).get_page(form.value("page") or 1)
    context = {
        "form": form,
        "page": page,
        "rows": [_change_row(change) for change in page.object_list],
        "has_filters": any(v for k, v in request.GET.items() if k != "page"),
        "today": timezone.localdate(),
    }
    template = _fragment(request, "catalog/price_changes.html", CHANGES_TARGET, "table")
    return _vary(render(request, template, context))


@login_required
@require_GET
@domain_errors
def price_change_detail(request: HttpRequest, pk: int) -> HttpResponse:
    from neiqin.customers import rules as customer_rules

    user = request.user
    _require_prices(user)
    change = selectors.price_change_get_for_user(user=user, pk=pk)
    affected = selectors.affected_customers(change=change, user=user)
    page = Paginator(affected, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "change": change,
        "row": _change_row(change),
        "page": page,
        "can_export": customer_rules.can_export(user),
    }
    template = _fragment(request, "catalog/price_change_detail.html", AFFECTED_TARGET, "affected")
    return _vary(render(request, template, context))


@login_required
@require_GET
@domain_errors
def price_change_export(request: HttpRequest, pk: int) -> HttpResponse:
    """The affected customers in the user's scope, for the notices; logged like a customer export."""
    from neiqin.customers import rules as customer_rules
    from neiqin.customers.services import customer_record_export

    user = request.user
    _require_prices(user)
    change = selectors.price_change_get_for_user(user=user, pk=pk)
    require(customer_rules.can_export(user), _("您没有导出客户的权限。"))
    product = change.product
    columns = [
        Column("code", _("客户编号")),
        Column("name", _("客户名称"), width=30),
        Column("short_name", _("简称")),
        Column("grade", _("等级"), width=8),
        Column("stage", _("阶段"), width=10),
        Column("phone", _("电话")),
        Column("owner", _("负责业务员")),
        Column("model", _("型号")),
        Column("product", _("品名"), width=30),
        Column("old_price", _("原价"), "money"),
        Column("new_price", _("新价"), "money"),
        Column("min_quantity", _("起订数量"), "quantity"),
        Column("effective_from", _("生效日期"), "date"),
    ]
    rows = [
        {
            "code": customer.code,
            "name": customer.name,
            "short_name": customer.short_name,
            "grade": customer.grade,
            "stage": customer.get_stage_display(),
            "phone": customer.phone,
            "owner": str(customer.owner) if customer.owner else "",
            "model": product.model,
            "product": product.name,
            "old_price": change.old_price,
            "new_price": change.new_price,
            "min_quantity": change.min_quantity,
            "effective_from": change.effective_from,
        }
        for customer in selectors.affected_customers(change=change, user=user)
    ]
    fmt = "csv" if request.GET.get("fmt") == "csv" else "xlsx"
    customer_record_export(by=user, count=len(rows), filters={"price_change": change.pk}, fmt=fmt)
    return _export_response(request, columns, rows, _("调价通知_%(model)s") % {"model": product.model})


# ---- 查价 -----------------------------------------------------------------------------------------


def _lookup(user: Any, form: PriceLookupForm) -> dict[str, Any]:
    """Pick the customer (the one chosen, else the first match of the search) and resolve."""
    from neiqin.customers.selectors import customer_get_for_user

    data = form.cleaned_data if form.is_valid() else {}
    q = (data.get("customer_q") or "").strip()
    choices = _customer_choices(user, q)
    customer = None
    chosen = data.get("customer")
    if chosen:
        customer = customer_get_for_user(user=user, pk=chosen)
        if q and choices and customer not in choices:
            customer = choices[0]  # the search changed: follow it
    elif choices:
        customer = choices[0]
    if customer is not None and customer not in choices:
        choices.insert(0, customer)
    result: dict[str, Any] = {"customer": customer, "customers": choices, "q": q, "errors": {}}
    product_text = (data.get("product") or "").strip()
    if not product_text:
        return result
    try:
        product = product_from_text(product_text)
        quantity = parse_quantity(data.get("quantity") or "1", field="quantity", label=_("数量"))
        offered = parse_price(data["price"], field="price", label=_("拟报单价")) if data.get("price") else None
    except ValidationFailed as exc:
        result["errors"] = exc.extra.get("fields") or {"product": [exc.message]}
        return result
    on = data.get("on") or timezone.localdate()
    resolved = selectors.resolve_price(product=product, customer=customer, on=on, quantity=quantity)
    show_floor = sees_floor(user)
    result.update(
        product=product,
        resolved=resolved,
        on=on,
        quantity=quantity_text(quantity),
        unit_price=price_text(resolved.unit_price),
        effective_from=resolved.effective_from,
        floor=price_text(resolved.floor_price) if show_floor and resolved.floor_price is not None else None,
        below_floor=resolved.below_floor(),
        offered=price_text(offered) if offered is not None else None,
        offered_below_floor=offered is not None and resolved.below_floor(offered),
        min_quantity=quantity_text(resolved.min_quantity),
    )
    return result


@login_required
@require_GET
@domain_errors
def price_lookup(request: HttpRequest) -> HttpResponse:
    user = request.user
    _require_prices(user)
    form = PriceLookupForm(request.GET or None, initial={"on": timezone.localdate(), "quantity": "1"})
    if form.is_bound:
        context = _lookup(user, form)
    else:
        context = {"customers": [], "customer": None, "q": "", "errors": {}}
    context["form"] = form
    template = _fragment(request, "catalog/price_lookup.html", LOOKUP_TARGET, "fragment")
    return _vary(render(request, template, context))


urlpatterns = [
    path("prices/", price_lists, name="price_lists"),
    path("prices/new/", price_list_create, name="price_list_create"),
    path("prices/customer-options/", price_customer_options, name="price_customer_options"),
    path("prices/product-options/", price_product_options, name="price_product_options"),
    path("prices/<int:pk>/", price_list_detail, name="price_list_detail"),
    path("prices/<int:pk>/set/", price_list_set_price, name="price_list_set_price"),
    path("prices/<int:pk>/export/", price_list_export, name="price_list_export"),
    path("price-changes/", price_changes, name="price_changes"),
    path("price-changes/<int:pk>/", price_change_detail, name="price_change_detail"),
    path("price-changes/<int:pk>/export/", price_change_export, name="price_change_export"),
    path("price-lookup/", price_lookup, name="price_lookup"),
]
