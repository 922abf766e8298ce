"""Contacts on a customer file. Editing them needs the right to edit the customer."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from neiqin.core import audit, crypto
from neiqin.core.notifications import notify
from neiqin.core.pinyin import search_keys
from neiqin.customers.models import Contact, Customer
from neiqin.customers.services.guards import _locked, _require_edit
from neiqin.customers.services.validation import CONTACT_FIELDS, clean_contact_fields


def contact_indexes(contact: Contact) -> None:
    contact.mobile_index = crypto.blind_index(contact.mobile or "", purpose="phone")
    contact.phone_index = crypto.blind_index(contact.phone or "", purpose="phone")
    contact.search_initials = search_keys(contact.name)[0][:100] if contact.name else ""


def _demote_other_primaries(*, customer: Customer, keep: Contact, by: Any) -> None:
    """One primary contact per customer; the previous one is demoted with its own audit row."""
    for other in customer.contacts.exclude(pk=keep.pk).filter(is_primary=True):
        other.is_primary = False
        other.save(update_fields=["is_primary", "updated_at"])
        audit.record(
            action="customers.contact.updated",
            obj=other,
            by=by,
            changes={"is_primary": [True, False]},
            data={"customer": customer.pk},
        )


def _contact_insert(*, customer: Customer, cleaned: dict[str, Any], by: Any) -> Contact:
    contact = Contact(customer=customer, **cleaned)
    contact_indexes(contact)
    contact.save(force_insert=True)
    if contact.is_primary:
        _demote_other_primaries(customer=customer, keep=contact, by=by)
    audit.record(
        action="customers.contact.created",
        obj=contact,
        by=by,
        changes=audit.diff({}, audit.snapshot(contact, CONTACT_FIELDS)),
        data={"customer": customer.pk},
    )
    return contact


@transaction.atomic
def contact_create(*, customer: Customer, fields: dict[str, Any], by: Any) -> Contact:
    current = _locked(customer)
    _require_edit(by, current)
    cleaned = clean_contact_fields(fields)
    return _contact_insert(customer=current, cleaned=cleaned, by=by)


@transaction.atomic
def contact_update(*, contact: Contact, fields: dict[str, Any], by: Any) -> Contact:
    customer = _locked(contact.customer)
    _require_edit(by, customer)
    cleaned = clean_contact_fields(fields, partial=True)
    current = Contact.objects.select_for_update().get(pk=contact.pk)
    before = audit.snapshot(current, CONTACT_FIELDS)
    for name, value in cleaned.items():
        setattr(current, name, value)
    changes = audit.diff(before, audit.snapshot(current, CONTACT_FIELDS))
    if not changes:
        return current
    contact_indexes(current)
    current.save()
    if current.is_primary:
        _demote_other_primaries(customer=customer, keep=current, by=by)
    audit.record(
        action="customers.contact.updated", obj=current, by=by, changes=changes, data={"customer": customer.pk}
    )
    if customer.owner_id and customer.owner_id != getattr(by, "pk", None):
        notify(
            user=customer.owner,
            title=_("联系人已更新：%(name)s") % {"name": customer.name},
            body=_("%(by)s 更新了联系人 %(contact)s。") % {"by": by, "contact": current.name},
            obj=customer,
        )
    return current


@transaction.atomic
def contact_delete(*, contact: Contact, by: Any) -> None:
    customer = _locked(contact.customer)
    _require_edit(by, customer)
    audit.record(
        action="customers.contact.deleted",
        obj=contact,
        by=by,
        changes=audit.diff(audit.snapshot(contact, CONTACT_FIELDS), {}),
        data={"customer": customer.pk},
    )
    contact.delete()
