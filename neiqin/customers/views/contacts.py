"""Contacts of a customer: an htmx modal editor, with a full-page fallback without htmx."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from neiqin.core.errors import NotFound, ValidationFailed
from neiqin.customers import rules, services
from neiqin.customers.forms import ContactForm
from neiqin.customers.models import Contact, Customer
from neiqin.customers.views.common import apply_errors, customer_for, detail_url, domain_errors, require
from neiqin.customers.views.detail import contacts_context, customer_permissions


def _contact_for(customer: Customer, contact_id: int) -> Contact:
    contact = customer.contacts.filter(pk=contact_id).first()
    if contact is None:
        raise NotFound(_("联系人不存在。"))
    return contact


def _contacts_saved(request: HttpRequest, customer: Customer, message: str) -> HttpResponse:
    """htmx: swap the contacts table and close the modal; otherwise back to the file."""
    if request.htmx:
        customer.refresh_from_db()
        context = contacts_context(customer, customer_permissions(request.user, customer))
        response = render(request, "customers/detail.html#contacts", context)
        response["HX-Retarget"] = "#contacts"
        response["HX-Reswap"] = "outerHTML"
        response["HX-Trigger"] = "neiqin:modal-close"
        return response
    messages.success(request, message)
    return redirect(detail_url(customer))


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
    customer = customer_for(request, pk)
    require(rules.can_edit(request.user, customer), _("您不能修改这个客户的资料。"))
    contact = _contact_for(customer, contact_id) if contact_id else None
    error = None
    if request.method == "POST":
        form = ContactForm(request.POST)
        if form.is_valid():
            try:
                save(customer, contact, form.cleaned_data)
            except ValidationFailed as exc:
                error = apply_errors(form, exc)
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
    customer = customer_for(request, pk)
    contact = _contact_for(customer, contact_id)
    services.contact_delete(contact=contact, by=request.user)
    return _contacts_saved(request, customer, _("联系人已删除。"))
