"""Catalogue API: /api/v1/products… and /api/v1/product-series (PRD-1).

Products are not scoped by owner: every authenticated user sees the catalogue. What differs per
role is which price fields appear (``catalog.visibility``): the warehouse gets no price key at all,
salespeople no ``cost``. Responses are dumped with ``exclude_unset`` so that a hidden field is
absent from the JSON rather than ``null``. Writes go through ``catalog.services`` which checks
the roles (floor price, cost) and raises ``DomainError``s mapped to ``{"code","message","extra"}``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from django.http import HttpRequest
from ninja import Path, Query, Router, Status

from neiqin.catalog import selectors, selectors_products, services
from neiqin.catalog.models import Product, ProductSeries
from neiqin.catalog.schemas import (
    ProductCreateIn,
    ProductListQuery,
    ProductOut,
    ProductPageOut,
    ProductUpdateIn,
    SeriesCreateIn,
    SeriesListQuery,
    SeriesOut,
    SeriesPageOut,
    product_dict,
)
from neiqin.catalog.selectors import ProductFilters
from neiqin.catalog.visibility import visible_price_fields
from neiqin.customers.schemas import MAX_ID, ErrorOut

router = Router(tags=["products"])

ERRORS_READ = {401: ErrorOut, 404: ErrorOut, 422: ErrorOut}
ERRORS_WRITE = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
# The service says "series"; the API says "series_id".
API_FIELD_NAMES = {"series": "series_id"}


def _id_path() -> Any:
    return Path(..., ge=1, le=MAX_ID)


@contextmanager
def _api_field_names() -> Iterator[None]:
    from neiqin.core.errors import ValidationFailed

    try:
        yield
    except ValidationFailed as exc:
        fields = exc.extra.get("fields")
        if isinstance(fields, Mapping):
            exc.extra["fields"] = {API_FIELD_NAMES.get(k, k): v for k, v in fields.items()}
        raise


def _service_fields(payload: Any, *, exclude: set[str] = frozenset()) -> dict[str, Any]:
    """The keys the client sent, in the service's vocabulary (``series_id`` -> ``series``)."""
    data = payload.model_dump(exclude_unset=True, exclude=set(exclude))
    if "series_id" in data:
        data["series"] = data.pop("series_id")
    return data


def _renderer(user: Any):
    visible = visible_price_fields(user)
    permissions = selectors_products.product_permissions(user)
    return lambda product: product_dict(product, visible=visible, permissions=permissions)


def _product(product_id: int) -> Product:
    return selectors.product_get(pk=product_id)


# ---- products ------------------------------------------------------------------------------


@router.get(
    "/products",
    response={200: ProductPageOut, **ERRORS_READ},
    operation_id="products_list",
    url_name="products_list",
    exclude_unset=True,
    summary="The catalogue; price keys only for the roles that may see them",
)
def products_list(request: HttpRequest, filters: Query[ProductListQuery]):
    criteria = ProductFilters(
        q=filters.q.strip(),
        series=filters.series,
        brand=filters.brand.strip(),
        kind=filters.kind,
        active=filters.active,
        special=filters.special,
    )
    qs = selectors.product_list(filters=criteria)
    render = _renderer(request.user)
    rows = qs[filters.offset : filters.offset + filters.limit]
    return {"count": qs.count(), "items": [render(p) for p in rows]}


@router.get(
    "/products/{product_id}",
    response={200: ProductOut, **ERRORS_READ},
    operation_id="products_get",
    url_name="products_get",
    exclude_unset=True,
    summary="One product; price keys only for the roles that may see them",
)
def products_get(request: HttpRequest, product_id: int = _id_path()):
    return _renderer(request.user)(_product(product_id))


@router.post(
    "/products",
    response={201: ProductOut, **ERRORS_WRITE},
    operation_id="products_create",
    url_name="products_create",
    exclude_unset=True,
    summary="Create a product (duplicate model + spec refused; floor price and cost by role)",
)
def products_create(request: HttpRequest, payload: ProductCreateIn):
    with _api_field_names():
        product = services.product_create(fields=_service_fields(payload), by=request.user)
    return Status(201, _renderer(request.user)(selectors.product_get(pk=product.pk)))


@router.patch(
    "/products/{product_id}",
    response={200: ProductOut, **ERRORS_WRITE},
    operation_id="products_update",
    url_name="products_update",
    exclude_unset=True,
    summary="Change some fields; send the version you read (409 when someone saved meanwhile)",
)
def products_update(request: HttpRequest, payload: ProductUpdateIn, product_id: int = _id_path()):
    product = _product(product_id)
    with _api_field_names():
        services.product_update(
            product=product,
            fields=_service_fields(payload, exclude={"version"}),
            by=request.user,
            version=payload.version,
        )
    return _renderer(request.user)(selectors.product_get(pk=product.pk))


# ---- series --------------------------------------------------------------------------------


def _series_dict(series: ProductSeries) -> dict[str, Any]:
    return {
        "id": series.pk,
        "name": series.name,
        "description": series.description,
        "sort_order": series.sort_order,
        "is_active": series.is_active,
        "product_count": series.product_count if hasattr(series, "product_count") else series.products.count(),
    }


@router.get(
    "/product-series",
    response={200: SeriesPageOut, **ERRORS_READ},
    operation_id="product_series_list",
    url_name="product_series_list",
    summary="Product series (系列) with their product counts",
)
def product_series_list(request: HttpRequest, query: Query[SeriesListQuery]):
    qs = selectors_products.series_with_counts()
    if query.active is not None:
        qs = qs.filter(is_active=query.active)
    rows = qs[query.offset : query.offset + query.limit]
    return {"count": qs.count(), "items": [_series_dict(s) for s in rows]}


@router.post(
    "/product-series",
    response={201: SeriesOut, **ERRORS_WRITE},
    operation_id="product_series_create",
    url_name="product_series_create",
    summary="Create a product series (names are unique)",
)
def product_series_create(request: HttpRequest, payload: SeriesCreateIn):
    series = services.series_create(
        name=payload.name, description=payload.description, sort_order=payload.sort_order, by=request.user
    )
    return Status(201, _series_dict(series))
