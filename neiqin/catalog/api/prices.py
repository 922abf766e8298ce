"""Catalogue API: price lists, dated price changes and price resolution (PRD-2).

/api/v1/price-lists…, /api/v1/price-changes…, /api/v1/prices/resolve. The warehouse sees no
prices: every operation here answers it 403. Customer lists, affected customers and the
customer of a resolution are scoped by the customer archive (a salesperson: own customers; a
customer outside the scope is 404 like a missing one). Prices travel as decimal strings.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import Count
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Path, Query, Router, Status

from neiqin.catalog import selectors, services
from neiqin.catalog.api.price_schemas import (
    PageQuery,
    PriceChangeDetailOut,
    PriceChangePageOut,
    PriceChangeQuery,
    PriceListCreateIn,
    PriceListDetailOut,
    PriceListPageOut,
    PriceListQuery,
    PriceSetIn,
    ResolvedOut,
    ResolveQuery,
)
from neiqin.catalog.choices import PriceListKind
from neiqin.catalog.models import PriceChange, PriceList, PriceListItem, Product
from neiqin.catalog.visibility import sees_floor, sees_prices
from neiqin.core.errors import PermissionDenied
from neiqin.core.quantities import parse_price, parse_quantity
from neiqin.customers.schemas import MAX_ID, ErrorOut

router = Router(tags=["prices"])

ERRORS_READ = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
ERRORS_WRITE = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


def _id_path() -> Any:
    return Path(..., ge=1, le=MAX_ID)


def _require_prices(user: Any) -> None:
    if not sees_prices(user):
        raise PermissionDenied(_("您无权查看价格。"))


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


# ---- shapes ---------------------------------------------------------------------------------------


def _product_ref(product: Product) -> dict[str, Any]:
    return {
        "id": product.pk,
        "code": product.code,
        "model": product.model,
        "name": product.name,
        "spec": product.spec,
        "unit": product.unit,
    }


def _user_ref(user: Any) -> dict[str, Any] | None:
    if user is None:
        return None
    return {"id": user.pk, "display_name": user.display_name or user.username}


def _list_ref(price_list: PriceList) -> dict[str, Any]:
    return {"id": price_list.pk, "name": price_list.name, "kind": price_list.kind}


def _list_out(price_list: PriceList, product_count: int | None = None) -> dict[str, Any]:
    customer = price_list.customer
    if product_count is None:
        product_count = getattr(price_list, "product_count", None)
    if product_count is None:
        product_count = price_list.items.values("product_id").distinct().count()
    return {
        "id": price_list.pk,
        "name": price_list.name,
        "kind": price_list.kind,
        "kind_label": str(PriceListKind(price_list.kind).label),
        "grade": price_list.grade,
        "customer": {"id": customer.pk, "code": customer.code, "name": customer.name} if customer else None,
        "is_active": price_list.is_active,
        "notes": price_list.notes,
        "product_count": product_count,
        "created_at": price_list.created_at,
    }


def _item_out(item: PriceListItem, show_floor: bool) -> dict[str, Any]:
    product = item.product
    return {
        "id": item.pk,
        "product": _product_ref(product),
        "unit_price": str(item.unit_price),
        "min_quantity": str(item.min_quantity),
        "effective_from": item.effective_from,
        "change_id": item.change_id,
        "company_price": str(product.standard_price),
        "floor_price": _text(product.floor_price) if show_floor else None,
    }


def _change_out(change: PriceChange) -> dict[str, Any]:
    return {
        "id": change.pk,
        "price_list": _list_ref(change.price_list),
        "product": _product_ref(change.product),
        "min_quantity": str(change.min_quantity),
        "old_price": _text(change.old_price),
        "new_price": str(change.new_price),
        "effective_from": change.effective_from,
        "reason": change.reason,
        "applied": change.applied,
        "affected_count": change.affected_count,
        "created_by": _user_ref(change.created_by),
        "created_at": change.created_at,
    }


def _affected_page(change: PriceChange, user: Any, page: PageQuery) -> dict[str, Any]:
    qs = selectors.affected_customers(change=change, user=user)
    rows = qs[page.offset : page.offset + page.limit]
    return {
        "count": qs.count(),
        "items": [
            {
                "id": c.pk,
                "code": c.code,
                "name": c.name,
                "grade": c.grade,
                "stage": c.stage,
                "owner": _user_ref(c.owner),
            }
            for c in rows
        ],
    }


# ---- price lists ----------------------------------------------------------------------------------


@router.get(
    "/price-lists",
    response={200: PriceListPageOut, **ERRORS_READ},
    operation_id="price_lists_list",
    url_name="price_lists_list",
    summary="Price lists the caller may see (customer lists within the customer scope)",
)
def price_lists_list(request: HttpRequest, query: Query[PriceListQuery]):
    _require_prices(request.user)
    qs = selectors.price_lists_for(user=request.user)
    if query.kind:
        qs = qs.filter(kind=query.kind)
    qs = qs.annotate(product_count=Count("items__product", distinct=True)).order_by("kind", "grade", "name", "id")
    rows = qs[query.offset : query.offset + query.limit]
    return {"count": qs.count(), "items": [_list_out(pl) for pl in rows]}


@router.get(
    "/price-lists/{price_list_id}",
    response={200: PriceListDetailOut, **ERRORS_READ},
    operation_id="price_lists_get",
    url_name="price_lists_get",
    summary="One price list with the items in force today and the scheduled ones",
)
def price_lists_get(request: HttpRequest, price_list_id: int = _id_path()):
    user = request.user
    _require_prices(user)
    price_list = selectors.price_list_get_for_user(user=user, pk=price_list_id)
    today = timezone.localdate()
    show_floor = sees_floor(user)
    items = selectors.current_items(price_list=price_list, on=today)
    scheduled = selectors.scheduled_items(price_list=price_list, on=today)
    out = _list_out(price_list)
    out.update(
        on=today,
        items=[_item_out(item, show_floor) for item in items],
        scheduled=[_item_out(item, show_floor) for item in scheduled],
    )
    return out


@router.post(
    "/price-lists",
    response={201: PriceListDetailOut, **ERRORS_WRITE},
    operation_id="price_lists_create",
    url_name="price_lists_create",
    summary="Create a grade list or a customer list (one per grade / customer)",
)
def price_lists_create(request: HttpRequest, payload: PriceListCreateIn):
    from neiqin.customers.selectors import customer_get_for_user

    user = request.user
    _require_prices(user)
    customer = None
    if payload.kind == PriceListKind.CUSTOMER and payload.customer_id is not None:
        customer = customer_get_for_user(user=user, pk=payload.customer_id)
    price_list = services.price_list_create(
        kind=payload.kind, by=user, grade=payload.grade, customer=customer, name=payload.name
    )
    out = _list_out(price_list, product_count=0)
    out.update(on=timezone.localdate(), items=[], scheduled=[])
    return Status(201, out)


@router.post(
    "/price-lists/{price_list_id}/prices",
    response={201: PriceChangeDetailOut, **ERRORS_WRITE},
    operation_id="price_lists_set_price",
    url_name="price_lists_set_price",
    summary="Set a dated price on a list (refused below the floor or in the past); returns the change",
)
def price_lists_set_price(request: HttpRequest, payload: PriceSetIn, price_list_id: int = _id_path()):
    user = request.user
    _require_prices(user)
    price_list = selectors.price_list_get_for_user(user=user, pk=price_list_id)
    product = selectors.product_get(pk=payload.product_id)
    change = services.price_set(
        price_list=price_list,
        product=product,
        unit_price=payload.unit_price,
        effective_from=payload.effective_from,
        by=user,
        min_quantity=payload.min_quantity,
        reason=payload.reason,
    )
    change = selectors.price_change_get_for_user(user=user, pk=change.pk)
    out = _change_out(change)
    out["affected"] = _affected_page(change, user, PageQuery())
    return Status(201, out)


# ---- price changes --------------------------------------------------------------------------------


@router.get(
    "/price-changes",
    response={200: PriceChangePageOut, **ERRORS_READ},
    operation_id="price_changes_list",
    url_name="price_changes_list",
    summary="Dated price changes on the lists the caller may see, newest first",
)
def price_changes_list(request: HttpRequest, query: Query[PriceChangeQuery]):
    _require_prices(request.user)
    qs = selectors.price_changes_for(user=request.user)
    if query.product:
        qs = qs.filter(product_id=query.product)
    if query.price_list:
        qs = qs.filter(price_list_id=query.price_list)
    if query.date_from:
        qs = qs.filter(effective_from__gte=query.date_from)
    if query.date_to:
        qs = qs.filter(effective_from__lte=query.date_to)
    qs = qs.order_by("-created_at", "-id")
    rows = qs[query.offset : query.offset + query.limit]
    return {"count": qs.count(), "items": [_change_out(change) for change in rows]}


@router.get(
    "/price-changes/{change_id}",
    response={200: PriceChangeDetailOut, **ERRORS_READ},
    operation_id="price_changes_get",
    url_name="price_changes_get",
    summary="One price change with the affected customers in the caller's scope (paged by limit/offset)",
)
def price_changes_get(request: HttpRequest, page: Query[PageQuery], change_id: int = _id_path()):
    user = request.user
    _require_prices(user)
    change = selectors.price_change_get_for_user(user=user, pk=change_id)
    out = _change_out(change)
    out["affected"] = _affected_page(change, user, page)
    return out


# ---- resolution -----------------------------------------------------------------------------------


@router.get(
    "/prices/resolve",
    response={200: ResolvedOut, **ERRORS_READ},
    operation_id="prices_resolve",
    url_name="prices_resolve",
    summary="The unit price for (product, customer, quantity, date) and where it comes from",
)
def prices_resolve(request: HttpRequest, query: Query[ResolveQuery]):
    from neiqin.customers.selectors import customer_get_for_user

    user = request.user
    _require_prices(user)
    product = selectors.product_get(pk=query.product)
    customer = customer_get_for_user(user=user, pk=query.customer) if query.customer is not None else None
    quantity = parse_quantity(query.quantity, field="quantity")
    offered = parse_price(query.price, field="price") if query.price is not None else None
    on = query.on or timezone.localdate()
    resolved = selectors.resolve_price(product=product, customer=customer, on=on, quantity=quantity)
    price_list = None
    if resolved.price_list_id is not None:
        price_list = {"id": resolved.price_list_id, "name": resolved.price_list_name, "kind": resolved.source}
    return {
        "product_id": product.pk,
        "customer_id": customer.pk if customer else None,
        "on": on,
        "quantity": str(quantity),
        "unit_price": str(resolved.unit_price),
        "source": str(resolved.source),
        "source_label": resolved.source_label,
        "price_list": price_list,
        "effective_from": resolved.effective_from,
        "min_quantity": str(resolved.min_quantity),
        "includes_tax": resolved.includes_tax,
        "vat_rate": str(resolved.vat_rate),
        "below_floor": resolved.below_floor(),
        "floor_price": _text(resolved.floor_price) if sees_floor(user) else None,
        "offered_price": _text(offered),
        "offered_below_floor": resolved.below_floor(offered) if offered is not None else None,
    }
