from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from neiqin.accounts.scoping import roles


def shell(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    unread = 0
    role_codes: frozenset[str] = frozenset()
    if user is not None and user.is_authenticated:
        role_codes = roles(user)
        unread = user.notifications.filter(read_at__isnull=True).count()
    return {"company_name": settings.NEIQIN_COMPANY_NAME, "user_roles": role_codes, "unread_count": unread}
