"""Pages for promotional materials (促销品) and product loans (产品借用), INV-6.

Views parse (forms), authorize (roles; scope through the selectors: a loan outside the user's
scope is a 404), call a service and render. Business refusals come back as ``DomainError``:
field errors next to inputs, other refusals as a message on the page they came from.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from neiqin.accounts.roles import CAN_APPROVE_LOAN, CAN_CHARGE_LOAN, CAN_HANDLE_LOAN, CAN_ISSUE_PROMO, CAN_REQUEST_LOAN
from neiqin.accounts.scoping import has_role
from neiqin.catalog.visibility import sees_prices
from neiqin.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from neiqin.core.money import format_cny
from neiqin.core.pages import apply_errors, domain_errors, is_fragment, require
from neiqin.stock.choices import LoanStatus
from neiqin.stock.forms_materials import (
    LoanChargeForm,
    LoanDecisionForm,
    LoanFilterForm,
    LoanLendForm,
    LoanRequestForm,
    LoanReturnForm,
    PromoFilterForm,
    PromoIssueForm,
    customer_hints,
)
from neiqin.stock.models import ProductLoan, StockLevel
from neiqin.stock.selectors import materials as selectors
from neiqin.stock.services import materials as services

PAGE_SIZE = 50
LOANS_TARGET = "loan-table"
PROMO_TARGET = "promo-table"

# audit action -> (timeline label, bootstrap icon)
TIMELINE = {
    "stock.loan.requested": (gettext_lazy("提交借用申请"), "bi-send"),
    "stock.loan.approved": (gettext_lazy("审批通过"), "bi-check2-circle"),
    "stock.loan.rejected": (gettext_lazy("驳回"), "bi-x-circle"),
    "stock.loan.lent": (gettext_lazy("仓库借出"), "bi-box-arrow-up"),
    "stock.loan.returned": (gettext_lazy("归还入库"), "bi-box-arrow-in-down"),
    "stock.loan.charged": (gettext_lazy("转为销售"), "bi-cash-coin"),
    "stock.loan.cancelled": (gettext_lazy("取消"), "bi-slash-circle"),
}


def _qty(value: Any) -> str:
    return services._qty(value)


# ---- promotional materials ---------------------------------------------------------------------------


@login_required
@require_GET
def promo_issues(request: HttpRequest) -> HttpResponse:
    """Stock of promotional materials per warehouse and the issue records (who got what)."""
    user = request.user
    form = PromoFilterForm(request.GET)
    filters = form.filters()
    page = Paginator(selectors.promo_issue_list(user=user, filters=filters), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {
        "form": form,
        "page": page,
        "stock": selectors.promo_stock(),
        "can_issue": has_role(user, CAN_ISSUE_PROMO),
        "has_filters": any(v for k, v in request.GET.items() if k != "page"),
        "section": "promo",
    }
    template = "stock/promo_list.html"
    if is_fragment(request, PROMO_TARGET):
        template += "#table"
    response = render(request, template, context)
    patch_vary_headers(response, ("HX-Request", "HX-Target"))
    return response


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def promo_issue_create(request: HttpRequest) -> HttpResponse:
    user = request.user
    require(has_role(user, CAN_ISSUE_PROMO), _("只有内勤或仓库人员可以登记促销品发放。"))
    form_error = None
    status = 200
    if request.method == "POST":
        form = PromoIssueForm(request.POST, user=user)
        status = 422
        if form.is_valid():
            data = form.cleaned_data
            try:
                issue = services.promo_issue(
                    product=data["product"],
                    warehouse=data["warehouse"],
                    quantity=data["quantity"],
                    recipient=data["recipient"],
                    customer=data.get("customer"),
                    salesperson=data.get("salesperson"),
                    purpose=data.get("purpose") or "",
                    issued_on=data.get("issued_on"),
                    by=user,
                )
            except ValidationFailed as exc:
                form_error = apply_errors(form, exc)
            except (NotFound, PermissionDenied):
                raise
            except DomainError as exc:
                form_error, status = exc.message, exc.status
            else:
                messages.success(
                    request,
                    _("已登记促销品发放 %(number)s：%(product)s × %(quantity)s %(unit)s。")
                    % {
                        "number": issue.number,
                        "product": issue.product.name,
                        "quantity": _qty(issue.quantity),
                        "unit": issue.product.unit,
                    },
                )
                return redirect("stock:promo_issues")
    else:
        form = PromoIssueForm(user=user, initial={"issued_on": timezone.localdate()})
    context = {
        "form": form,
        "form_error": form_error,
        "customer_hints": customer_hints(user),
        "stock": selectors.promo_stock(),
        "section": "promo",
    }
    return render(request, "stock/promo_form.html", context, status=status)


# ---- loans: list, request, detail ----------------------------------------------------------------------


def _decorate(loans: Any, today: Any) -> None:
    for loan in loans:
        loan.overdue_days = selectors.overdue_days(loan, today)


@login_required
@require_GET
def loan_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    today = timezone.localdate()
    form = LoanFilterForm(request.GET)
    filters = form.filters()
    page = Paginator(selectors.loan_list(user=user, filters=filters, today=today), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    _decorate(page.object_list, today)
    counts = selectors.loan_status_counts(user=user, today=today)
    tabs = [("", _("全部"), sum(v for k, v in counts.items() if k != selectors.OVERDUE))]
    tabs += [(value, label, counts.get(value, 0)) for value, label in LoanStatus.choices]
    tabs.append((selectors.OVERDUE, _("已逾期"), counts.get(selectors.OVERDUE, 0)))
    context = {
        "form": form,
        "filters": filters,
        "page": page,
        "tabs": tabs,
        "today": today,
        "can_request": has_role(user, CAN_REQUEST_LOAN),
        "sees_amounts": sees_prices(user),
        "section": "loans",
    }
    template = "stock/loan_list.html"
    if is_fragment(request, LOANS_TARGET):
        template += "#table"
    response = render(request, template, context)
    patch_vary_headers(response, ("HX-Request", "HX-Target"))
    return response


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def loan_create(request: HttpRequest) -> HttpResponse:
    user = request.user
    require(has_role(user, CAN_REQUEST_LOAN), _("您没有申请借用产品的权限。"))
    form_error = None
    status = 200
    if request.method == "POST":
        form = LoanRequestForm(request.POST, user=user)
        status = 422
        if form.is_valid():
            data = form.cleaned_data
            try:
                loan = services.loan_request(
                    product=data["product"],
                    warehouse=data["warehouse"],
                    quantity=data["quantity"],
                    customer=data.get("customer"),
                    purpose=data["purpose"],
                    due_on=data["due_on"],
                    by=user,
                )
            except ValidationFailed as exc:
                form_error = apply_errors(form, exc)
            except (NotFound, PermissionDenied):
                raise
            except DomainError as exc:
                form_error, status = exc.message, exc.status
            else:
                messages.success(request, _("借用申请 %(number)s 已提交，等待审批。") % {"number": loan.number})
                return redirect("stock:loan_detail", pk=loan.pk)
    else:
        form = LoanRequestForm(user=user)
    context = {"form": form, "form_error": form_error, "customer_hints": customer_hints(user), "section": "loans"}
    return render(request, "stock/loan_form.html", context, status=status)


def _timeline(loan: ProductLoan, *, show_amounts: bool) -> list[dict[str, Any]]:
    rows = []
    for event in selectors.loan_history(loan=loan):
        label, icon = TIMELINE.get(event.action, (event.action, "bi-dot"))
        data = event.data or {}
        changes = event.changes or {}
        note = ""
        if event.action == "stock.loan.requested":
            quantity = (changes.get("quantity") or [None, ""])[1]
            due = (changes.get("due_on") or [None, ""])[1]
            note = _("数量 %(quantity)s，约定 %(due)s 归还") % {"quantity": _qty_text(quantity), "due": due}
        elif event.action in ("stock.loan.approved", "stock.loan.rejected"):
            note = (changes.get("decision_comment") or [None, ""])[1] or ""
        elif event.action == "stock.loan.lent":
            note = _("借出日期 %(day)s") % {"day": (changes.get("lent_on") or [None, ""])[1]}
        elif event.action == "stock.loan.returned":
            note = _("归还 %(quantity)s") % {"quantity": _qty_text(data.get("quantity"))}
        elif event.action == "stock.loan.charged":
            note = _("转销售 %(quantity)s") % {"quantity": _qty_text(data.get("quantity"))}
            if show_amounts and data.get("amount"):
                note += _("，单价 %(price)s，金额 %(amount)s") % {
                    "price": data.get("unit_price"),
                    "amount": format_cny(data["amount"]),
                }
        if data.get("closed"):
            note += _("（已结清）")
        rows.append({"event": event, "label": label, "icon": icon, "note": note})
    return rows


def _qty_text(value: Any) -> str:
    from decimal import Decimal, InvalidOperation

    try:
        return _qty(Decimal(str(value)))
    except (InvalidOperation, ValueError):
        return str(value or "")


def loan_abilities(loan: ProductLoan, user: Any) -> dict[str, bool]:
    """Which actions the page offers; the services apply the same rules."""
    status = loan.status
    approver = has_role(user, CAN_APPROVE_LOAN) and loan.requested_by_id != user.pk
    return {
        "approve": approver and status == LoanStatus.REQUESTED,
        "reject": approver and status == LoanStatus.REQUESTED,
        "cancel": services.can_cancel(loan, user) and status in (LoanStatus.REQUESTED, LoanStatus.APPROVED),
        "lend": has_role(user, CAN_HANDLE_LOAN) and status == LoanStatus.APPROVED,
        "return": has_role(user, CAN_HANDLE_LOAN) and status == LoanStatus.LENT,
        "charge": has_role(user, CAN_CHARGE_LOAN) and status == LoanStatus.LENT,
    }


@login_required
@require_GET
@domain_errors
def loan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    loan = selectors.loan_get_for_user(user=user, pk=pk)
    today = timezone.localdate()
    loan.overdue_days = selectors.overdue_days(loan, today)
    show_amounts = sees_prices(user)
    level = StockLevel.objects.filter(warehouse=loan.warehouse, product=loan.product).first()
    can = loan_abilities(loan, user)
    context = {
        "loan": loan,
        "can": can,
        "any_action": any(can.values()),
        "timeline": _timeline(loan, show_amounts=show_amounts),
        "moves": selectors.loan_moves(loan=loan),
        "level": level,
        "sees_amounts": show_amounts,
        "decision_form": LoanDecisionForm(),
        "lend_form": LoanLendForm(initial={"lent_on": today}, auto_id="lend-%s"),
        "return_form": LoanReturnForm(
            initial={"quantity": _qty(loan.outstanding), "returned_on": today}, auto_id="return-%s"
        ),
        "charge_form": LoanChargeForm(initial={"quantity": _qty(loan.outstanding)}, auto_id="charge-%s"),
        "section": "loans",
    }
    return render(request, "stock/loan_detail.html", context)


# ---- loans: actions (POST, then back to the loan with a message) -----------------------------------------


def _loan_action(
    request: HttpRequest, pk: int, run: Callable[[ProductLoan], Any], success: Callable[[ProductLoan], str]
) -> HttpResponse:
    loan = selectors.loan_get_for_user(user=request.user, pk=pk)
    try:
        result = run(loan)
    except (NotFound, PermissionDenied):
        raise
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, success(result))
    return redirect(reverse("stock:loan_detail", args=[loan.pk]))


def _form_or_error(request: HttpRequest, pk: int, form: Any) -> HttpResponse | None:
    if form.is_valid():
        return None
    selectors.loan_get_for_user(user=request.user, pk=pk)  # 404 before telling about the form
    messages.error(request, next(iter(form.errors.values()))[0])
    return redirect(reverse("stock:loan_detail", args=[pk]))


@login_required
@require_POST
@domain_errors
def loan_approve(request: HttpRequest, pk: int) -> HttpResponse:
    require(has_role(request.user, CAN_APPROVE_LOAN), _("只有副总、总经理或管理员可以审批产品借用。"))
    form = LoanDecisionForm(request.POST)
    if (response := _form_or_error(request, pk, form)) is not None:
        return response
    comment = form.cleaned_data.get("comment") or ""
    return _loan_action(
        request,
        pk,
        lambda loan: services.loan_approve(loan=loan, by=request.user, comment=comment),
        lambda loan: _("借用单 %(number)s 已批准。") % {"number": loan.number},
    )


@login_required
@require_POST
@domain_errors
def loan_reject(request: HttpRequest, pk: int) -> HttpResponse:
    require(has_role(request.user, CAN_APPROVE_LOAN), _("只有副总、总经理或管理员可以审批产品借用。"))
    form = LoanDecisionForm(request.POST)
    if (response := _form_or_error(request, pk, form)) is not None:
        return response
    comment = form.cleaned_data.get("comment") or ""
    return _loan_action(
        request,
        pk,
        lambda loan: services.loan_reject(loan=loan, by=request.user, comment=comment),
        lambda loan: _("借用单 %(number)s 已驳回。") % {"number": loan.number},
    )


@login_required
@require_POST
@domain_errors
def loan_lend(request: HttpRequest, pk: int) -> HttpResponse:
    require(has_role(request.user, CAN_HANDLE_LOAN), _("只有仓库人员可以办理借出和归还。"))
    form = LoanLendForm(request.POST)
    if (response := _form_or_error(request, pk, form)) is not None:
        return response
    lent_on = form.cleaned_data.get("lent_on")
    return _loan_action(
        request,
        pk,
        lambda loan: services.loan_lend(loan=loan, by=request.user, lent_on=lent_on),
        lambda loan: _("借用单 %(number)s 已借出。") % {"number": loan.number},
    )


@login_required
@require_POST
@domain_errors
def loan_return(request: HttpRequest, pk: int) -> HttpResponse:
    require(has_role(request.user, CAN_HANDLE_LOAN), _("只有仓库人员可以办理借出和归还。"))
    form = LoanReturnForm(request.POST)
    if (response := _form_or_error(request, pk, form)) is not None:
        return response
    data = form.cleaned_data
    return _loan_action(
        request,
        pk,
        lambda loan: services.loan_return(
            loan=loan, quantity=data["quantity"], by=request.user, returned_on=data.get("returned_on")
        ),
        lambda loan: (
            (
                _("已登记归还，借用单 %(number)s 已结清。")
                if loan.status == LoanStatus.CLOSED
                else _("已登记归还，借用单 %(number)s 尚有未归还数量。")
            )
            % {"number": loan.number}
        ),
    )


@login_required
@require_POST
@domain_errors
def loan_charge(request: HttpRequest, pk: int) -> HttpResponse:
    require(has_role(request.user, CAN_CHARGE_LOAN), _("只有内勤或财务可以把借用转为销售。"))
    form = LoanChargeForm(request.POST)
    if (response := _form_or_error(request, pk, form)) is not None:
        return response
    data = form.cleaned_data
    return _loan_action(
        request,
        pk,
        lambda loan: services.loan_charge(
            loan=loan, quantity=data["quantity"], by=request.user, unit_price=data.get("unit_price") or None
        ),
        lambda loan: (
            _("已转为销售，借用单 %(number)s 累计转销售金额 %(amount)s。")
            % {"number": loan.number, "amount": format_cny(loan.charge_amount)}
        ),
    )


@login_required
@require_POST
@domain_errors
def loan_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    return _loan_action(
        request,
        pk,
        lambda loan: services.loan_cancel(loan=loan, by=request.user),
        lambda loan: _("借用单 %(number)s 已取消。") % {"number": loan.number},
    )


urlpatterns = [
    path("promo/", promo_issues, name="promo_issues"),
    path("promo/new/", promo_issue_create, name="promo_issue_create"),
    path("loans/", loan_list, name="loans"),
    path("loans/new/", loan_create, name="loan_create"),
    path("loans/<int:pk>/", loan_detail, name="loan_detail"),
    path("loans/<int:pk>/approve/", loan_approve, name="loan_approve"),
    path("loans/<int:pk>/reject/", loan_reject, name="loan_reject"),
    path("loans/<int:pk>/lend/", loan_lend, name="loan_lend"),
    path("loans/<int:pk>/return/", loan_return, name="loan_return"),
    path("loans/<int:pk>/charge/", loan_charge, name="loan_charge"),
    path("loans/<int:pk>/cancel/", loan_cancel, name="loan_cancel"),
]
