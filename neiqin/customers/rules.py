"""Who may do what with a customer file. The same functions guard services and decide buttons."""

from __future__ import annotations

from typing import Any

from neiqin.accounts.roles import (
    CAN_ASSIGN_CUSTOMERS,
    CAN_CLAIM_FROM_POOL,
    CAN_CREATE_CUSTOMERS,
    CAN_EDIT_CREDIT,
    CAN_EXPORT_CUSTOMERS,
    CAN_IMPORT_CUSTOMERS,
    Role,
    Scope,
)
from neiqin.accounts.scoping import customer_scope, has_role
from neiqin.customers.models import Customer


def can_create(user: Any) -> bool:
    return has_role(user, CAN_CREATE_CUSTOMERS)


def can_edit(user: Any, customer: Customer) -> bool:
    """Owner, the owner's manager and the desk (clerk, GM, admin) edit; read-only grants do not."""
    scope = customer_scope(user)
    if scope == Scope.ALL:
        return has_role(user, {Role.CLERK, Role.GM, Role.DEPUTY_GM, Role.ADMIN, Role.FINANCE})
    if customer.owner_id == user.pk:
        return True
    if scope == Scope.TEAM:
        from neiqin.accounts.scoping import team_ids

        return customer.team_id in team_ids(user)
    return False


def can_edit_credit(user: Any) -> bool:
    return has_role(user, CAN_EDIT_CREDIT)


def can_assign(user: Any) -> bool:
    return has_role(user, CAN_ASSIGN_CUSTOMERS)


def can_assign_to(user: Any, owner: Any) -> bool:
    """Managers assign within their own teams; the desk, GM and admin assign to anyone."""
    if has_role(user, {Role.CLERK, Role.GM, Role.DEPUTY_GM, Role.ADMIN}):
        return True
    from neiqin.accounts.scoping import team_ids

    return getattr(owner, "team_id", None) in team_ids(user)


def can_claim(user: Any, customer: Customer) -> bool:
    return customer.owner_id is None and has_role(user, CAN_CLAIM_FROM_POOL)


def can_claim_any(user: Any) -> bool:
    """May take customers from the pool at all (the pool page's claim buttons)."""
    return has_role(user, CAN_CLAIM_FROM_POOL)


def can_acknowledge(user: Any, customer: Customer) -> bool:
    return customer.owner_id == user.pk and customer.acknowledged_at is None


def can_release(user: Any, customer: Customer) -> bool:
    return customer.owner_id is not None and (customer.owner_id == user.pk or can_assign(user))


def can_import(user: Any) -> bool:
    return has_role(user, CAN_IMPORT_CUSTOMERS)


def can_export(user: Any) -> bool:
    return has_role(user, CAN_EXPORT_CUSTOMERS)


def can_grant(user: Any) -> bool:
    return has_role(user, {Role.GM, Role.DEPUTY_GM, Role.ADMIN, Role.SALES_MANAGER})
