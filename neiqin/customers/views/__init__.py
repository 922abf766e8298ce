"""Pages for customer files: list, detail, create/edit, actions, contacts, pool, import/export.

Views parse (forms), authorize (``rules.can_*``), call a service or selector, and render.
Business refusals arrive as ``DomainError``: field errors go next to inputs (422), a stale copy
is a conflict alert (409), ``NotFound`` is the 404 page and ``PermissionDenied`` the 403 page.

One module per concern: ``common`` (helpers shared by the pages), ``listing`` (list, export,
pool), ``detail`` (the full file), ``actions`` (create, edit and the POST actions on one file),
``contacts`` and ``imports``. The view callables are re-exported here for ``urls.py``.
"""

from neiqin.customers.views.actions import (
    customer_acknowledge,
    customer_assign,
    customer_create,
    customer_edit,
    customer_follow_up,
    customer_release,
    customer_stage,
    key_date_add,
)
from neiqin.customers.views.contacts import contact_create, contact_delete, contact_edit
from neiqin.customers.views.detail import customer_detail
from neiqin.customers.views.imports import import_batch, import_commit, import_discard, import_start, import_template
from neiqin.customers.views.listing import customer_export, customer_list, pool, pool_claim

__all__ = [
    "contact_create",
    "contact_delete",
    "contact_edit",
    "customer_acknowledge",
    "customer_assign",
    "customer_create",
    "customer_detail",
    "customer_edit",
    "customer_export",
    "customer_follow_up",
    "customer_list",
    "customer_release",
    "customer_stage",
    "import_batch",
    "import_commit",
    "import_discard",
    "import_start",
    "import_template",
    "key_date_add",
    "pool",
    "pool_claim",
]
