"""Step 2: the customer archive (CUS-1…10), written through the customer services.

Two phases, so that the data is reproducible and testable without a database:

1. ``plan_customers(rng, count)`` is pure: from the seeded RNG it draws every customer's file,
   contacts and life story (created by whom, assigned, acknowledged, moved along the stages,
   credit set by finance, reassigned, released to the pool, claimed, followed up), each step
   stamped with an ``At`` moment of the simulated history.
2. ``build_customers(ctx)`` replays the plans in creation order through the real services
   (``customer_create``, ``customer_assign``, ``customer_claim``, ``customer_release``,
   ``customer_set_stage``, ``contact_create``, ``key_date_add`` …) at those moments, so audit
   events, assignment history and handover deadlines are exactly what the product would have
   recorded.

The mix: grades A ≈ 10 % (a few VIP), B ≈ 30 %, C ≈ 60 %; stages 潜在/意向/签约/流失 by grade;
≈ 8 % of customers in the pool (公海); a few handovers waiting for acknowledgement and a few
overdue; next-contact dates around today; lease expiries 4–6 months out (seed 004).
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from neiqin.core.errors import ValidationFailed
from neiqin.customers import services
from neiqin.customers.choices import Grade, Industry, KeyDateKind, Kind, PaymentMode, Potential, Scale, Source, Stage
from neiqin.customers.models import Customer
from neiqin.demo import vocabulary as words
from neiqin.demo.context import HISTORY_WORKDAYS, OFFICE_MINUTES, At, DemoContext
from neiqin.demo.identities import Identities, Place, initials_of, pinyin_of
from neiqin.demo.organisation import TEAMS, USERS, salespeople_of, team_for_province

# Share of customers per life story; the rest are "assigned" (created by the clerk, assigned,
# acknowledged). Quotas, not probabilities, so that even the tiny scale has one of each.
FATES: dict[str, float] = {
    "pool_new": 0.03,  # a lead the clerk entered into the pool, not claimed yet
    "pool_released": 0.03,  # its salesperson gave it back to the pool, with a reason
    "pool_auto": 0.02,  # returned automatically after 90 days without follow-up
    "pending": 0.03,  # assigned this morning, not acknowledged yet
    "overdue": 0.02,  # assigned days ago, acknowledgement overdue
    "claimed": 0.05,  # taken from the pool by a salesperson
    "reassigned": 0.06,  # moved from one salesperson to another
    "release_claim": 0.02,  # released by one salesperson, claimed by another
    "self_created": 0.20,  # entered by the salesperson after a visit
}
ASSIGNED = "assigned"
POOL_FATES = {"pool_new", "pool_released", "pool_auto"}

GRADE_WEIGHTS = {Grade.A: 10, Grade.B: 30, Grade.C: 60}
STAGE_WEIGHTS = {
    Grade.A: {Stage.SIGNED: 60, Stage.INTENDED: 25, Stage.POTENTIAL: 10, Stage.LOST: 5},
    Grade.B: {Stage.SIGNED: 40, Stage.INTENDED: 30, Stage.POTENTIAL: 20, Stage.LOST: 10},
    Grade.C: {Stage.SIGNED: 20, Stage.INTENDED: 25, Stage.POTENTIAL: 40, Stage.LOST: 15},
}
SOURCE_WEIGHTS = {
    Source.VISIT: 30,
    Source.REFERRAL: 15,
    Source.PHONE: 15,
    Source.WEB: 15,
    Source.EXHIBITION: 10,
    Source.MARKET_RESEARCH: 10,
    Source.OTHER: 5,
}
PAYMENT_WEIGHTS = {
    Grade.A: {PaymentMode.PREPAY: 15, PaymentMode.MONTHLY: 40, PaymentMode.TERM: 45},
    Grade.B: {PaymentMode.PREPAY: 40, PaymentMode.MONTHLY: 30, PaymentMode.TERM: 30},
    Grade.C: {PaymentMode.PREPAY: 65, PaymentMode.MONTHLY: 20, PaymentMode.TERM: 15},
}
CREDIT_THOUSANDS = {Grade.A: (200, 1000), Grade.B: (50, 300), Grade.C: (10, 100)}
CAPACITY_TEN_THOUSANDS = {Grade.A: (100, 800), Grade.B: (20, 150), Grade.C: (2, 30)}
LEASE_NOTE = "办公室租约到期，提前4-5个月联系装修需求"
NIGHTLY_JOB_MINUTE = 2 * 60 + 10 - 9 * 60  # 02:10, as minutes after 09:00


@dataclass
class Action:
    at: At
    kind: str
    by: str | None
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class CustomerPlan:
    index: int
    fate: str
    created: At
    created_by: str
    owner: str | None
    region: str  # region code
    fields: dict[str, Any]
    contacts: list[dict[str, Any]]
    actions: list[Action] = field(default_factory=list)
    next_contact_in: int | None = None  # days from the anchor day, for files created into the pool
    domain: str = ""  # the company's e-mail domain, for contacts added later

    @property
    def name(self) -> str:
        return self.fields["name"]

    @property
    def final_owner(self) -> str | None:
        owner = self.owner
        for action in self.actions:
            if action.kind == "assign":
                owner = action.data["owner"]
            elif action.kind == "claim":
                owner = action.by
            elif action.kind == "release":
                owner = None
        return owner

    @property
    def final_stage(self) -> str:
        stages = [a.data["stage"] for a in self.actions if a.kind == "stage"]
        return stages[-1] if stages else Stage.POTENTIAL


class Timeline:
    """Moments of one customer's story, never going backwards."""

    def __init__(self, rng: random.Random, start: At):
        self.rng = rng
        self.current = start

    def to(self, days_ago: int) -> At:
        """That many working days before the anchor (or just after the current moment)."""
        if days_ago >= self.current.days_ago:
            minute = min(self.current.minute + self.rng.randint(5, 90), OFFICE_MINUTES - 1)
            self.current = At(self.current.days_ago, minute)
        else:
            self.current = At(days_ago, self.rng.randrange(OFFICE_MINUTES))
        return self.current

    def after(self, low: int, high: int) -> At:
        """Between ``low`` and ``high`` working days later (capped at today)."""
        return self.to(max(0, self.current.days_ago - self.rng.randint(low, high)))

    def recent(self, within: int) -> At:
        """At most ``within`` working days ago, and not before the current moment."""
        return self.to(self.rng.randint(0, within))


def _weighted(rng: random.Random, weights: dict[Any, int]) -> Any:
    return rng.choices(list(weights), list(weights.values()))[0]


class Planner:
    def __init__(self, rng: random.Random):
        self.rng = rng
        self.ids = Identities(rng)
        self.given_to_sales1: set[str] = set()
        self._industry_weights = {code: spec[2] for code, spec in words.INDUSTRY_WORDS.items()}
        self._managers = {t.name: t.manager for t in TEAMS}
        self._team_of = {u.username: u.team for u in USERS}

    # --- who -------------------------------------------------------------------------------

    def salesperson(self, province: str, *, exclude: str | None = None) -> str:
        team = team_for_province(province)
        people = [u for u in salespeople_of(team.name) if u.username != exclude]
        return self.rng.choices([u.username for u in people], [u.weight for u in people])[0]

    def manager_of(self, username: str) -> str:
        return self._managers[self._team_of[username]]

    # --- the file --------------------------------------------------------------------------

    def _place(self, fate: str) -> Place:
        # The first pending and overdue handovers go to sales1 (长沙一组), so that logging in as
        # sales1 and as manager shows them at once.
        if fate in ("pending", "overdue") and fate not in self.given_to_sales1:
            return self.ids.place(("湖南",))
        return self.ids.place()

    def _company(self, place: Place, industry: str, scale: str) -> tuple[str, str, str, str]:
        while True:
            found = self.ids.company(industry, place, large=scale == Scale.LARGE)
            if found:
                return (*found, industry)
            industry = Industry.CONSTRUCTION  # this industry's names ran out here; the main trade never does

    def customer_fields(self, *, fate: str, grade: str, stage: str) -> tuple[Place, dict[str, Any], list[dict], str]:
        rng = self.rng
        place = self._place(fate)
        individual = rng.random() < 0.06
        potential = {
            Grade.A: Potential.HIGH,
            Grade.B: rng.choice([Potential.MEDIUM, Potential.HIGH]),
            Grade.C: rng.choice([Potential.LOW, Potential.MEDIUM]),
        }[grade]
        low, high = CAPACITY_TEN_THOUSANDS[grade]
        fields: dict[str, Any] = {
            "grade": grade,
            "is_vip": grade == Grade.A and rng.random() < 0.2,
            "potential": potential,
            "source": Source.VISIT if fate == "self_created" else _weighted(rng, SOURCE_WEIGHTS),
            "province": place.province,
            "city": place.city.name,
            "purchase_capacity": f"年采购额约{rng.randint(low, high)}万元",
        }
        if stage != Stage.LOST or rng.random() < 0.5:
            intent = rng.choice(words.PURCHASE_INTENTS)
            fields["purchase_intent"] = intent.format(n=rng.randrange(100, 3000, 50))
        if rng.random() < 0.15:
            fields["notes"] = rng.choice(words.NOTES)
        if individual:
            return place, fields, self._individual(fields, place), ""
        contacts, domain = self._enterprise(fields, place, grade, stage)
        return place, fields, contacts, domain

    def _individual(self, fields: dict[str, Any], place: Place) -> list[dict[str, Any]]:
        rng, ids = self.rng, self.ids
        name = ids.individual()
        mobile = ids.mobile()
        birthday = ids.birthday(1980, 1998)  # stdnum knows birth-place divisions from the 1980s on
        fields.update(
            name=name,
            kind=Kind.INDIVIDUAL,
            industry=rng.choice([Industry.OTHER, Industry.CONSTRUCTION]),
            scale="",
            address=ids.home_address(place),
            phone=mobile,
            id_number=ids.id_number(place, birthday) if rng.random() < 0.6 else "",
        )
        return [{"name": name, "mobile": mobile, "birthday": birthday, "is_decision_maker": True, "is_primary": True}]

    def _enterprise(
        self, fields: dict[str, Any], place: Place, grade: str, stage: str
    ) -> tuple[list[dict[str, Any]], str]:
        rng, ids = self.rng, self.ids
        scale_weights = {Scale.MICRO: 20, Scale.SMALL: 40, Scale.MEDIUM: 30, Scale.LARGE: 10}
        if grade == Grade.A:
            scale_weights = {Scale.SMALL: 20, Scale.MEDIUM: 50, Scale.LARGE: 30}
        scale = _weighted(rng, scale_weights)
        name, short_name, word, industry = self._company(place, _weighted(rng, self._industry_weights), scale)
        government = industry == Industry.GOVERNMENT
        address = ids.office_address(place)
        phone = ids.landline(place)
        domain = ids.domain(short_name, word)
        fields.update(
            name=name,
            short_name=short_name,
            kind=Kind.ENTERPRISE,
            industry=industry,
            scale=scale,
            address=address,
            phone=ids.display_phone(phone, place),
            credit_code=ids.credit_code(place, government=government),
            business_scope=words.INDUSTRY_WORDS[industry][1],
        )
        if rng.random() < 0.25:
            fields["fax"] = ids.display_phone(ids.landline(place), place)
        if rng.random() < 0.4 and not government:
            fields["email"] = f"{rng.choice(words.EMAIL_MAILBOXES)}@{domain}"
        if rng.random() < 0.3 and not government:
            fields["website"] = f"www.{domain}"
        if stage in (Stage.SIGNED, Stage.INTENDED) or rng.random() < 0.4:
            fields.update(
                invoice_title=name,
                invoice_tax_id=fields["credit_code"],
                invoice_address_phone=f"{address} {fields['phone']}",
                invoice_bank=ids.bank_branch(place),
                invoice_account=ids.bank_account(),
            )
        count = 2 if rng.random() < 0.4 else 1
        return [self.contact(domain, primary=i == 0, place=place, company_phone=phone) for i in range(count)], domain

    def contact(
        self, domain: str, *, primary: bool, place: Place | None = None, company_phone: str = ""
    ) -> dict[str, Any]:
        rng, ids = self.rng, self.ids
        name = ids.person_name()
        title, department, decides = ids.contact_title()
        row: dict[str, Any] = {
            "name": name,
            "title": title,
            "department": department,
            "mobile": ids.mobile(),
            "is_decision_maker": decides,
            "is_primary": primary,
        }
        if place and company_phone and rng.random() < 0.3:
            row["phone"] = ids.display_phone(company_phone, place)
        if rng.random() < 0.4:
            row["birthday"] = ids.birthday()
        roll = rng.random()
        if roll < 0.3:
            row["email"] = f"{pinyin_of(name[0])}{initials_of(name[1:])}@{domain}"
        elif roll < 0.45:
            row["email"] = f"{rng.randint(10000, 999999999)}@qq.com"
        if rng.random() < 0.2:
            row["wechat"] = row["mobile"]
        return row

    # --- the story -------------------------------------------------------------------------

    def plan(self, index: int, fate: str) -> CustomerPlan:
        rng = self.rng
        grade = _weighted(rng, GRADE_WEIGHTS)
        stage = self._target_stage(fate, grade)
        place, fields, contacts, domain = self.customer_fields(fate=fate, grade=grade, stage=stage)
        region = next(code for code, _name, provinces in words.REGIONS if place.province in provinces)
        owner = self.salesperson(place.province)
        if fate in ("pending", "overdue") and fate not in self.given_to_sales1:
            owner = "sales1"
            self.given_to_sales1.add(fate)
        plan = CustomerPlan(index, fate, self._created(fate), "clerk", owner, region, fields, contacts, domain=domain)
        story = getattr(self, f"_story_{fate}")
        story(plan, Timeline(rng, plan.created), stage, grade)
        return plan

    def _target_stage(self, fate: str, grade: str) -> str:
        if fate in ("pending", "overdue", "pool_new"):
            return Stage.POTENTIAL
        if fate == "pool_released":
            return Stage.LOST if self.rng.random() < 0.4 else Stage.POTENTIAL
        if fate == "pool_auto":
            return Stage.INTENDED if self.rng.random() < 0.4 else Stage.POTENTIAL
        return _weighted(self.rng, STAGE_WEIGHTS[grade])

    def _created(self, fate: str) -> At:
        rng = self.rng
        minute = rng.randrange(OFFICE_MINUTES)
        if fate == "pending":
            return At.ago(rng.randint(20, 300))
        if fate == "overdue":
            return At(rng.randint(2, 4), minute)
        if fate == "pool_auto":
            return At(rng.randint(90, HISTORY_WORKDAYS), minute)
        low = 20 if fate in ("claimed", "reassigned", "release_claim") else 1
        # more customers recently than two years ago: the business is growing
        return At(max(low, round(HISTORY_WORKDAYS * rng.random() ** 1.4)), minute)

    def _acknowledge(self, plan: CustomerPlan, t: Timeline, owner: str) -> None:
        plan.actions.append(Action(t.after(0, 1), "acknowledge", owner))

    def _story_assigned(self, plan: CustomerPlan, t: Timeline, stage: str, grade: str) -> None:
        self._acknowledge(plan, t, plan.owner)
        self._work(plan, t, plan.owner, stage, grade)

    def _story_self_created(self, plan: CustomerPlan, t: Timeline, stage: str, grade: str) -> None:
        plan.created_by = plan.owner
        self._work(plan, t, plan.owner, stage, grade)

    def _story_pending(self, plan: CustomerPlan, t: Timeline, stage: str, grade: str) -> None:
        """Assigned a few hours ago; the owner has not acknowledged yet."""

    def _story_overdue(self, plan: CustomerPlan, t: Timeline, stage: str, grade: str) -> None:
        """Assigned days ago, past the handover deadline, never acknowledged."""

    def _story_claimed(self, plan: CustomerPlan, t: Timeline, stage: str, grade: str) -> None:
        owner, plan.owner = plan.owner, None
        plan.actions.append(Action(t.after(3, 60), "claim", owner))
        self._work(plan, t, owner, stage, grade)

    def _story_reassigned(self, plan: CustomerPlan, t: Timeline, stage: str, grade: str) -> None:
        first = plan.owner
        second = self.salesperson(plan.fields["province"], exclude=first)
        self._acknowledge(plan, t, first)
        by = self.manager_of(first) if self.rng.random() < 0.7 else "clerk"
        reason = self.rng.choice(words.REASSIGN_REASONS)
        plan.actions.append(Action(t.after(10, 100), "assign", by, {"owner": second, "reason": reason}))
        self._acknowledge(plan, t, second)
        self._work(plan, t, second, stage, grade)

    def _story_release_claim(self, plan: CustomerPlan, t: Timeline, stage: str, grade: str) -> None:
        first = plan.owner
        second = self.salesperson(plan.fields["province"], exclude=first)
        self._acknowledge(plan, t, first)
        reason = self.rng.choice(words.RELEASE_REASONS)
        plan.actions.append(Action(t.after(10, 120), "release", first, {"reason": reason}))
        plan.actions.append(Action(t.after(2, 60), "claim", second))
        self._work(plan, t, second, stage, grade)

    def _story_pool_new(self, plan: CustomerPlan, t: Timeline, stage: str, grade: str) -> None:
        plan.owner = None
        plan.next_contact_in = self.rng.randint(-5, 40)
        self._key_dates(plan, t, "clerk", stage)

    def _story_pool_released(self, plan: CustomerPlan, t: Timeline, stage: str, grade: str) -> None:
        owner = plan.owner
        self._acknowledge(plan, t, owner)
        if stage == Stage.LOST:
            reason = self.rng.choice(words.LOST_REASONS)
            plan.actions.append(Action(t.after(5, 60), "stage", owner, {"stage": stage, "reason": reason}))
        reason = self.rng.choice(words.RELEASE_REASONS)
        plan.actions.append(Action(t.after(5, 60), "release", owner, {"reason": reason}))
        self._schedule_from_pool(plan, t)

    def _story_pool_auto(self, plan: CustomerPlan, t: Timeline, stage: str, grade: str) -> None:
        """Last follow-up more than 90 days (65 working days) before the automatic release."""
        owner = plan.owner
        self._acknowledge(plan, t, owner)
        if stage == Stage.INTENDED:
            plan.actions.append(Action(t.after(1, 20), "stage", owner, {"stage": stage}))
        last_contact = self.rng.randint(66, min(t.current.days_ago - 1, 200))
        planned = 30 - round(last_contact * 7 / 5)  # "call again in a month", long past by now
        plan.actions.append(Action(t.to(last_contact), "follow_up", owner, {"in_days": planned}))
        # the nightly job (02:10) of the 91st calendar day
        t.current = At(last_contact - 65, NIGHTLY_JOB_MINUTE)
        plan.actions.append(Action(t.current, "release", None, {"automatic": True}))
        self._schedule_from_pool(plan, t)

    def _schedule_from_pool(self, plan: CustomerPlan, t: Timeline) -> None:
        """The clerk puts a return call for the pool customer in the calendar."""
        plan.actions.append(Action(t.after(1, 10), "schedule", "clerk", {"in_days": self.rng.randint(-5, 40)}))

    def _work(self, plan: CustomerPlan, t: Timeline, owner: str, stage: str, grade: str) -> None:
        """The owner's part: stages, credit terms (finance), more contacts, key dates, follow-up."""
        rng = self.rng
        if stage == Stage.INTENDED or (stage in (Stage.SIGNED, Stage.LOST) and rng.random() < 0.6):
            plan.actions.append(Action(t.after(3, 40), "stage", owner, {"stage": Stage.INTENDED}))
        if stage == Stage.SIGNED:
            plan.actions.append(Action(t.after(5, 60), "stage", owner, {"stage": Stage.SIGNED}))
            credit = self._credit(grade)
            if credit:  # 款到发货 with no credit is the default: nothing for finance to change
                plan.actions.append(Action(t.after(0, 3), "credit", "finance", {"fields": credit}))
            if rng.random() < 0.08:  # signed, then lost to a competitor (流失)
                reason = rng.choice(words.LOST_REASONS[:3])
                plan.actions.append(Action(t.after(20, 120), "stage", owner, {"stage": Stage.LOST, "reason": reason}))
        elif stage == Stage.LOST:
            reason = rng.choice(words.LOST_REASONS)
            plan.actions.append(Action(t.after(5, 60), "stage", owner, {"stage": Stage.LOST, "reason": reason}))
        if plan.fields["kind"] == Kind.ENTERPRISE and len(plan.contacts) < 3 and rng.random() < 0.3:
            contact = self.contact(plan.domain, primary=False)
            plan.actions.append(Action(t.after(5, 100), "contact", owner, {"fields": contact}))
        self._key_dates(plan, t, owner, plan.final_stage)
        in_days = rng.randint(30, 120) if plan.final_stage == Stage.LOST else rng.randint(-10, 30)
        plan.actions.append(Action(t.recent(60), "follow_up", owner, {"in_days": in_days}))

    def _credit(self, grade: str) -> dict[str, Any] | None:
        mode = _weighted(self.rng, PAYMENT_WEIGHTS[grade])
        if mode == PaymentMode.PREPAY:
            return None
        low, high = CREDIT_THOUSANDS[grade]
        term = 30 if mode == PaymentMode.MONTHLY else self.rng.choice([30, 45, 60, 90])
        limit = Decimal(self.rng.randint(low, high) * 1000).quantize(Decimal("0.01"))
        return {"payment_mode": mode, "credit_limit": limit, "payment_term_days": term}

    def _key_dates(self, plan: CustomerPlan, t: Timeline, by: str, stage: str) -> None:
        rng = self.rng
        enterprise = plan.fields["kind"] == Kind.ENTERPRISE and plan.fields["industry"] != Industry.GOVERNMENT
        lease_odds = 0.05 if stage == Stage.SIGNED else 0.18
        if enterprise and rng.random() < lease_odds:
            data = {"kind": KeyDateKind.LEASE_EXPIRY, "in_days": rng.randint(120, 180), "note": LEASE_NOTE}
            plan.actions.append(Action(t.recent(40), "key_date", by, data))
        if stage == Stage.SIGNED and rng.random() < 0.3:
            data = {"kind": KeyDateKind.CONTRACT_EXPIRY, "in_days": rng.randint(20, 330), "note": "年度供货合同到期"}
            plan.actions.append(Action(t.recent(40), "key_date", by, data))
        if enterprise and rng.random() < 0.05:
            founded = dt.date(rng.randint(1998, 2018), rng.randint(1, 12), rng.randint(1, 28))
            data = {"kind": KeyDateKind.FOUNDING, "date": founded, "recurring": True, "note": "公司成立纪念日"}
            plan.actions.append(Action(t.recent(40), "key_date", by, data))
        if plan.fields["kind"] == Kind.INDIVIDUAL and rng.random() < 0.5:
            data = {"kind": KeyDateKind.BIRTHDAY, "date": plan.contacts[0]["birthday"], "recurring": True}
            plan.actions.append(Action(t.recent(40), "key_date", by, data))


def plan_customers(rng: random.Random, count: int) -> list[CustomerPlan]:
    """Every customer's file and story, from the RNG alone (no database, no clock)."""
    fates = []
    for fate, share in FATES.items():
        fates += [fate] * max(1, round(share * count))
    fates += [ASSIGNED] * max(0, count - len(fates))
    fates = fates[:count]
    rng.shuffle(fates)
    planner = Planner(rng)
    return [planner.plan(index, fate) for index, fate in enumerate(fates)]


def plan_summary(plans: list[CustomerPlan]) -> dict[str, Counter[str]]:
    return {
        "fate": Counter(p.fate for p in plans),
        "grade": Counter(p.fields["grade"] for p in plans),
        "stage": Counter(p.final_stage for p in plans),
        "owner": Counter(p.final_owner or "公海" for p in plans),
    }


# ---- phase 2: replay through the services ------------------------------------------------------


def build_customers(ctx: DemoContext) -> None:
    plans = plan_customers(ctx.rng_for("customers"), ctx.scale.customers)
    plans.sort(key=lambda p: (ctx.clock.resolve(p.created), p.index))  # codes follow creation order
    step = max(1, len(plans) // 10)
    for done, plan in enumerate(plans, 1):
        _replay(ctx, plan)
        if done % step == 0 or done == len(plans):
            ctx.log(f"  客户 {done}/{len(plans)}")


def _replay(ctx: DemoContext, plan: CustomerPlan) -> Customer | None:
    fields = dict(plan.fields, region=ctx.regions[plan.region])
    if plan.next_contact_in is not None:
        fields["next_contact_on"] = ctx.today + dt.timedelta(days=plan.next_contact_in)
    owner = ctx.users[plan.owner] if plan.owner else None
    with ctx.clock.at(plan.created):
        try:
            customer = services.customer_create(
                fields=fields, by=ctx.users[plan.created_by], owner=owner, contacts=plan.contacts
            )
        except ValidationFailed as exc:
            if exc.code != "duplicate_customer":
                raise
            ctx.stats["customers_skipped_duplicate"] += 1  # build_demo --force over existing data
            return None
    ctx.stats["customers"] += 1
    for action in plan.actions:
        with ctx.clock.at(action.at):
            customer = HANDLERS[action.kind](ctx, customer, action)
    return customer


def _user(ctx: DemoContext, action: Action) -> Any:
    return ctx.users[action.by] if action.by else None


def _in_days(ctx: DemoContext, action: Action) -> dt.date:
    return ctx.today + dt.timedelta(days=action.data["in_days"])


def _acknowledge(ctx: DemoContext, customer: Customer, action: Action) -> Customer:
    return services.customer_acknowledge(customer=customer, by=_user(ctx, action))


def _stage(ctx: DemoContext, customer: Customer, action: Action) -> Customer:
    return services.customer_set_stage(
        customer=customer, stage=action.data["stage"], reason=action.data.get("reason", ""), by=_user(ctx, action)
    )


def _update(ctx: DemoContext, customer: Customer, action: Action) -> Customer:
    return services.customer_update(customer=customer, fields=action.data["fields"], by=_user(ctx, action))


def _schedule(ctx: DemoContext, customer: Customer, action: Action) -> Customer:
    fields = {"next_contact_on": _in_days(ctx, action)}
    return services.customer_update(customer=customer, fields=fields, by=_user(ctx, action))


def _contact(ctx: DemoContext, customer: Customer, action: Action) -> Customer:
    services.contact_create(customer=customer, fields=action.data["fields"], by=_user(ctx, action))
    return customer


def _key_date(ctx: DemoContext, customer: Customer, action: Action) -> Customer:
    data = action.data
    date = data["date"] if "date" in data else _in_days(ctx, action)
    services.key_date_add(
        customer=customer,
        kind=data["kind"],
        date=date,
        note=data.get("note", ""),
        recurring=data.get("recurring", False),
        by=_user(ctx, action),
    )
    return customer


def _assign(ctx: DemoContext, customer: Customer, action: Action) -> Customer:
    owner = ctx.users[action.data["owner"]]
    return services.customer_assign(customer=customer, owner=owner, by=_user(ctx, action), reason=action.data["reason"])


def _release(ctx: DemoContext, customer: Customer, action: Action) -> Customer:
    if action.data.get("automatic"):
        days = settings.NEIQIN_POOL_RETURN_DAYS
        reason = _("%(days)s 天未跟进，自动退回公海") % {"days": days}  # the wording of pool_auto_return
        return services.customer_release(customer=customer, by=None, reason=reason, automatic=True)
    return services.customer_release(customer=customer, by=_user(ctx, action), reason=action.data["reason"])


def _claim(ctx: DemoContext, customer: Customer, action: Action) -> Customer:
    return services.customer_claim(customer=customer, by=_user(ctx, action))


def _follow_up(ctx: DemoContext, customer: Customer, action: Action) -> Customer:
    return services.customer_record_contact(
        customer=customer, by=_user(ctx, action), next_contact_on=_in_days(ctx, action)
    )


HANDLERS = {
    "acknowledge": _acknowledge,
    "stage": _stage,
    "credit": _update,
    "schedule": _schedule,
    "contact": _contact,
    "key_date": _key_date,
    "assign": _assign,
    "release": _release,
    "claim": _claim,
    "follow_up": _follow_up,
}
