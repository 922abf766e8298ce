"""Request and response shapes of the price API (PRD-2).

Inputs are closed (``extra="forbid"``). Prices and quantities travel as decimal *strings*
(``"128.50"``, ``"10"``); the services parse them with ``core.quantities`` so the API refuses
the same inputs with the same messages as the pages. The floor price appears only for users who
may see it (``catalog.visibility``).
"""

import datetime as dt
from typing import Annotated, Literal

from ninja import Schema
from pydantic import ConfigDict, Field, StrictStr

from neiqin.customers.choices import Grade
from neiqin.customers.schemas import DEFAULT_LIMIT, MAX_ID, MAX_LIMIT, MAX_OFFSET, Id, IsoDate, choice, text

# Query strings carry text: ids there are parsed as integers (path and body ids stay strict).
QueryId = Annotated[int, Field(ge=1, le=MAX_ID)]
NumberText = Annotated[StrictStr, Field(min_length=1, max_length=30, examples=["128.50"])]


class InputSchema(Schema):
    model_config = ConfigDict(extra="forbid")


class PageQuery(InputSchema):
    limit: Annotated[int, Field(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT
    offset: Annotated[int, Field(ge=0, le=MAX_OFFSET)] = 0


# ---- references -----------------------------------------------------------------------------------


class ProductRef(Schema):
    id: int
    code: str
    model: str
    name: str
    spec: str
    unit: str


class CustomerRef(Schema):
    id: int
    code: str
    name: str


class UserRef(Schema):
    id: int
    display_name: str


class PriceListRef(Schema):
    id: int
    name: str
    kind: str


# ---- price lists ----------------------------------------------------------------------------------


class PriceListQuery(PageQuery):
    kind: Literal["", "company", "grade", "customer"] = ""


class PriceListOut(Schema):
    id: int
    name: str
    kind: str
    kind_label: str
    grade: str
    customer: CustomerRef | None
    is_active: bool
    notes: str
    product_count: int
    created_at: dt.datetime


class PriceListPageOut(Schema):
    count: int
    items: list[PriceListOut]


class PriceItemOut(Schema):
    id: int
    product: ProductRef
    unit_price: str
    min_quantity: str
    effective_from: dt.date
    change_id: int | None
    company_price: str
    floor_price: str | None = None


class PriceListDetailOut(PriceListOut):
    on: dt.date
    items: list[PriceItemOut]
    scheduled: list[PriceItemOut]


class PriceListCreateIn(InputSchema):
    """A grade list (``grade``) or a customer list (``customer_id``); the company list exists once."""

    kind: Literal["grade", "customer"]
    grade: choice(Grade.values, blank=True) = ""
    customer_id: Id | None = None
    name: text(80) = ""


class PriceSetIn(InputSchema):
    """A dated price; ``effective_from`` defaults to today and may not be in the past."""

    product_id: Id
    unit_price: NumberText
    min_quantity: NumberText = "0"
    effective_from: IsoDate | None = None
    reason: text(200) = ""


# ---- price changes --------------------------------------------------------------------------------


class PriceChangeQuery(PageQuery):
    product: QueryId | None = None
    price_list: QueryId | None = None
    date_from: IsoDate | None = None
    date_to: IsoDate | None = None


class PriceChangeOut(Schema):
    id: int
    price_list: PriceListRef
    product: ProductRef
    min_quantity: str
    old_price: str | None
    new_price: str
    effective_from: dt.date
    reason: str
    applied: bool
    affected_count: int
    created_by: UserRef | None
    created_at: dt.datetime


class PriceChangePageOut(Schema):
    count: int
    items: list[PriceChangeOut]


class AffectedCustomerOut(Schema):
    id: int
    code: str
    name: str
    grade: str
    stage: str
    owner: UserRef | None


class AffectedPageOut(Schema):
    count: int
    items: list[AffectedCustomerOut]


class PriceChangeDetailOut(PriceChangeOut):
    """``affected`` lists only the customers in the caller's scope (a salesperson: own ones)."""

    affected: AffectedPageOut


# ---- resolution -----------------------------------------------------------------------------------


class ResolveQuery(InputSchema):
    product: QueryId
    customer: QueryId | None = None
    quantity: NumberText = "1"
    on: IsoDate | None = None
    price: NumberText | None = Field(default=None, description="a price to check against the floor")


class ResolvedOut(Schema):
    product_id: int
    customer_id: int | None
    on: dt.date
    quantity: str
    unit_price: str
    source: Literal["customer", "grade", "company", "standard"]
    source_label: str
    price_list: PriceListRef | None
    effective_from: dt.date | None
    min_quantity: str
    includes_tax: bool
    vat_rate: str
    below_floor: bool
    floor_price: str | None = None
    offered_price: str | None = None
    offered_below_floor: bool | None = None
