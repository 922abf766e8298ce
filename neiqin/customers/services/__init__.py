"""Writes on customer files: create, update, stage, assignment, pool, contacts, key dates, grants.

Every function is atomic, keyword-only, takes the actor as ``by`` and writes audit events.
Bad input raises ``ValidationFailed`` before anything is written.

The package re-exports its modules' names so callers keep writing ``services.customer_create``.
Modules depend one way: ``validation`` ← ``duplicates``; ``guards`` ← ``contacts``, ``assignment``,
``key_dates``, ``access``; and ``customers`` (creation adds contacts and the first assignment)
uses all of them. Importing the package registers customers and contacts with the audit trail.
"""

from __future__ import annotations

from neiqin.customers.services.access import access_grant, access_revoke
from neiqin.customers.services.assignment import (
    customer_acknowledge,
    customer_assign,
    customer_claim,
    customer_release,
    handover_overdue_remind,
    pool_auto_return,
)
from neiqin.customers.services.contacts import contact_create, contact_delete, contact_indexes, contact_update
from neiqin.customers.services.customers import (
    build_customer,
    customer_create,
    customer_record_contact,
    customer_record_export,
    customer_record_view,
    customer_set_stage,
    customer_update,
)
from neiqin.customers.services.duplicates import Duplicate, find_duplicates
from neiqin.customers.services.guards import check_owner
from neiqin.customers.services.key_dates import key_date_add
from neiqin.customers.services.validation import (
    AUDIT_FIELDS,
    CHOICE_FIELDS,
    CONTACT_FIELDS,
    CONTACT_TEXT,
    CREDIT_FIELDS,
    EDITABLE_FIELDS,
    MAX_CREDIT_LIMIT,
    NOTIFY_OWNER_FIELDS,
    SENSITIVE,
    TEXT_FIELDS,
    clean_contact_fields,
    clean_customer_fields,
)

__all__ = [
    "access_grant",
    "access_revoke",
    "AUDIT_FIELDS",
    "build_customer",
    "CHOICE_FIELDS",
    "check_owner",
    "clean_contact_fields",
    "clean_customer_fields",
    "contact_create",
    "contact_delete",
    "CONTACT_FIELDS",
    "contact_indexes",
    "CONTACT_TEXT",
    "contact_update",
    "CREDIT_FIELDS",
    "customer_acknowledge",
    "customer_assign",
    "customer_claim",
    "customer_create",
    "customer_record_contact",
    "customer_record_export",
    "customer_record_view",
    "customer_release",
    "customer_set_stage",
    "customer_update",
    "Duplicate",
    "EDITABLE_FIELDS",
    "find_duplicates",
    "handover_overdue_remind",
    "key_date_add",
    "MAX_CREDIT_LIMIT",
    "NOTIFY_OWNER_FIELDS",
    "pool_auto_return",
    "SENSITIVE",
    "TEXT_FIELDS",
]
