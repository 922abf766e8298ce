"""Order desk list exports (SYS-3): ``?format=xlsx|csv`` plus the same filters as the list page
(``lines=1`` for one row per document line). Who may open a list may export it, with the same
scope: the warehouse neither sees these lists nor exports them. The filters are parsed by the list
pages' own forms and helpers, imported from their views; ``sales.exports`` starts from the
scoped selectors and only narrows by them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from neiqin.accounts.roles import CAN_SEE_PRICES
from neiqin.accounts.scoping import has_role
from neiqin.core.errors import Conflict, ValidationFailed
from neiqin.core.pages import attachment, domain_errors, require
from neiqin.sales import exports, selectors
from neiqin.sales.choices import ContractStatus
from neiqin.sales.forms import OrderFilterForm
from neiqin.sales.forms_documents import ContractFilterForm, QuotationFilterForm

EXPORT_ROLES = frozenset(CAN_SEE_PRICES)
NOT_FILTERS = ("format", "fmt", "page", "lines")


def _require_export(user: Any) -> None:
    require(has_role(user, EXPORT_ROLES), _("您没有导出该列表的权限。"))


def _shown(form: Any) -> dict[str, Any]:
    data = getattr(form, "cleaned_data", {}) or {}
    return {k: v for k, v in data.items() if k != "page" and k not in form.errors and v not in (None, "", False)}


def _respond(request: HttpRequest, list_url: str, run: Callable[[str, bool], tuple[bytes, str, str]]) -> HttpResponse:
    """Run the export in the requested format, or go back to the list with the message."""
    fmt = (request.GET.get("format") or request.GET.get("fmt") or "xlsx").lower()
    lines = request.GET.get("lines") in ("1", "true", "on")
    query = request.GET.copy()
    for key in NOT_FILTERS:
        query.pop(key, None)
    back = reverse(list_url) + ("?" + query.urlencode() if query else "")
    try:
        exports.check_format(fmt)
        content, filename, content_type = run(fmt, lines)
    except (ValidationFailed, Conflict) as exc:
        messages.error(request, exc.message)
        return redirect(back)
    return attachment(content, filename, content_type)


# ---- orders: the inbox's box and filters ---------------------------------------------------------


@login_required
@require_GET
@domain_errors
def order_export(request: HttpRequest) -> HttpResponse:
    from neiqin.sales.views.orders import INBOX_BOXES
    from neiqin.sales.views.orders import _search as order_search

    user = request.user
    _require_export(user)
    box = request.GET.get("box", "")
    box = box if box in {b[0] for b in INBOX_BOXES} else ""
    form = OrderFilterForm(request.GET)
    form.is_valid()  # invalid filters are dropped, as on the list

    def narrow(qs: QuerySet) -> QuerySet:
        if box:
            qs = qs & getattr(selectors.order_inbox(user=user), box)
        if form.value("status"):
            qs = qs.filter(status=form.value("status"))
        if form.value("date_from"):
            qs = qs.filter(ordered_on__gte=form.value("date_from"))
        if form.value("date_to"):
            qs = qs.filter(ordered_on__lte=form.value("date_to"))
        q = (form.value("q") or "").strip()
        return order_search(qs, user, q) if q else qs

    filters = {**_shown(form), **({"box": box} if box else {})}
    return _respond(
        request,
        "sales:order_inbox",
        lambda fmt, lines: exports.export_orders(user=user, fmt=fmt, narrow=narrow, filters=filters, lines=lines),
    )


# ---- quotations ---------------------------------------------------------------------------------


@login_required
@require_GET
@domain_errors
def quotation_export(request: HttpRequest) -> HttpResponse:
    from neiqin.sales.views.quotations import OPEN_STATUSES
    from neiqin.sales.views.quotations import _search as quotation_search

    user = request.user
    _require_export(user)
    form = QuotationFilterForm(request.GET)
    form.is_valid()
    today = timezone.localdate()

    def narrow(qs: QuerySet) -> QuerySet:
        if form.value("status"):
            qs = qs.filter(status=form.value("status"))
        if form.value("customer"):
            qs = qs.filter(customer_id=form.value("customer"))
        if form.value("date_from"):
            qs = qs.filter(quoted_on__gte=form.value("date_from"))
        if form.value("date_to"):
            qs = qs.filter(quoted_on__lte=form.value("date_to"))
        if form.value("expired"):
            qs = qs.filter(valid_until__lt=today, status__in=OPEN_STATUSES)
        q = (form.value("q") or "").strip()
        return quotation_search(qs, user, q) if q else qs

    filters = _shown(form)
    return _respond(
        request,
        "sales:quotation_list",
        lambda fmt, lines: exports.export_quotations(user=user, fmt=fmt, narrow=narrow, filters=filters, lines=lines),
    )


# ---- contracts ----------------------------------------------------------------------------------


@login_required
@require_GET
@domain_errors
def contract_export(request: HttpRequest) -> HttpResponse:
    from neiqin.sales.views.contracts import EXPIRING_DAYS
    from neiqin.sales.views.contracts import _search as contract_search

    user = request.user
    _require_export(user)
    form = ContractFilterForm(request.GET)
    form.is_valid()
    today = timezone.localdate()

    def narrow(qs: QuerySet) -> QuerySet:
        if form.value("status"):
            qs = qs.filter(status=form.value("status"))
        if form.value("customer"):
            qs = qs.filter(customer_id=form.value("customer"))
        if form.value("expiring"):
            qs = qs.filter(
                status=ContractStatus.EFFECTIVE, ends_on__lte=today + dt.timedelta(days=EXPIRING_DAYS)
            ).order_by("ends_on", "id")
        q = (form.value("q") or "").strip()
        return contract_search(qs, user, q) if q else qs

    filters = _shown(form)
    return _respond(
        request,
        "sales:contract_list",
        lambda fmt, lines: exports.export_contracts(user=user, fmt=fmt, narrow=narrow, filters=filters, lines=lines),
    )


# ---- opportunities ------------------------------------------------------------------------------


@login_required
@require_GET
@domain_errors
def opportunity_export(request: HttpRequest) -> HttpResponse:
    from neiqin.sales.views.opportunities import OpportunityFilterForm, _filtered, _owners

    user = request.user
    _require_export(user)
    form = OpportunityFilterForm(request.GET, owners=_owners(user))
    filtered = _filtered(user, form)  # validates the form; invalid filters are ignored, as on the list

    def narrow(qs: QuerySet) -> QuerySet:
        return qs & filtered

    filters = {k: (v.pk if hasattr(v, "pk") else v) for k, v in _shown(form).items()}
    return _respond(
        request,
        "sales:opportunity_list",
        lambda fmt, _lines: exports.export_opportunities(user=user, fmt=fmt, narrow=narrow, filters=filters),
    )


urlpatterns = [
    path("orders/export/", order_export, name="order_export"),
    path("quotations/export/", quotation_export, name="quotation_export"),
    path("contracts/export/", contract_export, name="contract_export"),
    path("opportunities/export/", opportunity_export, name="opportunity_export"),
]
