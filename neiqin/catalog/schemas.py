"""Request and response shapes of the product API (PRD-1).

Inputs are closed (``extra="forbid"``) and strict like the customer API. Prices travel as JSON
*strings* ("128.50"); a JSON number is refused. Their content (sign, decimals, not a number) is
checked by the service (``core.quantities.parse_price``) so that the client gets the same
Chinese message as the page (e.g. "底价不能为负数。"), keyed by field.

Output: the price keys (``standard_price``, ``price_includes_tax``, ``floor_price``, ``cost``)
are present only when the caller may see them (``catalog.visibility``). The routes dump with
``exclude_unset``, so a key the API did not set for this caller is absent from the JSON, not
``null`` (a ``null`` floor price means "no floor price" to someone who may see it).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from ninja import Schema
from pydantic import Field, StrictBool, StrictInt, StrictStr

from neiqin.catalog.choices import ProductKind
from neiqin.customers.schemas import DEFAULT_LIMIT, MAX_ID, MAX_LIMIT, MAX_OFFSET, InputSchema, choice, text

Id = Annotated[StrictInt, Field(ge=1, le=MAX_ID)]
KindIn = choice(ProductKind.values)
# A price as typed: validated by the service (clear per-field messages), never a JSON number.
PriceIn = Annotated[StrictStr, Field(max_length=32, examples=["128.50"])]
# "0.13", "13%" or "13": the service accepts the China VAT rates only (13/9/6/3/0 %).
VatIn = Annotated[StrictStr, Field(max_length=8, examples=["0.13", "13%"])]
Version = Annotated[StrictInt, Field(ge=1, le=2**31 - 1)]


def price_text(value: Decimal | None) -> str | None:
    """Prices keep 4 decimals; show at least 2 and no trailing zeros beyond ("12.50", "12.345")."""
    if value is None:
        return None
    text_value = f"{value.quantize(Decimal('0.0001')):f}"
    whole, _dot, decimals = text_value.partition(".")
    decimals = decimals.rstrip("0").ljust(2, "0")
    return f"{whole}.{decimals}"


# ---- input -----------------------------------------------------------------------------------


class ProductListQuery(InputSchema):
    """Mirrors ``selectors.ProductFilters``; ``active`` unset lists active and inactive products."""

    q: text(100) = ""
    series: Annotated[int, Field(ge=1, le=MAX_ID)] | None = None  # query strings: not strict
    brand: text(60) = ""
    kind: choice(ProductKind.values, blank=True) = ""
    active: bool | None = None
    special: bool | None = None
    limit: Annotated[int, Field(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT
    offset: Annotated[int, Field(ge=0, le=MAX_OFFSET)] = 0


class _ProductFieldsIn(InputSchema):
    code: text(30) = ""
    spec: text(120) = ""
    series_id: Id | None = None
    brand: text(60) = ""
    kind: KindIn = ProductKind.GOODS.value
    vat_rate: VatIn = "0.13"
    price_includes_tax: StrictBool = True
    is_special: StrictBool = False
    is_active: StrictBool = True
    barcode: text(32) = ""
    notes: text(2000) = ""
    floor_price: PriceIn | None = None
    cost: PriceIn | None = None


class ProductCreateIn(_ProductFieldsIn):
    """A new product. ``floor_price`` needs the deputy GM / GM / admin, ``cost`` finance or
    management; ``code`` is numbered automatically when left out."""

    name: text(120, min_length=1)
    model: text(60, min_length=1)
    unit: text(10, min_length=1)
    standard_price: PriceIn


class ProductUpdateIn(InputSchema):
    """Partial update: only the keys sent change. ``version`` is the one read with the product
    (409 when someone saved meanwhile). ``standard_price`` is refused with a message: the
    standard price changes by a dated price change (调价) on the company price list."""

    version: Version
    code: text(30) = None
    name: text(120, min_length=1) = None
    model: text(60, min_length=1) = None
    spec: text(120) = None
    series_id: Id | None = None
    brand: text(60) = None
    unit: text(10, min_length=1) = None
    kind: KindIn = None
    vat_rate: VatIn = None
    price_includes_tax: StrictBool = None
    is_special: StrictBool = None
    is_active: StrictBool = None
    barcode: text(32) = None
    notes: text(2000) = None
    standard_price: PriceIn = None
    floor_price: PriceIn | None = None
    cost: PriceIn | None = None


class SeriesListQuery(InputSchema):
    active: bool | None = None
    limit: Annotated[int, Field(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT
    offset: Annotated[int, Field(ge=0, le=MAX_OFFSET)] = 0


class SeriesCreateIn(InputSchema):
    name: text(60, min_length=1)
    description: text(200) = ""
    sort_order: Annotated[StrictInt, Field(ge=0, le=2**31 - 1)] = 0


# ---- output ----------------------------------------------------------------------------------


class SeriesRef(Schema):
    id: int
    name: str


class ProductPermissionsOut(Schema):
    """What the caller may change on this product (the same rules guard the service)."""

    edit: bool
    set_price: bool
    set_floor_price: bool
    set_cost: bool


class ProductOut(Schema):
    id: int
    code: str
    name: str
    model: str
    spec: str
    series: SeriesRef | None
    brand: str
    unit: str
    kind: str
    vat_rate: str = Field(examples=["0.13"])
    is_special: bool
    is_active: bool
    barcode: str
    notes: str
    created_at: dt.datetime
    updated_at: dt.datetime
    version: int
    permissions: ProductPermissionsOut
    # Present only for callers who may see them (absent, not null, otherwise).
    standard_price: str | None = Field(default=None, examples=["128.50"])
    price_includes_tax: bool | None = None
    floor_price: str | None = Field(default=None, examples=["110.00"])
    cost: str | None = Field(default=None, examples=["85.00"])


class ProductPageOut(Schema):
    count: int
    items: list[ProductOut]


class SeriesOut(Schema):
    id: int
    name: str
    description: str
    sort_order: int
    is_active: bool
    product_count: int


class SeriesPageOut(Schema):
    count: int
    items: list[SeriesOut]


def product_dict(product: Any, *, visible: frozenset[str], permissions: dict[str, bool]) -> dict[str, Any]:
    """A product as the caller may see it: price keys only for the visible price fields."""
    data: dict[str, Any] = {
        "id": product.pk,
        "code": product.code,
        "name": product.name,
        "model": product.model,
        "spec": product.spec,
        "series": {"id": product.series.pk, "name": product.series.name} if product.series_id else None,
        "brand": product.brand,
        "unit": product.unit,
        "kind": product.kind,
        "vat_rate": product.vat_rate,
        "is_special": product.is_special,
        "is_active": product.is_active,
        "barcode": product.barcode,
        "notes": product.notes,
        "created_at": product.created_at,
        "updated_at": product.updated_at,
        "version": product.version,
        "permissions": permissions,
    }
    if "standard_price" in visible:
        data["standard_price"] = price_text(product.standard_price)
        data["price_includes_tax"] = product.price_includes_tax
    if "floor_price" in visible:
        data["floor_price"] = price_text(product.floor_price)
    if "cost" in visible:
        data["cost"] = price_text(product.cost)
    return data
