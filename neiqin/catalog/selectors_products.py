"""Reads for the product pages, API and export (PRD-1) that ``selectors`` does not offer:
the prices of one product on every list the user may see, the product's audit trail with the
price fields the user may not see taken out, and the small lookups of the filters.

What a user may see of prices is decided by ``catalog.visibility``; everything here applies it,
so the pages and the API show the same.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, QuerySet
from django.utils import timezone

from neiqin.catalog import selectors
from neiqin.catalog.choices import PriceListKind
from neiqin.catalog.models import PriceList, PriceListItem, Product, ProductSeries
from neiqin.catalog.visibility import PRICE_FIELDS, sees_prices, visible_price_fields
from neiqin.core import audit
from neiqin.core.models import Event

HISTORY_LIMIT = 100
# Audit actions that are about a price as a whole (not a field of the product row).
PRICE_ACTIONS = ("catalog.price.set", "catalog.product.standard_price")


def company_price_list() -> PriceList | None:
    """The company list if it exists (a read: the service creates it on demand)."""
    return PriceList.objects.filter(kind=PriceListKind.COMPANY).first()


def brands() -> list[str]:
    return list(Product.objects.exclude(brand="").order_by("brand").values_list("brand", flat=True).distinct())


def series_options() -> QuerySet[ProductSeries]:
    return ProductSeries.objects.all()


def series_with_counts() -> QuerySet[ProductSeries]:
    return ProductSeries.objects.annotate(product_count=Count("products")).order_by("sort_order", "name")


@dataclass
class ListPrices:
    """One price list's prices for one product: in force today, and scheduled (future)."""

    price_list: PriceList
    current: list[PriceListItem] = field(default_factory=list)
    scheduled: list[PriceListItem] = field(default_factory=list)


def product_prices(*, product: Product, user: Any, on: dt.date | None = None) -> list[ListPrices]:
    """The product's prices on every list the user may see (customer lists only for customers
    in the user's scope), company list first. Per quantity break the latest item in force on
    ``on`` is current; later-dated items are scheduled. Empty for users who see no prices."""
    if not sees_prices(user):
        return []
    on = on or timezone.localdate()
    lists = selectors.price_lists_for(user=user)
    items = (
        PriceListItem.objects.filter(product=product, price_list__in=lists)
        .select_related("price_list", "price_list__customer")
        .order_by("price_list_id", "min_quantity", "-effective_from", "-id")
    )
    by_list: dict[int, ListPrices] = {}
    seen: set[tuple[int, Decimal]] = set()
    for item in items:
        entry = by_list.setdefault(item.price_list_id, ListPrices(price_list=item.price_list))
        if item.effective_from > on:
            entry.scheduled.append(item)
            continue
        key = (item.price_list_id, item.min_quantity)
        if key not in seen:
            seen.add(key)
            entry.current.append(item)
    order = {PriceListKind.COMPANY: 0, PriceListKind.GRADE: 1, PriceListKind.CUSTOMER: 2}
    result = sorted(by_list.values(), key=lambda e: (order.get(e.price_list.kind, 9), e.price_list.name))
    for entry in result:
        entry.scheduled.sort(key=lambda i: (i.effective_from, i.min_quantity))
    return result


def product_history(*, product: Product, user: Any, limit: int = HISTORY_LIMIT) -> list[tuple[Event, dict[str, list]]]:
    """The product's audit trail, newest first, as (event, changes the user may see).

    Changes of price fields the user may not see are removed; price events on lists the user
    may not see (another salesperson's customer) and events left with nothing visible are
    dropped entirely, so that not even the fact of a cost change leaks to a salesperson.
    """
    visible = visible_price_fields(user)
    hidden = set(PRICE_FIELDS) - visible
    if "standard_price" in hidden:
        hidden.add("price_includes_tax")  # meaningless without the price it qualifies
    lists: set[int] | None = None
    rows = []
    for event in audit.history(product)[: limit * 2]:
        if event.action in PRICE_ACTIONS:
            if "standard_price" not in visible:
                continue
            if event.action == "catalog.price.set":
                if lists is None:
                    lists = set(selectors.price_lists_for(user=user).values_list("pk", flat=True))
                if (event.data or {}).get("price_list") not in lists:
                    continue
        changes = audit.display_changes(event)
        shown = {name: pair for name, pair in changes.items() if name not in hidden}
        if changes and not shown:
            continue
        rows.append((event, shown))
        if len(rows) >= limit:
            break
    return rows


def product_permissions(user: Any) -> dict[str, bool]:
    """What the user may change on products (the services check the same roles)."""
    from neiqin.accounts.roles import CAN_EDIT_PRODUCTS, CAN_SET_COST, CAN_SET_FLOOR_PRICE, CAN_SET_PRICES
    from neiqin.accounts.scoping import has_role

    edit = has_role(user, CAN_EDIT_PRODUCTS)
    return {
        "edit": edit,
        "set_price": edit and has_role(user, CAN_SET_PRICES),
        "set_floor_price": edit and has_role(user, CAN_SET_FLOOR_PRICE),
        "set_cost": edit and has_role(user, CAN_SET_COST),
    }
