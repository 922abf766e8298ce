"""Order desk pages: the clerk's order inbox, order entry (keyboard first, prices resolved live
with htmx), the order page with its checks, approvals, versions and timeline, the actions on an
order and the confirmation text for the customer (ORD-3 … ORD-8).

Views parse, authorize, call a service or selector and render; every refusal of a service is
shown as its message with nothing changed. Orders outside the user's customer scope are 404.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from neiqin.accounts.roles import CAN_SEE_PRICES, Role
from neiqin.accounts.scoping import has_role
from neiqin.catalog.choices import PriceSource
from neiqin.catalog.models import Product
from neiqin.catalog.visibility import sees_floor
from neiqin.core import idempotency
from neiqin.core.errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationFailed
from neiqin.core.money import format_cny
from neiqin.core.pages import apply_errors, domain_errors, is_fragment, require
from neiqin.core.rmb import rmb_upper
from neiqin.sales import selectors
from neiqin.sales.choices import OrderStatus, Progress
from neiqin.sales.forms import (
    HEADER_LAYOUT,
    PAGE_SIZE,
    LineRow,
    OrderFilterForm,
    OrderForm,
    discount_text,
    padded,
    rows_from_order,
    rows_from_post,
)
from neiqin.sales.models import ApprovalRule, SalesOrder
from neiqin.sales.services import orders as order_services
from neiqin.sales.services.lines import price_lines

# Who may open the order pages (the warehouse never sees prices or amounts) and who may enter
# and act on orders (``services.orders._require_order_role``; finance reads only).
VIEW_ROLES = frozenset(CAN_SEE_PRICES)
ENTRY_ROLES = frozenset({Role.CLERK, Role.SALESPERSON, Role.SALES_MANAGER, Role.DEPUTY_GM, Role.GM, Role.ADMIN})
LIST_TARGET = "order-table"
CUSTOMER_OPTIONS = 12
PRODUCT_OPTIONS = 15
CREATE_SCOPE = "sales:order_create"

INBOX_BOXES = (
    ("drafts", gettext_lazy("草稿"), "bi-pencil-square", "secondary"),
    ("waiting_approval", gettext_lazy("待审批"), "bi-hourglass-split", "warning"),
    ("ready", gettext_lazy("待确认"), "bi-check2-square", "primary"),
    ("waiting_stock", gettext_lazy("等待到货"), "bi-truck", "info"),
    ("changed", gettext_lazy("确认后有变更"), "bi-arrow-repeat", "danger"),
    ("oral", gettext_lazy("口头订单未补书面"), "bi-telephone", "danger"),
)
TIMELINE_LABELS = {
    "sales.order.created": gettext_lazy("录入订单"),
    "sales.order.updated": gettext_lazy("修改订单"),
    "sales.order.submitted": gettext_lazy("提交审单"),
    "sales.order.approved": gettext_lazy("审批通过"),
    "sales.order.rejected": gettext_lazy("审批驳回"),
    "sales.order.confirmed": gettext_lazy("确认订单"),
    "sales.order.cancelled": gettext_lazy("取消订单"),
    "sales.order.shipped": gettext_lazy("发货出库"),
}
DIFF_LABELS = {
    "customer": gettext_lazy("客户"),
    "payment_mode": gettext_lazy("结算方式"),
    "payment_term_days": gettext_lazy("账期天数"),
    "delivery_on": gettext_lazy("要求交货日期"),
    "promised_on": gettext_lazy("承诺交货日期"),
    "delivery_address": gettext_lazy("收货地址"),
    "total": gettext_lazy("订单金额"),
}


def _require_view(user: Any) -> None:
    require(has_role(user, VIEW_ROLES), _("您没有查看订单的权限。"))


def _require_entry(user: Any) -> None:
    require(has_role(user, ENTRY_ROLES), _("您没有录入订单的权限。"))


def _order_for(request: HttpRequest, pk: int) -> SalesOrder:
    _require_view(request.user)
    return selectors.order_get_for_user(user=request.user, pk=pk)


def _detail_url(order: SalesOrder) -> str:
    return reverse("sales:order_detail", args=[order.pk])


def _vary(response: HttpResponse) -> HttpResponse:
    patch_vary_headers(response, ("HX-Request", "HX-Target"))
    return response


# ---- the inbox ----------------------------------------------------------------------------------


def _search(qs: QuerySet[SalesOrder], user: Any, q: str) -> QuerySet[SalesOrder]:
    from neiqin.customers.selectors import customer_queryset, search_q

    customer_ids = list(customer_queryset(user=user).filter(search_q(q)).values_list("pk", flat=True)[:500])
    cond = Q(number__icontains=q) | Q(customer_reference__icontains=q)
    if customer_ids:
        cond |= Q(customer_id__in=customer_ids)
    return qs.filter(cond)


@login_required
@require_GET
@domain_errors
def order_inbox(request: HttpRequest) -> HttpResponse:
    """The clerk's inbox: counts per box and the searchable list of all orders in scope."""
    user = request.user
    _require_view(user)
    inbox = selectors.order_inbox(user=user)
    box = request.GET.get("box", "")
    boxes = [
        {"key": key, "label": label, "icon": icon, "color": color, "count": getattr(inbox, key).count()}
        for key, label, icon, color in INBOX_BOXES
    ]
    qs = getattr(inbox, box) if box in {b[0] for b in INBOX_BOXES} else selectors.order_queryset(user=user)
    box = box if box in {b[0] for b in INBOX_BOXES} else ""
    form = OrderFilterForm(request.GET)
    form.is_valid()  # invalid filters are dropped and shown on the form
    if form.value("status"):
        qs = qs.filter(status=form.value("status"))
    if form.value("date_from"):
        qs = qs.filter(ordered_on__gte=form.value("date_from"))
    if form.value("date_to"):
        qs = qs.filter(ordered_on__lte=form.value("date_to"))
    q = (form.value("q") or "").strip()
    if q:
        qs = _search(qs, user, q)
    page = Paginator(qs.order_by("-ordered_on", "-id"), PAGE_SIZE).get_page(form.value("page") or 1)
    context = {
        "form": form,
        "page": page,
        "boxes": boxes,
        "box": box,
        "can_create": has_role(user, ENTRY_ROLES),
        "has_filters": any(v for k, v in request.GET.items() if k not in ("page",)),
    }
    template = "sales/order_inbox.html"
    if is_fragment(request, LIST_TARGET):
        template += "#table"
    return _vary(render(request, template, context))


# ---- entry helpers: customer, product and price ---------------------------------------------------


def _customer_in_scope(user: Any, pk: Any) -> Any:
    from neiqin.customers.selectors import customer_get_for_user

    return customer_get_for_user(user=user, pk=pk)


def _customer_terms(customer: Any) -> dict[str, Any]:
    """Terms an order takes from the customer file: payment, address and the receiver."""
    contact = customer.contacts.order_by("-is_primary", "id").first()
    return {
        "payment_mode": customer.payment_mode,
        "payment_term_days": customer.payment_term_days,
        "delivery_address": customer.address,
        "receiver": contact.name if contact else "",
        "receiver_phone": (contact.mobile or contact.phone) if contact else customer.phone,
    }


@login_required
@require_GET
@domain_errors
def customer_search(request: HttpRequest) -> HttpResponse:
    """Entry form: customers in the user's scope by name, pinyin, phone or code (``q``); with
    ``pick`` the chosen customer's block plus its terms as out-of-band swaps."""
    from neiqin.customers.selectors import CustomerFilters, customer_list

    user = request.user
    _require_entry(user)
    if request.GET.get("pick"):
        customer = _customer_in_scope(user, request.GET["pick"])
        form = OrderForm(initial=_customer_terms(customer))
        context = {"customer": customer, "terms": [form[name] for name in _TERM_FIELDS], "oob": True}
        response = render(request, "sales/order_form.html#customer_block", context)
        response["HX-Trigger"] = "customer-picked"
        return response
    if request.GET.get("clear"):
        return render(request, "sales/order_form.html#customer_block", {"customer": None})
    q = (request.GET.get("q") or request.GET.get("customer_q") or "").strip()[:60]
    found = []
    if q:
        found = list(customer_list(user=user, filters=CustomerFilters(q=q, sort="name"))[:CUSTOMER_OPTIONS])
    return render(request, "sales/order_customer_results.html", {"customers": found, "q": q})


_TERM_FIELDS = ("payment_mode", "payment_term_days", "delivery_address", "receiver", "receiver_phone")


def _shared_models(products: list[Product]) -> set[str]:
    rows = (
        Product.objects.filter(model_normalized__in={p.model_normalized for p in products})
        .values("model_normalized")
        .annotate(n=Count("id"))
    )
    return {row["model_normalized"] for row in rows if row["n"] > 1}


@login_required
@require_GET
@domain_errors
def product_search(request: HttpRequest) -> HttpResponse:
    """Entry form: datalist options of sellable products by model, code, name or pinyin. The
    option value is the 型号, or the 产品编码 when several specs share the model."""
    from neiqin.catalog.selectors import product_search_q, sellable

    _require_entry(request.user)
    q = (request.GET.get("q") or request.GET.get("line_product") or "").strip()[:60]
    products = []
    if q:
        products = list(
            sellable(Product.objects.filter(product_search_q(q))).order_by("model", "spec")[:PRODUCT_OPTIONS]
        )
    shared = _shared_models(products)
    options = [
        {
            "value": p.code if p.model_normalized in shared else p.model,
            "label": " ".join(part for part in (p.model, p.name, p.spec, p.unit) if part),
        }
        for p in products
    ]
    return render(request, "sales/order_product_options.html", {"options": options})


def product_from_text(text: str) -> Product:
    """The product a clerk means: a 产品编码, or a 型号 that names one product."""
    from neiqin.catalog.selectors import product_by_model

    text = (text or "").strip()
    product = Product.objects.filter(code__iexact=text).first() or product_by_model(text)
    if product is not None:
        return product
    from neiqin.catalog.services.validation import normalize_model

    if Product.objects.filter(model_normalized=normalize_model(text)).count() > 1:
        raise ValidationFailed(_("型号 %(model)s 有多个规格，请从列表中选择（按产品编码）。") % {"model": text})
    raise ValidationFailed(_("找不到型号为 %(model)s 的产品。") % {"model": text})


def _strip_row_prefix(message: str, index: int) -> str:
    prefix = _("第 %(n)s 行：") % {"n": index}
    return message[len(prefix) :] if message.startswith(prefix) else message


def price_info(user: Any, row: LineRow, *, customer: Any, on: dt.date | None) -> dict[str, Any] | None:
    """What the price cell of an entry row shows: the resolved or typed unit price, where it
    comes from, the floor warning (for those who may see floors) and the amount. Priced by the
    same ``price_lines`` the save uses, so the clerk sees exactly what will be stored."""
    if not row.product:
        return None
    try:
        product = product_from_text(row.product)
        line = price_lines(
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
        first = next(iter(fields.values()))[0] if fields else str(exc.message)
        return {"error": _strip_row_prefix(str(first), 1)}
    below = sees_floor(user) and line.floor_price is not None and line.unit_price < line.floor_price
    return {
        "product": product,
        "unit_price": price_text(line.unit_price),
        "list_price": price_text(line.list_price),
        "typed": bool(row.unit_price),
        "discounted": line.discount_rate > 0,
        "discount_text": discount_text(line.discount_rate),
        "source_label": PriceSource(line.price_source).label if line.price_source else "",
        "below_floor": below,
        "floor_price": format_cny(line.floor_price) if below else "",
        "amount": format_cny(line.amount) if row.quantity else "",
    }


def price_text(value: Decimal | None) -> str:
    """A unit price as shown: ¥ with two decimals, or up to four when the price has them."""
    if value is None:
        return ""
    if value == value.quantize(Decimal("0.01")):
        return format_cny(value)
    return "¥" + f"{value:,.4f}".rstrip("0")


def _date_or_none(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _customer_or_none(user: Any, pk: Any) -> Any:
    try:
        return _customer_in_scope(user, pk) if pk else None
    except NotFound:
        return None


@login_required
@require_GET
@domain_errors
def line_price(request: HttpRequest) -> HttpResponse:
    """The price cell of one entry row, refreshed as the clerk tabs through the row."""
    user = request.user
    _require_entry(user)
    customer = _customer_in_scope(user, request.GET["customer"]) if request.GET.get("customer") else None
    row = LineRow(
        index=1,
        product=(request.GET.get("line_product") or "").strip()[:200],
        quantity=(request.GET.get("line_quantity") or "").strip()[:30],
        unit_price=(request.GET.get("line_unit_price") or "").strip()[:30],
        discount=(request.GET.get("line_discount") or "").strip()[:30],
    )
    on = _date_or_none(request.GET.get("ordered_on"))
    info = price_info(user, row, customer=customer, on=on)
    return render(request, "sales/order_line_row.html#line_price", {"price": info})


@login_required
@require_GET
@domain_errors
def line_row(request: HttpRequest) -> HttpResponse:
    """One more blank entry row (and the "add line" button, numbered for the next one)."""
    _require_entry(request.user)
    try:
        index = max(1, min(int(request.GET.get("index", "1")), 999))
    except ValueError:
        index = 1
    return render(request, "sales/order_line_fragment.html", {"row": LineRow(index=index), "next_index": index + 1})


# ---- entry and edit -----------------------------------------------------------------------------


def _service_lines(rows: list[LineRow]) -> tuple[list[dict[str, Any]], list[LineRow]]:
    """Non-blank rows as service input (product resolved from the typed text). Row errors are
    put on the rows; the second value lists the rows in service order (line n = used[n-1])."""
    lines, used = [], []
    for row in rows:
        if row.is_blank:
            continue
        used.append(row)
        item = {
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


def _place_line_errors(exc: ValidationFailed, form: OrderForm, used: list[LineRow]) -> str | None:
    """Service errors keyed ``lines.<n>.<field>`` go on the typed rows, header errors on the
    form; what is left becomes the form-level message."""
    left = False
    header: dict[str, list[str]] = {}
    for key, errors in (exc.extra.get("fields") or {}).items():
        parts = key.split(".")
        if parts[0] == "lines" and len(parts) == 3 and parts[1].isdigit() and 0 < int(parts[1]) <= len(used):
            row = used[int(parts[1]) - 1]
            row.errors.extend(_strip_row_prefix(str(e), int(parts[1])) for e in errors)
            row.error_fields.add({"discount_rate": "discount"}.get(parts[2], parts[2]))
        elif key in form.fields:
            header[key] = errors
        else:
            left = True
    placed = apply_errors(form, ValidationFailed(exc.message, extra={"fields": header})) if header else None
    if left or (not header and not any(r.errors for r in used)):
        return str(exc.message)
    return str(placed) if placed else None


def _attach_prices(user: Any, rows: list[LineRow], customer: Any, on: dt.date | None) -> list[LineRow]:
    for row in rows:
        if row.product and not row.errors:
            row.price = price_info(user, row, customer=customer, on=on)
    return rows


def _form_context(
    request: HttpRequest,
    *,
    form: OrderForm,
    rows: list[LineRow],
    customer: Any,
    order: SalesOrder | None = None,
    form_error: str | None = None,
    conflict: str | None = None,
    customer_error: str | None = None,
) -> dict[str, Any]:
    on = _date_or_none(form.data.get("ordered_on") if form.is_bound else None) or (
        order.ordered_on if order else timezone.localdate()
    )
    rows = _attach_prices(request.user, padded(rows, minimum=1 if order else 5), customer, on)
    header = [(form[name], css) for name, css in HEADER_LAYOUT if name in form.fields]
    return {
        "form": form,
        "header": header,
        "rows": rows,
        "next_index": len(rows) + 1,
        "customer": customer,
        "order": order,
        "form_error": form_error,
        "conflict": conflict,
        "customer_error": customer_error,
        "row_errors": any(r.errors for r in rows),
    }


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def order_create(request: HttpRequest) -> HttpResponse:
    """Order entry. The hidden ``idempotency_key`` makes a double click or a replayed POST
    create one order: the repeat lands on the order the first submit created (R3)."""
    user = request.user
    _require_entry(user)
    if request.method == "GET":
        customer = _customer_or_none(user, request.GET.get("customer"))
        initial = {"ordered_on": timezone.localdate(), "idempotency_key": uuid.uuid4().hex}
        if customer is not None:
            initial.update(_customer_terms(customer))
        form = OrderForm(initial=initial)
        return render(request, "sales/order_form.html", _form_context(request, form=form, rows=[], customer=customer))

    form = OrderForm(request.POST)
    rows = rows_from_post(request.POST)
    customer_error = None
    customer = None
    try:
        customer = _customer_in_scope(user, request.POST.get("customer")) if request.POST.get("customer") else None
    except NotFound as exc:
        customer_error = str(exc.message)
    if customer is None and customer_error is None:
        customer_error = _("请选择客户。")
    lines, used = _service_lines(rows)
    form_error = None
    valid = form.is_valid()
    if valid and customer is not None and not any(r.errors for r in used):
        payload = {k: request.POST.getlist(k) for k in sorted(request.POST) if k not in _NOT_PAYLOAD}
        fields = form.header_fields(creating=True)

        def create() -> tuple[int, Any]:
            order = order_services.order_create(customer=customer, lines=lines, by=user, fields=fields)
            return 201, {"order": order.pk}

        try:
            outcome = idempotency.once(
                user=user,
                key=form.cleaned_data.get("idempotency_key"),
                scope=CREATE_SCOPE,
                payload=payload,
                action=create,
            )
        except ValidationFailed as exc:
            if exc.code == "idempotency_key_reused":
                form_error = _("这张表单已经保存过一次。如确实要再录入一张订单，请检查内容后再次保存。")
                form = _with_new_key(request, form)
            else:
                form_error = _place_line_errors(exc, form, used)
        except Conflict as exc:
            form_error = str(exc.message)
        else:
            if outcome.replayed:
                messages.info(request, _("该订单已经保存，重复提交没有再次创建订单。"))
            else:
                messages.success(request, _("订单草稿已保存。请检查后提交审单。"))
            return redirect("sales:order_detail", pk=outcome.body["order"])
    context = _form_context(
        request, form=form, rows=rows, customer=customer, form_error=form_error, customer_error=customer_error
    )
    return render(request, "sales/order_form.html", context, status=422)


_NOT_PAYLOAD = ("csrfmiddlewaretoken", "idempotency_key", "customer_q")


def _with_new_key(request: HttpRequest, form: OrderForm) -> OrderForm:
    data = request.POST.copy()
    data["idempotency_key"] = uuid.uuid4().hex
    fresh = OrderForm(data)
    fresh.is_valid()
    return fresh


def _order_initial(order: SalesOrder) -> dict[str, Any]:
    initial = {name: getattr(order, name) for name in order_services.HEADER_FIELDS if name != "promised_on"}
    initial["warehouse"] = order.warehouse_id
    initial["version"] = order.version
    return initial


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def order_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit an order with the entry form. ``version`` guards against a second tab or a second
    clerk: a stale save shows who changed the order when, and keeps what was typed."""
    user = request.user
    _require_entry(user)
    order = _order_for(request, pk)
    if order.status not in order_services.EDITABLE_STATUSES:
        messages.error(request, _("订单%(status)s，不能修改。") % {"status": order.get_status_display()})
        return redirect(_detail_url(order))
    if request.method == "GET":
        form = OrderForm(initial=_order_initial(order), editing=True)
        context = _form_context(request, form=form, rows=rows_from_order(order), customer=order.customer, order=order)
        return render(request, "sales/order_form.html", context)

    form = OrderForm(request.POST, editing=True)
    rows = rows_from_post(request.POST)
    lines, used = _service_lines(rows)
    form_error = conflict = None
    if form.is_valid() and not any(r.errors for r in used):
        try:
            order_services.order_update(
                order=order,
                by=user,
                version=form.cleaned_data.get("version"),
                fields=form.header_fields(creating=False),
                lines=lines,
                reason=form.cleaned_data.get("reason") or "",
            )
        except ValidationFailed as exc:
            form_error = _place_line_errors(exc, form, used)
        except Conflict as exc:
            conflict = str(exc.message)
        else:
            order.refresh_from_db()
            messages.success(request, _edit_message(order))
            return redirect(_detail_url(order))
    context = _form_context(
        request,
        form=form,
        rows=rows,
        customer=order.customer,
        order=order,
        form_error=form_error,
        conflict=conflict,
    )
    return render(request, "sales/order_form.html", context, status=409 if conflict else 422)


def _edit_message(order: SalesOrder) -> str:
    if order.status == OrderStatus.PENDING_APPROVAL:
        return _("订单已修改。内容变更后原审批已失效，需要重新审批。")
    if order.status == OrderStatus.DRAFT and order.submitted_at:
        return _("订单已修改，未通过审单，已退回草稿。")
    return _("订单已修改。")


# ---- the order page -------------------------------------------------------------------------------


def _checks_view(order: SalesOrder) -> list[dict[str, Any]]:
    rules = {r.code: r.name for r in ApprovalRule.objects.all()}
    rows = []
    for check in order.checks or []:
        role = check.get("approver_role") or ""
        rows.append(
            {
                **check,
                "rule_name": rules.get(check.get("rule") or "", ""),
                "role_label": Role(role).label if role in Role.values else role,
            }
        )
    order_key = {"block": 0, "approval": 1, "warn": 2}
    return sorted(rows, key=lambda c: (c["ok"], order_key.get(c["severity"], 3)))


def _diff_rows(diff: list[dict[str, Any]]) -> list[dict[str, Any]]:
    def line_text(line: Any) -> str:
        if not line:
            return "—"
        return _("%(model)s × %(quantity)s，单价 %(price)s，金额 %(amount)s") % {
            "model": line.get("model", ""),
            "quantity": line.get("quantity", ""),
            "price": line.get("unit_price", ""),
            "amount": line.get("amount", ""),
        }

    rows = []
    for change in diff or []:
        name = str(change.get("field", ""))
        if name.startswith("line "):
            label = _("第 %(n)s 行") % {"n": name[5:]}
            rows.append(
                {"label": label, "before": line_text(change.get("before")), "after": line_text(change.get("after"))}
            )
        else:
            rows.append(
                {
                    "label": DIFF_LABELS.get(name, name),
                    "before": change.get("before") if change.get("before") not in (None, "") else "—",
                    "after": change.get("after") if change.get("after") not in (None, "") else "—",
                }
            )
    return rows


def _decidable_ids(user: Any, order: SalesOrder) -> set[int]:
    return set(selectors.approval_queue(user=user).filter(order_id=order.pk).values_list("pk", flat=True))


def _detail_context(request: HttpRequest, order: SalesOrder) -> dict[str, Any]:
    user = request.user
    lines = list(order.lines.select_related("product", "warehouse").order_by("position"))
    show_floor = sees_floor(user)
    for line in lines:
        line.source_label = PriceSource(line.price_source).label if line.price_source in PriceSource.values else ""
        line.below_floor = show_floor and line.floor_price is not None and line.unit_price < line.floor_price
        line.discount_text = discount_text(line.discount_rate)
        line.list_price_text = price_text(line.list_price)
        line.unit_price_text = price_text(line.unit_price)
        line.floor_price_text = price_text(line.floor_price) if line.below_floor else ""
    approvals = list(
        selectors.approvals_for(document_type="order", document_id=order.pk).order_by("requested_at", "id")
    )
    versions = [
        {"version": v, "changes": _diff_rows(v.diff)}
        for v in order.versions.select_related("created_by").order_by("-number")
    ]
    timeline = [
        {**event, "label": TIMELINE_LABELS.get(event["action"], event["action"])}
        for event in selectors.order_timeline(order=order)
    ]
    can_act = has_role(user, ENTRY_ROLES)
    status = order.status
    return {
        "order": order,
        "lines": lines,
        "show_floor": show_floor,
        "total_upper": rmb_upper(order.total),
        "checks": _checks_view(order),
        "approvals": approvals,
        "decidable": _decidable_ids(user, order),
        "versions": versions,
        "timeline": timeline,
        "can_submit": can_act and status == OrderStatus.DRAFT,
        "can_confirm": can_act and status == OrderStatus.APPROVED,
        "can_edit": can_act and status in order_services.EDITABLE_STATUSES,
        "can_cancel": can_act
        and status not in (OrderStatus.CANCELLED, OrderStatus.CLOSED)
        and order.shipped != Progress.FULL,
        "can_copy": can_act,
        "today": timezone.localdate(),
    }


@login_required
@require_GET
@domain_errors
def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    order = _order_for(request, pk)
    return render(request, "sales/order_detail.html", _detail_context(request, order))


# ---- actions --------------------------------------------------------------------------------------


def _act(request: HttpRequest, pk: int, action: Any) -> tuple[SalesOrder, Any]:
    """Run ``action(order)``; a refusal becomes an error message (nothing was changed)."""
    _require_entry(request.user)
    order = _order_for(request, pk)
    try:
        return order, action(order)
    except (NotFound, PermissionDenied):
        raise
    except DomainError as exc:
        messages.error(request, exc.message)
        return order, None


@login_required
@require_POST
@domain_errors
def order_submit(request: HttpRequest, pk: int) -> HttpResponse:
    order, result = _act(request, pk, lambda o: order_services.order_submit(order=o, by=request.user))
    if result is not None:
        submitted, _checks = result
        if submitted.status == OrderStatus.PENDING_APPROVAL:
            messages.warning(
                request, _("订单 %(number)s 已提交，等待审批（见下方审批）。") % {"number": submitted.number}
            )
        else:
            messages.success(request, _("订单 %(number)s 审单通过，可以确认订单。") % {"number": submitted.number})
    return redirect(_detail_url(order))


@login_required
@require_POST
@domain_errors
def order_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    raw = (request.POST.get("promised_on") or "").strip()
    promised_on = _date_or_none(raw)
    if raw and promised_on is None:
        _order_for(request, pk)
        messages.error(request, _("承诺交货日期格式应为 2026-12-31。"))
        return redirect("sales:order_detail", pk=pk)
    order, result = _act(
        request, pk, lambda o: order_services.order_confirm(order=o, by=request.user, promised_on=promised_on)
    )
    if result is not None and result.status != "confirmed":
        messages.warning(
            request, _("确认前审单发现需要新的审批（如信用额度已被其他订单占用），已提交审批，批准后再确认。")
        )
    elif result is not None:
        if result.waiting_for_stock:
            messages.warning(request, _("订单已确认。部分产品库存不足，已生成补货申请，订单等待到货。"))
        else:
            messages.success(request, _("订单已确认，库存已占用。"))
        if result.promised_on is None:
            messages.info(request, _("承诺交货日期待定：已提醒业务员跟进交期。"))
    return redirect(_detail_url(order))


@login_required
@require_POST
@domain_errors
def order_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    reason = (request.POST.get("reason") or "").strip()[:200]
    order, result = _act(request, pk, lambda o: order_services.order_cancel(order=o, by=request.user, reason=reason))
    if result is not None:
        messages.success(request, _("订单已取消，占用的库存已释放。"))
    return redirect(_detail_url(order))


@login_required
@require_POST
@domain_errors
def order_copy(request: HttpRequest, pk: int) -> HttpResponse:
    order, copy = _act(request, pk, lambda o: order_services.order_copy(order=o, by=request.user))
    if copy is None:
        return redirect(_detail_url(order))
    messages.success(request, _("已复制为新的订单草稿（审批不会复制），请检查后提交。"))
    return redirect(_detail_url(copy))


# ---- confirmation for the customer ----------------------------------------------------------------


def confirmation_text(order: SalesOrder, *, company: str) -> str:
    """The order confirmation as plain Chinese text, ready to paste into WeChat or an e-mail."""
    lines = order.lines.select_related("product").order_by("position")
    parts = [_("%(customer)s：") % {"customer": order.customer.name}, _("您好！贵司的订单已确认，明细如下：")]
    parts.append(_("订单号：%(number)s") % {"number": order.number or "—"})
    if order.customer_reference:
        parts.append(_("贵司订单号：%(ref)s") % {"ref": order.customer_reference})
    for line in lines:
        product = line.product
        name = " ".join(p for p in (product.model, product.name, product.spec) if p)
        parts.append(
            _("%(n)s. %(name)s  %(quantity)s %(unit)s × %(price)s = %(amount)s")
            % {
                "n": line.position,
                "name": name,
                "quantity": _qty(line.quantity),
                "unit": product.unit,
                "price": format_cny(line.unit_price),
                "amount": format_cny(line.amount),
            }
        )
    parts.append(
        _("合计：%(total)s（人民币大写：%(upper)s）")
        % {"total": format_cny(order.total), "upper": rmb_upper(order.total)}
    )
    if order.promised_on:
        parts.append(_("承诺交货日期：%(date)s") % {"date": order.promised_on.isoformat()})
    else:
        parts.append(_("交货日期：交期待定，确定后我们会第一时间通知您。"))
    if order.delivery_address:
        receiver = " ".join(p for p in (order.receiver, order.receiver_phone) if p)
        parts.append(
            _("收货地址：%(address)s%(receiver)s")
            % {"address": order.delivery_address, "receiver": f"（{receiver}）" if receiver else ""}
        )
    contact = order.owner.display_name or order.owner.username
    parts.append(_("如有疑问请联系 %(who)s。谢谢！") % {"who": contact})
    if company:
        parts.append(company)
    return "\n".join(str(p) for p in parts)


def _qty(value: Any) -> str:
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


@login_required
@require_GET
@domain_errors
def order_confirmation(request: HttpRequest, pk: int) -> HttpResponse:
    from django.conf import settings

    order = _order_for(request, pk)
    text = confirmation_text(order, company=getattr(settings, "NEIQIN_COMPANY_NAME", ""))
    return render(request, "sales/order_confirmation.html", {"order": order, "text": text})


urlpatterns: list = [
    path("orders/", order_inbox, name="order_inbox"),
    path("orders/new/", order_create, name="order_create"),
    path("orders/customers/", customer_search, name="customer_search"),
    path("orders/products/", product_search, name="product_search"),
    path("orders/line-price/", line_price, name="line_price"),
    path("orders/line-row/", line_row, name="line_row"),
    path("orders/<int:pk>/", order_detail, name="order_detail"),
    path("orders/<int:pk>/edit/", order_edit, name="order_edit"),
    path("orders/<int:pk>/submit/", order_submit, name="order_submit"),
    path("orders/<int:pk>/confirm/", order_confirm, name="order_confirm"),
    path("orders/<int:pk>/cancel/", order_cancel, name="order_cancel"),
    path("orders/<int:pk>/copy/", order_copy, name="order_copy"),
    path("orders/<int:pk>/confirmation/", order_confirmation, name="order_confirmation"),
]
