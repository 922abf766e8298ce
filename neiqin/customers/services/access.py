"""Access grants: let a user outside the owner's scope read one customer file, with a reason."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from neiqin.accounts.models import User
from neiqin.core import audit
from neiqin.core.errors import PermissionDenied, ValidationFailed
from neiqin.customers import rules
from neiqin.customers.models import AccessGrant, Customer


@transaction.atomic
def access_grant(
    *, customer: Customer, user: User, by: Any, reason: str, expires_at: dt.datetime | None = None
) -> AccessGrant:
    """Let one more user read this file (e.g. a colleague covering a visit)."""
    if not rules.can_grant(by):
        raise PermissionDenied(_("您没有授权查看客户的权限。"))
    if not reason.strip():
        raise ValidationFailed(_("请填写授权原因。"))
    grant = AccessGrant.objects.create(
        customer=customer, user=user, granted_by=by, reason=reason.strip()[:200], expires_at=expires_at
    )
    audit.record(
        action="customers.access.granted",
        obj=customer,
        by=by,
        data={"user": user.pk, "reason": grant.reason, "expires_at": expires_at.isoformat() if expires_at else None},
    )
    return grant


@transaction.atomic
def access_revoke(*, grant: AccessGrant, by: Any) -> None:
    if not rules.can_grant(by):
        raise PermissionDenied(_("您没有授权查看客户的权限。"))
    grant.revoked_at = timezone.now()
    grant.save(update_fields=["revoked_at"])
    audit.record(action="customers.access.revoked", obj=grant.customer, by=by, data={"user": grant.user_id})
