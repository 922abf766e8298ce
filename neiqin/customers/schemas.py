"""Request and response shapes of the customer API (pydantic v2 through ``ninja.Schema``).

Input schemas are closed (``extra="forbid"``: an unknown key such as ``owner``, ``status`` or
``code`` is a 422, never silently written) and strict: booleans must be JSON booleans, integers
JSON integers (``false`` or ``1.5`` is not a number of days), money a decimal *string* such as
``"50000.00"`` (never a float; no exponent, sign, NaN or more than 12 integer digits), dates
``YYYY-MM-DD`` strings. Text may not contain control characters (NUL breaks PostgreSQL).

Output carries money as strings with two decimals. Lists and pool rows carry no sensitive field
(phones, e-mail, ID and bank numbers): those appear only in the full file, whose every view is
audited (CUS-4).
"""

import datetime as dt
import re
import unicodedata
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.conf import settings
from ninja import Schema
from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    StrictBool,
    StrictInt,
    StrictStr,
    WithJsonSchema,
)

from neiqin.customers.choices import Grade, Industry, Kind, PaymentMode, Potential, Scale, Source, Stage
from neiqin.customers.selectors import SORTS

# Primary keys are 64-bit (BigAutoField); bigger numbers would overflow the database driver.
MAX_ID = 2**63 - 1
MAX_LIMIT = getattr(settings, "NINJA_PAGINATION_MAX_LIMIT", 200)
DEFAULT_LIMIT = 50
MAX_OFFSET = 10**9
MONEY_PATTERN = r"^\d{1,12}(\.\d{1,2})?$"
MONEY_RE = re.compile(MONEY_PATTERN, re.ASCII)
DATE_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}$", re.ASCII)


def _no_control_characters(value: str) -> str:
    for char in value:
        if char in "\t\n\r":
            continue
        category = unicodedata.category(char)
        if category == "Cc":
            raise ValueError("control characters are not allowed")
        if category == "Cs":
            raise ValueError("unpaired surrogates are not allowed")
    return value


def _iso_date(value: Any) -> Any:
    """Only ``YYYY-MM-DD`` strings: pydantic's lax mode would also take Unix timestamps."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str) and DATE_PATTERN.fullmatch(value):
        return value
    raise ValueError("date must be a string like 2026-12-01")


def _money(value: Any) -> Decimal:
    """A JSON string such as "50000" or "50000.00"; floats, numbers, exponents, signs and NaN are refused."""
    if not isinstance(value, str) or not MONEY_RE.fullmatch(value):
        raise ValueError('money must be a string like "50000.00" (up to 12 digits and 2 decimals)')
    return Decimal(value)


def text(max_length: int, *, min_length: int = 0) -> Any:
    return Annotated[
        StrictStr, Field(max_length=max_length, min_length=min_length), AfterValidator(_no_control_characters)
    ]


def choice(values: list[str], *, blank: bool = False) -> Any:
    options = tuple(values) + (("",) if blank else ())
    return Literal[options]  # type: ignore[valid-type]


Id = Annotated[StrictInt, Field(ge=1, le=MAX_ID)]
Money = Annotated[
    Decimal,
    PlainValidator(_money),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": MONEY_PATTERN,
            "examples": ["50000.00"],
            "description": "Decimal string, at most 2 decimals",
        }
    ),
]
IsoDate = Annotated[dt.date, BeforeValidator(_iso_date)]

KindIn = choice(Kind.values)
IndustryIn = choice(Industry.values)
ScaleIn = choice(Scale.values, blank=True)
PotentialIn = choice(Potential.values, blank=True)
GradeIn = choice(Grade.values)
SourceIn = choice(Source.values, blank=True)
PaymentModeIn = choice(PaymentMode.values)
StageChoice = choice(Stage.values)
SortIn = choice(list(SORTS))


class InputSchema(Schema):
    model_config = ConfigDict(extra="forbid")


# ---- errors ----------------------------------------------------------------------------------


class ErrorOut(Schema):
    code: str
    message: str
    extra: dict[str, Any]


# ---- contacts --------------------------------------------------------------------------------


class ContactIn(InputSchema):
    name: text(40, min_length=1)
    title: text(40) = ""
    department: text(40) = ""
    mobile: text(40) = ""
    phone: text(40) = ""
    email: text(120) = ""
    wechat: text(60) = ""
    birthday: IsoDate | None = None
    is_decision_maker: StrictBool = False
    is_primary: StrictBool = False
    notes: text(2000) = ""


class ContactUpdateIn(InputSchema):
    """Only the keys sent are changed; ``null`` is refused except for ``birthday``."""

    name: text(40, min_length=1) = None
    title: text(40) = None
    department: text(40) = None
    mobile: text(40) = None
    phone: text(40) = None
    email: text(120) = None
    wechat: text(60) = None
    birthday: IsoDate | None = None
    is_decision_maker: StrictBool = None
    is_primary: StrictBool = None
    notes: text(2000) = None


class ContactOut(Schema):
    id: int
    customer_id: int
    name: str
    title: str
    department: str
    mobile: str
    phone: str
    email: str
    wechat: str
    birthday: dt.date | None
    is_decision_maker: bool
    is_primary: bool
    notes: str
    created_at: dt.datetime
    updated_at: dt.datetime


# ---- customers: input ------------------------------------------------------------------------


class _CustomerFieldsIn(InputSchema):
    short_name: text(40) = ""
    kind: KindIn = Kind.ENTERPRISE.value
    industry: IndustryIn = Industry.OTHER.value
    scale: ScaleIn = ""
    potential: PotentialIn = ""
    grade: GradeIn = Grade.C.value
    is_vip: StrictBool = False
    source: SourceIn = ""
    province: text(20) = ""
    city: text(30) = ""
    region_id: Id | None = None
    address: text(200) = ""
    phone: text(40) = ""
    fax: text(40) = ""
    email: text(120) = ""
    website: text(200) = ""
    business_scope: text(4000) = ""
    credit_code: text(30) = ""
    id_number: text(18) = ""
    invoice_title: text(120) = ""
    invoice_tax_id: text(20) = ""
    invoice_address_phone: text(200) = ""
    invoice_bank: text(100) = ""
    invoice_account: text(40) = ""
    purchase_intent: text(4000) = ""
    purchase_capacity: text(100) = ""
    notes: text(8000) = ""
    credit_limit: Money = "0.00"
    payment_mode: PaymentModeIn = PaymentMode.PREPAY.value
    payment_term_days: Annotated[StrictInt, Field(ge=0, le=365)] = 0
    next_contact_on: IsoDate | None = None


class CustomerCreateIn(_CustomerFieldsIn):
    """A new customer file. Without ``owner_id`` a salesperson owns what they create; desk roles
    leave it in the pool (公海). Credit fields other than their defaults need a finance role."""

    name: text(120, min_length=1)
    owner_id: Id | None = None
    contacts: list[ContactIn] = Field(default_factory=list, max_length=20)


class CustomerUpdateIn(InputSchema):
    """Partial update: only the keys sent change. ``version`` is the one read with the file;
    a stale version is refused with 409 so nobody overwrites a colleague's change."""

    version: Annotated[StrictInt, Field(ge=1, le=2**31 - 1)]
    name: text(120, min_length=1) = None
    short_name: text(40) = None
    kind: KindIn = None
    industry: IndustryIn = None
    scale: ScaleIn = None
    potential: PotentialIn = None
    grade: GradeIn = None
    is_vip: StrictBool = None
    source: SourceIn = None
    province: text(20) = None
    city: text(30) = None
    region_id: Id | None = None
    address: text(200) = None
    phone: text(40) = None
    fax: text(40) = None
    email: text(120) = None
    website: text(200) = None
    business_scope: text(4000) = None
    credit_code: text(30) = None
    id_number: text(18) = None
    invoice_title: text(120) = None
    invoice_tax_id: text(20) = None
    invoice_address_phone: text(200) = None
    invoice_bank: text(100) = None
    invoice_account: text(40) = None
    purchase_intent: text(4000) = None
    purchase_capacity: text(100) = None
    lost_reason: text(4000) = None
    notes: text(8000) = None
    credit_limit: Money = None
    payment_mode: PaymentModeIn = None
    payment_term_days: Annotated[StrictInt, Field(ge=0, le=365)] = None
    next_contact_on: IsoDate | None = None


class AssignIn(InputSchema):
    owner_id: Id
    reason: text(200) = ""


class ReleaseIn(InputSchema):
    reason: text(200, min_length=1)


class StageChangeIn(InputSchema):
    stage: StageChoice
    reason: text(4000) = ""


class PageQuery(InputSchema):
    limit: Annotated[int, Field(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT
    offset: Annotated[int, Field(ge=0, le=MAX_OFFSET)] = 0


class CustomerListQuery(PageQuery):
    """Mirrors ``selectors.CustomerFilters``; ``limit`` above the maximum is refused (422)."""

    q: text(100) = ""
    stage: choice(Stage.values, blank=True) = ""
    grade: choice(Grade.values, blank=True) = ""
    kind: choice(Kind.values, blank=True) = ""
    industry: choice(Industry.values, blank=True) = ""
    scale: choice(Scale.values, blank=True) = ""
    potential: choice(Potential.values, blank=True) = ""
    source: choice(Source.values, blank=True) = ""
    province: text(20) = ""
    region: Annotated[int, Field(ge=1, le=MAX_ID)] | None = None
    owner: Annotated[int, Field(ge=1, le=MAX_ID)] | None = None
    team: Annotated[int, Field(ge=1, le=MAX_ID)] | None = None
    is_vip: bool | None = None
    pool: bool | None = None
    follow_up_due: bool | None = None
    sort: SortIn = "-created_at"


class PoolQuery(PageQuery):
    q: text(100) = ""


class PhoneLookupQuery(InputSchema):
    number: text(40, min_length=1)


# ---- customers: output -----------------------------------------------------------------------


class UserRef(Schema):
    id: int
    display_name: str


class TeamRef(Schema):
    id: int
    name: str


class RegionRef(Schema):
    id: int
    code: str
    name: str


class CustomerSummaryOut(Schema):
    """A row of a list: no sensitive field (phones etc. are in the audited full file)."""

    id: int
    code: str
    name: str
    short_name: str
    kind: str
    industry: str
    scale: str
    potential: str
    stage: str
    grade: str
    is_vip: bool
    source: str
    province: str
    city: str
    region: RegionRef | None
    owner: UserRef | None
    team: TeamRef | None
    in_pool: bool
    acknowledged: bool
    next_contact_on: dt.date | None
    last_contact_at: dt.datetime | None
    credit_limit: str = Field(examples=["50000.00"])
    payment_mode: str
    payment_term_days: int
    created_at: dt.datetime
    version: int


class CustomerPermissionsOut(Schema):
    """What the caller may do with this file now (the same rules guard the services)."""

    edit: bool
    edit_credit: bool
    assign: bool
    claim: bool
    acknowledge: bool
    release: bool
    stage_targets: list[str]


class CustomerOut(CustomerSummaryOut):
    address: str
    phone: str
    fax: str
    email: str
    website: str
    business_scope: str
    credit_code: str
    id_number: str
    invoice_title: str
    invoice_tax_id: str
    invoice_address_phone: str
    invoice_bank: str
    invoice_account: str
    purchase_intent: str
    purchase_capacity: str
    lost_reason: str
    notes: str
    assigned_at: dt.datetime | None
    handover_due_at: dt.datetime | None
    acknowledged_at: dt.datetime | None
    pooled_at: dt.datetime | None
    updated_at: dt.datetime
    created_by: UserRef | None
    permissions: CustomerPermissionsOut


class CustomerPageOut(Schema):
    count: int
    items: list[CustomerSummaryOut]


class PoolItemOut(Schema):
    """A pool (公海) row: enough to decide whether to claim, nothing sensitive."""

    id: int
    code: str
    name: str
    short_name: str
    kind: str
    industry: str
    scale: str
    potential: str
    stage: str
    grade: str
    source: str
    province: str
    city: str
    region: RegionRef | None
    pooled_at: dt.datetime | None


class PoolPageOut(Schema):
    count: int
    items: list[PoolItemOut]


class HistoryEventOut(Schema):
    id: int
    created_at: dt.datetime
    action: str
    actor: UserRef | None
    object_type: str
    object_id: str
    changes: dict[str, list[Any]]
    data: dict[str, Any]
    channel: str


class HistoryPageOut(Schema):
    count: int
    items: list[HistoryEventOut]
