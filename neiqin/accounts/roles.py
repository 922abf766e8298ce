"""Roles are Django groups with fixed codes; what each role may see is decided here."""

from __future__ import annotations

from enum import StrEnum

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    CLERK = "clerk", _("销售内勤")
    SALESPERSON = "salesperson", _("业务员")
    SALES_MANAGER = "sales_manager", _("销售经理")
    FINANCE = "finance", _("财务")
    WAREHOUSE = "warehouse", _("仓库")
    DEPUTY_GM = "deputy_gm", _("副总")
    GM = "gm", _("总经理")
    ADMIN = "admin", _("管理员")


class Scope(StrEnum):
    """How much customer data a user sees; a user with several roles gets the widest."""

    NONE = "none"
    OWN = "own"
    TEAM = "team"
    ALL = "all"


SCOPE_ORDER = [Scope.NONE, Scope.OWN, Scope.TEAM, Scope.ALL]

CUSTOMER_SCOPE: dict[str, Scope] = {
    Role.CLERK: Scope.ALL,
    Role.SALESPERSON: Scope.OWN,
    Role.SALES_MANAGER: Scope.TEAM,
    Role.FINANCE: Scope.ALL,
    Role.WAREHOUSE: Scope.NONE,
    Role.DEPUTY_GM: Scope.ALL,
    Role.GM: Scope.ALL,
    Role.ADMIN: Scope.ALL,
}

# Who may do what with customer files, beyond seeing them.
CAN_ASSIGN_CUSTOMERS = {Role.CLERK, Role.SALES_MANAGER, Role.GM, Role.DEPUTY_GM, Role.ADMIN}
CAN_IMPORT_CUSTOMERS = {Role.CLERK, Role.ADMIN}
CAN_EXPORT_CUSTOMERS = {Role.CLERK, Role.SALES_MANAGER, Role.GM, Role.DEPUTY_GM, Role.ADMIN, Role.SALESPERSON}
CAN_CLAIM_FROM_POOL = {Role.SALESPERSON, Role.SALES_MANAGER}
CAN_EDIT_CREDIT = {Role.FINANCE, Role.GM, Role.DEPUTY_GM, Role.ADMIN}
CAN_CREATE_CUSTOMERS = {Role.CLERK, Role.SALESPERSON, Role.SALES_MANAGER, Role.GM, Role.DEPUTY_GM, Role.ADMIN}
