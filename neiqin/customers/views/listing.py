"""The customer list (filters, sorting, paging, htmx table swaps), its export, and the shared
pool (公海) with first-come-first-served claiming."""

from __future__ import annotations

import dataclasses
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from neiqin.accounts.roles import Scope
from neiqin.accounts.scoping import customer_scope
from neiqin.core.errors import Conflict, NotFound, ValidationFailed
from neiqin.customers import rules, selectors, services
from neiqin.customers.forms import CustomerFilterForm, PoolSearchForm
from neiqin.customers.views.common import attachment, customer_labels, detail_url, domain_errors, is_fragment, require

LIST_FRAGMENT_TARGET = "customer-table"
POOL_FRAGMENT_TARGET = "pool-table"
POOL_PAGE_SIZE = 50
PAGE_SIZES = (20, 50, 100, 200)
EXPORT_FORMATS = ("xlsx", "csv")
# Encrypted columns the list never shows: skip loading (and decrypting) them.
LIST_DEFERRED = ("phone", "fax", "email", "id_number", "invoice_address_phone", "invoice_account")

# (column label, sort key of selectors.SORTS or None) for the list table header.
LIST_COLUMNS = (
    (gettext_lazy("编号"), "code"),
    (gettext_lazy("客户名称"), "name"),
    (gettext_lazy("阶段"), None),
    (gettext_lazy("等级"), "grade"),
    (gettext_lazy("行业"), None),
    (gettext_lazy("地区"), None),
    (gettext_lazy("负责人"), None),
    (gettext_lazy("下次联系"), "next_contact_on"),
    (gettext_lazy("信用额度"), "credit_limit"),
    (gettext_lazy("创建时间"), "created_at"),
)


# ---- list and export -----------------------------------------------------------------------------


def _filter_form(request: HttpRequest) -> CustomerFilterForm:
    user = request.user
    provinces = (
        selectors.customer_queryset(user=user)
        .exclude(province="")
        .order_by("province")
        .values_list("province", flat=True)
        .distinct()
    )
    form = CustomerFilterForm(
        request.GET, provinces=list(provinces), show_people=customer_scope(user) in (Scope.TEAM, Scope.ALL)
    )
    form.is_valid()  # invalid values are dropped from the filters and shown on the form
    return form


def _sort_headers(current: str) -> list[dict[str, Any]]:
    headers = []
    for label, key in LIST_COLUMNS:
        header: dict[str, Any] = {"label": label, "key": key, "direction": ""}
        if key:
            if current == key:
                header.update(direction="asc", next=f"-{key}")
            elif current == f"-{key}":
                header.update(direction="desc", next=key)
            else:
                header["next"] = key
        headers.append(header)
    return headers


@login_required
@require_GET
def customer_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = _filter_form(request)
    filters = form.filters()
    sort_error = None
    try:
        qs = selectors.customer_list(user=user, filters=filters)
    except ValidationFailed as exc:
        sort_error = exc.message
        filters = dataclasses.replace(filters, sort=CustomerFilterForm().filters().sort)
        qs = selectors.customer_list(user=user, filters=filters)
    page = Paginator(qs.defer(*LIST_DEFERRED), form.get_page_size()).get_page(form.get_page_number())
    context = {
        "form": form,
        "page": page,
        "filters": filters,
        "sort_error": sort_error,
        "headers": _sort_headers(filters.sort),
        "can_create": rules.can_create(user),
        "can_export": rules.can_export(user),
        "can_import": rules.can_import(user),
        "has_filters": any(v for k, v in request.GET.items() if k not in ("sort", "page", "page_size")),
        "today": timezone.localdate(),
        "page_sizes": PAGE_SIZES,
    }
    template = "customers/list.html"
    if is_fragment(request, LIST_FRAGMENT_TARGET):
        template += "#table"
    response = render(request, template, context)
    patch_vary_headers(response, ("HX-Request", "HX-Target"))
    return response


@login_required
@require_GET
@domain_errors
def customer_export(request: HttpRequest) -> HttpResponse:
    """Export the filtered list; the service checks scope and writes the export audit event."""
    require(rules.can_export(request.user), _("您没有导出客户的权限。"))
    fmt = request.GET.get("fmt", "xlsx")
    back = reverse("customers:list") + "?" + request.GET.urlencode()
    if fmt not in EXPORT_FORMATS:
        messages.error(request, _("不支持的导出格式：%(fmt)s") % {"fmt": fmt})
        return redirect(back)
    from neiqin.customers import importer

    try:
        data, filename, content_type = importer.export_customers(
            user=request.user, filters=_filter_form(request).filters(), fmt=fmt
        )
    except (ValidationFailed, Conflict) as exc:
        messages.error(request, exc.message)
        return redirect(back)
    return attachment(data, filename, content_type)


# ---- pool (公海) ---------------------------------------------------------------------------------------


@login_required
@require_GET
def pool(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = PoolSearchForm(request.GET)
    form.is_valid()
    q = (form.cleaned_data.get("q") or "").strip()
    qs = selectors.pool_list(user=user, q=q).defer(*LIST_DEFERRED)
    page = Paginator(qs, POOL_PAGE_SIZE).get_page(form.cleaned_data.get("page") or 1)
    for customer in page.object_list:
        customer.claimable = rules.can_claim(user, customer)
    context = {"form": form, "page": page, "q": q, "can_open": customer_scope(user) == Scope.ALL}
    template = "customers/pool.html"
    if is_fragment(request, POOL_FRAGMENT_TARGET):
        template += "#table"
    response = render(request, template, context)
    patch_vary_headers(response, ("HX-Request", "HX-Target"))
    return response


@login_required
@require_POST
@domain_errors
def pool_claim(request: HttpRequest, pk: int) -> HttpResponse:
    """First come, first served: whoever claims second is told who was faster."""
    require(rules.can_claim_any(request.user), _("只有业务员可以从公海领取客户。"))
    try:
        customer = selectors.pool_get_for_user(user=request.user, pk=pk)
        customer = services.customer_claim(customer=customer, by=request.user)
    except (NotFound, Conflict) as exc:  # lost the race: say who was faster, back to the pool
        messages.warning(request, exc.message)
        return redirect("customers:pool")
    messages.success(request, _("已领取客户 %(code)s %(name)s。") % customer_labels(customer))
    return redirect(detail_url(customer))
