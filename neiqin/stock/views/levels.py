"""Stock pages: the level matrix, one product's stock (an htmx fragment for the product page),
the move ledger, the documents the warehouse enters (receipt, shipment, transfer, adjustment)
and warehouses (INV-1, INV-2).

Everybody sees stock quantities; only the warehouse (``CAN_MOVE_STOCK``) posts documents and
sets 安全库存, only the admin manages warehouses. Prices never appear here, unit cost and values
only for roles that see cost.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from neiqin.accounts.roles import CAN_MANAGE_WAREHOUSES, CAN_MOVE_STOCK
from neiqin.accounts.scoping import has_role
from neiqin.catalog.models import Product
from neiqin.catalog.selectors import product_get
from neiqin.catalog.visibility import sees_cost
from neiqin.core.errors import Conflict, ValidationFailed
from neiqin.core.pages import apply_errors, attachment, domain_errors, is_fragment, redirect_next, require
from neiqin.stock import exports, services
from neiqin.stock.forms import (
    PAGE_SIZES,
    AdjustmentForm,
    LevelFilterForm,
    LineRows,
    MinQuantityForm,
    MoveFilterForm,
    ReceiptForm,
    ShipmentForm,
    TransferForm,
    WarehouseForm,
)
from neiqin.stock.selectors import levels as selectors
from neiqin.stock.services import InsufficientStock, Line, Posted

LEVELS_TARGET = "level-table"
MOVES_TARGET = "move-table"
PRODUCT_LEVELS_TARGET = "product-levels"
EXPORT_FORMATS = ("xlsx", "csv")


def _can_move(user: Any) -> bool:
    return has_role(user, CAN_MOVE_STOCK)


def _can_manage(user: Any) -> bool:
    return has_role(user, CAN_MANAGE_WAREHOUSES)


def _has_filters(request: HttpRequest) -> bool:
    return any(v for k, v in request.GET.items() if k not in ("sort", "page", "page_size"))


def _fragment_response(request: HttpRequest, template: str, target: str, context: dict[str, Any]) -> HttpResponse:
    if is_fragment(request, target):
        template += "#table"
    response = render(request, template, context)
    patch_vary_headers(response, ("HX-Request", "HX-Target"))
    return response


# ---- the level matrix --------------------------------------------------------------------------------


def _level_form(request: HttpRequest) -> LevelFilterForm:
    form = LevelFilterForm(request.GET)
    form.is_valid()  # invalid values are dropped from the filters
    return form


@login_required
@require_GET
def levels_list(request: HttpRequest) -> HttpResponse:
    form = _level_form(request)
    filters = form.filters()
    warehouses = selectors.matrix_warehouses(filters)
    paginator = Paginator(selectors.level_rows(filters=filters, warehouses=warehouses), form.get_page_size())
    paginator.count = selectors.level_count(filters=filters, warehouses=warehouses)  # no aggregation to count
    page = paginator.get_page(form.get_page_number())
    context = {
        "form": form,
        "filters": filters,
        "page": page,
        "rows": [selectors.level_row(product, warehouses) for product in page.object_list],
        "warehouses": warehouses,
        "has_filters": _has_filters(request),
        "can_move": _can_move(request.user),
        "page_sizes": PAGE_SIZES,
    }
    return _fragment_response(request, "stock/levels_list.html", LEVELS_TARGET, context)


@login_required
@require_GET
@domain_errors
def levels_export(request: HttpRequest) -> HttpResponse:
    fmt = request.GET.get("fmt", "xlsx")
    if fmt not in EXPORT_FORMATS:
        messages.error(request, _("不支持的导出格式：%(fmt)s") % {"fmt": fmt})
        return redirect(reverse("stock:levels"))
    data, filename, content_type = exports.export_levels(
        user=request.user, filters=_level_form(request).filters(), fmt=fmt
    )
    return attachment(data, filename, content_type)


# ---- one product ----------------------------------------------------------------------------------


def _product_levels_context(request: HttpRequest, product: Any, **extra: Any) -> dict[str, Any]:
    reservations = list(selectors.active_reservations(product=product))
    return {
        "product": product,
        "levels": selectors.levels_for_product(product=product),
        "reservations": reservations,
        "moves": selectors.recent_moves(product=product),
        "visible_customers": selectors.visible_customer_ids(user=request.user, moves=reservations),
        "can_move": _can_move(request.user),
        **extra,
    }


@login_required
@require_GET
@domain_errors
def product_levels(request: HttpRequest, pk: int) -> HttpResponse:
    """Stock of one product per warehouse; a fragment for htmx, a small page otherwise."""
    product = product_get(pk=pk)
    context = _product_levels_context(request, product)
    template = "stock/_product_levels.html" if getattr(request, "htmx", False) else "stock/levels_product.html"
    response = render(request, template, context)
    patch_vary_headers(response, ("HX-Request",))
    return response


@login_required
@require_POST
@domain_errors
def set_min_quantity(request: HttpRequest, pk: int) -> HttpResponse:
    require(_can_move(request.user), _("只有仓库人员可以设置安全库存。"))
    product = product_get(pk=pk)
    form = MinQuantityForm(request.POST)
    error = None
    warehouse = None
    if not form.is_valid():
        error = _("请选择有效的仓库。")
    else:
        warehouse = form.cleaned_data["warehouse"]
        try:
            services.level_set_min_quantity(
                warehouse=warehouse,
                product=product,
                min_quantity=form.cleaned_data["min_quantity"] or "0",
                by=request.user,
            )
        except ValidationFailed as exc:
            error = exc.message
    if getattr(request, "htmx", False):
        context = _product_levels_context(
            request,
            product,
            min_error=error,
            min_error_warehouse=warehouse.pk if warehouse else None,
            min_saved=None if error else warehouse,
        )
        return render(request, "stock/_product_levels.html", context, status=422 if error else 200)
    if error:
        messages.error(request, error)
    else:
        messages.success(
            request,
            _("%(model)s 在%(warehouse)s的安全库存已保存。") % {"model": product.model, "warehouse": warehouse},
        )
    return redirect_next(request, reverse("stock:product_levels", args=[product.pk]))


# ---- the ledger ---------------------------------------------------------------------------------


def _move_form(request: HttpRequest) -> MoveFilterForm:
    form = MoveFilterForm(request.GET)
    form.is_valid()
    return form


@login_required
@require_GET
def moves_list(request: HttpRequest) -> HttpResponse:
    form = _move_form(request)
    filters = form.filters()
    page = Paginator(selectors.move_list(filters=filters), form.get_page_size()).get_page(form.get_page_number())
    moves = list(page.object_list)
    product = None
    if filters.product:
        product = Product.objects.filter(pk=filters.product).first()
    context = {
        "form": form,
        "filters": filters,
        "page": page,
        "moves": moves,
        "product": product,
        "visible_customers": selectors.visible_customer_ids(user=request.user, moves=moves),
        "show_cost": sees_cost(request.user),
        "has_filters": _has_filters(request),
        "can_move": _can_move(request.user),
        "page_sizes": PAGE_SIZES,
    }
    return _fragment_response(request, "stock/moves_list.html", MOVES_TARGET, context)


@login_required
@require_GET
@domain_errors
def moves_export(request: HttpRequest) -> HttpResponse:
    fmt = request.GET.get("fmt", "xlsx")
    if fmt not in EXPORT_FORMATS:
        messages.error(request, _("不支持的导出格式：%(fmt)s") % {"fmt": fmt})
        return redirect(reverse("stock:moves"))
    data, filename, content_type = exports.export_moves(
        user=request.user, filters=_move_form(request).filters(), fmt=fmt
    )
    return attachment(data, filename, content_type)


# ---- documents entered by the warehouse -------------------------------------------------------------


@dataclass(frozen=True)
class EntryKind:
    key: str
    title: Any
    icon: str
    form_class: type
    post: Callable[[Any, dict[str, Any], list[Line]], Posted]
    success: Any
    signed: bool = False
    cost: bool = False
    help: Any = ""


def _post_receipt(user: Any, data: dict[str, Any], lines: list[Line]) -> Posted:
    return services.stock_receive(
        warehouse=data["warehouse"], lines=lines, by=user, moved_on=data["moved_on"], reason=data["reason"]
    )


def _post_shipment(user: Any, data: dict[str, Any], lines: list[Line]) -> Posted:
    return services.stock_ship(
        warehouse=data["warehouse"],
        lines=lines,
        by=user,
        moved_on=data["moved_on"],
        reason=data["reason"],
        customer=data.get("customer"),
    )


def _post_transfer(user: Any, data: dict[str, Any], lines: list[Line]) -> Posted:
    return services.stock_transfer(
        source=data["source"],
        target=data["target"],
        lines=lines,
        by=user,
        moved_on=data["moved_on"],
        reason=data["reason"],
    )


def _post_adjustment(user: Any, data: dict[str, Any], lines: list[Line]) -> Posted:
    return services.stock_adjust(
        warehouse=data["warehouse"], lines=lines, by=user, moved_on=data["moved_on"], reason=data["reason"]
    )


ENTRY_KINDS = {
    "receipt": EntryKind(
        key="receipt",
        title=gettext_lazy("入库单"),
        icon="bi-box-arrow-in-down",
        form_class=ReceiptForm,
        post=_post_receipt,
        success=gettext_lazy("入库单 %(number)s 已登记。"),
        cost=True,
        help=gettext_lazy("采购或生产到货入库。"),
    ),
    "shipment": EntryKind(
        key="shipment",
        title=gettext_lazy("出库单（无订单）"),
        icon="bi-box-arrow-up",
        form_class=ShipmentForm,
        post=_post_shipment,
        success=gettext_lazy("出库单 %(number)s 已登记。"),
        help=gettext_lazy("样品、补发等不随订单的出库；订单发货请在订单中操作。只能出可用库存（库存减已占用）。"),
    ),
    "transfer": EntryKind(
        key="transfer",
        title=gettext_lazy("调拨单"),
        icon="bi-arrow-left-right",
        form_class=TransferForm,
        post=_post_transfer,
        success=gettext_lazy("调拨单 %(number)s 已登记。"),
        help=gettext_lazy("从一个仓库调到另一个仓库：调出仓库减少、调入仓库增加，同一单号。"),
    ),
    "adjustment": EntryKind(
        key="adjustment",
        title=gettext_lazy("库存调整单"),
        icon="bi-sliders",
        form_class=AdjustmentForm,
        post=_post_adjustment,
        success=gettext_lazy("库存调整单 %(number)s 已登记。"),
        signed=True,
        help=gettext_lazy("数量填正数表示增加（盘盈、找到），负数表示减少（损坏、丢失）。必须填写原因。"),
    ),
}


def _entry(request: HttpRequest, kind: EntryKind) -> HttpResponse:
    user = request.user
    require(_can_move(user), _("只有仓库人员可以登记出入库。"))
    with_cost = kind.cost and sees_cost(user)
    form_error = None
    status = 200
    if request.method == "POST":
        form = kind.form_class(request.POST)
        rows = LineRows(request.POST, signed=kind.signed, with_cost=with_cost)
        status = 422
        header_ok = form.is_valid()
        if rows.is_valid() and header_ok:
            try:
                posted = kind.post(user, form.cleaned_data, rows.lines())
            except ValidationFailed as exc:
                placed = rows.apply_service_errors(exc)
                leftover = apply_errors(form, exc)
                form_error = None if placed else leftover
            except InsufficientStock as exc:
                rows.mark_product(exc.extra.get("product"), exc.message)
                form_error = exc.message
            except Conflict as exc:
                form_error = exc.message
            else:
                messages.success(request, kind.success % {"number": posted.number})
                return redirect(reverse("stock:moves") + "?" + urlencode({"document_number": posted.number}))
        else:
            form_error = rows.error
    else:
        initial = {name: request.GET[name] for name in ("warehouse", "source", "target") if request.GET.get(name)}
        form = kind.form_class(initial=initial)
        rows = LineRows()
    context = {
        "kind": kind,
        "form": form,
        "rows": rows,
        "display_rows": rows.display_rows(),
        "row_errors": any(row.errors for row in rows.rows),
        "lines_error": rows.error,
        "form_error": form_error,
        "with_cost": with_cost,
        "entry_kinds": ENTRY_KINDS.values(),
    }
    return render(request, "stock/entry_form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def receipt_new(request: HttpRequest) -> HttpResponse:
    return _entry(request, ENTRY_KINDS["receipt"])


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def shipment_new(request: HttpRequest) -> HttpResponse:
    return _entry(request, ENTRY_KINDS["shipment"])


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def transfer_new(request: HttpRequest) -> HttpResponse:
    return _entry(request, ENTRY_KINDS["transfer"])


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def adjustment_new(request: HttpRequest) -> HttpResponse:
    return _entry(request, ENTRY_KINDS["adjustment"])


# ---- warehouses -------------------------------------------------------------------------------------


@login_required
@require_GET
def warehouse_list(request: HttpRequest) -> HttpResponse:
    context = {
        "rows": selectors.warehouse_totals(),
        "can_manage": _can_manage(request.user),
        "can_move": _can_move(request.user),
        "show_cost": sees_cost(request.user),
    }
    return render(request, "stock/warehouse_list.html", context)


def _warehouse_form_page(request: HttpRequest, warehouse: Any) -> HttpResponse:
    user = request.user
    require(_can_manage(user), _("只有管理员可以设置仓库。"))
    form_error = None
    status = 200
    if request.method == "POST":
        form = WarehouseForm(request.POST)
        status = 422
        if form.is_valid():
            try:
                if warehouse is None:
                    saved = services.warehouse_create(fields=form.service_fields(), by=user)
                else:
                    saved = services.warehouse_update(warehouse=warehouse, fields=form.service_fields(), by=user)
            except ValidationFailed as exc:
                form_error = apply_errors(form, exc)
            except Conflict as exc:
                form_error = exc.message
            else:
                messages.success(request, _("仓库“%(name)s”已保存。") % {"name": saved.name})
                return redirect("stock:warehouses")
    else:
        form = WarehouseForm(initial=WarehouseForm.initial_for(warehouse) if warehouse else {"is_active": True})
    context = {"form": form, "warehouse": warehouse, "form_error": form_error}
    return render(request, "stock/warehouse_form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def warehouse_create(request: HttpRequest) -> HttpResponse:
    return _warehouse_form_page(request, None)


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def warehouse_edit(request: HttpRequest, pk: int) -> HttpResponse:
    require(_can_manage(request.user), _("只有管理员可以设置仓库。"))
    return _warehouse_form_page(request, selectors.warehouse_get(pk=pk))


urlpatterns = [
    path("", levels_list, name="levels"),
    path("export/", levels_export, name="levels_export"),
    path("products/<int:pk>/levels/", product_levels, name="product_levels"),
    path("products/<int:pk>/min-quantity/", set_min_quantity, name="set_min_quantity"),
    path("moves/", moves_list, name="moves"),
    path("moves/export/", moves_export, name="moves_export"),
    path("receipts/new/", receipt_new, name="receipt_new"),
    path("shipments/new/", shipment_new, name="shipment_new"),
    path("transfers/new/", transfer_new, name="transfer_new"),
    path("adjustments/new/", adjustment_new, name="adjustment_new"),
    path("warehouses/", warehouse_list, name="warehouses"),
    path("warehouses/new/", warehouse_create, name="warehouse_create"),
    path("warehouses/<int:pk>/edit/", warehouse_edit, name="warehouse_edit"),
]
