"""Step 3: the catalogue, price lists, warehouses and a year of stock (PRD-1, PRD-2, INV-1…INV-5).

Everything goes through the real services at simulated moments (``ctx.clock.at``), so prices,
moves, reservations and their audit events look as if the desk had used the product for a year:

* about 150 products of the flooring (地板部) and insulation (凯瑞保温) lines
  (``vocabulary_catalog``): entered by the clerk a year ago, floor price and cost set by the
  deputy GM; a few custom-made (特殊/定制) and a few discontinued;
* warehouses 长沙库 / 郑州库 / 西安库 kept by the warehouse user;
* the company list with dated changes during the year and a few scheduled for next month, A- and
  B-grade lists 5–8 % below it on part of the range, and own lists for several signed customers;
* opening stock a year ago, then weekly receipts, monthly transfers, shipments to customers
  (reserved, then shipped against a delivery number), a few returns and adjustments; some products
  never shipped (slow-moving), some below their safety stock, and open reservations at the end.

What later steps need is left on ``ctx.extra``: ``warehouses`` (code -> Warehouse), ``products``
(all products), ``sellable_products``, ``slow_products``, ``price_lists``.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from neiqin.catalog import services as catalog
from neiqin.catalog.choices import PriceListKind
from neiqin.catalog.models import Product
from neiqin.core import numbering
from neiqin.customers.choices import Grade, Stage
from neiqin.customers.models import Customer
from neiqin.demo import vocabulary as words
from neiqin.demo import vocabulary_catalog as goods
from neiqin.demo.context import DemoContext
from neiqin.stock import services as stock
from neiqin.stock.choices import MoveKind
from neiqin.stock.models import Warehouse

YEAR_WORKDAYS = 262  # about 52 weeks of working days
ZERO = Decimal("0")
CENT = Decimal("0.01")
SHIPMENTS_PER_WEEK = 2  # per warehouse
RESERVED_SHIPMENT_DAYS = 20  # shipments of the last weeks go through reservations (order flow)
OPEN_RESERVATIONS = 10


def build(ctx: DemoContext) -> None:
    rng = ctx.rng_for("catalog")
    world = _World(ctx, rng)
    world.warehouses_create()
    world.products_create()
    world.price_lists_create()
    world.stock_year()
    world.price_changes_schedule()
    world.safety_stock()
    ctx.extra.update(
        warehouses=world.warehouses,
        products=world.products,
        sellable_products=[p for p in world.products if p.is_active],
        slow_products=world.slow,
        price_lists=world.price_lists,
    )
    ctx.stats["products"] += len(world.products)
    ctx.stats["stock_moves"] += world.moves
    ctx.log(f"  产品 {len(world.products)}，库存流水 {world.moves}，占用 {world.open_reservations}")


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _units(value: float, unit: str) -> Decimal:
    """Quantities clerks would type: whole numbers, tonnes to one decimal."""
    if unit == "吨":
        return Decimal(str(round(value, 1))).quantize(Decimal("0.1"))
    return Decimal(max(1, round(value)))


class _World:
    def __init__(self, ctx: DemoContext, rng: random.Random) -> None:
        self.ctx = ctx
        self.rng = rng
        self.users = ctx.users
        self.keeper = ctx.users[goods.WAREHOUSE_KEEPER]
        self.start = YEAR_WORKDAYS + 3  # the day the catalogue is entered
        self.warehouses: dict[str, Warehouse] = {}
        self.products: list[Product] = []
        self.family: dict[int, goods.Family] = {}
        self.slow: list[Product] = []
        self.price_lists: dict[str, Any] = {}
        self.on_hand: dict[tuple[str, int], Decimal] = defaultdict(lambda: ZERO)
        self.reserved: dict[tuple[str, int], Decimal] = defaultdict(lambda: ZERO)
        self.by_pk: dict[int, Product] = {}
        self.target: dict[tuple[str, int], Decimal] = {}
        self.moves = 0
        self.open_reservations = 0

    # -- time ------------------------------------------------------------------------------------

    def moment(self, days_ago: int, minute: int) -> dt.datetime:
        clock = self.ctx.clock
        local = dt.datetime.combine(clock.day(days_ago), dt.time(9, 0), tzinfo=clock.zone)
        return min(local + dt.timedelta(minutes=minute), self.ctx.now - dt.timedelta(minutes=1))

    def at(self, days_ago: int, minute: int | None = None):
        return self.ctx.clock.at(self.moment(days_ago, self.rng.randrange(20, 500) if minute is None else minute))

    # -- master data -----------------------------------------------------------------------------

    def warehouses_create(self) -> None:
        admin = self.users["admin"]
        with self.at(self.start + 2, 30):
            for order, (code, name, address) in enumerate(words.WAREHOUSES, start=1):
                existing = Warehouse.objects.filter(code=code).first()
                if existing is not None:  # build_demo --force over existing data
                    self.warehouses[code] = existing
                    continue
                self.warehouses[code] = stock.warehouse_create(
                    fields={
                        "code": code,
                        "name": name,
                        "address": address,
                        "region": self.ctx.regions.get(goods.WAREHOUSE_REGION[code]),
                        "keeper": self.keeper,
                        "sort_order": order * 10,
                    },
                    by=admin,
                )

    def products_create(self) -> None:
        """The deputy GM enters the range a year ago: standard price, floor price and cost at once."""
        clerk, deputy = self.users["clerk"], self.users["deputy"]
        series: dict[str, Any] = {}
        minute = 0
        for family in goods.FAMILIES:
            if family.series not in series:
                with self.at(self.start + 1, minute):
                    series[family.series] = catalog.series_create(
                        name=family.series, by=clerk, sort_order=10 * (len(series) + 1)
                    )
            for variant in family.variants:
                minute = (minute + 3) % 480
                model = f"{family.prefix}{variant.suffix}"
                standard = Decimal(variant.price)
                fields = {
                    "model": model,
                    "name": f"{family.name} {variant.name}",
                    "spec": variant.spec,
                    "unit": family.unit,
                    "brand": family.brand,
                    "series": series[family.series],
                    "standard_price": str(standard),
                    "floor_price": str(_money(standard * Decimal(self.rng.randint(80, 90)) / 100)),
                    "cost": str(_money(standard * Decimal(self.rng.randint(55, 70)) / 100)),
                    "vat_rate": "0.13",
                    "is_special": model in goods.SPECIAL,
                    "notes": goods.SPECIAL.get(model, ""),
                    "barcode": f"69{self.rng.randrange(10**10, 10**11)}",
                }
                with self.at(self.start, minute):
                    product = catalog.product_create(fields=fields, by=deputy)
                self.products.append(product)
                self.by_pk[product.pk] = product
                self.family[product.pk] = family
                if model in goods.SLOW:
                    self.slow.append(product)

    def discontinue(self) -> None:
        """Products taken off sale half-way through the year (their stock stays)."""
        clerk = self.users["clerk"]
        with self.at(YEAR_WORKDAYS // 2):
            for index, product in enumerate(self.products):
                if product.model in goods.INACTIVE:
                    self.products[index] = catalog.product_update(
                        product=product, fields={"is_active": False}, by=clerk
                    )
                    self.by_pk[product.pk] = self.products[index]

    # -- prices ----------------------------------------------------------------------------------

    def price_lists_create(self) -> None:
        clerk = self.users["clerk"]
        self.price_lists["company"] = catalog.company_price_list()
        day = self.start - 3
        for grade, share, cut in ((Grade.A, 0.3, (5, 8)), (Grade.B, 0.2, (5, 7))):
            with self.at(day, 60):
                price_list = catalog.price_list_create(kind=PriceListKind.GRADE, grade=grade, by=clerk)
            self.price_lists[f"grade_{grade}"] = price_list
            chosen = [p for p in self.products if p.model not in goods.INACTIVE and self.rng.random() < share]
            for product in chosen:
                self._discounted(price_list, product, cut, day)
        signed = list(Customer.objects.filter(stage=Stage.SIGNED).order_by("grade", "code")[:8])
        sellable = [p for p in self.products if p.model not in goods.INACTIVE]
        for offset, customer in enumerate(signed):
            when = min(self.start - 10 - 15 * offset, self._days_after(customer.created_at))
            with self.at(when, 90):
                price_list = catalog.price_list_create(kind=PriceListKind.CUSTOMER, customer=customer, by=clerk)
            self.price_lists[f"customer_{customer.pk}"] = price_list
            for product in self.rng.sample(sellable, self.rng.randint(3, 6)):
                self._discounted(price_list, product, (7, 10), when)

    def _days_after(self, moment: dt.datetime) -> int:
        """The working day (as days ago) after ``moment``'s day; 0 at the latest."""
        day = timezone.localdate(moment)
        later = [index for index, workday in enumerate(self.ctx.clock.workdays) if workday > day]
        return max(later) if later else 0

    def _discounted(self, price_list: Any, product: Product, cut: tuple[int, int], days_ago: int) -> None:
        price = _money(product.standard_price * (100 - Decimal(self.rng.randint(*cut))) / 100)
        price = max(price, product.floor_price or ZERO)
        with self.at(days_ago):
            catalog.price_set(
                price_list=price_list,
                product=product,
                unit_price=price,
                effective_from=None,
                by=self.users["clerk"],
                reason=_("签约优惠价"),
            )

    def company_changes(self, days_ago: int, count: int, *, up: bool) -> None:
        """A round of dated company price changes (in force the day they are made)."""
        clerk = self.users["clerk"]
        reasons = goods.PRICE_RAISE_REASONS if up else goods.PRICE_CUT_REASONS
        reason = self.rng.choice(reasons)
        sellable = [p for p in self.products if p.is_active]
        for product in self.rng.sample(sellable, min(count, len(sellable))):
            product.refresh_from_db()
            factor = Decimal(100 + self.rng.randint(3, 8) if up else 100 - self.rng.randint(2, 4)) / 100
            price = max(_money(product.standard_price * factor), product.floor_price or ZERO)
            if price == product.standard_price:
                continue
            with self.at(days_ago):
                catalog.price_set(
                    price_list=self.price_lists["company"],
                    product=product,
                    unit_price=price,
                    effective_from=None,
                    by=clerk,
                    reason=reason,
                )

    def price_changes_schedule(self) -> None:
        """Next month's rise, announced today: future-dated changes the daily job will apply."""
        clerk = self.users["clerk"]
        today = self.ctx.today
        first_of_next = (today.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
        sellable = [p for p in self.products if p.is_active and p not in self.slow]
        for product in self.rng.sample(sellable, 6):
            product.refresh_from_db()
            price = _money(product.standard_price * Decimal(100 + self.rng.randint(4, 6)) / 100)
            with self.at(0, 30):
                catalog.price_set(
                    price_list=self.price_lists["company"],
                    product=product,
                    unit_price=price,
                    effective_from=first_of_next,
                    by=clerk,
                    reason=_("原材料价格上涨，下月起执行新价"),
                )
        fresh = Product.objects.in_bulk([p.pk for p in self.products])
        self.products = [fresh[p.pk] for p in self.products]
        self.by_pk = {p.pk: p for p in self.products}

    # -- stock -----------------------------------------------------------------------------------

    def stock_year(self) -> None:
        self.opening()
        customers = self._customers_by_warehouse()
        changes = {YEAR_WORKDAYS - 60: (12, True), YEAR_WORKDAYS - 150: (6, False), 70: (10, True)}
        for days_ago in range(YEAR_WORKDAYS - 1, -1, -1):
            day = self.ctx.clock.day(days_ago)
            if days_ago in changes:
                count, up = changes[days_ago]
                self.company_changes(days_ago, count, up=up)
            if days_ago == YEAR_WORKDAYS // 2:
                self.discontinue()
            if day.weekday() == 0:
                self.receipts(days_ago)
            if day.day <= 7 and day.weekday() == 2:
                self.transfer(days_ago)
            for code in self.warehouses:
                if self.rng.random() < SHIPMENTS_PER_WEEK / 5 and days_ago > 0:
                    self.shipment(days_ago, code, customers[code])
            if days_ago % 40 == 17:
                self.customer_return(days_ago, customers)
            if days_ago % 45 == 23:
                self.adjustment(days_ago)
        self.reservations_open(customers)

    def _stocked(self, code: str) -> list[Product]:
        share = goods.WAREHOUSE_RANGE[code]
        return [p for i, p in enumerate(self.products) if code == "CS" or (i * 37 % 100) < share * 100]

    def opening(self) -> None:
        day = YEAR_WORKDAYS
        for code, warehouse in self.warehouses.items():
            lines = []
            for product in self._stocked(code):
                family = self.family[product.pk]
                low, high = family.stock
                scale = {"CS": 1.0, "ZZ": 0.7, "XA": 0.5}[code]
                target = _units(self.rng.uniform(low, high) * scale, family.unit)
                self.target[(code, product.pk)] = target
                quantity = _units(float(target) * self.rng.uniform(0.6, 1.0), family.unit)
                lines.append(stock.Line(product, quantity))
                self.on_hand[(code, product.pk)] += quantity
            with self.at(day, 20):
                posted = stock.stock_receive(
                    warehouse=warehouse,
                    lines=lines,
                    by=self.keeper,
                    moved_on=self.ctx.clock.day(day),
                    reason=_("系统上线期初库存"),
                    kind=MoveKind.OPENING,
                )
            self.moves += len(posted.moves)

    def receipts(self, days_ago: int) -> None:
        """Monday: restock whatever fell below about a third of its target."""
        moved_on = self.ctx.clock.day(days_ago)
        for code, warehouse in self.warehouses.items():
            lines = []
            for (where, pk), target in self.target.items():
                product = self._product(pk)
                if where != code or product in self.slow or not product.is_active:
                    continue
                have = self.on_hand[(code, pk)]
                if have < target * Decimal("0.35"):
                    quantity = _units(float(target - have), self.family[pk].unit)
                    lines.append(stock.Line(product, quantity))
            if not lines:
                continue
            with self.at(days_ago, 30 + 5 * len(code)):
                posted = stock.stock_receive(
                    warehouse=warehouse,
                    lines=lines,
                    by=self.keeper,
                    moved_on=moved_on,
                    reason=_("采购到货"),
                )
            for line in lines:
                self.on_hand[(code, line.product.pk)] += line.quantity
            self.moves += len(posted.moves)

    def _product(self, pk: int) -> Product:
        return self.by_pk[pk]

    def transfer(self, days_ago: int) -> None:
        """First Wednesday of the month: 长沙库 tops up 郑州库 or 西安库."""
        target_code = self.rng.choice(["ZZ", "XA"])
        candidates = [
            pk
            for (code, pk), target in self.target.items()
            if code == target_code
            and self._product(pk).is_active
            and self._product(pk) not in self.slow
            and self.on_hand[(code, pk)] < target * Decimal("0.6")
            and self.on_hand[("CS", pk)] > self.target.get(("CS", pk), ZERO) * Decimal("0.5")
        ]
        lines = []
        for pk in self.rng.sample(candidates, min(len(candidates), self.rng.randint(3, 5))):
            family = self.family[pk]
            quantity = min(
                _units(float(self.target[(target_code, pk)]) * 0.3, family.unit),
                self.on_hand[("CS", pk)] - self.target[("CS", pk)] * Decimal("0.4"),
            )
            if quantity > 0:
                lines.append(stock.Line(self._product(pk), quantity))
        if not lines:
            return
        with self.at(days_ago, 120):
            posted = stock.stock_transfer(
                source=self.warehouses["CS"],
                target=self.warehouses[target_code],
                lines=lines,
                by=self.keeper,
                moved_on=self.ctx.clock.day(days_ago),
                reason=_("月度调拨补库"),
            )
        for line in lines:
            self.on_hand[("CS", line.product.pk)] -= line.quantity
            self.on_hand[(target_code, line.product.pk)] += line.quantity
        self.moves += len(posted.moves)

    def _customers_by_warehouse(self) -> dict[str, list[Customer]]:
        found: dict[str, list[Customer]] = {code: [] for code in self.warehouses}
        signed = list(Customer.objects.filter(stage__in=[Stage.SIGNED, Stage.INTENDED]).order_by("code"))
        for customer in signed:
            found[goods.PROVINCE_WAREHOUSE.get(customer.province, "CS")].append(customer)
        for code in found:
            if not found[code]:
                found[code] = signed[:5]
        return found

    def _order_lines(self, code: str, count: int) -> list[tuple[Product, Decimal]]:
        """``count`` products of ``code`` with stock and a believable quantity of each."""
        stocked = [
            pk
            for (where, pk) in self.target
            if where == code and self._product(pk).is_active and self._product(pk) not in self.slow
        ]
        chosen = []
        for pk in self.rng.sample(stocked, min(count, len(stocked))):
            family = self.family[pk]
            low, high = family.order
            want = _units(self.rng.uniform(low, high), family.unit)
            have = self.on_hand[(code, pk)] - self.reserved[(code, pk)]
            quantity = min(want, _units(float(have) * 0.8, family.unit)) if have > 1 else ZERO
            if quantity > 0:
                chosen.append((self._product(pk), quantity))
        return chosen

    def _customer(self, customers: list[Customer], days_ago: int) -> Customer | None:
        """A customer that already existed on that day (files are created during the history)."""
        day = self.ctx.clock.day(days_ago)
        known = [c for c in customers if timezone.localdate(c.created_at) < day]
        return self.rng.choice(known) if known else None

    def shipment(self, days_ago: int, code: str, customers: list[Customer]) -> None:
        """Goods to a customer. Recent ones follow the order flow (the clerk reserves, the
        warehouse ships against a delivery number); older ones are the shipments entered before
        orders were kept in the system (one outbound document with a reason)."""
        customer = self._customer(customers, days_ago)
        if customer is None:
            return
        lines = self._order_lines(code, self.rng.randint(1, 4))
        if not lines:
            return
        warehouse, moved_on = self.warehouses[code], self.ctx.clock.day(days_ago)
        if days_ago >= RESERVED_SHIPMENT_DAYS:
            with self.at(days_ago, self.rng.randrange(60, 480)):
                stock.stock_ship(
                    warehouse=warehouse,
                    lines=[stock.Line(product, quantity) for product, quantity in lines],
                    by=self.keeper,
                    reason=_("销售发货"),
                    moved_on=moved_on,
                    customer=customer,
                )
        else:
            self._reserve_and_ship(days_ago, warehouse, customer, lines)
        for product, quantity in lines:
            self.on_hand[(code, product.pk)] -= quantity
        self.moves += len(lines)

    def _reserve_and_ship(self, days_ago: int, warehouse: Warehouse, customer: Customer, lines: list) -> None:
        moved_on = self.ctx.clock.day(days_ago)
        with self.at(days_ago, self.rng.randrange(30, 300)):
            number = numbering.next_number(series="delivery", on=moved_on)
            held = []
            for index, (product, quantity) in enumerate(lines, start=1):
                held += stock.reserve_from(
                    product=product,
                    warehouses=[warehouse],
                    quantity=quantity,
                    document=stock.For(type="delivery", id=number, number=number, line=str(index), customer=customer),
                    by=self.users["clerk"],
                )
        document = stock.Document(type="delivery", id=number, number=number)
        with self.at(days_ago, self.rng.randrange(320, 520)):
            for reservation in held:
                stock.reservation_consume(
                    reservation=reservation,
                    quantity=reservation.quantity,
                    by=self.keeper,
                    document=document,
                    moved_on=moved_on,
                    customer=customer,
                )

    def customer_return(self, days_ago: int, customers: dict[str, list[Customer]]) -> None:
        code = self.rng.choice(list(self.warehouses))
        customer = self._customer(customers[code], days_ago)
        if customer is None:
            return
        lines = self._order_lines(code, 1)
        if not lines:
            return
        product, quantity = lines[0]
        quantity = _units(float(quantity) * 0.2, self.family[product.pk].unit)
        if quantity <= 0:
            return
        with self.at(days_ago):
            posted = stock.stock_receive(
                warehouse=self.warehouses[code],
                lines=[stock.Line(product, quantity)],
                by=self.keeper,
                moved_on=self.ctx.clock.day(days_ago),
                reason=self.rng.choice(goods.RETURN_REASONS),
                kind=MoveKind.RETURN,
                customer=customer,
            )
        self.on_hand[(code, product.pk)] += quantity
        self.moves += len(posted.moves)

    def adjustment(self, days_ago: int) -> None:
        code = self.rng.choice(list(self.warehouses))
        lines = self._order_lines(code, 1)
        if not lines:
            return
        product, quantity = lines[0]
        reason, sign = self.rng.choice(goods.ADJUST_REASONS)
        quantity = max(_units(float(quantity) * 0.05, self.family[product.pk].unit), Decimal("1")) * sign
        if self.on_hand[(code, product.pk)] + quantity < 0:
            return
        with self.at(days_ago):
            posted = stock.stock_adjust(
                warehouse=self.warehouses[code],
                lines=[stock.Line(product, quantity)],
                by=self.keeper,
                reason=reason,
                moved_on=self.ctx.clock.day(days_ago),
            )
        self.on_hand[(code, product.pk)] += quantity
        self.moves += len(posted.moves)

    def reservations_open(self, customers: dict[str, list[Customer]]) -> None:
        """Deliveries prepared in the last days and not shipped yet: stock shows as 已占用."""
        for count in range(OPEN_RESERVATIONS):
            code = list(self.warehouses)[count % len(self.warehouses)]
            days_ago = 0
            moved_on = self.ctx.clock.day(days_ago)
            customer = self._customer(customers[code], days_ago)
            if customer is None:
                continue
            lines = self._order_lines(code, self.rng.randint(1, 2))
            if not lines:
                continue
            with self.at(days_ago, 60 + count):
                number = numbering.next_number(series="delivery", on=moved_on)
                for index, (product, wanted) in enumerate(lines, start=1):
                    quantity = _units(float(wanted) * 0.5, self.family[product.pk].unit)
                    if quantity <= 0:
                        continue
                    stock.reserve_from(
                        product=product,
                        warehouses=[self.warehouses[code]],
                        quantity=quantity,
                        document=stock.For(
                            type="delivery", id=number, number=number, line=str(index), customer=customer
                        ),
                        by=self.users["clerk"],
                    )
                    self.reserved[(code, product.pk)] += quantity
                    self.open_reservations += 1

    def safety_stock(self) -> None:
        """Safety stock on the main lines; a few fall below it (低库存)."""
        from neiqin.stock.models import StockLevel

        levels = list(
            StockLevel.objects.select_related("warehouse", "product")
            .filter(on_hand__gt=0)
            .order_by("warehouse", "product")
        )
        below = 0
        with self.at(0, 15):
            for level in levels:
                if level.product in self.slow or not level.product.is_active or self.rng.random() > 0.15:
                    continue
                target = self.target.get((level.warehouse.code, level.product_id))
                if target is None:
                    continue
                minimum = _units(float(target) * 0.25, level.product.unit)
                if below < 8 and self.rng.random() < 0.3:
                    minimum = max(minimum, _units(float(level.on_hand) * 1.3 + 1, level.product.unit))
                    below += 1
                stock.level_set_min_quantity(
                    warehouse=level.warehouse, product=level.product, min_quantity=minimum, by=self.keeper
                )
