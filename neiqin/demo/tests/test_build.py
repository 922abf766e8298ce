"""The demo company: built through the services, reproducible, believable."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.db import transaction
from django.test import RequestFactory
from django.utils import timezone
from stdnum.cn import ric, uscc

from neiqin.accounts.models import User
from neiqin.accounts.roles import Role
from neiqin.accounts.scoping import roles
from neiqin.core.models import Event, Notification
from neiqin.customers import selectors
from neiqin.customers.choices import Grade, KeyDateKind, PaymentMode, Stage
from neiqin.customers.models import Assignment, Customer, KeyDate
from neiqin.demo.builder import build_demo
from neiqin.demo.context import step_rng
from neiqin.demo.customers import plan_customers, plan_summary
from neiqin.demo.organisation import DEMO_PASSWORD, FEATURED_LOGINS


def quiet(_line: str) -> None:
    pass


@pytest.fixture
def tiny_demo(db):
    return build_demo(seed=7, scale="tiny", log=quiet)


@pytest.fixture(scope="module")
def small_plans():
    return plan_customers(step_rng(7, "customers"), 300)


def test_tiny_demo_builds_thirty_customers_with_audit_trail_and_assignment_history(tiny_demo):
    assert Customer.objects.count() == 30
    created = Event.objects.filter(action="customers.customer.created")
    assert created.count() == 30
    assert set(created.values_list("channel", flat=True)) == {"cli"}
    kinds = set(Assignment.objects.values_list("kind", flat=True))
    assert {"assign", "claim", "reassign", "release", "auto_release"} <= kinds
    assert Event.objects.filter(action="customers.customer.stage_changed").exists()
    assert Event.objects.filter(action="customers.contact.created").count() >= 30


def test_every_generated_credit_code_and_id_number_passes_its_checksum(tiny_demo, small_plans):
    stored = list(Customer.objects.exclude(credit_code="").values_list("credit_code", flat=True))
    planned = [p.fields["credit_code"] for p in small_plans if p.fields.get("credit_code")]
    assert len(stored) >= 20 and len(planned) >= 250
    for code in stored + planned:
        assert uscc.validate(code) == code
    id_numbers = [p.fields["id_number"] for p in small_plans if p.fields.get("id_number")]
    assert id_numbers and all(ric.is_valid(number) for number in id_numbers)


def test_the_same_seed_builds_the_same_customers_and_another_seed_does_not(db):
    def snapshot(seed: int) -> list[tuple]:
        with transaction.atomic():
            build_demo(seed=seed, scale="tiny", log=quiet)
            rows = list(Customer.objects.order_by("code").values_list("code", "name", "credit_code", "owner__username"))
            transaction.set_rollback(True)
        return rows

    first, second, other = snapshot(7), snapshot(7), snapshot(8)

    assert len(first) == 30
    assert first == second
    assert {row[1] for row in first} != {row[1] for row in other}


def test_the_plan_is_deterministic_without_a_database():
    def names_and_owners(seed: int) -> list[tuple]:
        plans = plan_customers(step_rng(seed, "customers"), 60)
        return [(p.name, p.fields.get("credit_code"), p.final_owner, [a.kind for a in p.actions]) for p in plans]

    assert names_and_owners(7) == names_and_owners(7)
    assert names_and_owners(7) != names_and_owners(8)


def test_demo_logins_authenticate_with_demo1234_and_have_their_roles(tiny_demo):
    expected = {
        "admin": Role.ADMIN,
        "clerk": Role.CLERK,
        "sales1": Role.SALESPERSON,
        "sales2": Role.SALESPERSON,
        "manager": Role.SALES_MANAGER,
        "finance": Role.FINANCE,
        "warehouse": Role.WAREHOUSE,
        "gm": Role.GM,
        "deputy": Role.DEPUTY_GM,
    }
    assert set(FEATURED_LOGINS) <= set(expected)
    request = RequestFactory().post("/login/")
    for username, role in expected.items():
        user = authenticate(request=request, username=username, password=DEMO_PASSWORD)
        assert user is not None, username
        assert roles(user) == {role}, username
        assert user.display_name
    assert authenticate(request=request, username="clerk", password="wrong-password") is None
    assert User.objects.get(username="clerk").display_name == "王丽"
    assert User.objects.filter(groups__name=Role.SALESPERSON).count() == 8


def test_sales1_and_sales2_are_in_different_teams_and_manager_manages_sales1s_team(tiny_demo):
    sales1, sales2, manager = (User.objects.get(username=n) for n in ("sales1", "sales2", "manager"))
    assert sales1.team_id and sales2.team_id and sales1.team_id != sales2.team_id
    assert sales1.team.manager == manager
    assert manager.team == sales1.team


def test_some_customers_wait_in_the_pool_and_some_handovers_are_pending_or_overdue(tiny_demo):
    clerk, manager, sales1 = (User.objects.get(username=n) for n in ("clerk", "manager", "sales1"))
    now = timezone.now()

    assert selectors.pool_list(user=clerk).count() == 3
    overdue = selectors.handover_overdue(user=manager)
    assert overdue.filter(owner=sales1).exists()
    pending = Customer.objects.filter(owner=sales1, acknowledged_at__isnull=True, handover_due_at__gt=now)
    assert pending.exists()
    assert Notification.objects.filter(user=sales1, read_at__isnull=True, object_id=str(pending.get().pk)).exists()


def test_signed_customers_have_payment_terms_and_lost_ones_keep_the_reason(tiny_demo, small_plans):
    customers = Customer.objects.all()
    assert customers.filter(stage=Stage.SIGNED).exists() and customers.filter(stage=Stage.LOST).exists()
    for customer in customers.filter(stage=Stage.LOST):
        assert customer.lost_reason
    for customer in customers:
        assert customer.credit_limit % 1000 == 0
        if customer.payment_mode == PaymentMode.TERM:
            assert customer.stage in (Stage.SIGNED, Stage.LOST) and 30 <= customer.payment_term_days <= 90
    credits = [a.data["fields"] for p in small_plans for a in p.actions if a.kind == "credit"]
    assert {c["payment_mode"] for c in credits} == {PaymentMode.MONTHLY, PaymentMode.TERM}
    assert all(c["credit_limit"] > 0 and c["credit_limit"] % Decimal(1000) == 0 for c in credits)


def test_the_small_company_has_a_believable_mix(small_plans):
    summary = plan_summary(small_plans)
    grade_a = summary["grade"][Grade.A] / 300
    pool = summary["owner"]["公海"] / 300
    assert 0.05 <= grade_a <= 0.15
    assert 0.06 <= pool <= 0.10
    assert all(summary["stage"][s] >= 20 for s in Stage.values)
    vip = sum(p.fields["is_vip"] for p in small_plans)
    assert 1 <= vip <= 15
    assert Counter(p.fields["kind"] for p in small_plans)["individual"] >= 5
    provinces = Counter(p.fields["province"] for p in small_plans)
    assert {"湖南", "河南", "陕西"} <= {name for name, _count in provinces.most_common(4)}


def test_history_is_backdated_and_codes_follow_creation_order(tiny_demo):
    rows = list(Customer.objects.order_by("created_at", "id").values_list("code", "created_at"))
    assert rows[-1][1] - rows[0][1] > dt.timedelta(days=30)
    assert all(created <= timezone.now() for _code, created in rows)
    by_year: dict[str, list[int]] = {}
    for code, _created in rows:
        year, number = code.removeprefix("KH").split("-")
        by_year.setdefault(year, []).append(int(number))
    assert all(numbers == list(range(1, len(numbers) + 1)) for numbers in by_year.values())


def test_next_contact_dates_are_around_today_and_leases_expire_in_four_to_six_months(tiny_demo, small_plans):
    today = timezone.localdate()
    offsets = [(c.next_contact_on - today).days for c in Customer.objects.all()]
    assert min(offsets) >= -15 and max(offsets) <= 130
    assert any(o <= 0 for o in offsets) and any(o > 0 for o in offsets)
    leases = [a.data["in_days"] for p in small_plans for a in p.actions if a.data.get("kind") == "lease_expiry"]
    assert len(leases) >= 10 and all(120 <= d <= 180 for d in leases)
    for key_date in KeyDate.objects.filter(kind=KeyDateKind.LEASE_EXPIRY):
        assert 120 <= (key_date.date - today).days <= 180


def test_build_demo_refuses_a_database_with_customers_unless_forced(tiny_demo):
    with pytest.raises(CommandError, match="--force"):
        call_command("build_demo", scale="tiny", verbosity=0)
    assert Customer.objects.count() == 30

    call_command("build_demo", scale="tiny", seed=7, force=True, verbosity=0)  # same seed: all duplicates

    assert Customer.objects.count() == 30
    assert User.objects.filter(username="sales1").count() == 1


def test_dry_run_prints_the_plan_and_writes_nothing(db, capsys):
    call_command("build_demo", scale="tiny", dry_run=True)

    out = capsys.readouterr().out
    assert "fate:" in out and "grade:" in out
    assert not Customer.objects.exists() and not User.objects.exists()


@pytest.mark.slow
def test_small_demo_builds_the_whole_company(db):
    # Its speed is a benchmark figure (README: about 45 s on 2 cores), not a timed test.
    build_demo(seed=7, scale="small", log=quiet)

    from neiqin.catalog.models import Product
    from neiqin.sales.models import SalesOrder

    assert Customer.objects.count() == 300
    assert Product.objects.count() > 100 and SalesOrder.objects.count() > 100
