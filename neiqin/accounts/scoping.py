"""The one place that answers "what may this user see?".

Selectors of every app call these helpers; views, API, exports and reports never decide scope
themselves. Results are cached on the user object for the duration of a request.
"""

from __future__ import annotations

from typing import Any

from neiqin.accounts.roles import CUSTOMER_SCOPE, SCOPE_ORDER, Role, Scope


def roles(user: Any) -> frozenset[str]:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    cached = getattr(user, "_neiqin_roles", None)
    if cached is None:
        names = set(user.groups.values_list("name", flat=True))
        if user.is_superuser:
            names.add(Role.ADMIN)
        cached = frozenset(n for n in names if n in Role.values)
        user._neiqin_roles = cached
    return cached


def has_role(user: Any, allowed: set[str] | frozenset[str]) -> bool:
    return bool(roles(user) & set(allowed))


def customer_scope(user: Any) -> Scope:
    best = Scope.NONE
    for role in roles(user):
        scope = CUSTOMER_SCOPE.get(role, Scope.NONE)
        if SCOPE_ORDER.index(scope) > SCOPE_ORDER.index(best):
            best = scope
    return best


def team_ids(user: Any) -> list[int]:
    """Teams whose data a manager sees: the teams they manage plus their own."""
    cached = getattr(user, "_neiqin_team_ids", None)
    if cached is None:
        ids = set(user.managed_teams.values_list("id", flat=True))
        if user.team_id:
            ids.add(user.team_id)
        cached = sorted(ids)
        user._neiqin_team_ids = cached
    return cached


def forget(user: Any) -> None:
    """Drop cached roles/teams after a change within the same request."""
    for attr in ("_neiqin_roles", "_neiqin_team_ids"):
        if hasattr(user, attr):
            delattr(user, attr)
