"""Role × route access matrix (RELIABILITY S1), kept as data.

Every named web route and every API operation has an entry; ``neiqin/tests/test_access_matrix.py``
enumerates the URL resolver and the OpenAPI schema and fails when one is missing, then probes
each entry as each role and compares with ``allow``.

Objects in the probe world: ``A`` a customer owned by sales1 (team A, not yet acknowledged),
``B`` a customer owned by sales2 (team B), ``P`` a customer in the pool, ``CA`` a contact of A,
``BATCH`` an import batch staged by the clerk, ``TOKEN`` an API token of the requesting user.
Outcome "allowed" means the request passed authorization (any status except 401/403/404 or a
redirect to the login page); "denied" means 403 or 404 (404 for objects outside scope).
"""

from __future__ import annotations

ROLES = (
    "anonymous",
    "admin",
    "clerk",
    "sales1",
    "sales2",
    "manager",
    "manager2",
    "finance",
    "warehouse",
    "gm",
    "deputy",
)
EVERYONE = frozenset(ROLES) - {"anonymous"}
SEES_A = frozenset({"admin", "clerk", "sales1", "manager", "finance", "gm", "deputy"})
SEES_B = frozenset({"admin", "clerk", "sales2", "manager2", "finance", "gm", "deputy"})
EDITS_A = SEES_A
ASSIGNS_A = frozenset({"admin", "clerk", "manager", "gm", "deputy"})
RELEASES_A = ASSIGNS_A | {"sales1"}
CREATES = frozenset({"admin", "clerk", "sales1", "sales2", "manager", "manager2", "gm", "deputy"})
CLAIMS = frozenset({"sales1", "sales2", "manager", "manager2"})
EXPORTS = frozenset({"admin", "clerk", "sales1", "sales2", "manager", "manager2", "gm", "deputy"})
IMPORTS = frozenset({"admin", "clerk"})
STAFF = frozenset({"admin"})
PUBLIC = frozenset(ROLES)

# name -> (method, path template, body, allowed roles)
WEB: dict[str, tuple[str, str, dict | None, frozenset[str]]] = {
    "web:healthz": ("GET", "/healthz", None, PUBLIC),
    "web:login": ("GET", "/login/", None, PUBLIC),
    "web:logout": ("POST", "/logout/", {}, PUBLIC),  # ends at the login page for everyone
    "web:home": ("GET", "/", None, EVERYONE),
    "web:profile": ("GET", "/profile/", None, EVERYONE),
    "web:password_change": ("GET", "/profile/password/", None, EVERYONE),
    "web:notification_email": ("POST", "/profile/notifications/", {"email": "", "enabled": ""}, EVERYONE),
    "web:token_create": ("POST", "/profile/tokens/", {"name": "t"}, EVERYONE),
    "web:token_revoke": ("POST", "/profile/tokens/{TOKEN}/revoke/", {}, EVERYONE),
    "web:notifications": ("GET", "/notifications/", None, EVERYONE),
    "web:notifications_read": ("POST", "/notifications/read/", {}, EVERYONE),
    "web:set_language": ("POST", "/i18n/setlang/", {"language": "en", "next": "/"}, PUBLIC),
    "customers:list": ("GET", "/customers/", None, EVERYONE),
    "customers:create": ("GET", "/customers/new/", None, CREATES),
    "customers:export": ("GET", "/customers/export/?format=csv", None, EXPORTS),
    "customers:pool": ("GET", "/customers/pool/", None, EVERYONE),
    "customers:claim": ("POST", "/customers/pool/{P}/claim/", {}, CLAIMS),
    "customers:import": ("GET", "/customers/import/", None, IMPORTS),
    "customers:import_template": ("GET", "/customers/import/template/", None, IMPORTS),
    "customers:import_batch": ("GET", "/customers/import/{BATCH}/", None, frozenset({"admin", "clerk"})),
    "customers:import_commit": ("POST", "/customers/import/{BATCH}/commit/", {}, frozenset({"admin", "clerk"})),
    "customers:import_discard": ("POST", "/customers/import/{BATCH}/discard/", {}, frozenset({"admin", "clerk"})),
    "customers:detail": ("GET", "/customers/{A}/", None, SEES_A),
    "customers:edit": ("GET", "/customers/{A}/edit/", None, EDITS_A),
    "customers:assign": ("POST", "/customers/{A}/assign/", {"owner": "{manager_id}", "reason": "x"}, ASSIGNS_A),
    "customers:acknowledge": ("POST", "/customers/{A}/acknowledge/", {}, frozenset({"sales1"})),
    "customers:release": ("POST", "/customers/{A}/release/", {"reason": "无需求"}, RELEASES_A),
    "customers:stage": ("POST", "/customers/{A}/stage/", {"stage": "intended"}, EDITS_A),
    "customers:follow_up": ("POST", "/customers/{A}/follow-up/", {}, EDITS_A),
    "customers:key_date_add": (
        "POST",
        "/customers/{A}/key-dates/",
        {"kind": "lease_expiry", "date": "2027-06-30"},
        EDITS_A,
    ),
    "customers:contact_create": ("POST", "/customers/{A}/contacts/new/", {"name": "王芳"}, EDITS_A),
    "customers:contact_edit": ("POST", "/customers/{A}/contacts/{CA}/edit/", {"name": "王芳芳"}, EDITS_A),
    "customers:contact_delete": ("POST", "/customers/{A}/contacts/{CA}/delete/", {}, EDITS_A),
    # Django's own pages mounted by the API
    "api:openapi-json": ("GET", "/api/openapi.json", None, STAFF),
    "api:openapi-view": ("GET", "/api/docs", None, STAFF),
}

# operationId -> (method, path template, JSON body, allowed roles)
API: dict[str, tuple[str, str, dict | None, frozenset[str]]] = {
    "system_health": ("GET", "/api/v1/health", None, PUBLIC),
    "neiqin_api_system_me": ("GET", "/api/v1/me", None, EVERYONE),
    "customers_list": ("GET", "/api/v1/customers", None, EVERYONE),
    "customers_create": ("POST", "/api/v1/customers", {"name": "新建矩阵测试有限公司"}, CREATES),
    "customers_lookup_phone": ("GET", "/api/v1/customers/lookup/phone?number=13800138000", None, EVERYONE),
    "customers_get": ("GET", "/api/v1/customers/{A}", None, SEES_A),
    "customers_update": ("PATCH", "/api/v1/customers/{A}", {"city": "株洲", "version": 1}, EDITS_A),
    "customers_claim": ("POST", "/api/v1/customers/{P}/claim", None, CLAIMS),
    "customers_assign": (
        "POST",
        "/api/v1/customers/{A}/assign",
        {"owner_id": "{manager_id}", "reason": "x"},
        ASSIGNS_A,
    ),
    "customers_acknowledge": ("POST", "/api/v1/customers/{A}/acknowledge", None, frozenset({"sales1"})),
    "customers_release": ("POST", "/api/v1/customers/{A}/release", {"reason": "无需求"}, RELEASES_A),
    "customers_set_stage": ("POST", "/api/v1/customers/{A}/stage", {"stage": "intended"}, EDITS_A),
    "customers_history": ("GET", "/api/v1/customers/{A}/history", None, SEES_A),
    "customers_contacts_list": ("GET", "/api/v1/customers/{A}/contacts", None, SEES_A),
    "customers_contacts_create": ("POST", "/api/v1/customers/{A}/contacts", {"name": "王芳"}, EDITS_A),
    "contacts_update": ("PATCH", "/api/v1/contacts/{CA}", {"title": "采购经理"}, EDITS_A),
    "contacts_delete": ("DELETE", "/api/v1/contacts/{CA}", None, EDITS_A),
    "pool_list": ("GET", "/api/v1/pool", None, EVERYONE),
}


def _merge_parts() -> None:
    import importlib

    from neiqin.access_parts import PARTS

    for part in PARTS:
        module = importlib.import_module(f"neiqin.access_parts.{part}")
        clash = (set(module.WEB) & set(WEB)) | (set(module.API) & set(API))
        if clash:
            raise RuntimeError(f"access matrix entries defined twice: {sorted(clash)}")
        WEB.update(module.WEB)
        API.update(module.API)


_merge_parts()
