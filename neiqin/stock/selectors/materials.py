"""Reads for promotional materials and product loans (INV-6), scoped to the user.

Loans: the desk, approvers, finance and the warehouse see every loan; a salesperson sees the
loans they requested and those for their own customers; a manager also those of the team
(requested by a team member, or for a customer of the team). Promotional issues: those who
issue them and management see all; a salesperson those issued for them or their customers.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from neiqin.accounts.roles import (
    CAN_APPROVE_LOAN,
    CAN_CHARGE_LOAN,
    CAN_HANDLE_LOAN,
    CAN_ISSUE_PROMO,
    Role,
    Scope,
)
from neiqin.accounts.scoping import customer_scope, has_role, team_ids
from neiqin.catalog.choices import ProductKind
from neiqin.catalog.models import Product
from neiqin.core import audit
from neiqin.core.errors import NotFound
from neiqin.core.models import Event
from neiqin.stock.choices import LoanStatus
from neiqin.stock.models import ProductLoan, PromoIssue, StockLevel, Warehouse

ZERO = Decimal("0")
SEES_ALL_LOANS = {*CAN_APPROVE_LOAN, *CAN_HANDLE_LOAN, *CAN_CHARGE_LOAN, Role.CLERK}
SEES_ALL_PROMO = {*CAN_ISSUE_PROMO, Role.SALES_MANAGER, Role.GM, Role.DEPUTY_GM, Role.FINANCE}
OVERDUE = "overdue"  # pseudo-status of the loan list: lent and past the due date


def _customer_q(user: Any, prefix: str = "customer__") -> Q | None:
    """Rows whose customer is in the user's own/team scope (None: no customer-based rows)."""
    scope = customer_scope(user)
    if scope == Scope.NONE:
        return None
    cond = Q(**{f"{prefix}owner": user})
    if scope in (Scope.TEAM, Scope.ALL):
        teams = team_ids(user)
        if teams:
            cond |= Q(**{f"{prefix}team_id__in": teams}) | Q(**{f"{prefix}owner__team_id__in": teams})
    return cond


# ---- loans ------------------------------------------------------------------------------------------


def loan_visible_q(user: Any) -> Q | None:
    """The row filter of loans for ``user``; ``Q()`` for all, None for none."""
    if not getattr(user, "is_authenticated", False):
        return None
    if has_role(user, SEES_ALL_LOANS):
        return Q()
    cond = Q(requested_by=user)
    if customer_scope(user) == Scope.TEAM:
        teams = team_ids(user)
        if teams:
            cond |= Q(requested_by__team_id__in=teams)
    by_customer = _customer_q(user)
    if by_customer is not None:
        cond |= by_customer
    return cond


def loan_queryset(*, user: Any) -> QuerySet[ProductLoan]:
    q = loan_visible_q(user)
    if q is None:
        return ProductLoan.objects.none()
    return ProductLoan.objects.filter(q).select_related(
        "product", "warehouse", "customer", "requested_by", "decided_by"
    )


def loan_get_for_user(*, user: Any, pk: Any) -> ProductLoan:
    """The loan if the user may see it; a missing or hidden loan is the same 404."""
    try:
        return loan_queryset(user=user).get(pk=int(pk))
    except (ProductLoan.DoesNotExist, TypeError, ValueError, OverflowError):
        raise NotFound(_("借用单不存在，或您无权查看。")) from None


@dataclass(frozen=True)
class LoanFilters:
    status: str = ""  # a LoanStatus value, "overdue", or "" for all
    q: str = ""  # number, product model/name, customer name
    requested_by: int | None = None
    warehouse: int | None = None


def loan_list(*, user: Any, filters: LoanFilters | None = None, today: dt.date | None = None) -> QuerySet[ProductLoan]:
    filters = filters or LoanFilters()
    today = today or timezone.localdate()
    qs = loan_queryset(user=user)
    if filters.status == OVERDUE:
        qs = qs.filter(overdue_q(today))
    elif filters.status:
        qs = qs.filter(status=filters.status)
    if filters.q:
        text = filters.q.strip()
        qs = qs.filter(
            Q(number__icontains=text)
            | Q(product__model__icontains=text)
            | Q(product__name__icontains=text)
            | Q(customer__name__icontains=text)
        )
    if filters.requested_by:
        qs = qs.filter(requested_by_id=filters.requested_by)
    if filters.warehouse:
        qs = qs.filter(warehouse_id=filters.warehouse)
    return qs.order_by("-created_at", "-id")


def overdue_q(today: dt.date) -> Q:
    return Q(status=LoanStatus.LENT, due_on__lt=today)


def is_overdue(loan: ProductLoan, today: dt.date | None = None) -> bool:
    return loan.status == LoanStatus.LENT and loan.due_on < (today or timezone.localdate())


def overdue_days(loan: ProductLoan, today: dt.date | None = None) -> int:
    today = today or timezone.localdate()
    return (today - loan.due_on).days if is_overdue(loan, today) else 0


def loan_status_counts(*, user: Any, today: dt.date | None = None) -> dict[str, int]:
    """Loans per status for the tabs, plus the overdue ones."""
    from django.db.models import Count

    qs = loan_queryset(user=user)
    counts = {row["status"]: row["n"] for row in qs.order_by().values("status").annotate(n=Count("id"))}
    counts[OVERDUE] = qs.filter(overdue_q(today or timezone.localdate())).count()
    return counts


def loan_history(*, loan: ProductLoan) -> QuerySet[Event]:
    """The loan's audit events, oldest first: the timeline on its page."""
    return audit.history(loan).order_by("created_at", "id")


def loan_moves(*, loan: ProductLoan) -> QuerySet[Any]:
    from neiqin.stock.models import StockMove

    return StockMove.objects.filter(document_type="loan", document_id=loan.number).order_by("created_at", "id")


# ---- promotional materials ----------------------------------------------------------------------------


def promo_visible_q(user: Any) -> Q | None:
    if not getattr(user, "is_authenticated", False):
        return None
    if has_role(user, SEES_ALL_PROMO):
        return Q()
    cond = Q(salesperson=user)
    by_customer = _customer_q(user)
    if by_customer is not None:
        cond |= by_customer
    return cond


def promo_issue_queryset(*, user: Any) -> QuerySet[PromoIssue]:
    q = promo_visible_q(user)
    if q is None:
        return PromoIssue.objects.none()
    return PromoIssue.objects.filter(q).select_related("product", "warehouse", "customer", "salesperson", "created_by")


def promo_issue_get_for_user(*, user: Any, pk: Any) -> PromoIssue:
    try:
        return promo_issue_queryset(user=user).get(pk=int(pk))
    except (PromoIssue.DoesNotExist, TypeError, ValueError, OverflowError):
        raise NotFound(_("发放记录不存在，或您无权查看。")) from None


@dataclass(frozen=True)
class PromoFilters:
    customer: str = ""  # part of the customer's name or code
    salesperson: int | None = None
    product: int | None = None
    warehouse: int | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None


def promo_issue_list(*, user: Any, filters: PromoFilters | None = None) -> QuerySet[PromoIssue]:
    filters = filters or PromoFilters()
    qs = promo_issue_queryset(user=user)
    if filters.customer:
        text = filters.customer.strip()
        qs = qs.filter(Q(customer__name__icontains=text) | Q(customer__code__iexact=text))
    if filters.salesperson:
        qs = qs.filter(salesperson_id=filters.salesperson)
    if filters.product:
        qs = qs.filter(product_id=filters.product)
    if filters.warehouse:
        qs = qs.filter(warehouse_id=filters.warehouse)
    if filters.date_from:
        qs = qs.filter(issued_on__gte=filters.date_from)
    if filters.date_to:
        qs = qs.filter(issued_on__lte=filters.date_to)
    return qs.order_by("-issued_on", "-id")


def promo_products(*, active_only: bool = True) -> QuerySet[Product]:
    qs = Product.objects.filter(kind=ProductKind.PROMO)
    if active_only:
        qs = qs.filter(is_active=True)
    return qs.order_by("model", "spec", "id")


@dataclass
class PromoStockRow:
    product: Product
    on_hand: list[Decimal] = field(default_factory=list)  # one per warehouse, in ``warehouses`` order

    @property
    def total(self) -> Decimal:
        return sum(self.on_hand, ZERO)


@dataclass
class PromoStock:
    warehouses: list[Warehouse]
    rows: list[PromoStockRow]


def promo_stock() -> PromoStock:
    """Promotional materials with their on-hand per active warehouse (two queries)."""
    warehouses = list(Warehouse.objects.filter(is_active=True).order_by("sort_order", "code"))
    products = list(promo_products(active_only=False))
    levels = StockLevel.objects.filter(
        product__kind=ProductKind.PROMO, warehouse__in=[w.pk for w in warehouses]
    ).values_list("product_id", "warehouse_id", "on_hand")
    on_hand = {(p, w): q for p, w, q in levels}
    rows = []
    for product in products:
        quantities = [on_hand.get((product.pk, w.pk), ZERO) for w in warehouses]
        if not product.is_active and not any(quantities):
            continue
        rows.append(PromoStockRow(product=product, on_hand=quantities))
    return PromoStock(warehouses=warehouses, rows=rows)
