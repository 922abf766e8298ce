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

# Products and prices (PRD-1, PRD-2). The warehouse sees quantities only, never prices; floor
# prices (底价) are for those who quote and approve; cost is for finance and management.
CAN_SEE_PRICES = {
    Role.CLERK,
    Role.SALESPERSON,
    Role.SALES_MANAGER,
    Role.FINANCE,
    Role.DEPUTY_GM,
    Role.GM,
    Role.ADMIN,
}
CAN_SEE_FLOOR_PRICE = CAN_SEE_PRICES
CAN_SEE_COST = {Role.FINANCE, Role.DEPUTY_GM, Role.GM, Role.ADMIN}
CAN_EDIT_PRODUCTS = {Role.CLERK, Role.DEPUTY_GM, Role.GM, Role.ADMIN}
CAN_SET_PRICES = {Role.CLERK, Role.SALES_MANAGER, Role.DEPUTY_GM, Role.GM, Role.ADMIN}
CAN_SET_FLOOR_PRICE = {Role.DEPUTY_GM, Role.GM, Role.ADMIN}
CAN_SET_COST = {Role.FINANCE, Role.DEPUTY_GM, Role.GM, Role.ADMIN}
CAN_IMPORT_CATALOG = {Role.CLERK, Role.ADMIN}

# Stock (INV-1 … INV-6). Everybody may look at stock levels (the clerk and salespeople check
# availability before accepting an order); the warehouse moves goods.
CAN_SEE_STOCK = set(Role)
CAN_MOVE_STOCK = {Role.WAREHOUSE, Role.ADMIN}
CAN_IMPORT_STOCK = {Role.WAREHOUSE, Role.ADMIN}
CAN_MANAGE_WAREHOUSES = {Role.ADMIN}
CAN_COUNT_STOCK = {Role.WAREHOUSE, Role.ADMIN}
CAN_APPROVE_COUNT = {Role.FINANCE, Role.DEPUTY_GM, Role.GM, Role.ADMIN}
CAN_REQUEST_REPLENISHMENT = {Role.CLERK, Role.WAREHOUSE, Role.SALES_MANAGER, Role.ADMIN}
CAN_HANDLE_REPLENISHMENT = {Role.WAREHOUSE, Role.CLERK, Role.ADMIN}
CAN_ISSUE_PROMO = {Role.CLERK, Role.WAREHOUSE, Role.ADMIN}
CAN_REQUEST_LOAN = {Role.CLERK, Role.SALESPERSON, Role.SALES_MANAGER, Role.ADMIN}
CAN_APPROVE_LOAN = {Role.DEPUTY_GM, Role.GM, Role.ADMIN}
CAN_HANDLE_LOAN = {Role.WAREHOUSE, Role.ADMIN}  # hand the goods out and take them back
CAN_CHARGE_LOAN = {Role.CLERK, Role.FINANCE, Role.ADMIN}
