"""Stock selectors: replenishment requests (INV-3).

Everybody who sees stock sees the requests (the clerk and salespeople follow what their orders
wait for). The customer a request is for is shown only to users who may see that customer:
``visible_customer_ids`` answers that for a whole page of requests in one query.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from neiqin.accounts.roles import CAN_SEE_STOCK
from neiqin.accounts.scoping import has_role
from neiqin.catalog.models import Product
from neiqin.catalog.selectors import product_search_q
from neiqin.core.errors import NotFound
from neiqin.stock.choices import ReplenishmentStatus
from neiqin.stock.models import ReplenishmentRequest

OPEN_STATES = (ReplenishmentStatus.OPEN, ReplenishmentStatus.IN_PROGRESS)


@dataclass(frozen=True)
class ReplenishmentFilters:
    status: str = ""  # a status, "active" (open or in progress) or "" (all)
    warehouse: int | None = None
    q: str = ""
    overdue: bool = False


def replenishment_queryset(*, user: Any) -> QuerySet[ReplenishmentRequest]:
    if not has_role(user, CAN_SEE_STOCK):
        return ReplenishmentRequest.objects.none()
    return ReplenishmentRequest.objects.select_related("product", "warehouse", "customer", "requested_by", "handled_by")


def replenishment_list(
    *, user: Any, filters: ReplenishmentFilters | None = None, today: dt.date | None = None
) -> QuerySet[ReplenishmentRequest]:
    filters = filters or ReplenishmentFilters()
    qs = replenishment_queryset(user=user)
    if filters.status == "active":
        qs = qs.filter(status__in=OPEN_STATES)
    elif filters.status:
        qs = qs.filter(status=filters.status)
    if filters.warehouse:
        qs = qs.filter(warehouse_id=filters.warehouse)
    if filters.q:
        q = filters.q.strip()
        # Materialise the few matching product ids (no "OR id IN (subquery)" on a hot path).
        product_ids = list(Product.objects.filter(product_search_q(q)).values_list("pk", flat=True)[:500])
        qs = qs.filter(Q(number__icontains=q) | Q(demand_number__icontains=q) | Q(product_id__in=product_ids))
    if filters.overdue:
        qs = qs.filter(status__in=OPEN_STATES, needed_by__lt=today or timezone.localdate())
    return qs.order_by("-created_at", "-id")


def replenishment_get_for_user(*, user: Any, pk: Any) -> ReplenishmentRequest:
    try:
        pk_int = int(pk)
    except (TypeError, ValueError):
        raise NotFound(_("补货申请不存在或无权查看。")) from None
    request = replenishment_queryset(user=user).filter(pk=pk_int).first()
    if request is None:
        raise NotFound(_("补货申请不存在或无权查看。"))
    return request


def visible_customer_ids(*, user: Any, requests: Iterable[ReplenishmentRequest]) -> set[int]:
    """Which of the customers on these requests the user may see (one query)."""
    from neiqin.customers.selectors import customer_queryset

    ids = {r.customer_id for r in requests if r.customer_id}
    if not ids:
        return set()
    return set(customer_queryset(user=user).filter(pk__in=ids).values_list("pk", flat=True))


def is_overdue(request: ReplenishmentRequest, today: dt.date | None = None) -> bool:
    return (
        request.status in OPEN_STATES
        and request.needed_by is not None
        and request.needed_by < (today or timezone.localdate())
    )
