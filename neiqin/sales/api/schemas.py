"""Request and response shapes of the order desk API (orders, approvals, opportunities).

Inputs are closed (``extra="forbid"``: an unknown key is a 422, never silently ignored) and
strict like the customer API: quantities, prices, discounts and money are decimal *strings*,
dates ``YYYY-MM-DD``, ids JSON integers. The services validate the values themselves (a negative
quantity, an unknown product, a discount out of range) and answer 422 with field errors.

Outputs carry money, prices and quantities as strings.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from ninja import Schema
from pydantic import Field, StrictBool, StrictInt

from neiqin.customers.choices import PaymentMode
from neiqin.customers.schemas import (
    MAX_ID,
    Id,
    InputSchema,
    IsoDate,
    Money,
    PageQuery,
    UserRef,
    choice,
    text,
)
from neiqin.sales.choices import Channel, OpportunityStage, OrderStatus

# A decimal string such as "12.5"; the service parses it (and refuses zero or negative values).
DecimalText = text(24, min_length=1)
QueryId = Annotated[int, Field(ge=1, le=MAX_ID)]  # query strings are text: not strict
Version = Annotated[StrictInt, Field(ge=1, le=2**31 - 1)]
MAX_LINES = 200


# ---- shared output pieces --------------------------------------------------------------------


class CustomerRef(Schema):
    id: int
    name: str


class ProductRef(Schema):
    id: int
    model: str
    name: str
    unit: str


# ---- orders: input ---------------------------------------------------------------------------


class OrderLineIn(InputSchema):
    product_id: Id
    quantity: DecimalText
    unit_price: DecimalText | None = None  # empty: the price list decides
    discount_rate: text(12) | None = None  # 0.05 or "5%"
    delivery_on: IsoDate | None = None
    description: text(200) = ""
    note: text(200) = ""
    warehouse_id: Id | None = None


class _OrderHeaderIn(InputSchema):
    channel: choice(Channel.values) = None
    customer_reference: text(60) = None
    ordered_on: IsoDate = None
    delivery_on: IsoDate | None = None
    promised_on: IsoDate | None = None
    payment_mode: choice(PaymentMode.values, blank=True) = None
    payment_term_days: Annotated[StrictInt, Field(ge=0, le=365)] = None
    delivery_address: text(200) = None
    receiver: text(40) = None
    receiver_phone: text(40) = None
    warehouse_id: Id | None = None
    notes: text(4000) = None
    written_record: text(200) = None


class OrderCreateIn(_OrderHeaderIn):
    """A new draft order. Terms left out default from the customer file; prices from the price
    lists unless ``unit_price`` is given."""

    customer_id: Id
    lines: list[OrderLineIn] = Field(min_length=1, max_length=MAX_LINES)


class OrderUpdateIn(_OrderHeaderIn):
    """Partial update: only the keys sent change; ``lines``, when sent, replace all lines.
    ``version`` is the one read with the order (409 when someone saved meanwhile)."""

    version: Version
    lines: list[OrderLineIn] | None = Field(default=None, min_length=1, max_length=MAX_LINES)
    reason: text(200) = ""


class OrderConfirmIn(InputSchema):
    promised_on: IsoDate | None = None


class OrderCancelIn(InputSchema):
    reason: text(200) = ""


class OrderListQuery(PageQuery):
    status: choice(OrderStatus.values, blank=True) = ""
    customer: QueryId | None = None
    q: text(100) = ""


# ---- orders: output --------------------------------------------------------------------------


class OrderLineOut(Schema):
    id: int
    position: int
    product: ProductRef
    description: str
    quantity: str
    list_price: str
    price_source: str
    discount_rate: str
    unit_price: str
    floor_price: str | None = None  # absent for users who may not see floor prices
    vat_rate: str
    amount: str
    delivery_on: dt.date | None
    note: str
    warehouse_id: int | None
    reserved_quantity: str
    shipped_quantity: str


class CheckOut(Schema):
    code: str
    ok: bool
    severity: str
    message: str
    rule: str
    approver_role: str
    figures: dict[str, Any]


class ApprovalOut(Schema):
    id: int
    document_type: str
    document_id: int
    document_number: str | None
    customer: CustomerRef | None
    rule: str
    rule_name: str
    approver_role: str
    reason: str
    figures: dict[str, Any]
    status: str
    requested_by: UserRef | None
    requested_at: dt.datetime
    decided_by: UserRef | None
    decided_at: dt.datetime | None
    comment: str
    voided_at: dt.datetime | None
    void_reason: str


class VersionOut(Schema):
    number: int
    diff: list[dict[str, Any]]
    reason: str
    created_by: UserRef | None
    created_at: dt.datetime


class TimelineOut(Schema):
    at: dt.datetime
    action: str
    actor: str
    data: dict[str, Any]


class ProgressOut(Schema):
    """Derived from shipments, invoices and payments (ORD-7), never typed by hand."""

    shipped: str
    invoiced: str
    paid: str
    ordered_quantity: str
    reserved_quantity: str
    shipped_quantity: str


class OrderSummaryOut(Schema):
    id: int
    number: str | None
    customer: CustomerRef
    owner: UserRef | None
    status: str
    status_label: str
    channel: str
    ordered_on: dt.date
    delivery_on: dt.date | None
    promised_on: dt.date | None
    total: str
    waiting_for_stock: bool
    changed_since_confirmation: bool
    shipped: str
    invoiced: str
    paid: str
    created_at: dt.datetime
    updated_at: dt.datetime
    version: int


class OrderOut(OrderSummaryOut):
    customer_reference: str
    payment_mode: str
    payment_term_days: int
    delivery_address: str
    receiver: str
    receiver_phone: str
    warehouse_id: int | None
    notes: str
    written_record: str
    copied_from_id: int | None
    submitted_at: dt.datetime | None
    confirmed_at: dt.datetime | None
    cancelled_at: dt.datetime | None
    cancel_reason: str
    checked_at: dt.datetime | None
    lines: list[OrderLineOut]
    checks: list[CheckOut]
    approvals: list[ApprovalOut]
    versions: list[VersionOut]
    timeline: list[TimelineOut]
    progress: ProgressOut


class OrderPageOut(Schema):
    count: int
    items: list[OrderSummaryOut]


class OrderSubmitOut(Schema):
    order: OrderOut
    checks: list[CheckOut]


# ---- approvals -------------------------------------------------------------------------------


class ApprovalDecideIn(InputSchema):
    decision: choice(["approve", "reject"])
    comment: text(300) = ""


class ApprovalPageOut(Schema):
    count: int
    items: list[ApprovalOut]


# ---- opportunities ---------------------------------------------------------------------------


class OpportunityCreateIn(InputSchema):
    customer_id: Id
    title: text(120, min_length=1)
    expected_amount: Money = None
    expected_on: IsoDate | None = None
    probability: Annotated[StrictInt, Field(ge=0, le=100)] = None
    is_project: StrictBool = False
    notes: text(4000) = ""


class OpportunityStageIn(InputSchema):
    stage: choice(OpportunityStage.values)
    lost_reason: text(200) = ""


class OpportunityListQuery(PageQuery):
    stage: choice(OpportunityStage.values, blank=True) = ""
    owner: QueryId | None = None
    customer: QueryId | None = None
    expected_from: IsoDate | None = None
    expected_to: IsoDate | None = None
    q: text(100) = ""


class StageChangeOut(Schema):
    from_stage: str
    to_stage: str
    changed_by: UserRef | None
    changed_at: dt.datetime


class MilestoneOut(Schema):
    kind: str
    label: str
    planned_on: dt.date | None
    done_on: dt.date | None
    collection_amount: str
    collected_amount: str
    note: str
    overdue: bool


class OpportunitySummaryOut(Schema):
    id: int
    title: str
    customer: CustomerRef
    owner: UserRef | None
    stage: str
    stage_label: str
    expected_amount: str
    weighted_amount: str
    expected_on: dt.date | None
    probability: int
    is_project: bool
    closed_on: dt.date | None
    updated_at: dt.datetime
    version: int


class OpportunityOut(OpportunitySummaryOut):
    lost_reason: str
    notes: str
    created_at: dt.datetime
    stage_targets: list[str]
    stage_changes: list[StageChangeOut]
    milestones: list[MilestoneOut]


class PipelineRowOut(Schema):
    stage: str
    label: str
    count: int
    expected_amount: str
    weighted_amount: str


class OpportunityPageOut(Schema):
    count: int
    items: list[OpportunitySummaryOut]
    pipeline: list[PipelineRowOut]


class ConversionStageOut(Schema):
    stage: str
    label: str
    count: int
    next_rate: float | None


class ConversionOut(Schema):
    stages: list[ConversionStageOut]
    won: int
    lost: int
    win_rate: float | None


class OwnerConversionOut(ConversionOut):
    owner: UserRef


class ConversionReportOut(Schema):
    overall: ConversionOut
    by_owner: list[OwnerConversionOut]
