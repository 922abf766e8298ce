"""Demo step: a year of the order desk (OPP-1/2, ORD-1 … ORD-8), through the real services.

Runs after the catalogue and stock steps (products with prices, warehouses with stock, customers
with owners). At simulated moments of the last year (``ctx.clock.at``):

* **orders** (≈ 1.2 per customer): entered by the clerk from faxes, phone calls and e-mails or
  by the salesperson, submitted (审单), approved by the right person (deputy GM below the floor
  price, GM for credit sales and credit-limit excesses, the team's sales manager for special
  products and discounts over 5 %), confirmed (stock reserved). Orders of more than a month ago
  have been shipped from their reservations by the warehouse. Recent ones show every state:
  drafts (two oral orders without a written record), waiting for approval (below floor, credit
  sale, special product), approved and not yet confirmed, confirmed with open reservations, a few
  waiting for stock with replenishment requests, changed after confirmation (versions, a voided
  approval), cancelled;
* **quotations** in every state (draft, issued, accepted, declined), some needing a discount
  approval before issue;
* **contracts** in every state (draft, in review, reviewed, effective with both signatories,
  completed), one effective contract expiring within 30 days;
* **opportunities** in every stage, project deals with milestones, won and lost with reasons.

Quantities are small against the stock (a few per cent of what is available), so the stock pages
still look full; ``ledger == levels`` holds because every stock change goes through the stock
services.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter, defaultdict
from decimal import ROUND_DOWN, Decimal
from typing import Any

from django.db.models import Sum

from neiqin.accounts.models import User
from neiqin.accounts.roles import Role
from neiqin.catalog.choices import ProductKind
from neiqin.catalog.models import Product
from neiqin.core.errors import DomainError
from neiqin.customers.models import Customer
from neiqin.demo.context import DemoContext
from neiqin.sales.choices import Channel, MilestoneKind, OpportunityStage, OrderStatus, ReviewKind
from neiqin.sales.models import ApprovalRequest, SalesOrder
from neiqin.sales.services import approvals, contracts, opportunities, orders, quotations
from neiqin.stock import services as stock
from neiqin.stock.models import Reservation, StockLevel, Warehouse

YEAR_WORKDAYS = 250
SHIPPED_AFTER_DAYS = 25  # confirmed orders older than this were shipped
RECENT_DAYS = 15  # the open states happen in the last three weeks
ORDERS_PER_CUSTOMER = 1.1
MIN_ORDERS = 45
ZERO = Decimal("0")
# Recent orders in an open state: fate -> how many (at least one of each, even at the tiny scale).
OPEN_FATES = {
    "draft": 3,
    "oral_draft": 1,
    "pending_floor": 2,
    "pending_credit": 2,
    "pending_special": 2,
    "rejected": 1,
    "approved": 3,
    "confirmed": 6,
    "oral_confirmed": 1,
    "waiting": 3,
    "changed": 3,
    "cancelled": 3,
    "cancelled_confirmed": 2,
}
CHANNEL_WEIGHTS = {Channel.FAX: 30, Channel.PHONE: 30, Channel.EMAIL: 20, Channel.SALESPERSON: 12, Channel.E_ORDER: 8}
CANCEL_REASONS = ("客户项目延期，取消订单", "客户改用其他型号，重新下单", "价格未谈妥，客户取消", "重复下单")
LOST_REASONS = ("价格高于竞争对手", "客户项目取消", "交期不能满足", "客户选择了其他品牌")
CHANGE_REASONS = ("客户传真追加数量", "客户电话要求减少数量", "客户要求改交货日期")
OPPORTUNITY_TITLES = ("办公楼装修地板采购", "厂房保温改造", "小区精装修地板", "学校翻新工程", "酒店客房地板更换")


def _money(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"))


class _Desk:
    def __init__(self, ctx: DemoContext, rng: random.Random) -> None:
        self.ctx = ctx
        self.rng = rng
        self.clerk = self._user("clerk", Role.CLERK)
        self.gm = self._user("gm", Role.GM)
        self.deputy = self._user("deputy", Role.DEPUTY_GM)
        self.finance = self._user("finance", Role.FINANCE)
        self.keeper = self._user("warehouse", Role.WAREHOUSE)
        self.stats: Counter[str] = Counter()
        products = Product.objects.filter(is_active=True, kind=ProductKind.GOODS, standard_price__gt=0)
        self.products = list(products.filter(is_special=False).order_by("pk"))
        self.special = list(products.filter(is_special=True).order_by("pk"))
        self.with_floor = [p for p in self.products if p.floor_price]
        self.warehouses = list(Warehouse.objects.filter(is_active=True).order_by("sort_order", "code"))
        self.available: dict[int, Decimal] = defaultdict(lambda: ZERO)
        for row in (
            StockLevel.objects.filter(warehouse__is_active=True)
            .values("product_id")
            .annotate(on_hand=Sum("on_hand"), reserved=Sum("reserved"))
        ):
            self.available[row["product_id"]] = row["on_hand"] - row["reserved"]
        customers = (
            Customer.objects.filter(owner__isnull=False, owner__is_active=True)
            .exclude(address="")
            .select_related("owner", "owner__team")
            .order_by("pk")
        )
        self.customers = [c for c in customers if c.name and (c.phone or c.contacts.exists())]
        self.prepay = [c for c in self.customers if c.payment_mode == "prepay"]
        self.on_credit = [c for c in self.customers if c.payment_mode in ("monthly", "term")]

    def _user(self, username: str, role: str) -> Any:
        user = self.ctx.users.get(username)
        if user is None:
            user = User.objects.filter(groups__name=role, is_active=True).order_by("pk").first()
        return user

    @property
    def ready(self) -> bool:
        return bool(self.customers and self.products and self.warehouses and self.clerk and self.gm and self.deputy)

    # -- time ------------------------------------------------------------------------------------

    def at(self, days_ago: int, minute: int | None = None):
        clock = self.ctx.clock
        local = dt.datetime.combine(clock.day(days_ago), dt.time(9, 0), tzinfo=clock.zone)
        minute = self.rng.randrange(10, 500) if minute is None else minute
        moment = min(local + dt.timedelta(minutes=minute), self.ctx.now - dt.timedelta(minutes=1))
        return clock.at(moment)

    # -- people ----------------------------------------------------------------------------------

    def manager_of(self, customer: Customer) -> Any:
        team = getattr(customer.owner, "team", None)
        manager = getattr(team, "manager", None)
        if manager is not None and manager.is_active:
            return manager
        return User.objects.filter(groups__name=Role.SALES_MANAGER, is_active=True).order_by("pk").first()

    def approver(self, approval: ApprovalRequest, customer: Customer) -> Any:
        role = approval.approver_role
        if role == Role.SALES_MANAGER:
            return self.manager_of(customer)
        if role == Role.DEPUTY_GM:
            return self.deputy
        return self.gm

    def entered_by(self, customer: Customer, channel: str) -> Any:
        return customer.owner if channel == Channel.SALESPERSON else self.clerk

    # -- lines -----------------------------------------------------------------------------------

    def quantity_for(self, product: Product, *, share: float = 0.04) -> Decimal:
        have = self.available[product.pk]
        top = max(1, int(have * Decimal(str(share))))
        quantity = Decimal(self.rng.randint(1, min(top, 60)))
        if product.unit == "吨":
            quantity = Decimal("1")
        return quantity

    def lines(self, count: int, *, day: dt.date, discount: str = "") -> list[dict[str, Any]]:
        stocked = [p for p in self.products if self.available[p.pk] >= 20] or self.products
        chosen = self.rng.sample(stocked, min(count, len(stocked)))
        rows = []
        for product in chosen:
            quantity = self.quantity_for(product)
            self.available[product.pk] -= quantity
            rows.append({"product_id": product.pk, "quantity": quantity, "discount_rate": discount, "delivery_on": day})
        return rows

    # -- orders ----------------------------------------------------------------------------------

    def create(
        self,
        days_ago: int,
        customer: Customer,
        lines: list[dict[str, Any]],
        *,
        channel: str | None = None,
        written: bool = True,
        fields: dict[str, Any] | None = None,
    ) -> SalesOrder:
        channel = channel or self.rng.choices(list(CHANNEL_WEIGHTS), weights=list(CHANNEL_WEIGHTS.values()))[0]
        ordered_on = self.ctx.clock.day(days_ago)
        header = {
            "channel": channel,
            "ordered_on": ordered_on,
            "delivery_on": ordered_on + dt.timedelta(days=self.rng.randint(3, 15)),
            "customer_reference": f"{customer.code[-4:]}-{self.rng.randint(1000, 9999)}"
            if channel in (Channel.FAX, Channel.EMAIL, Channel.E_ORDER)
            else "",
            "written_record": ""
            if not written
            else (f"fax-{ordered_on:%Y%m%d}.pdf" if channel == Channel.ORAL else ""),
            **(fields or {}),
        }
        with self.at(days_ago, self.rng.randrange(10, 200)):
            order = orders.order_create(
                customer=customer, lines=lines, by=self.entered_by(customer, channel), fields=header
            )
        self.stats["orders"] += 1
        return order

    def submit(self, days_ago: int, order: SalesOrder) -> SalesOrder:
        with self.at(days_ago, self.rng.randrange(200, 260)):
            order, _checks = orders.order_submit(order=order, by=order.created_by)
        return order

    def decide(self, days_ago: int, order: SalesOrder, *, approve: bool = True, only: set[str] | None = None) -> None:
        pending = ApprovalRequest.objects.filter(order=order, status="pending").select_related("rule")
        for approval in pending:
            if only is not None and approval.rule.code not in only:
                continue
            with self.at(days_ago, self.rng.randrange(270, 330)):
                approvals.approval_decide(
                    approval=approval,
                    by=self.approver(approval, order.customer),
                    approve=approve,
                    comment="同意" if approve else "价格太低，请重新与客户沟通",
                )
            self.stats["approved" if approve else "rejected"] += 1

    def confirm(self, days_ago: int, order: SalesOrder) -> SalesOrder:
        order.refresh_from_db()
        promised = order.delivery_on if self.rng.random() < 0.8 else None
        with self.at(days_ago, self.rng.randrange(340, 400)):
            return orders.order_confirm(order=order, by=self.clerk, promised_on=promised)

    def ship(self, days_ago: int, order: SalesOrder) -> None:
        """The warehouse ships what the order reserved (later issues add delivery notes)."""
        held = list(Reservation.objects.filter(document_type="order", document_id=str(order.pk), status="active"))
        if not held or self.keeper is None:
            return
        moved_on = self.ctx.clock.day(days_ago)
        # One order in five leaves in part: the last line stays behind, or half of a single line.
        plan = [(reservation, reservation.quantity) for reservation in held]
        if self.rng.random() < 0.2:
            if len(plan) > 1:
                plan = plan[:-1]
            elif plan[0][1] >= 2:
                plan = [(plan[0][0], (plan[0][1] / 2).to_integral_value(rounding=ROUND_DOWN))]
        with self.at(days_ago, 450):
            document = stock.Document(type="order", id=str(order.pk), number=order.number or "")
            for reservation, quantity in plan:
                stock.reservation_consume(
                    reservation=reservation,
                    quantity=quantity,
                    by=self.keeper,
                    document=document,
                    moved_on=moved_on,
                    customer=order.customer,
                )
        self.stats["shipped"] += 1

    def through(self, days_ago: int, order: SalesOrder, *, ship: bool) -> SalesOrder:
        """Submit, have every approval decided by its approver, confirm (and ship when old)."""
        order = self.submit(days_ago, order)
        if order.status == OrderStatus.PENDING_APPROVAL:
            self.decide(days_ago, order)
        order = self.confirm(days_ago, order)
        if ship:
            self.ship(max(days_ago - self.rng.randint(1, 4), SHIPPED_AFTER_DAYS), order)
        return order

    def customer(self, pool: list[Customer] | None = None) -> Customer:
        return self.rng.choice(pool or self.customers)

    # -- the year --------------------------------------------------------------------------------

    def history(self, count: int) -> None:
        """Orders of the year before the last few weeks: confirmed and shipped."""
        for days_ago in sorted(
            (self.rng.randint(SHIPPED_AFTER_DAYS + 1, YEAR_WORKDAYS) for _ in range(count)), reverse=True
        ):
            customer = self.customer()
            day = self.ctx.clock.day(days_ago)
            discount = self.rng.choice(["", "", "", "0.03", "0.08"])
            order = self.create(days_ago, customer, self.lines(self.rng.randint(1, 3), day=day, discount=discount))
            try:
                self.through(days_ago, order, ship=True)
            except DomainError as exc:  # a check blocked it (e.g. a customer file incomplete): leave a draft
                self.stats["blocked"] += 1
                self.ctx.log(f"  订单 {order.pk} 未能确认：{exc.message}")

    def open_orders(self) -> None:
        for fate, count in OPEN_FATES.items():
            for _ in range(count):
                getattr(self, f"_{fate}")(self.rng.randint(0, RECENT_DAYS))

    def _day(self, days_ago: int) -> dt.date:
        return self.ctx.clock.day(days_ago) + dt.timedelta(days=self.rng.randint(5, 20))

    def _draft(self, days_ago: int) -> None:
        self.create(days_ago, self.customer(), self.lines(self.rng.randint(1, 4), day=self._day(days_ago)))

    def _oral_draft(self, days_ago: int) -> None:
        self.create(
            days_ago, self.customer(), self.lines(2, day=self._day(days_ago)), channel=Channel.ORAL, written=False
        )

    def _pending_floor(self, days_ago: int) -> None:
        product = self.rng.choice(self.with_floor or self.products)
        price = _money((product.floor_price or product.standard_price) * Decimal("0.95"))
        lines = [{"product_id": product.pk, "quantity": self.quantity_for(product), "unit_price": price}]
        order = self.create(days_ago, self.customer(self.prepay), lines)
        self.submit(days_ago, order)

    def _pending_credit(self, days_ago: int) -> None:
        order = self.create(days_ago, self.customer(self.on_credit), self.lines(2, day=self._day(days_ago)))
        self.submit(days_ago, order)

    def _pending_special(self, days_ago: int) -> None:
        product = self.rng.choice(self.special or self.products)
        lines = [{"product_id": product.pk, "quantity": Decimal(self.rng.randint(1, 5))}]
        order = self.create(days_ago, self.customer(self.prepay), lines)
        self.submit(days_ago, order)

    def _rejected(self, days_ago: int) -> None:
        """Below the floor, the deputy GM says no: the order is back to draft for the desk."""
        product = self.rng.choice(self.with_floor or self.products)
        price = _money((product.floor_price or product.standard_price) * Decimal("0.85"))
        lines = [{"product_id": product.pk, "quantity": self.quantity_for(product), "unit_price": price}]
        order = self.submit(days_ago, self.create(days_ago, self.customer(self.prepay), lines))
        self.decide(days_ago, order, approve=False, only={"below_floor"})

    def _approved(self, days_ago: int) -> None:
        order = self.submit(days_ago, self.create(days_ago, self.customer(), self.lines(3, day=self._day(days_ago))))
        if order.status == OrderStatus.PENDING_APPROVAL:
            self.decide(days_ago, order)

    def _confirmed(self, days_ago: int) -> None:
        order = self.create(days_ago, self.customer(), self.lines(self.rng.randint(1, 4), day=self._day(days_ago)))
        self.through(days_ago, order, ship=False)

    def _oral_confirmed(self, days_ago: int) -> None:
        order = self.create(
            days_ago,
            self.customer(self.prepay),
            self.lines(2, day=self._day(days_ago)),
            channel=Channel.ORAL,
            written=False,
        )
        self.through(days_ago, order, ship=False)

    def _waiting(self, days_ago: int) -> None:
        """More than is in stock: what is there is reserved, the rest asked of the warehouse."""
        product = min(self.products, key=lambda p: (self.available[p.pk] < 1, self.available[p.pk], p.pk))
        have = max(self.available[product.pk], ZERO)
        quantity = (have + Decimal(self.rng.randint(5, 30))).quantize(Decimal("1"))
        self.available[product.pk] -= quantity
        lines = [{"product_id": product.pk, "quantity": quantity, "delivery_on": self._day(days_ago)}]
        order = self.create(days_ago, self.customer(self.prepay), lines)
        self.through(days_ago, order, ship=False)

    def _changed(self, days_ago: int) -> None:
        """Confirmed, then the customer changes a quantity: a new version; approvals that no
        longer cover the content are voided and asked again, and decided."""
        customer = self.customer()
        order = self.create(days_ago + 2, customer, self.lines(2, day=self._day(days_ago)))
        order = self.through(days_ago + 2, order, ship=False)
        rows = [
            {"product_id": line.product_id, "quantity": line.quantity, "unit_price": line.unit_price}
            for line in order.lines.order_by("position")
        ]
        rows[0]["quantity"] = rows[0]["quantity"] + Decimal(self.rng.randint(1, 5))
        with self.at(days_ago, 100):
            order = orders.order_update(
                order=order,
                by=self.clerk,
                version=order.version,
                lines=rows,
                reason=self.rng.choice(CHANGE_REASONS),
            )
        if order.status == OrderStatus.PENDING_APPROVAL:
            self.decide(days_ago, order)
        self.stats["changed"] += 1

    def _cancelled(self, days_ago: int) -> None:
        order = self.create(days_ago, self.customer(), self.lines(2, day=self._day(days_ago)))
        if self.rng.random() < 0.5:
            order = self.submit(days_ago, order)
        with self.at(days_ago, 420):
            orders.order_cancel(order=order, by=self.clerk, reason=self.rng.choice(CANCEL_REASONS))

    def _cancelled_confirmed(self, days_ago: int) -> None:
        order = self.through(
            days_ago + 1, self.create(days_ago + 1, self.customer(), self.lines(2, day=self._day(0))), ship=False
        )
        with self.at(days_ago, 420):
            orders.order_cancel(order=order, by=self.clerk, reason=self.rng.choice(CANCEL_REASONS))

    # -- quotations, contracts, opportunities ----------------------------------------------------

    def quotations(self, count: int) -> None:
        outcomes = ["draft", "issued", "accepted", "declined", "approval"]
        for index in range(count):
            outcome = outcomes[index % len(outcomes)]
            days_ago = (
                self.rng.randint(0, 10) if outcome in ("draft", "issued", "approval") else self.rng.randint(5, 120)
            )
            customer = self.customer()
            day = self.ctx.clock.day(days_ago)
            discount = "0.08" if outcome == "approval" else self.rng.choice(["", "0.03"])
            with self.at(days_ago, 60):
                quotation = quotations.quotation_create(
                    customer=customer,
                    lines=[
                        {**row, "delivery_on": None}
                        for row in self.lines(self.rng.randint(1, 4), day=day, discount=discount)
                    ],
                    by=self.clerk,
                    fields={"quoted_on": day, "valid_until": day + dt.timedelta(days=15), "contact_name": "采购部"},
                )
            self.stats["quotations"] += 1
            if outcome == "draft":
                continue
            if outcome == "approval":
                with self.at(days_ago, 90):
                    requested = quotations.quotation_request_approval(quotation=quotation, by=self.clerk)
                for approval in requested:
                    if index % 2 == 0 and approval.status == "pending":  # every other one still waits
                        with self.at(days_ago, 150):
                            approvals.approval_decide(
                                approval=approval, by=self.approver(approval, customer), approve=True, comment="同意"
                            )
                if ApprovalRequest.objects.filter(quotation=quotation, status="pending").exists():
                    continue
            with self.at(days_ago, 200):
                quotation = quotations.quotation_issue(quotation=quotation, by=self.clerk)
            if outcome in ("accepted", "declined"):
                with self.at(max(days_ago - 3, 0), 300):
                    quotations.quotation_set_outcome(quotation=quotation, by=self.clerk, accepted=outcome == "accepted")

    def contracts(self) -> None:
        plans = [
            ("draft", 3, None),
            ("in_review", 5, None),
            ("reviewed", 8, None),
            ("effective", 60, 200),
            ("effective", 90, 300),
            ("expiring", 200, 20),  # effective, ends within 30 days
            ("completed", 240, -20),
        ]
        for status, days_ago, ends_in in plans:
            customer = self.customer()
            day = self.ctx.clock.day(days_ago)
            ends_on = (
                self.ctx.today + dt.timedelta(days=ends_in) if ends_in is not None else day + dt.timedelta(days=365)
            )
            drafter = customer.owner
            with self.at(days_ago, 30):
                contract = contracts.contract_create(
                    customer=customer,
                    by=drafter,
                    title=f"{customer.name}{self.rng.choice(['年度', '项目', ''])}购销合同",
                    lines=[{**row, "delivery_on": None} for row in self.lines(self.rng.randint(2, 4), day=day)],
                    ends_on=ends_on,
                )
            self.stats["contracts"] += 1
            if status == "draft":
                continue
            with self.at(days_ago, 60):
                contract = contracts.contract_submit_review(contract=contract, by=drafter)
            if status == "in_review":
                with self.at(days_ago, 120):
                    contracts.contract_review(contract=contract, kind=ReviewKind.LEGAL, by=self.deputy, approved=True)
                continue
            with self.at(days_ago, 120):
                contracts.contract_review(
                    contract=contract, kind=ReviewKind.LEGAL, by=self.deputy, approved=True, comment="条款无异议"
                )
            with self.at(days_ago, 180):
                contract = contracts.contract_review(
                    contract=contract, kind=ReviewKind.FINANCE, by=self.finance, approved=True, comment="付款条件可以"
                )
            if status == "reviewed":
                continue
            with self.at(max(days_ago - 1, 0), 240):
                contract = contracts.contract_sign(
                    contract=contract,
                    by=drafter,
                    signed_on=self.ctx.clock.day(max(days_ago - 1, 0)),
                    seller_signatory=self.gm.display_name,
                    buyer_signatory=self.rng.choice(["王建军", "李卫东", "陈志强", "赵海燕"]),
                    place="长沙",
                )
            if status == "completed":
                with self.at(10, 300):
                    contracts.contract_close(contract=contract, by=drafter, completed=True)

    def opportunities(self, count: int) -> None:
        stages = [s for s in OpportunityStage.values]
        for index in range(count):
            target = stages[index % len(stages)]
            customer = self.customer()
            days_ago = self.rng.randint(10, 200)
            project = index % 4 == 0
            with self.at(days_ago, 45):
                opportunity = opportunities.opportunity_create(
                    customer=customer,
                    fields={
                        "title": f"{customer.short_name or customer.name[:6]}{self.rng.choice(OPPORTUNITY_TITLES)}",
                        "expected_amount": Decimal(self.rng.randint(2, 80) * 10_000),
                        "expected_on": self.ctx.today + dt.timedelta(days=self.rng.randint(-30, 120)),
                        "is_project": project,
                    },
                    by=customer.owner,
                )
            self.stats["opportunities"] += 1
            path = stages[1 : stages.index(target) + 1] if target not in ("won", "lost") else stages[1:4] + [target]
            if target == OpportunityStage.LEAD:
                path = []
            step_days = days_ago
            for stage in path:
                step_days = max(step_days - self.rng.randint(3, 20), 0)
                with self.at(step_days, 120):
                    opportunities.opportunity_set_stage(
                        opportunity=opportunity,
                        stage=stage,
                        by=customer.owner,
                        lost_reason=self.rng.choice(LOST_REASONS) if stage == OpportunityStage.LOST else "",
                    )
            if project:
                done_kinds = list(MilestoneKind.values)[: max(1, len(path) + 1)]
                for offset, kind in enumerate(MilestoneKind.values):
                    planned = self.ctx.clock.day(days_ago) + dt.timedelta(days=10 * (offset + 1))
                    with self.at(max(step_days, 0), 200 + offset):
                        opportunities.milestone_update(
                            opportunity=opportunity,
                            kind=kind,
                            by=customer.owner,
                            planned_on=planned,
                            done_on=planned if kind in done_kinds and planned <= self.ctx.today else None,
                            collection_amount=Decimal("50000") if kind == MilestoneKind.PREPAYMENT else None,
                            collected_amount=Decimal("50000")
                            if kind == MilestoneKind.PREPAYMENT and kind in done_kinds
                            else None,
                        )


def build(ctx: DemoContext) -> None:
    rng = ctx.rng_for("sales")
    approvals.ensure_default_rules()
    desk = _Desk(ctx, rng)
    if not desk.ready:
        ctx.log("  跳过订单台：缺少客户、产品、仓库或审批人")
        return
    total = max(MIN_ORDERS, round(ctx.scale.customers * ORDERS_PER_CUSTOMER))
    open_count = sum(OPEN_FATES.values())
    desk.history(max(total - open_count, 10))
    desk.open_orders()
    desk.quotations(max(10, total // 8))
    desk.contracts()
    desk.opportunities(max(14, total // 10))
    ctx.stats.update({f"sales_{k}": v for k, v in desk.stats.items()})
    statuses = Counter(SalesOrder.objects.values_list("status", flat=True))
    ctx.log(
        f"  订单 {desk.stats['orders']}（{dict(statuses)}），报价 {desk.stats['quotations']}，"
        f"合同 {desk.stats['contracts']}，机会 {desk.stats['opportunities']}"
    )
