"""Stock pages: counts (盘点, INV-4).

The list with filters, opening a count, the detail page with the entry table (counted quantity
and variance reason per line) and the actions by role and state, the printable count sheet, its
Excel twin and the upload of a filled-in Excel. Views parse, authorize, call the services in
``stock.services.counts`` and render; refusals come back as messages or field errors.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from neiqin.catalog.visibility import sees_cost
from neiqin.core.errors import Conflict, DomainError, NotFound, ValidationFailed
from neiqin.core.pages import attachment, domain_errors, is_fragment, require
from neiqin.core.spreadsheets import Column, write_xlsx
from neiqin.stock.choices import CountStatus
from neiqin.stock.forms_counts import CancelForm, CountCreateForm, CountFilterForm, DecisionForm, SheetUploadForm
from neiqin.stock.models import StockCount
from neiqin.stock.selectors import counts as selectors
from neiqin.stock.services import counts as services

LIST_FRAGMENT_TARGET = "count-table"
PAGE_SIZE = 50


def _detail_url(count: StockCount) -> str:
    return reverse("stock:count_detail", args=[count.pk])


def _count_for(request: HttpRequest, pk: int) -> StockCount:
    require(selectors.can_see_counts(request.user), _("您没有查看盘点单的权限。"))
    return selectors.count_get_for_user(user=request.user, pk=pk)


# ---- list and create -----------------------------------------------------------------------------


@login_required
@require_GET
@domain_errors
def count_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    require(selectors.can_see_counts(user), _("您没有查看盘点单的权限。"))
    form = CountFilterForm(request.GET)
    filters = selectors.CountFilters(**form.filters())
    qs = selectors.count_list(user=user, filters=filters)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "create_form": CountCreateForm() if services.can_count(user) else None,
        "has_filters": bool(filters.warehouse or filters.status),
        "shows_value": sees_cost(user),
    }
    template = "stock/count_list.html"
    if is_fragment(request, LIST_FRAGMENT_TARGET):
        template += "#table"
    response = render(request, template, context)
    patch_vary_headers(response, ("HX-Request", "HX-Target"))
    return response


@login_required
@require_POST
@domain_errors
def count_create(request: HttpRequest) -> HttpResponse:
    require(services.can_count(request.user), _("只有仓库人员或管理员可以盘点。"))
    form = CountCreateForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择要盘点的仓库。"))
        return redirect("stock:counts")
    data = form.cleaned_data
    try:
        count = services.count_create(
            warehouse=data["warehouse"], by=request.user, series=data.get("series"), note=data.get("note", "")
        )
    except (ValidationFailed, Conflict) as exc:  # a count in progress, nothing to count
        messages.error(request, exc.message)
        return redirect("stock:counts")
    messages.success(
        request, _("盘点单 %(number)s 已创建，共 %(n)s 行。") % {"number": count.number, "n": count.lines.count()}
    )
    return redirect(_detail_url(count))


# ---- detail and entry ----------------------------------------------------------------------------


def _entry_rows(detail: selectors.CountDetail, posted: dict[int, dict[str, str]] | None, errors: dict) -> list:
    rows = []
    for row in detail.rows:
        sent = (posted or {}).get(row.product_id)
        rows.append(
            {
                "row": row,
                "counted": sent["counted"] if sent else row.counted_text,
                "reason": sent["reason"] if sent else row.reason,
                "errors": errors.get(f"lines.{row.product_id}.counted", [])
                + errors.get(f"lines.{row.product_id}.reason", []),
            }
        )
    return rows


def _render_detail(
    request: HttpRequest,
    count: StockCount,
    *,
    status: int = 200,
    posted: dict[int, dict[str, str]] | None = None,
    errors: dict | None = None,
    form_error: Any = None,
    upload_errors: list[str] | None = None,
) -> HttpResponse:
    user = request.user
    detail = selectors.count_detail(count=count, user=user)
    context = {
        "count": count,
        "detail": detail,
        "rows": _entry_rows(detail, posted, errors or {}),
        "editable": services.can_enter(user, count),
        "can": {
            "submit": services.can_submit(user, count),
            "decide": services.can_decide(user, count),
            "cancel": services.can_cancel(user, count),
            "own_submission": services.can_approve(user) and count.submitted_by_id == user.pk,
        },
        "form_error": form_error,
        "upload_errors": upload_errors or [],
        "upload_form": SheetUploadForm(),
        "threshold": services.approval_threshold(),
    }
    return render(request, "stock/count_detail.html", context, status=status)


@login_required
@require_GET
@domain_errors
def count_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_detail(request, _count_for(request, pk))


@login_required
@require_POST
@domain_errors
def count_enter(request: HttpRequest, pk: int) -> HttpResponse:
    count = _count_for(request, pk)
    require(services.can_count(request.user), _("只有仓库人员或管理员可以录入盘点数量。"))
    products = request.POST.getlist("product")
    counted = request.POST.getlist("counted")
    reasons = request.POST.getlist("reason")
    if not (len(products) == len(counted) == len(reasons)):
        messages.error(request, _("提交的数据不完整，请刷新页面后重新录入。"))
        return redirect(_detail_url(count))
    posted: dict[int, dict[str, str]] = {}
    entries: dict[Any, dict[str, str]] = {}
    for product, value, reason in zip(products, counted, reasons, strict=True):
        entries[product] = {"counted": value, "reason": reason}
        if product.isdigit():
            posted[int(product)] = {"counted": value, "reason": reason}
    version = request.POST.get("version")
    try:
        services.count_enter(
            count=count,
            entries=entries,
            by=request.user,
            version=int(version) if version and version.isdigit() else None,
        )
    except ValidationFailed as exc:
        return _render_detail(
            request, count, status=422, posted=posted, errors=exc.extra.get("fields") or {}, form_error=exc.message
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(_detail_url(count))
    messages.success(request, _("盘点数量已保存。"))
    return redirect(_detail_url(count))


def _action(request: HttpRequest, pk: int, call: Any, success: Any) -> HttpResponse:
    count = _count_for(request, pk)
    try:
        result = call(count)
    except NotFound:
        raise
    except DomainError as exc:  # a refusal (state, rule, own submission) is shown on the count
        messages.error(request, exc.message)
    else:
        messages.success(request, success(result) if callable(success) else success)
    return redirect(_detail_url(count))


def _submitted_message(count: StockCount) -> str:
    if count.status == CountStatus.SUBMITTED:
        return _("盘点单 %(number)s 差异金额较大，已提交审批。") % {"number": count.number}
    return _("盘点单 %(number)s 已过账，差异已调整库存。") % {"number": count.number}


@login_required
@require_POST
@domain_errors
def count_submit(request: HttpRequest, pk: int) -> HttpResponse:
    require(services.can_count(request.user), _("只有仓库人员或管理员可以提交盘点。"))
    return _action(request, pk, lambda c: services.count_submit(count=c, by=request.user), _submitted_message)


@login_required
@require_POST
@domain_errors
def count_approve(request: HttpRequest, pk: int) -> HttpResponse:
    require(services.can_approve(request.user), _("只有财务、副总、总经理或管理员可以审批盘点差异。"))
    form = DecisionForm(request.POST)
    comment = form.cleaned_data.get("comment", "") if form.is_valid() else ""
    return _action(
        request,
        pk,
        lambda c: services.count_approve(count=c, by=request.user, comment=comment),
        _("已审批，差异已过账。"),
    )


@login_required
@require_POST
@domain_errors
def count_reject(request: HttpRequest, pk: int) -> HttpResponse:
    require(services.can_approve(request.user), _("只有财务、副总、总经理或管理员可以审批盘点差异。"))
    form = DecisionForm(request.POST)
    comment = form.cleaned_data.get("comment", "") if form.is_valid() else ""
    return _action(
        request,
        pk,
        lambda c: services.count_reject(count=c, by=request.user, comment=comment),
        _("已退回盘点人重新盘点。"),
    )


@login_required
@require_POST
@domain_errors
def count_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    require(services.can_count(request.user), _("只有仓库人员或管理员可以作废盘点单。"))
    form = CancelForm(request.POST)
    reason = form.cleaned_data.get("reason", "") if form.is_valid() else ""
    return _action(
        request, pk, lambda c: services.count_cancel(count=c, by=request.user, reason=reason), _("盘点单已作废。")
    )


# ---- the count sheet: print, Excel, upload -------------------------------------------------------


def _blind(request: HttpRequest) -> bool:
    return request.GET.get("blind") in ("1", "true", "on")


@login_required
@require_GET
@domain_errors
def count_sheet(request: HttpRequest, pk: int) -> HttpResponse:
    count = _count_for(request, pk)
    detail = selectors.count_detail(count=count, user=request.user)
    context = {
        "count": count,
        "detail": detail,
        "blind": _blind(request),
        "company": getattr(settings, "NEIQIN_COMPANY_NAME", ""),
        "printed_at": timezone.localtime(),
    }
    return render(request, "stock/count_sheet.html", context)


SHEET_COLUMNS = (
    Column("index", "序号", "int", width=6),
    Column("model", "型号", width=18),
    Column("name", "品名", width=24),
    Column("spec", "规格", width=18),
    Column("unit", "单位", width=6),
    Column("expected", "账面数量", "quantity"),
    Column("counted", "实盘数量", "quantity"),
    Column("variance", "差异", "quantity"),
    Column("reason", "备注", width=28),
)


@login_required
@require_GET
@domain_errors
def count_sheet_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    """The sheet as Excel (same columns as the print, filled in and uploaded back): quantities
    only, never values. Counted quantities already entered are prefilled."""
    count = _count_for(request, pk)
    detail = selectors.count_detail(count=count, user=request.user)
    blind = _blind(request)
    rows = [
        {
            "index": row.index,
            "model": row.model,
            "name": row.name,
            "spec": row.spec,
            "unit": row.unit,
            "expected": None if blind else row.expected,
            "counted": row.counted,
            "variance": None if blind else row.variance,
            "reason": row.reason,
        }
        for row in detail.rows
    ]
    data = write_xlsx(columns=SHEET_COLUMNS, rows=rows, sheet_title=count.number)
    return attachment(
        data,
        f"盘点表-{count.warehouse.name}-{count.number}.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


@login_required
@require_POST
@domain_errors
def count_upload(request: HttpRequest, pk: int) -> HttpResponse:
    count = _count_for(request, pk)
    require(services.can_count(request.user), _("只有仓库人员或管理员可以录入盘点数量。"))
    form = SheetUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("请选择已填写的盘点表文件（.xlsx）。"))
        return redirect(_detail_url(count))
    upload = form.cleaned_data["file"]
    try:
        entered = services.count_fill_from_sheet(count=count, name=upload.name, data=upload, by=request.user)
    except ValidationFailed as exc:
        return _render_detail(
            request, count, status=422, form_error=exc.message, upload_errors=list(exc.extra.get("rows") or [])
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(_detail_url(count))
    messages.success(request, _("已从文件录入 %(n)s 行实盘数量。") % {"n": entered})
    return redirect(_detail_url(count))


urlpatterns = [
    path("counts/", count_list, name="counts"),
    path("counts/new/", count_create, name="count_create"),
    path("counts/<int:pk>/", count_detail, name="count_detail"),
    path("counts/<int:pk>/enter/", count_enter, name="count_enter"),
    path("counts/<int:pk>/submit/", count_submit, name="count_submit"),
    path("counts/<int:pk>/approve/", count_approve, name="count_approve"),
    path("counts/<int:pk>/reject/", count_reject, name="count_reject"),
    path("counts/<int:pk>/cancel/", count_cancel, name="count_cancel"),
    path("counts/<int:pk>/sheet/", count_sheet, name="count_sheet"),
    path("counts/<int:pk>/sheet.xlsx", count_sheet_xlsx, name="count_sheet_xlsx"),
    path("counts/<int:pk>/upload/", count_upload, name="count_upload"),
]
