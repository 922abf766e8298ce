"""The lock and guard steps shared by the writes: lock the current row, check the actor may act.

Kept apart from the services so that customers, contacts, assignment and key dates can all use
them without importing one another.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from neiqin.accounts.models import User
from neiqin.accounts.roles import Role
from neiqin.accounts.scoping import roles
from neiqin.core.errors import PermissionDenied, ValidationFailed
from neiqin.customers import rules
from neiqin.customers.models import Customer


def check_owner(owner: Any) -> User:
    if not isinstance(owner, User) or not owner.is_active:
        raise ValidationFailed(_("负责人不存在或已停用。"), extra={"fields": {"owner": [_("未知负责人")]}})
    if not ({Role.SALESPERSON, Role.SALES_MANAGER} & set(roles(owner))):
        raise ValidationFailed(_("只能把客户分配给业务员或销售经理。"), extra={"fields": {"owner": [_("不是业务员")]}})
    return owner


def _locked(customer: Customer) -> Customer:
    """The current row, locked: rules are checked on it, never on the caller's (maybe stale) copy."""
    return Customer.objects.select_for_update(of=("self",)).select_related("owner").get(pk=customer.pk)


def _require_assign(by: Any, owner: Any) -> None:
    if not rules.can_assign(by):
        raise PermissionDenied(_("您没有分配客户的权限。"))
    if not rules.can_assign_to(by, owner):
        raise PermissionDenied(_("销售经理只能把客户分配给本团队的业务员。"))


def _require_edit(by: Any, customer: Customer) -> None:
    if not rules.can_edit(by, customer):
        raise PermissionDenied(_("您不能修改这个客户的资料。"))
