from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from neiqin.accounts.roles import (
    CAN_CLAIM_FROM_POOL,
    CAN_COUNT_STOCK,
    CAN_IMPORT_CATALOG,
    CAN_IMPORT_STOCK,
    CAN_MOVE_STOCK,
    CAN_SEE_PRICES,
    CAN_SET_PRICES,
    Scope,
)
from neiqin.accounts.scoping import customer_scope, has_role, roles
from neiqin.customers import rules


def shell(request: HttpRequest) -> dict[str, Any]:
    """Company name, the user's roles, the unread badge and which navbar items to show."""
    user = getattr(request, "user", None)
    unread = 0
    role_codes: frozenset[str] = frozenset()
    nav: dict[str, bool] = {}
    if user is not None and user.is_authenticated:
        role_codes = roles(user)
        unread = user.notifications.filter(read_at__isnull=True).count()
        scope = customer_scope(user)
        nav = {
            "customers": scope != Scope.NONE,
            "pool": has_role(user, CAN_CLAIM_FROM_POOL) or scope == Scope.ALL,
            "import": rules.can_import(user),
            "catalog": True,
            "prices": has_role(user, CAN_SEE_PRICES),
            "set_prices": has_role(user, CAN_SET_PRICES),
            "import_catalog": has_role(user, CAN_IMPORT_CATALOG),
            "stock": True,
            "move_stock": has_role(user, CAN_MOVE_STOCK),
            "count_stock": has_role(user, CAN_COUNT_STOCK),
            "import_stock": has_role(user, CAN_IMPORT_STOCK),
            "sales": has_role(user, CAN_SEE_PRICES),
            "enter_orders": bool(role_codes & {"clerk", "salesperson", "sales_manager", "deputy_gm", "gm", "admin"}),
            "approve": bool(role_codes & {"sales_manager", "deputy_gm", "gm"}),
        }
    return {
        "company_name": settings.NEIQIN_COMPANY_NAME,
        "user_roles": role_codes,
        "unread_count": unread,
        "nav": nav,
    }
