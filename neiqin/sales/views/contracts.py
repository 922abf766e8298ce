"""Order desk pages: contracts (合同, ORD-2) and their PDF (SYS-4).

A contract is drafted from a quotation or from typed lines, edited while a draft (parties,
clauses, dates, lines), reviewed by legal (deputy GM, GM, admin) and finance, signed (number,
both signatories and the date, or it cannot become effective), archived with the scanned signed
copy (stored encrypted; downloaded only by those who see the contract) and closed. Contracts of
customers outside the user's scope are 404 on every route, the PDF and the scan included.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.conf import settings
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

from neiqin.accounts.scoping import has_role
from neiqin.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from neiqin.core.pages import attachment, domain_errors, is_fragment, require
from neiqin.core.rmb import rmb_upper
from neiqin.sales import documents, selectors
from neiqin.sales.choices import ContractStatus, QuotationStatus, ReviewKind
from neiqin.sales.forms import PAGE_SIZE, LineRow, padded, rows_from_order
from neiqin.sales.forms_documents import (
    CloseForm,
    ContractCreateForm,
    ContractEditForm,
    ContractFilterForm,
    ReviewForm,
    ScanForm,
    SignForm,
    clauses_from_post,
    service_lines,
)
from neiqin.sales.models import Contract
from neiqin.sales.services import contracts as contract_services
from neiqin.sales.views.quotations import (
    ENTRY_ROLES,
    VIEW_ROLES,
    _lines_view,
    customer_choices,
    customer_in_scope,
    preview_prices,
    rows_for_form,
    save_error,
)

LIST_TARGET = "contract-table"
EXPIRING_DAYS = 30
REVIEWER_ROLES = frozenset().union(*contract_services.REVIEWERS.values())
SCAN_CONTENT_TYPES = {"pdf": "application/pdf", "png": "image/png", "jpg": "image/jpeg"}


def require_view(user: Any) -> None:
    require(has_role(user, VIEW_ROLES), _("您没有查看合同的权限。"))


def require_entry(user: Any) -> None:
    require(has_role(user, ENTRY_ROLES), _("您没有起草或办理合同的权限。"))


def _contract_for(request: HttpRequest, pk: int) -> Contract:
    require_view(request.user)
    return selectors.contract_get_for_user(user=request.user, pk=pk)


def _detail_url(contract: Contract) -> str:
    return reverse("sales:contract_detail", args=[contract.pk])


def _expiring(contract: Contract, today: dt.date) -> bool:
    return (
        contract.status == ContractStatus.EFFECTIVE
        and contract.ends_on is not None
        and contract.ends_on <= today + dt.timedelta(days=EXPIRING_DAYS)
    )


# ---- the list -----------------------------------------------------------------------------------


def _search(qs: QuerySet[Contract], user: Any, q: str) -> QuerySet[Contract]:
    from neiqin.customers.selectors import customer_queryset, search_q

    customer_ids = list(customer_queryset(user=user).filter(search_q(q)).values_list("pk", flat=True)[:500])
    cond = Q(number__icontains=q) | Q(title__icontains=q)
    if customer_ids:
        cond |= Q(customer_id__in=customer_ids)
    return qs.filter(cond)


@login_required
@require_GET
@domain_errors
def contract_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    require_view(user)
    today = timezone.localdate()
    form = ContractFilterForm(request.GET)
    form.is_valid()
    qs = selectors.contract_queryset(user=user)
    if form.value("status"):
        qs = qs.filter(status=form.value("status"))
    if form.value("customer"):
        qs = qs.filter(customer_id=form.value("customer"))
    if form.value("expiring"):
        qs = qs.filter(status=ContractStatus.EFFECTIVE, ends_on__lte=today + dt.timedelta(days=EXPIRING_DAYS)).order_by(
            "ends_on"
        )
    q = (form.value("q") or "").strip()
    if q:
        qs = _search(qs, user, q)
    ordering = ("ends_on", "id") if form.value("expiring") else ("-created_at", "-id")
    page = Paginator(qs.order_by(*ordering), PAGE_SIZE).get_page(form.value("page") or 1)
    for contract in page.object_list:
        contract.is_expiring = _expiring(contract, today)
        contract.days_left = (contract.ends_on - today).days if contract.ends_on else None
    expiring_count = (
        selectors.contract_queryset(user=user)
        .filter(status=ContractStatus.EFFECTIVE, ends_on__lte=today + dt.timedelta(days=EXPIRING_DAYS))
        .count()
    )
    context = {
        "form": form,
        "page": page,
        "expiring_count": expiring_count,
        "can_create": has_role(user, ENTRY_ROLES),
        "has_filters": any(v for k, v in request.GET.items() if k != "page"),
    }
    template = "sales/contract_list.html"
    if is_fragment(request, LIST_TARGET):
        template += "#table"
    response = render(request, template, context)
    patch_vary_headers(response, ("HX-Request", "HX-Target"))
    return response


# ---- drafting -------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def contract_create(request: HttpRequest) -> HttpResponse:
    """Draft a contract from a quotation (``?quotation=``: its lines at the quoted prices) or for a
    customer (``?customer=``) with typed lines. Parties and clauses come from the template."""
    user = request.user
    require_entry(user)
    source = request.GET if request.method == "GET" else request.POST
    quotation = customer = None
    form_error = None
    if source.get("quotation"):
        quotation = selectors.quotation_get_for_user(user=user, pk=source["quotation"])
        customer = quotation.customer
        if quotation.status not in (QuotationStatus.ISSUED, QuotationStatus.ACCEPTED):
            form_error = _("只有已发出或客户已接受的报价单可以起草合同。")
    elif source.get("customer"):
        customer = customer_in_scope(user, source["customer"])
    rows: list[LineRow] = []
    status = 200
    if request.method == "GET":
        title = _("%(customer)s购销合同") % {"customer": customer.name} if customer else ""
        form = ContractCreateForm(initial={"title": title})
    else:
        form = ContractCreateForm(request.POST)
        rows = [] if quotation else rows_for_form(request)
        if customer is None:
            form_error = _("请选择客户。")
            status = 422
        elif request.POST.get("action") == "save" and form_error is None:
            status = 422
            lines, used = (None, []) if quotation else service_lines(rows)
            if form.is_valid() and not any(r.errors for r in used):
                try:
                    contract = contract_services.contract_create(
                        customer=customer,
                        by=user,
                        title=form.cleaned_data["title"],
                        lines=lines,
                        quotation=quotation,
                        ends_on=form.cleaned_data.get("ends_on"),
                    )
                except ValidationFailed as exc:
                    form_error = save_error(exc, form, used)
                else:
                    messages.success(request, _("合同草稿已保存。请核对双方信息和条款后提交审核。"))
                    return redirect(_detail_url(contract))
        else:
            form.is_valid()
    if customer is not None and quotation is None:
        rows = padded(rows)
        preview_prices(user, rows, customer=customer, on=timezone.localdate())
    context = {
        "form": form,
        "rows": rows,
        "customer": customer,
        "quotation": quotation,
        "quotation_lines": _lines_view(user, quotation) if quotation else [],
        "total_upper": rmb_upper(quotation.total) if quotation else "",
        "customer_q": request.GET.get("customer_q", ""),
        "customers": customer_choices(user, request.GET.get("customer_q", "")) if customer is None else [],
        "form_error": form_error,
        "row_errors": any(r.errors for r in rows),
    }
    return render(request, "sales/contract_form.html", context, status=status)


def _clause_rows(clauses: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The clauses as edit rows plus one blank row to add a clause."""
    return [*clauses, {"key": "", "title": "", "text": ""}]


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def contract_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit a draft: header, both parties, the clauses (one textarea each) and the lines."""
    user = request.user
    require_entry(user)
    contract = _contract_for(request, pk)
    if contract.status != ContractStatus.DRAFT:
        messages.error(request, _("只有草稿状态的合同可以修改。"))
        return redirect(_detail_url(contract))
    form_error = None
    status = 200
    if request.method == "GET":
        form = ContractEditForm(initial=ContractEditForm.initial_for(contract))
        clauses = list(contract.clauses or [])
        rows = rows_from_order(contract)
    else:
        form = ContractEditForm(request.POST)
        clauses = clauses_from_post(request.POST)
        rows = rows_for_form(request)
        if request.POST.get("action") == "save":
            status = 422
            lines, used = service_lines(rows)
            if form.is_valid() and not any(r.errors for r in used):
                try:
                    updated = contract_services.contract_update(
                        contract=contract,
                        by=user,
                        version=form.cleaned_data.get("version"),
                        fields={**form.service_fields(), "clauses": clauses},
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
                    messages.success(request, _("合同已修改。"))
                    return redirect(_detail_url(updated))
        else:
            form.is_valid()
    rows = padded(rows, minimum=1)
    preview_prices(user, rows, customer=contract.customer, on=timezone.localdate())
    context = {
        "contract": contract,
        "form": form,
        "clauses": _clause_rows(clauses),
        "buyer_fields": form.party_fields("buyer"),
        "seller_fields": form.party_fields("seller"),
        "rows": rows,
        "form_error": form_error,
        "row_errors": any(r.errors for r in rows),
    }
    return render(request, "sales/contract_edit.html", context, status=status)


# ---- the contract page ----------------------------------------------------------------------------


@login_required
@require_GET
@domain_errors
def contract_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    contract = _contract_for(request, pk)
    today = timezone.localdate()
    can_act = has_role(user, ENTRY_ROLES)
    status = contract.status
    reviews = list(contract.reviews.select_related("reviewer").order_by("kind"))
    for review in reviews:
        review.may_decide = (
            status == ContractStatus.IN_REVIEW
            and review.approved is None
            and has_role(user, contract_services.REVIEWERS[review.kind])
            and contract.created_by_id != user.pk
        )
    orders = list(contract.orders.order_by("-ordered_on", "-id"))
    context = {
        "contract": contract,
        "lines": _lines_view(user, contract),
        "total_upper": rmb_upper(contract.total),
        "clauses": documents.numbered_clauses(contract.clauses),
        "party_rows": documents.party_rows(contract.buyer, contract.seller),
        "reviews": reviews,
        "orders": orders,
        "expiring": _expiring(contract, today),
        "days_left": (contract.ends_on - today).days if contract.ends_on else None,
        "today": today,
        "sign_form": SignForm(initial={"signed_on": today, "place": contract.signed_at_place}, auto_id="sign_%s"),
        "can_edit": can_act and status == ContractStatus.DRAFT,
        "can_submit": can_act and status == ContractStatus.DRAFT,
        "can_sign": can_act and status == ContractStatus.REVIEWED,
        "can_attach": can_act
        and status in (ContractStatus.EFFECTIVE, ContractStatus.COMPLETED, ContractStatus.TERMINATED),
        "can_close": can_act and status == ContractStatus.EFFECTIVE,
    }
    return render(request, "sales/contract_detail.html", context)


# ---- actions --------------------------------------------------------------------------------------


def _act(request: HttpRequest, pk: int, action: Any, *, check: Any = require_entry) -> tuple[Contract, Any]:
    """Run ``action(contract)``; a refusal becomes an error message (nothing was changed)."""
    check(request.user)
    contract = _contract_for(request, pk)
    try:
        return contract, action(contract)
    except (NotFound, PermissionDenied):
        raise
    except ValidationFailed as exc:
        details = [str(m) for errors in (exc.extra.get("fields") or {}).values() for m in errors]
        messages.error(request, " ".join([str(exc.message), *details]))
        return contract, None
    except DomainError as exc:
        messages.error(request, exc.message)
        return contract, None


@login_required
@require_POST
@domain_errors
def contract_submit_review(request: HttpRequest, pk: int) -> HttpResponse:
    contract, result = _act(
        request, pk, lambda c: contract_services.contract_submit_review(contract=c, by=request.user)
    )
    if result is not None:
        messages.success(request, _("合同 %(number)s 已提交法务和财务审核。") % {"number": result.number})
    return redirect(_detail_url(contract))


def _require_reviewer(user: Any) -> None:
    require(has_role(user, REVIEWER_ROLES), _("只有法务审核人（副总、总经理、管理员）和财务可以审核合同。"))


@login_required
@require_POST
@domain_errors
def contract_review(request: HttpRequest, pk: int) -> HttpResponse:
    form = ReviewForm(request.POST)

    def run(contract: Contract) -> Any:
        if not form.is_valid():
            raise ValidationFailed(_("请选择审核类型和通过或退回。"))
        return contract_services.contract_review(
            contract=contract,
            kind=form.cleaned_data["kind"],
            by=request.user,
            approved=form.cleaned_data["decision"] == "approve",
            comment=form.cleaned_data.get("comment") or "",
        )

    contract, result = _act(request, pk, run, check=_require_reviewer)
    if result is not None:
        kind = ReviewKind(form.cleaned_data["kind"]).label
        if form.cleaned_data["decision"] == "approve":
            messages.success(request, _("%(kind)s已通过。") % {"kind": kind})
        else:
            messages.warning(request, _("%(kind)s退回，合同回到草稿。") % {"kind": kind})
    return redirect(_detail_url(contract))


@login_required
@require_POST
@domain_errors
def contract_sign(request: HttpRequest, pk: int) -> HttpResponse:
    form = SignForm(request.POST)
    form.is_valid()
    data = getattr(form, "cleaned_data", {})
    raw_date = (request.POST.get("signed_on") or "").strip()
    contract, result = _act(
        request,
        pk,
        lambda c: contract_services.contract_sign(
            contract=c,
            by=request.user,
            signed_on=data.get("signed_on") or raw_date,
            seller_signatory=data.get("seller_signatory") or "",
            buyer_signatory=data.get("buyer_signatory") or "",
            place=data.get("place") or "",
        ),
    )
    if result is not None:
        messages.success(request, _("合同已签订生效。请上传双方签字盖章的扫描件归档。"))
    return redirect(_detail_url(contract))


@login_required
@require_POST
@domain_errors
def contract_attach_scan(request: HttpRequest, pk: int) -> HttpResponse:
    form = ScanForm(request.POST, request.FILES)

    def run(contract: Contract) -> Any:
        if not form.is_valid():
            raise ValidationFailed(_("请选择扫描件文件（PDF、PNG 或 JPG）。"))
        upload = form.cleaned_data["file"]
        if upload.size > contract_services.MAX_SCAN_BYTES:
            raise ValidationFailed(_("扫描件为空或超过 20 MB。"))
        return contract_services.contract_attach_scan(contract=contract, by=request.user, data=upload.read())

    contract, result = _act(request, pk, run)
    if result is not None:
        messages.success(request, _("签字盖章扫描件已归档。"))
    return redirect(_detail_url(contract))


@login_required
@require_POST
@domain_errors
def contract_close(request: HttpRequest, pk: int) -> HttpResponse:
    form = CloseForm(request.POST)

    def run(contract: Contract) -> Any:
        if not form.is_valid():
            raise ValidationFailed(_("请选择履行完毕或终止。"))
        return contract_services.contract_close(
            contract=contract,
            by=request.user,
            completed=form.cleaned_data["outcome"] == "complete",
            reason=form.cleaned_data.get("reason") or "",
        )

    contract, result = _act(request, pk, run)
    if result is not None:
        messages.success(request, _("合同状态：%(status)s。") % {"status": result.get_status_display()})
    return redirect(_detail_url(contract))


# ---- documents ----------------------------------------------------------------------------------


@login_required
@require_GET
@domain_errors
def contract_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    contract = _contract_for(request, pk)
    return attachment(documents.contract_pdf(contract), documents.contract_filename(contract), "application/pdf")


@login_required
@require_GET
@domain_errors
def contract_scan(request: HttpRequest, pk: int) -> HttpResponse:
    """The archived signed copy, decrypted, for whoever sees the contract."""
    from neiqin.core import crypto

    contract = _contract_for(request, pk)
    if not contract.scan_file:
        raise NotFound(_("该合同还没有归档扫描件。"))
    folder = Path(settings.NEIQIN_HOME) / "files" / "contracts"
    path = (folder / contract.scan_file).resolve()
    if path.parent != folder.resolve() or not path.is_file():
        raise NotFound(_("扫描件文件不存在，请联系管理员。"))
    data = crypto.decrypt_bytes(path.read_bytes())
    kind = contract.scan_file.split(".")[-2] if contract.scan_file.count(".") >= 2 else "pdf"
    name = f"合同-{contract.number or contract.pk}-签字盖章件.{kind}"
    return attachment(data, name, SCAN_CONTENT_TYPES.get(kind, "application/octet-stream"))


urlpatterns: list = [
    path("contracts/", contract_list, name="contract_list"),
    path("contracts/new/", contract_create, name="contract_create"),
    path("contracts/<int:pk>/", contract_detail, name="contract_detail"),
    path("contracts/<int:pk>/edit/", contract_edit, name="contract_update"),
    path("contracts/<int:pk>/submit-review/", contract_submit_review, name="contract_submit_review"),
    path("contracts/<int:pk>/review/", contract_review, name="contract_review"),
    path("contracts/<int:pk>/sign/", contract_sign, name="contract_sign"),
    path("contracts/<int:pk>/scan/upload/", contract_attach_scan, name="contract_attach_scan"),
    path("contracts/<int:pk>/close/", contract_close, name="contract_close"),
    path("contracts/<int:pk>/pdf/", contract_pdf, name="contract_pdf"),
    path("contracts/<int:pk>/scan/", contract_scan, name="contract_scan"),
]
