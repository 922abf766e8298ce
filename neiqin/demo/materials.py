"""Demo step: promotional materials and product loans (INV-6).

Runs after the catalog step: it looks the warehouses, goods and customers up in the database
and returns quietly when there is no warehouse yet. It makes sure a handful of promotional
materials exist (样品册, 地板样板 …), receives a stock of them into every warehouse, hands some
out to customers over the last months, and leaves product loans in every status, two of them
overdue, so the loan list shows what a desk in use looks like.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from neiqin.accounts.models import User
from neiqin.accounts.roles import Role
from neiqin.catalog.choices import ProductKind
from neiqin.catalog.models import Product
from neiqin.core.errors import DomainError
from neiqin.customers.models import Customer
from neiqin.demo.context import At, DemoContext
from neiqin.stock.models import StockLevel, Warehouse

STEP = "materials"

# (name, model, spec, unit, receipt quantity per warehouse)
PROMO_MATERIALS = (
    ("样品册", "YP-SPC-01", "A4 精装", "本", 300),
    ("地板样板", "YP-YB-02", "300×150mm", "块", 500),
    ("手提袋", "YP-SD-03", "无纺布 大号", "个", 800),
    ("宣传海报", "YP-HB-04", "60×90cm", "张", 400),
    ("保温材料样块", "YP-BW-05", "100×100mm", "块", 300),
    ("展会礼品笔", "YP-LP-06", "金属签字笔", "支", 600),
)
PROMO_ISSUES_PER_WAREHOUSE = 10
ISSUE_PURPOSES = ("客户拜访", "展会赠送", "新店开业", "样品展示", "年终回访")
LOAN_PURPOSES = ("客户试铺样品", "展厅陈列", "项目投标样品", "客户质量测试", "展会展示")


def _user(ctx: DemoContext, username: str, role: str) -> User | None:
    user = ctx.users.get(username)
    if user is not None and user.is_active:
        return user
    return User.objects.filter(groups__name=role, is_active=True).order_by("username").first()


def _ensure_promo_products() -> list[Product]:
    from neiqin.catalog.services import product_create

    existing = list(Product.objects.filter(kind=ProductKind.PROMO, is_active=True).order_by("model"))
    if existing:
        return existing
    created = []
    for name, model, spec, unit, _quantity in PROMO_MATERIALS:
        if Product.objects.filter(model=model).exists():
            continue
        fields = {"name": name, "model": model, "spec": spec, "unit": unit, "kind": "promo", "standard_price": "0"}
        created.append(product_create(fields=fields, by=None))
    return created


def _receive_materials(ctx: DemoContext, *, warehouses: list[Warehouse], products: list[Product], keeper: User) -> None:
    from neiqin.stock.services import Line, stock_receive

    quantities = {model: quantity for _n, model, _s, _u, quantity in PROMO_MATERIALS}
    rng = ctx.rng_for(f"{STEP}:receipts")
    for index, warehouse in enumerate(warehouses):
        lines = [Line(p, str(quantities.get(p.model, 200) + rng.randrange(0, 10) * 10)) for p in products]
        with ctx.clock.at(At(days_ago=120 + index, minute=60)) as moment:
            stock_receive(
                warehouse=warehouse,
                lines=lines,
                by=keeper,
                moved_on=moment.date(),
                reason="促销品采购入库",
            )


def _issue_materials(
    ctx: DemoContext, *, warehouses: list[Warehouse], products: list[Product], customers: list[Customer], by: User
) -> int:
    from neiqin.stock.services.materials import promo_issue

    rng = ctx.rng_for(f"{STEP}:issues")
    issued = 0
    for warehouse in warehouses:
        for _ in range(PROMO_ISSUES_PER_WAREHOUSE):
            customer = rng.choice(customers) if customers else None
            contact = customer.short_name or customer.name[:4] if customer else "展会"
            days_ago = rng.randrange(1, 110)
            with ctx.clock.at(At(days_ago=days_ago, minute=rng.randrange(30, 500))) as moment:
                try:
                    promo_issue(
                        product=rng.choice(products),
                        warehouse=warehouse,
                        quantity=str(rng.choice((2, 5, 10, 20, 30))),
                        recipient=f"{contact}采购" if customer else "展会现场",
                        customer=customer,
                        salesperson=customer.owner if customer else None,
                        purpose=rng.choice(ISSUE_PURPOSES),
                        issued_on=moment.date(),
                        by=by,
                    )
                except DomainError:
                    continue
            issued += 1
    return issued


def _loan_candidates(warehouses: list[Warehouse]) -> list[StockLevel]:
    levels = (
        StockLevel.objects.filter(warehouse__in=warehouses, product__kind=ProductKind.GOODS, product__is_active=True)
        .filter(on_hand__gte=20)
        .select_related("product", "warehouse")
        .order_by("warehouse__sort_order", "product__model", "pk")
    )
    return [level for level in levels[:60] if level.available >= 20]


# Each plan: (final state, workdays ago requested, days until due counted from the request)
LOAN_PLANS = (
    ("requested", 1, 20),
    ("requested", 3, 30),
    ("approved", 4, 25),
    ("rejected", 12, 15),
    ("cancelled", 15, 20),
    ("lent", 8, 30),
    ("lent", 14, 45),
    ("overdue", 45, 20),
    ("overdue", 60, 30),
    ("returned", 70, 20),
    ("charged", 80, 30),
    ("mixed", 90, 30),
)


def _make_loans(
    ctx: DemoContext,
    *,
    levels: list[StockLevel],
    customers: list[Customer],
    approver: User,
    keeper: User,
    charger: User,
) -> dict[str, int]:
    from neiqin.stock.services import materials as services

    rng = ctx.rng_for(f"{STEP}:loans")
    owned = [c for c in customers if c.owner_id and c.owner.is_active]
    made: dict[str, int] = {}
    if not owned or not levels:
        return made
    for plan, days_ago, due_days in LOAN_PLANS:
        level = rng.choice(levels)
        customer = rng.choice(owned)
        requester = customer.owner
        quantity = rng.choice((2, 3, 4, 5))

        def at(offset: int, *, minute: int = 120, start: int = days_ago) -> Any:
            return ctx.clock.at(At(days_ago=max(start - offset, 0), minute=minute + rng.randrange(0, 240)))

        try:
            with at(0, minute=30) as moment:
                loan = services.loan_request(
                    product=level.product,
                    warehouse=level.warehouse,
                    quantity=str(quantity),
                    customer=customer,
                    purpose=rng.choice(LOAN_PURPOSES),
                    due_on=moment.date() + dt.timedelta(days=due_days),
                    by=requester,
                )
            if plan == "requested":
                made[plan] = made.get(plan, 0) + 1
                continue
            if plan == "cancelled":
                with at(0, minute=300):
                    services.loan_cancel(loan=loan, by=requester)
                made[plan] = made.get(plan, 0) + 1
                continue
            with at(1):
                if plan == "rejected":
                    services.loan_reject(loan=loan, by=approver, comment="近期库存紧张，请改用样品册")
                    made[plan] = made.get(plan, 0) + 1
                    continue
                loan = services.loan_approve(loan=loan, by=approver, comment="同意")
            if plan == "approved":
                made[plan] = made.get(plan, 0) + 1
                continue
            with at(2) as moment:
                loan = services.loan_lend(loan=loan, by=keeper, lent_on=moment.date())
            if plan in ("returned", "mixed"):
                with at(12) as moment:
                    loan = services.loan_return(
                        loan=loan,
                        quantity=str(quantity if plan == "returned" else 1),
                        by=keeper,
                        returned_on=moment.date(),
                    )
            if plan in ("charged", "mixed"):
                with at(14):
                    loan = services.loan_charge(loan=loan, quantity=str(loan.outstanding), by=charger)
        except DomainError:
            continue
        made[plan] = made.get(plan, 0) + 1
    return made


def build(ctx: DemoContext) -> None:
    """Promotional materials in stock and handed out; product loans in every status."""
    warehouses = list(Warehouse.objects.filter(is_active=True).order_by("sort_order", "code"))
    if not warehouses:
        return
    keeper = _user(ctx, "warehouse", Role.WAREHOUSE)
    clerk = _user(ctx, "clerk", Role.CLERK)
    approver = _user(ctx, "deputy", Role.DEPUTY_GM) or _user(ctx, "gm", Role.GM)
    if keeper is None or clerk is None or approver is None:
        return
    products = _ensure_promo_products()
    if products:
        _receive_materials(ctx, warehouses=warehouses, products=products, keeper=keeper)
    customers = list(Customer.objects.filter(owner__isnull=False).select_related("owner").order_by("code")[:300])
    issued = (
        _issue_materials(ctx, warehouses=warehouses, products=products, customers=customers, by=clerk)
        if products
        else 0
    )
    loans = _make_loans(
        ctx,
        levels=_loan_candidates(warehouses),
        customers=customers,
        approver=approver,
        keeper=keeper,
        charger=clerk,
    )
    ctx.stats["promo_issues"] += issued
    ctx.stats["product_loans"] += sum(loans.values())
    ctx.log(f"[demo] materials: {len(products)} promo materials, {issued} issues, {sum(loans.values())} loans")
