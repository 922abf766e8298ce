"""Pages for customer files: list, detail, create/edit, actions, contacts, pool, import/export.

Views parse (forms), authorize (``rules.can_*``), call a service or selector, and render.
Business refusals arrive as ``DomainError``: field errors go next to inputs (422), a stale copy
is a conflict alert (409), ``NotFound`` is the 404 page and ``PermissionDenied`` the 403 page.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import FieldDoesNotExist
from django.core.paginator import Paginator
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.http import content_disposition_header, url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from neiqin.accounts.models import Region, Team, User
from neiqin.accounts.roles import Scope
from neiqin.accounts.scoping import customer_scope
from neiqin.core import audit
from neiqin.core.errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationFailed
from neiqin.core.models import Event
from neiqin.customers import rules, selectors, services
from neiqin.customers.choices import STAGE_TRANSITIONS, KeyDateKind, Stage
from neiqin.customers.forms import (
    SECTIONS,
    AssignForm,
    ContactForm,
    CustomerFilterForm,
    CustomerForm,
    FollowUpForm,
    ImportUploadForm,
    KeyDateForm,
    PoolSearchForm,
    ReasonForm,
    StageForm,
)
from neiqin.customers.models import Contact, Customer

LIST_FRAGMENT_TARGET = "customer-table"
POOL_FRAGMENT_TARGET = "pool-table"
POOL_PAGE_SIZE = 50
PAGE_SIZES = (20, 50, 100, 200)
HISTORY_LIMIT = 100
IMPORT_PREVIEW_ROWS = 20
EXPORT_FORMATS = ("xlsx", "csv")
VIEWED = "customers.customer.viewed"
# Encrypted columns the list never shows: skip loading (and decrypting) them.
LIST_DEFERRED = ("phone", "fax", "email", "id_number", "invoice_address_phone", "invoice_account")

ACTION_LABELS = {
    "customers.customer.created": gettext_lazy("新建档案"),
    "customers.customer.imported": gettext_lazy("导入档案"),
    "customers.customer.updated": gettext_lazy("修改资料"),
    "customers.customer.assigned": gettext_lazy("分配 / 转移"),
    "customers.customer.acknowledged": gettext_lazy("确认接收"),
    "customers.customer.claimed": gettext_lazy("公海领取"),
    "customers.customer.released": gettext_lazy("退回公海"),
    "customers.customer.stage_changed": gettext_lazy("变更阶段"),
    "customers.customer.contacted": gettext_lazy("记录跟进"),
    "customers.key_date.added": gettext_lazy("添加关键日期"),
    "customers.access.granted": gettext_lazy("授权查看"),
    "customers.access.revoked": gettext_lazy("撤销授权"),
    "customers.contact.created": gettext_lazy("新增联系人"),
    "customers.contact.updated": gettext_lazy("修改联系人"),
    "customers.contact.deleted": gettext_lazy("删除联系人"),
    "customers.contact.imported": gettext_lazy("导入联系人"),
}

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


# ---- shared helpers ---------------------------------------------------------------------------


def _error_page(request: HttpRequest, message: Any, status: int) -> HttpResponse:
    return render(request, "web/error.html", {"status": status, "message": message}, status=status)


def domain_errors(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """NotFound -> the 404 page, PermissionDenied -> the 403 page (other errors are handled in views)."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except NotFound as exc:
            return _error_page(request, exc.message, 404)
        except PermissionDenied as exc:
            return _error_page(request, exc.message, 403)

    return wrapper


def _require(allowed: bool, message: Any) -> None:
    if not allowed:
        raise PermissionDenied(message)


def _apply_errors(form: Any, exc: ValidationFailed) -> Any:
    """Put the service's field errors on the form; return a form-level message, if any is left."""
    placed = False
    for field, errors in (exc.extra.get("fields") or {}).items():
        for error in errors:
            if field in form.fields:
                form.add_error(field, error)
                placed = True
    return None if placed else exc.message


def _redirect_next(request: HttpRequest, fallback: str) -> HttpResponse:
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return redirect(target)
    return redirect(fallback)


def _is_fragment(request: HttpRequest, target: str) -> bool:
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request and htmx.target == target


def _detail_url(customer: Customer) -> str:
    return reverse("customers:detail", args=[customer.pk])


def _customer_for(request: HttpRequest, pk: int) -> Customer:
    return selectors.customer_get_for_user(user=request.user, pk=pk)


def _labels(customer: Customer) -> dict[str, str]:
    return {"code": customer.code, "name": customer.name}


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
    if _is_fragment(request, LIST_FRAGMENT_TARGET):
        template += "#table"
    response = render(request, template, context)
    patch_vary_headers(response, ("HX-Request", "HX-Target"))
    return response


@login_required
@require_GET
@domain_errors
def customer_export(request: HttpRequest) -> HttpResponse:
    """Export the filtered list; the service checks scope and writes the export audit event."""
    _require(rules.can_export(request.user), _("您没有导出客户的权限。"))
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
    return _attachment(data, filename, content_type)


def _attachment(data: bytes, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response


# ---- create and edit ------------------------------------------------------------------------------


def _customer_form_defaults() -> dict[str, Any]:
    return {name: Customer._meta.get_field(name).default for name in ("kind", "industry", "grade", "payment_mode")}


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def customer_create(request: HttpRequest) -> HttpResponse:
    user = request.user
    _require(rules.can_create(user), _("您没有新建客户的权限。"))
    form_options = {"can_edit_credit": rules.can_edit_credit(user), "owner_choice": rules.can_assign(user)}
    form_error = None
    if request.method == "POST":
        form = CustomerForm(request.POST, **form_options)
        if form.is_valid():
            try:
                customer = services.customer_create(
                    fields=form.service_fields(), by=user, owner=form.cleaned_data.get("owner")
                )
            except ValidationFailed as exc:
                form_error = _apply_errors(form, exc)
            else:
                messages.success(request, _("客户 %(code)s %(name)s 已创建。") % _labels(customer))
                if selectors.customer_queryset(user=user).filter(pk=customer.pk).exists():
                    return redirect(_detail_url(customer))
                return redirect("customers:list")
    else:
        form = CustomerForm(initial=_customer_form_defaults(), **form_options)
    status = 422 if request.method == "POST" else 200
    context = {"form": form, "form_error": form_error, "customer": None}
    return render(request, "customers/form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def customer_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    customer = _customer_for(request, pk)
    _require(rules.can_edit(user, customer), _("您不能修改这个客户的资料。"))
    form_options = {"can_edit_credit": rules.can_edit_credit(user)}
    form_error = conflict = None
    status = 200
    if request.method == "POST":
        form = CustomerForm(request.POST, **form_options)
        status = 422
        if form.is_valid():
            try:
                services.customer_update(
                    customer=customer,
                    fields=form.service_fields(),
                    by=user,
                    expected_version=form.cleaned_data.get("version"),
                )
            except ValidationFailed as exc:
                form_error = _apply_errors(form, exc)
            except Conflict as exc:
                conflict, status = exc.message, exc.status
            else:
                messages.success(request, _("客户资料已保存。"))
                return redirect(_detail_url(customer))
    else:
        form = CustomerForm(initial=CustomerForm.initial_for(customer), **form_options)
    context = {"form": form, "form_error": form_error, "conflict": conflict, "customer": customer}
    return render(request, "customers/form.html", context, status=status)


# ---- detail -----------------------------------------------------------------------------------------


def _display(customer: Customer, name: str) -> Any:
    field = customer._meta.get_field(name)
    value = getattr(customer, name)
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if value in (None, ""):
        return "—"
    if field.choices:
        return getattr(customer, f"get_{name}_display")()
    if name == "credit_limit":
        return f"¥{value:,.2f}"
    if name == "payment_term_days":
        return _("%(days)s 天") % {"days": value}
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _sections(customer: Customer) -> list[dict[str, Any]]:
    return [
        {
            "title": title,
            "rows": [(customer._meta.get_field(n).verbose_name, _display(customer, n), n) for n in names],
        }
        for title, names in SECTIONS
    ]


def _related_names(events: Iterable[Event]) -> dict[type[models.Model], dict[str, str]]:
    """Names for the foreign-key ids in audit changes (owner, team, region), one query per model."""
    wanted: dict[type[models.Model], set[Any]] = {}
    for event in events:
        model = _event_model(event)
        for field_name, pair in (event.changes or {}).items():
            field = _model_field(model, field_name)
            if field is not None and field.is_relation:
                wanted.setdefault(field.related_model, set()).update(v for v in pair if v not in (None, ""))
    names: dict[type[models.Model], dict[str, str]] = {}
    for model, ids in wanted.items():
        if model in (User, Team, Region):
            names[model] = {str(obj.pk): str(obj) for obj in model.objects.filter(pk__in=ids)}
    return names


def _event_model(event: Event) -> type[models.Model]:
    return Contact if event.object_type == Contact._meta.label_lower else Customer


def _model_field(model: type[models.Model], name: str) -> Any:
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        return None


def _format_value(field: Any, value: Any, names: dict[type[models.Model], dict[str, str]]) -> Any:
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if value in (None, "", []):
        return "—"
    if field is not None and field.choices:
        return dict(field.flatchoices).get(value, value)
    if field is not None and field.is_relation:
        return names.get(field.related_model, {}).get(str(value), f"#{value}")
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    return value


def _event_note(event: Event) -> str:
    data = event.data or {}
    if event.action == "customers.key_date.added":
        kind = dict(KeyDateKind.choices).get(data.get("kind"), data.get("kind"))
        return f"{kind} {data.get('date', '')}"
    if event.action == "customers.customer.contacted":
        return _("下次联系：%(date)s") % {"date": data.get("next_contact_on", "")}
    if data.get("reason"):
        return _("原因：%(reason)s") % {"reason": data["reason"]}
    return ""


def _history(customer: Customer) -> list[dict[str, Any]]:
    """Changes to the file and its contacts, newest first, with field names and before -> after."""
    events = list(selectors.customer_history(customer=customer)[:HISTORY_LIMIT])
    names = _related_names(events)
    rows = []
    for event in events:
        model = _event_model(event)
        changes = []
        for field_name, (before, after) in audit.display_changes(event).items():
            field = _model_field(model, field_name)
            label = field.verbose_name if field is not None else field_name
            shown = (_format_value(field, before, names), _format_value(field, after, names))
            if shown[0] == shown[1]:
                continue  # e.g. an empty field on creation: nothing to show
            changes.append({"label": label, "before": shown[0], "after": shown[1]})
        rows.append(
            {
                "event": event,
                "label": ACTION_LABELS.get(event.action, event.action),
                "subject": event.object_repr if model is Contact else "",
                "changes": changes,
                "is_creation": event.action.endswith(".created"),
                "note": _event_note(event),
            }
        )
    return rows


def _views_summary(customer: Customer) -> dict[str, Any]:
    views = Event.objects.filter(
        object_type=Customer._meta.label_lower, object_id=str(customer.pk), action=VIEWED
    ).select_related("actor")
    return {"count": views.count(), "recent": list(views[:10])}


def _permissions(user: Any, customer: Customer) -> dict[str, bool]:
    return {
        "edit": rules.can_edit(user, customer),
        "assign": rules.can_assign(user),
        "acknowledge": rules.can_acknowledge(user, customer),
        "release": rules.can_release(user, customer),
        "claim": rules.can_claim(user, customer),
    }


def _contacts_context(customer: Customer, perms: dict[str, bool]) -> dict[str, Any]:
    return {"customer": customer, "contacts": list(customer.contacts.all()), "can": perms}


@login_required
@require_GET
@domain_errors
def customer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The full file. Every view is logged (CUS-4)."""
    user = request.user
    customer = _customer_for(request, pk)
    services.customer_record_view(customer=customer, by=user)
    perms = _permissions(user, customer)
    targets = [value for value in Stage.values if STAGE_TRANSITIONS.can(customer.stage, value)]
    context = {
        **_contacts_context(customer, perms),
        "sections": _sections(customer),
        "key_dates": list(customer.key_dates.all()),
        "assignments": list(customer.assignments.select_related("from_owner", "to_owner", "by")),
        "history": _history(customer),
        "today": timezone.localdate(),
        "views": _views_summary(customer),
        "stage_targets": targets if perms["edit"] else [],
        "assign_form": AssignForm() if perms["assign"] else None,
        "release_form": ReasonForm() if perms["release"] else None,
        "stage_form": StageForm(targets=targets) if perms["edit"] and targets else None,
        "follow_up_form": FollowUpForm() if perms["edit"] else None,
        "key_date_form": KeyDateForm() if perms["edit"] else None,
    }
    return render(request, "customers/detail.html", context)


# ---- actions on one customer (POST, then back to the page with a message) ---------------------------


def _action(
    request: HttpRequest, pk: int, run: Callable[[Customer], Any], success: str, fallback: str | None = None
) -> HttpResponse:
    customer = _customer_for(request, pk)
    try:
        run(customer)
    except (NotFound, PermissionDenied):
        raise
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, success)
    return _redirect_next(request, fallback or _detail_url(customer))


@login_required
@require_POST
@domain_errors
def customer_assign(request: HttpRequest, pk: int) -> HttpResponse:
    form = AssignForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择负责业务员。"))
        return redirect(_detail_url(_customer_for(request, pk)))
    owner, reason = form.cleaned_data["owner"], form.cleaned_data["reason"]
    return _action(
        request,
        pk,
        lambda c: services.customer_assign(customer=c, owner=owner, by=request.user, reason=reason),
        _("已分配给 %(owner)s，等待其确认接收。") % {"owner": owner},
    )


@login_required
@require_POST
@domain_errors
def customer_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    return _action(
        request,
        pk,
        lambda c: services.customer_acknowledge(customer=c, by=request.user),
        _("已确认接收。"),
    )


@login_required
@require_POST
@domain_errors
def customer_release(request: HttpRequest, pk: int) -> HttpResponse:
    form = ReasonForm(request.POST)
    form.is_valid()
    reason = form.cleaned_data.get("reason", "")
    customer = _customer_for(request, pk)
    try:
        services.customer_release(customer=customer, by=request.user, reason=reason)
    except (ValidationFailed, Conflict) as exc:
        messages.error(request, exc.message)
        return redirect(_detail_url(customer))
    messages.success(request, _("客户 %(name)s 已退回公海。") % {"name": customer.name})
    # The file is usually out of the user's scope now: go where they can still look.
    if selectors.customer_queryset(user=request.user).filter(pk=customer.pk).exists():
        return redirect(_detail_url(customer))
    return redirect("customers:list")


@login_required
@require_POST
@domain_errors
def customer_stage(request: HttpRequest, pk: int) -> HttpResponse:
    form = StageForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择有效的合作阶段。"))
        return redirect(_detail_url(_customer_for(request, pk)))
    stage, reason = form.cleaned_data["stage"], form.cleaned_data["reason"]
    return _action(
        request,
        pk,
        lambda c: services.customer_set_stage(customer=c, stage=stage, by=request.user, reason=reason),
        _("合作阶段已变更为“%(stage)s”。") % {"stage": Stage(stage).label},
    )


@login_required
@require_POST
@domain_errors
def customer_follow_up(request: HttpRequest, pk: int) -> HttpResponse:
    form = FollowUpForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("下次联系日期格式不正确，例如 2026-12-01。"))
        return redirect(_detail_url(_customer_for(request, pk)))
    next_on = form.cleaned_data["next_contact_on"]
    return _action(
        request,
        pk,
        lambda c: services.customer_record_contact(customer=c, by=request.user, next_contact_on=next_on),
        _("已记录本次跟进。"),
    )


@login_required
@require_POST
@domain_errors
def key_date_add(request: HttpRequest, pk: int) -> HttpResponse:
    form = KeyDateForm(request.POST)
    if not form.is_valid():
        first = next(iter(form.errors.values()))[0]
        messages.error(request, first)
        return redirect(_detail_url(_customer_for(request, pk)))
    data = form.cleaned_data
    return _action(
        request,
        pk,
        lambda c: services.key_date_add(
            customer=c,
            kind=data["kind"],
            date=data["date"],
            by=request.user,
            note=data["note"],
            recurring=data["recurring"],
            remind_days_before=data["remind_days_before"],
        ),
        _("关键日期已添加。"),
    )


# ---- contacts (htmx modal, with full-page fallback) ---------------------------------------------------


def _contact_for(customer: Customer, contact_id: int) -> Contact:
    contact = customer.contacts.filter(pk=contact_id).first()
    if contact is None:
        raise NotFound(_("联系人不存在。"))
    return contact


def _contacts_saved(request: HttpRequest, customer: Customer, message: str) -> HttpResponse:
    """htmx: swap the contacts table and close the modal; otherwise back to the file."""
    if request.htmx:
        customer.refresh_from_db()
        context = _contacts_context(customer, _permissions(request.user, customer))
        response = render(request, "customers/detail.html#contacts", context)
        response["HX-Retarget"] = "#contacts"
        response["HX-Reswap"] = "outerHTML"
        response["HX-Trigger"] = "neiqin:modal-close"
        return response
    messages.success(request, message)
    return redirect(_detail_url(customer))


def _contact_form_page(
    request: HttpRequest, customer: Customer, form: ContactForm, contact: Contact | None, error: Any, status: int
) -> HttpResponse:
    action = (
        reverse("customers:contact_edit", args=[customer.pk, contact.pk])
        if contact
        else reverse("customers:contact_create", args=[customer.pk])
    )
    context = {
        "customer": customer,
        "contact": contact,
        "form": form,
        "form_error": error,
        "action": action,
        "in_modal": bool(request.htmx),
    }
    template = "customers/contact_form.html#form" if request.htmx else "customers/contact_form.html"
    return render(request, template, context, status=status)


def _contact_editor(
    request: HttpRequest, pk: int, contact_id: int | None, save: Callable[[Customer, Contact | None, dict], Any]
) -> HttpResponse:
    customer = _customer_for(request, pk)
    _require(rules.can_edit(request.user, customer), _("您不能修改这个客户的资料。"))
    contact = _contact_for(customer, contact_id) if contact_id else None
    error = None
    if request.method == "POST":
        form = ContactForm(request.POST)
        if form.is_valid():
            try:
                save(customer, contact, form.cleaned_data)
            except ValidationFailed as exc:
                error = _apply_errors(form, exc)
            else:
                return _contacts_saved(request, customer, _("联系人已保存。"))
        return _contact_form_page(request, customer, form, contact, error, 422)
    form = ContactForm(initial=ContactForm.initial_for(contact) if contact else None)
    return _contact_form_page(request, customer, form, contact, None, 200)


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def contact_create(request: HttpRequest, pk: int) -> HttpResponse:
    return _contact_editor(
        request,
        pk,
        None,
        lambda customer, _contact, fields: services.contact_create(customer=customer, fields=fields, by=request.user),
    )


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def contact_edit(request: HttpRequest, pk: int, contact_id: int) -> HttpResponse:
    return _contact_editor(
        request,
        pk,
        contact_id,
        lambda _customer, contact, fields: services.contact_update(contact=contact, fields=fields, by=request.user),
    )


@login_required
@require_POST
@domain_errors
def contact_delete(request: HttpRequest, pk: int, contact_id: int) -> HttpResponse:
    customer = _customer_for(request, pk)
    contact = _contact_for(customer, contact_id)
    services.contact_delete(contact=contact, by=request.user)
    return _contacts_saved(request, customer, _("联系人已删除。"))


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
    if _is_fragment(request, POOL_FRAGMENT_TARGET):
        template += "#table"
    response = render(request, template, context)
    patch_vary_headers(response, ("HX-Request", "HX-Target"))
    return response


@login_required
@require_POST
@domain_errors
def pool_claim(request: HttpRequest, pk: int) -> HttpResponse:
    """First come, first served: whoever claims second is told who was faster."""
    _require(rules.can_claim_any(request.user), _("只有业务员可以从公海领取客户。"))
    try:
        customer = selectors.pool_get_for_user(user=request.user, pk=pk)
        customer = services.customer_claim(customer=customer, by=request.user)
    except (NotFound, Conflict) as exc:  # lost the race: say who was faster, back to the pool
        messages.warning(request, exc.message)
        return redirect("customers:pool")
    messages.success(request, _("已领取客户 %(code)s %(name)s。") % _labels(customer))
    return redirect(_detail_url(customer))


# ---- import (导入) -------------------------------------------------------------------------------------


def _batch_for(request: HttpRequest, batch_id: int) -> Any:
    from neiqin.customers import importer

    batch = importer.import_batches_for(user=request.user).filter(pk=batch_id).first()
    if batch is None:
        raise NotFound(_("导入批次不存在。"))
    return batch


def _error_rows(errors: Any) -> list[dict[str, Any]]:
    """Row errors as {row, column, message}, whatever the importer's exact item shape."""
    rows = []
    for item in errors or []:
        if isinstance(item, dict):
            rows.append(
                {
                    "row": item.get("row", item.get("line", "")),
                    "column": item.get("column", item.get("field", "")),
                    "message": item.get("message", item.get("error", "")),
                }
            )
        elif isinstance(item, list | tuple):
            padded = [*item, "", "", ""][:3]
            rows.append({"row": padded[0], "column": padded[1], "message": padded[2]})
        else:
            rows.append({"row": "", "column": "", "message": item})
    return rows


def _preview_table(preview: Any) -> dict[str, Any]:
    """The first valid rows in the importer's column order, with its column titles."""
    from neiqin.customers import importer

    rows = [row for row in list(preview or [])[:IMPORT_PREVIEW_ROWS] if isinstance(row, dict)]
    columns = importer.preview_columns()
    return {
        "headers": [title for _key, title in columns],
        "rows": [[row.get(key, "") for key, _t in columns] for row in rows],
    }


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def import_start(request: HttpRequest) -> HttpResponse:
    user = request.user
    _require(rules.can_import(user), _("只有销售内勤或管理员可以导入客户。"))
    from neiqin.customers import importer

    form = ImportUploadForm(request.POST or None, request.FILES or None)
    error = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > settings.NEIQIN_MAX_UPLOAD_BYTES:
            error = _("文件太大：最大 %(mb)s MB。") % {"mb": settings.NEIQIN_MAX_UPLOAD_BYTES // (1024 * 1024)}
        else:
            try:
                batch = importer.stage_customer_import(name=upload.name, data=upload.read(), by=user)
            except DomainError as exc:
                error = exc.message
            else:
                return redirect("customers:import_batch", batch_id=batch.pk)
    status = 422 if request.method == "POST" else 200
    batches = importer.import_batches_for(user=user)[:20]
    return render(
        request, "customers/import_start.html", {"form": form, "error": error, "batches": batches}, status=status
    )


@login_required
@require_GET
@domain_errors
def import_batch(request: HttpRequest, batch_id: int) -> HttpResponse:
    _require(rules.can_import(request.user), _("只有销售内勤或管理员可以导入客户。"))
    batch = _batch_for(request, batch_id)
    errors = _error_rows(batch.errors)
    context = {
        "batch": batch,
        "errors": errors,
        "preview": _preview_table(batch.preview),
        "valid_count": max(batch.row_count - batch.error_count, 0),
    }
    return render(request, "customers/import_batch.html", context)


@login_required
@require_POST
@domain_errors
def import_commit(request: HttpRequest, batch_id: int) -> HttpResponse:
    _require(rules.can_import(request.user), _("只有销售内勤或管理员可以导入客户。"))
    from neiqin.customers import importer

    try:
        importer.commit_customer_import(batch_id=batch_id, by=request.user)
    except (NotFound, PermissionDenied):
        raise
    except DomainError as exc:
        messages.error(request, exc.message)
    # On success the batch page itself shows the result (status 已导入 and the counts).
    return redirect("customers:import_batch", batch_id=batch_id)


@login_required
@require_POST
@domain_errors
def import_discard(request: HttpRequest, batch_id: int) -> HttpResponse:
    _require(rules.can_import(request.user), _("只有销售内勤或管理员可以导入客户。"))
    from neiqin.customers import importer

    try:
        importer.discard_customer_import(batch_id=batch_id, by=request.user)
    except (ValidationFailed, Conflict) as exc:
        messages.error(request, exc.message)
        return redirect("customers:import_batch", batch_id=batch_id)
    messages.info(request, _("已放弃本次导入，没有写入任何数据。"))
    return redirect("customers:import")


@never_cache
@login_required
@require_GET
@domain_errors
def import_template(request: HttpRequest) -> HttpResponse:
    _require(rules.can_import(request.user), _("只有销售内勤或管理员可以导入客户。"))
    from neiqin.customers import importer

    return _attachment(
        importer.template_xlsx(),
        _("客户导入模板.xlsx"),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
