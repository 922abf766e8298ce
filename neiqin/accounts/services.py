"""Writes for users, roles, teams and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from neiqin.accounts.models import ApiToken, Team, User
from neiqin.accounts.roles import Role
from neiqin.core import audit
from neiqin.core.errors import NotFound, PermissionDenied, ValidationFailed

TOKEN_PREFIX = "nq_"

audit.register("accounts.user")


def roles_ensure() -> None:
    """Create the role groups (idempotent; also done by a data migration)."""
    for code in Role.values:
        Group.objects.get_or_create(name=code)


def _check_roles(role_codes: Iterable[str]) -> list[str]:
    codes = list(dict.fromkeys(role_codes))
    unknown = [c for c in codes if c not in Role.values]
    if unknown:
        raise ValidationFailed(
            _("未知角色：%(roles)s") % {"roles": ", ".join(unknown)}, extra={"fields": {"roles": unknown}}
        )
    return codes


@transaction.atomic
def user_create(
    *,
    username: str,
    password: str,
    display_name: str = "",
    role_codes: Iterable[str] = (),
    team: Team | None = None,
    email: str = "",
    by: Any = None,
    check_password: bool = True,
) -> User:
    """Create a login with roles; the password is validated unless the caller is seeding demo data."""
    username = username.strip()
    if not username:
        raise ValidationFailed(_("请填写用户名。"), extra={"fields": {"username": [_("必填")]}})
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationFailed(_("用户名“%(name)s”已存在。") % {"name": username}, code="duplicate")
    codes = _check_roles(role_codes)
    user = User(username=username, display_name=display_name.strip(), team=team, email=email.strip())
    if check_password:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise ValidationFailed.from_django(exc) from exc
    user.set_password(password)
    user.is_staff = Role.ADMIN in codes
    user.is_superuser = Role.ADMIN in codes
    user.save()
    roles_ensure()
    user.groups.set(Group.objects.filter(name__in=codes))
    audit.record(
        action="accounts.user.created",
        obj=user,
        by=by,
        changes={"roles": [None, sorted(codes)], "team": [None, team.pk if team else None]},
    )
    return user


@transaction.atomic
def user_set_roles(*, user: User, role_codes: Iterable[str], by: Any) -> User:
    codes = _check_roles(role_codes)
    before = sorted(user.groups.values_list("name", flat=True))
    roles_ensure()
    user.groups.set(Group.objects.filter(name__in=codes))
    user.is_staff = user.is_superuser = Role.ADMIN in codes
    user.save(update_fields=["is_staff", "is_superuser"])
    audit.record(action="accounts.user.roles_changed", obj=user, by=by, changes={"roles": [before, sorted(codes)]})
    return user


@transaction.atomic
def user_set_notification_email(*, user: User, email: str, enabled: bool, by: Any) -> User:
    """Where a user's notifications go by e-mail (SYS-5): the address, and whether to send at all.
    Users set their own; the administrator may set anyone's."""
    if by is None or (by.pk != user.pk and not by.groups.filter(name=Role.ADMIN).exists()):
        raise PermissionDenied(_("只能修改自己的通知设置。"))
    email = (email or "").strip()
    if email:
        try:
            validate_email(email)
        except ValidationError as exc:
            raise ValidationFailed(_("邮箱格式不正确。"), extra={"fields": {"email": [_("邮箱格式不正确。")]}}) from exc
    if enabled and not email:
        message = _("要接收通知邮件，请先填写邮箱。")
        raise ValidationFailed(message, extra={"fields": {"email": [message]}})
    locked = User.objects.select_for_update().get(pk=user.pk)
    before = {"email": locked.email, "email_notifications": locked.email_notifications}
    locked.email, locked.email_notifications = email, bool(enabled)
    locked.save(update_fields=["email", "email_notifications"])
    after = {"email": locked.email, "email_notifications": locked.email_notifications}
    audit.record(action="accounts.user.notification_email", obj=locked, by=by, changes=audit.diff(before, after))
    return locked


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@transaction.atomic
def token_create(*, user: User, name: str, by: Any) -> tuple[ApiToken, str]:
    """Return the token row and the plain token, which is shown once and never stored."""
    name = name.strip() or _("默认令牌")
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name[:60], prefix=plain[:10], key_hash=_hash(plain))
    audit.record(action="accounts.token.created", obj=user, by=by, data={"token_id": token.pk, "name": token.name})
    return token, plain


@transaction.atomic
def token_revoke(*, user: User, token_id: int, by: Any) -> None:
    token = ApiToken.objects.select_for_update().filter(user=user, pk=token_id, revoked_at__isnull=True).first()
    if token is None:
        raise NotFound(_("令牌不存在或已撤销。"))
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit.record(action="accounts.token.revoked", obj=user, by=by, data={"token_id": token.pk})


def token_authenticate(plain: str) -> User | None:
    """The active user behind a bearer token, or None. Touches last_used_at at most once a minute."""
    if not plain.startswith(TOKEN_PREFIX) or len(plain) > 100:
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=_hash(plain), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
