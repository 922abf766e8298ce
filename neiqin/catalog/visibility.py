"""Which price fields a user may see (PRD-1): one answer for pages, API and exports.

The warehouse sees no prices at all; salespeople see the standard and floor price but never the
cost; finance and management see everything. Everything that renders a product asks here.
"""

from __future__ import annotations

from typing import Any

from neiqin.accounts.roles import CAN_SEE_COST, CAN_SEE_FLOOR_PRICE, CAN_SEE_PRICES
from neiqin.accounts.scoping import has_role

PRICE_FIELDS = ("standard_price", "floor_price", "cost")


def sees_prices(user: Any) -> bool:
    return has_role(user, CAN_SEE_PRICES)


def sees_floor(user: Any) -> bool:
    return has_role(user, CAN_SEE_FLOOR_PRICE)


def sees_cost(user: Any) -> bool:
    return has_role(user, CAN_SEE_COST)


def visible_price_fields(user: Any) -> frozenset[str]:
    fields = set()
    if sees_prices(user):
        fields.add("standard_price")
    if sees_floor(user):
        fields.add("floor_price")
    if sees_cost(user):
        fields.add("cost")
    return frozenset(fields)


def hidden_price_fields(user: Any) -> frozenset[str]:
    return frozenset(PRICE_FIELDS) - visible_price_fields(user)
