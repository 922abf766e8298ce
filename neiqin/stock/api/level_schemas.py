"""Request and response shapes of the stock levels / ledger / documents API.

Inputs are closed (``extra="forbid"``); quantities and costs travel as decimal *strings*
("12", "12.5") and are parsed by ``core.quantities`` in the services, so the API refuses exactly
what the pages refuse, with the same messages. Outputs carry quantities as strings; unit cost is
``null`` for roles that do not see cost, and prices never appear.
"""

import datetime as dt
from typing import Annotated, Literal

from ninja import Schema
from pydantic import Field, StrictStr

from neiqin.customers.schemas import (
    MAX_ID,
    ErrorOut,
    Id,
    InputSchema,
    IsoDate,
    PageQuery,
    RegionRef,
    UserRef,
    choice,
    text,
)
from neiqin.stock.choices import MoveKind
from neiqin.stock.selectors.levels import LEVEL_SORTS

__all__ = ["ErrorOut"]

MAX_LINES = 200
QuantityText = Annotated[StrictStr, Field(min_length=1, max_length=30, examples=["12", "12.5"])]
CostText = Annotated[StrictStr, Field(max_length=30, examples=["35.5"])]
OptionalId = Annotated[int, Field(ge=1, le=MAX_ID)]


# ---- queries -------------------------------------------------------------------------------------


class WarehouseQuery(PageQuery):
    include_inactive: bool = False


class LevelQuery(PageQuery):
    q: text(100) = ""
    warehouse: OptionalId | None = None
    series: OptionalId | None = None
    kind: Literal["", "goods", "promo"] = ""
    low_only: bool = False
    in_stock_only: bool = False
    include_inactive: bool = False
    sort: choice(list(LEVEL_SORTS)) = "model"


class AvailabilityQuery(InputSchema):
    product: OptionalId


class MoveQuery(PageQuery):
    q: text(100) = ""
    warehouse: OptionalId | None = None
    product: OptionalId | None = None
    kind: choice([*MoveKind.values, "transfer"], blank=True) = ""
    date_from: IsoDate | None = None
    date_to: IsoDate | None = None
    document_number: text(40) = ""


# ---- document bodies -----------------------------------------------------------------------------


class LineIn(InputSchema):
    product_id: Id
    quantity: QuantityText
    unit_cost: CostText | None = None


class SignedLineIn(InputSchema):
    """An adjustment line: a signed quantity ("-3" takes three away); no cost."""

    product_id: Id
    quantity: QuantityText


class _DocumentIn(InputSchema):
    reason: text(200) = ""
    moved_on: IsoDate | None = None


class ReceiptIn(_DocumentIn):
    warehouse_id: Id
    lines: Annotated[list[LineIn], Field(max_length=MAX_LINES)]


class ShipmentIn(_DocumentIn):
    warehouse_id: Id
    customer_id: Id | None = None
    lines: Annotated[list[LineIn], Field(max_length=MAX_LINES)]


class TransferIn(_DocumentIn):
    source_warehouse_id: Id
    target_warehouse_id: Id
    lines: Annotated[list[LineIn], Field(max_length=MAX_LINES)]


class AdjustmentIn(_DocumentIn):
    warehouse_id: Id
    lines: Annotated[list[SignedLineIn], Field(max_length=MAX_LINES)]


# ---- outputs ---------------------------------------------------------------------------------------


class WarehouseOut(Schema):
    id: int
    code: str
    name: str
    region: RegionRef | None
    address: str
    keeper: UserRef | None
    allow_negative: bool
    is_active: bool
    sort_order: int


class WarehousePageOut(Schema):
    count: int
    items: list[WarehouseOut]


class WarehouseRef(Schema):
    id: int
    code: str
    name: str


class ProductRef(Schema):
    id: int
    code: str
    model: str
    name: str
    spec: str
    unit: str
    series: str | None


class LevelCellOut(Schema):
    warehouse_id: int
    warehouse_code: str
    warehouse_name: str
    on_hand: str
    reserved: str
    available: str
    min_quantity: str
    low: bool


class TotalsOut(Schema):
    on_hand: str
    reserved: str
    available: str


class LevelRowOut(Schema):
    product: ProductRef
    warehouses: list[LevelCellOut]
    total: TotalsOut
    low: bool


class LevelPageOut(Schema):
    count: int
    items: list[LevelRowOut]


class AvailabilityOut(Schema):
    product_id: int
    unit: str
    warehouses: list[LevelCellOut]
    total: TotalsOut


class CustomerRef(Schema):
    id: int
    name: str


class MoveOut(Schema):
    id: int
    moved_on: dt.date
    kind: str
    kind_label: str
    warehouse: WarehouseRef
    counterpart: WarehouseRef | None
    product: ProductRef
    quantity: str
    balance_after: str
    unit_cost: str | None
    document_type: str
    document_number: str
    customer: CustomerRef | None
    reason: str
    created_by: UserRef | None
    created_at: dt.datetime


class MovePageOut(Schema):
    count: int
    items: list[MoveOut]


class PostedOut(Schema):
    number: str
    moves: list[MoveOut]
