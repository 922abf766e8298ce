"""Order desk pages: quotations (报价单, ORD-1), their PDF and the order confirmation PDF (SYS-4).

A salesperson sees the quotations of own customers only (anything else is 404, also the PDF);
finance reads; the warehouse never sees prices and has no access. Creating and acting is for the
order-entry roles. A draft edited after an approval loses that approval (the service voids it).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from neiqin.accounts.roles import CAN_SEE_PRICES, Role
from neiqin.accounts.scoping import has_role
from neiqin.catalog.choices import PriceSource
from neiqin.catalog.visibility import sees_floor
from neiqin.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from neiqin.core.money import format_cny
from neiqin.core.pages import apply_errors, attachment, domain_errors, is_fragment, require
from neiqin.core.rmb import rmb_upper
from neiqin.sales import documents, selectors
from neiqin.sales.choices import QuotationStatus
from neiqin.sales.forms import PAGE_SIZE, LineRow, discount_text, padded, rows_from_order, rows_from_post
from neiqin.sales.forms_documents import (
    QUOTATION_LAYOUT,
    QuotationFilterForm,
    QuotationForm,
    place_line_errors,
    product_from_text,
    service_lines,
)
from neiqin.sales.models import Quotation
from neiqin.sales.services import quotations as quotation_services
from neiqin.sales.services.lines import price_lines

VIEW_ROLES = frozenset(CAN_SEE_PRICES)
ENTRY_ROLES = frozenset({Role.CLERK, Role.SALESPERSON, Role.SALES_MANAGER, Role.DEPUTY_GM, Role.GM, Role.ADMIN})
LIST_TARGET = "quotation-table"
CUSTOMER_OPTIONS = 12
OPEN_STATUSES = (QuotationStatus.DRAFT, QuotationStatus.ISSUED)


def require_view(user: Any) -> None:
    require(has_role(user, VIEW_ROLES), _("您没有查看报价单的权限。"))


def require_entry(user: Any) -> None:
    require(has_role(user, ENTRY_ROLES), _("您没有制作报价单的权限。"))


def _quotation_for(request: HttpRequest, pk: int) -> Quotation:
    require_view(request.user)
    return selectors.quotation_get_for_user(user=request.user, pk=pk)


def _detail_url(quotation: Quotation) -> str:
    return reverse("sales:quotation_detail", args=[quotation.pk])


def _date_or_none(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


# ---- shared by the quotation and contract entry forms --------------------------------------------


def customer_in_scope(user: Any, pk: Any) -> Any:
    from neiqin.customers.selectors import customer_get_for_user

    return customer_get_for_user(user=user, pk=pk)


def customer_choices(user: Any, q: str) -> list[Any]:
    from neiqin.customers.selectors import CustomerFilters, customer_list

    q = (q or "").strip()[:60]
    if not q:
        return []
    return list(customer_list(user=user, filters=CustomerFilters(q=q, sort="name"))[:CUSTOMER_OPTIONS])


def price_text(value: Any) -> str:
    if value is None:
        return ""
    return documents.price_text(value)


def preview_prices(user: Any, rows: list[LineRow], *, customer: Any, on: dt.date | None) -> list[LineRow]:
    """Price every typed row as the save would (same ``price_lines``), for the price column."""
    show_floor = sees_floor(user)
    for row in rows:
        if row.is_blank or not row.product or row.errors:
            continue
        try:
            product = product_from_text(row.product)
            priced = price_lines(
                [
                    {
                        "product_id": product.pk,
                        "quantity": row.quantity or "1",
                        "unit_price": row.unit_price,
                        "discount_rate": row.discount,
                    }
                ],
                customer=customer,
                on=on,
            )[0]
        except ValidationFailed as exc:
            fields = exc.extra.get("fields") or {}
            first = str(next(iter(fields.values()))[0]) if fields else str(exc.message)
            prefix = _("第 %(n)s 行：") % {"n": 1}
            row.price = {"error": first[len(prefix) :] if first.startswith(prefix) else first}
            continue
        below = show_floor and priced.floor_price is not None and priced.unit_price < priced.floor_price
        row.price = {
            "label": " ".join(p for p in (product.name, product.spec, product.unit) if p),
            "unit_price": price_text(priced.unit_price),
            "list_price": price_text(priced.list_price),
            "source_label": PriceSource(priced.price_source).label if priced.price_source in PriceSource.values else "",
            "discount_text": discount_text(priced.discount_rate),
            "below_floor": below,
            "floor_price": price_text(priced.floor_price) if below else "",
            "amount": format_cny(priced.amount) if row.quantity else "",
        }
    return rows


def save_error(exc: ValidationFailed, form: Any, used: list[LineRow]) -> str | None:
    """Line errors on their rows, header errors on the form; returns what is left to show."""
    fields = exc.extra.get("fields") or {}
    header = {k: v for k, v in fields.items() if not k.startswith("lines")}
    lines = {k: v for k, v in fields.items() if k.startswith("lines")}
    if not header and not lines:
        return str(exc.message)
    message = apply_errors(form, ValidationFailed(exc.message, extra={"fields": header})) if header else None
    if lines:
        message = place_line_errors(ValidationFailed(exc.message, extra={"fields": lines}), used) or message
    return str(message) if message else None


def rows_for_form(request: HttpRequest) -> list[LineRow]:
    rows = rows_from_post(request.POST)
    if request.POST.get("action") == "add_rows":
        rows = padded(rows, minimum=len(rows) + 5)
    return rows


# ---- the list -----------------------------------------------------------------------------------


def _search(qs: QuerySet[Quotation], user: Any, q: str) -> QuerySet[Quotation]:
    from neiqin.customers.selectors import customer_queryset, search_q

    customer_ids = list(customer_queryset(user=user).filter(search_q(q)).values_list("pk", flat=True)[:500])
    cond = Q(number__icontains=q)
    if customer_ids:
        cond |= Q(customer_id__in=customer_ids)
    return qs.filter(cond)


@login_required
@require_GET
@domain_errors
def quotation_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    require_view(user)
    today = timezone.localdate()
    form = QuotationFilterForm(request.GET)
    form.is_valid()
    qs = selectors.quotation_queryset(user=user)
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
    if q:
        qs = _search(qs, user, q)
    page = Paginator(qs.order_by("-quoted_on", "-id"), PAGE_SIZE).get_page(form.value("page") or 1)
    for quotation in page.object_list:
        quotation.is_expired = quotation.valid_until < today and quotation.status in OPEN_STATUSES
    context = {
        "form": form,
        "page": page,
        "today": today,
        "can_create": has_role(user, ENTRY_ROLES),
        "has_filters": any(v for k, v in request.GET.items() if k != "page"),
    }
    template = "sales/quotation_list.html"
    if is_fragment(request, LIST_TARGET):
        template += "#table"
    response = render(request, template, context)
    patch_vary_headers(response, ("HX-Request", "HX-Target"))
    return response


# ---- entry and edit -------------------------------------------------------------------------------


def _form_context(
    request: HttpRequest,
    *,
    form: QuotationForm,
    rows: list[LineRow],
    customer: Any,
    quotation: Quotation | None = None,
    form_error: str | None = None,
    customer_q: str = "",
) -> dict[str, Any]:
    on = _date_or_none(form.data.get("quoted_on") if form.is_bound else None) or (
        quotation.quoted_on if quotation else timezone.localdate()
    )
    rows = padded(rows, minimum=1 if quotation else 5)
    if customer is not None:
        preview_prices(request.user, rows, customer=customer, on=on)
    return {
        "form": form,
        "header": [(form[name], css) for name, css in QUOTATION_LAYOUT],
        "rows": rows,
        "customer": customer,
        "customer_q": customer_q,
        "customers": customer_choices(request.user, customer_q) if customer is None else [],
        "quotation": quotation,
        "form_error": form_error,
        "row_errors": any(r.errors for r in rows),
    }


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def quotation_create(request: HttpRequest) -> HttpResponse:
    """A new quotation: pick the customer (search), type the lines by 型号, check the prices
    ("计算价格" re-prices without saving), save as a draft."""
    user = request.user
    require_entry(user)
    if request.method == "GET":
        customer = customer_in_scope(user, request.GET["customer"]) if request.GET.get("customer") else None
        today = timezone.localdate()
        initial = {
            "quoted_on": today,
            "valid_until": today + dt.timedelta(days=quotation_services.DEFAULT_VALIDITY_DAYS),
        }
        if customer is not None:
            contact = customer.contacts.order_by("-is_primary", "id").first()
            initial["contact_name"] = contact.name if contact else ""
        context = _form_context(
            request,
            form=QuotationForm(initial=initial),
            rows=[],
            customer=customer,
            customer_q=request.GET.get("customer_q", ""),
        )
        return render(request, "sales/quotation_form.html", context)

    customer = customer_in_scope(user, request.POST.get("customer")) if request.POST.get("customer") else None
    form = QuotationForm(request.POST)
    rows = rows_for_form(request)
    form_error = None
    if customer is None:
        form_error = _("请选择客户。")
    elif request.POST.get("action") == "save":
        lines, used = service_lines(rows)
        if form.is_valid() and not any(r.errors for r in used):
            try:
                quotation = quotation_services.quotation_create(
                    customer=customer, lines=lines, by=user, fields=form.service_fields()
                )
            except ValidationFailed as exc:
                form_error = save_error(exc, form, used)
            else:
                messages.success(request, _("报价单草稿已保存。"))
                return redirect(_detail_url(quotation))
    else:
        form.is_valid()
    context = _form_context(request, form=form, rows=rows, customer=customer, form_error=form_error)
    status = 422 if request.POST.get("action") == "save" or customer is None else 200
    return render(request, "sales/quotation_form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def quotation_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit a draft (``version`` guards against a second tab). Changed lines void the approvals."""
    user = request.user
    require_entry(user)
    quotation = _quotation_for(request, pk)
    if quotation.status != QuotationStatus.DRAFT:
        messages.error(request, _("报价单已发出，不能修改；如需调整请重新报价。"))
        return redirect(_detail_url(quotation))
    if request.method == "GET":
        initial = {name: getattr(quotation, name) for name in quotation_services.FIELDS}
        initial["version"] = quotation.version
        context = _form_context(
            request,
            form=QuotationForm(initial=initial),
            rows=rows_from_order(quotation),
            customer=quotation.customer,
            quotation=quotation,
        )
        return render(request, "sales/quotation_form.html", context)

    form = QuotationForm(request.POST)
    rows = rows_for_form(request)
    form_error = None
    status = 200
    if request.POST.get("action") == "save":
        status = 422
        lines, used = service_lines(rows)
        if form.is_valid() and not any(r.errors for r in used):
            had_live = quotation.approvals.filter(status__in=["pending", "approved"]).count()
            try:
                updated = quotation_services.quotation_update(
                    quotation=quotation,
                    by=user,
                    version=form.cleaned_data.get("version"),
                    fields=form.service_fields(),
                    lines=lines,
                )
            except ValidationFailed as exc:
                form_error = save_error(exc, form, used)
            except DomainError as exc:
                if isinstance(exc, (NotFound, PermissionDenied)):
                    raise
                form_error = str(exc.message)
                status = 409
            else:
                voided = had_live - updated.approvals.filter(status__in=["pending", "approved"]).count()
                if voided > 0:
                    messages.warning(request, _("报价单已修改。内容变更后原审批已失效，需要重新申请审批。"))
                else:
                    messages.success(request, _("报价单已修改。"))
                return redirect(_detail_url(updated))
    else:
        form.is_valid()
    context = _form_context(
        request, form=form, rows=rows, customer=quotation.customer, quotation=quotation, form_error=form_error
    )
    return render(request, "sales/quotation_form.html", context, status=status)


# ---- the quotation page ---------------------------------------------------------------------------


def _lines_view(user: Any, document: Any) -> list[Any]:
    show_floor = sees_floor(user)
    lines = list(document.lines.select_related("product").order_by("position"))
    for line in lines:
        line.source_label = PriceSource(line.price_source).label if line.price_source in PriceSource.values else ""
        line.discount_text = discount_text(line.discount_rate)
        line.list_price_text = price_text(line.list_price)
        line.unit_price_text = price_text(line.unit_price)
        line.below_floor = show_floor and line.floor_price is not None and line.unit_price < line.floor_price
        line.floor_price_text = price_text(line.floor_price) if line.below_floor else ""
    return lines


@login_required
@require_GET
@domain_errors
def quotation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    quotation = _quotation_for(request, pk)
    today = timezone.localdate()
    can_act = has_role(user, ENTRY_ROLES)
    status = quotation.status
    needed = []
    if status == QuotationStatus.DRAFT and can_act:
        needed = [c for c in quotation_services.quotation_checks(quotation, requester=user) if not c.ok]
    approvals = list(
        selectors.approvals_for(document_type="quotation", document_id=quotation.pk).order_by("requested_at", "id")
    )
    decidable = set(selectors.approval_queue(user=user).filter(quotation_id=quotation.pk).values_list("pk", flat=True))
    expired = quotation.valid_until < today and status in OPEN_STATUSES
    context = {
        "quotation": quotation,
        "lines": _lines_view(user, quotation),
        "total_upper": rmb_upper(quotation.total),
        "approvals": approvals,
        "decidable": decidable,
        "needed": needed,
        "expired": expired,
        "orders": list(quotation.orders.order_by("-id")[:20]),
        "contracts": list(quotation.contracts.order_by("-id")[:20]),
        "can_edit": can_act and status == QuotationStatus.DRAFT,
        "can_request_approval": can_act and status == QuotationStatus.DRAFT and bool(needed),
        "can_issue": can_act and status == QuotationStatus.DRAFT,
        "can_outcome": can_act and status == QuotationStatus.ISSUED,
        "can_to_order": can_act and status in (QuotationStatus.ISSUED, QuotationStatus.ACCEPTED) and not expired,
        "can_contract": can_act and status in (QuotationStatus.ISSUED, QuotationStatus.ACCEPTED),
    }
    return render(request, "sales/quotation_detail.html", context)


# ---- actions --------------------------------------------------------------------------------------


def _act(request: HttpRequest, pk: int, action: Any) -> tuple[Quotation, Any]:
    """Run ``action(quotation)``; a refusal becomes an error message (nothing was changed)."""
    require_entry(request.user)
    quotation = _quotation_for(request, pk)
    try:
        return quotation, action(quotation)
    except (NotFound, PermissionDenied):
        raise
    except DomainError as exc:
        messages.error(request, exc.message)
        return quotation, None


@login_required
@require_POST
@domain_errors
def quotation_request_approval(request: HttpRequest, pk: int) -> HttpResponse:
    def run(q: Quotation) -> Any:
        if q.status != QuotationStatus.DRAFT:
            raise ValidationFailed(_("只有草稿报价单需要申请审批。"))
        return quotation_services.quotation_request_approval(quotation=q, by=request.user)

    quotation, live = _act(request, pk, run)
    if live is not None:
        if live:
            messages.success(request, _("已申请审批：%(rules)s。") % {"rules": "、".join(a.rule.name for a in live)})
        else:
            messages.info(request, _("报价在您的权限之内，无需审批，可以直接发出。"))
    return redirect(_detail_url(quotation))


@login_required
@require_POST
@domain_errors
def quotation_issue(request: HttpRequest, pk: int) -> HttpResponse:
    quotation, issued = _act(request, pk, lambda q: quotation_services.quotation_issue(quotation=q, by=request.user))
    if issued is not None:
        messages.success(request, _("报价单 %(number)s 已发出。") % {"number": issued.number})
    return redirect(_detail_url(quotation))


@login_required
@require_POST
@domain_errors
def quotation_outcome(request: HttpRequest, pk: int) -> HttpResponse:
    outcome = request.POST.get("outcome")
    if outcome not in ("accepted", "declined"):
        _quotation_for(request, pk)
        messages.error(request, _("请选择客户接受或拒绝。"))
        return redirect("sales:quotation_detail", pk=pk)
    quotation, result = _act(
        request,
        pk,
        lambda q: quotation_services.quotation_set_outcome(
            quotation=q, by=request.user, accepted=outcome == "accepted"
        ),
    )
    if result is not None:
        messages.success(request, _("已记录：%(status)s。") % {"status": result.get_status_display()})
    return redirect(_detail_url(quotation))


@login_required
@require_POST
@domain_errors
def quotation_to_order(request: HttpRequest, pk: int) -> HttpResponse:
    quotation, order = _act(request, pk, lambda q: quotation_services.quotation_to_order(quotation=q, by=request.user))
    if order is None:
        return redirect(_detail_url(quotation))
    messages.success(request, _("已按报价生成订单草稿，请补充交货信息后提交审单。"))
    return redirect(reverse("sales:order_detail", args=[order.pk]))


# ---- documents ----------------------------------------------------------------------------------


@login_required
@require_GET
@domain_errors
def quotation_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    quotation = _quotation_for(request, pk)
    data = documents.quotation_pdf(quotation)
    return attachment(data, documents.quotation_filename(quotation), "application/pdf")


@login_required
@require_GET
@domain_errors
def order_confirmation_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The order confirmation (订单确认书) as PDF, for whoever sees the order."""
    require(has_role(request.user, VIEW_ROLES), _("您没有查看订单的权限。"))
    order = selectors.order_get_for_user(user=request.user, pk=pk)
    data = documents.order_confirmation_pdf(order)
    return attachment(data, documents.order_confirmation_filename(order), "application/pdf")


urlpatterns: list = [
    path("quotations/", quotation_list, name="quotation_list"),
    path("quotations/new/", quotation_create, name="quotation_create"),
    path("quotations/<int:pk>/", quotation_detail, name="quotation_detail"),
    path("quotations/<int:pk>/edit/", quotation_edit, name="quotation_edit"),
    path("quotations/<int:pk>/request-approval/", quotation_request_approval, name="quotation_request_approval"),
    path("quotations/<int:pk>/issue/", quotation_issue, name="quotation_issue"),
    path("quotations/<int:pk>/outcome/", quotation_outcome, name="quotation_outcome"),
    path("quotations/<int:pk>/to-order/", quotation_to_order, name="quotation_to_order"),
    path("quotations/<int:pk>/pdf/", quotation_pdf, name="quotation_pdf"),
    path("orders/<int:pk>/confirmation.pdf", order_confirmation_pdf, name="order_confirmation_pdf"),
]
