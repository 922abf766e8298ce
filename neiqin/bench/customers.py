"""Customer benchmarks: the 100k-row import (R7 budget) and list search (pinyin, name, phone)."""

from __future__ import annotations

import random
import secrets
import time
from collections.abc import Mapping
from typing import Any

from django.core.management.base import CommandError
from django.db import connection

from neiqin.accounts.models import Team, User
from neiqin.accounts.roles import Role
from neiqin.accounts.services import user_create
from neiqin.core import audit
from neiqin.core.crypto import EncryptionKeyError
from neiqin.core.models import Event, ImportBatch, Notification
from neiqin.core.pinyin import search_keys
from neiqin.customers.importer import commit_customer_import, stage_customer_import
from neiqin.customers.models import AccessGrant, Assignment, Contact, Customer, KeyDate
from neiqin.customers.selectors import CustomerFilters, customer_list

from .data import Company, companies, write_xlsx
from .registry import BenchContext, BenchResult, peak_rss_mb, register, summary_ms

PREFIX = "bench_"
CLERK = f"{PREFIX}clerk"
SALESPEOPLE = [f"{PREFIX}s{n:02d}" for n in range(1, 21)]
TEAMS = [f"{PREFIX}team{n}" for n in range(1, 5)]
PAGE = 20


# --- the bench's own users and data -------------------------------------------------------------


def bench_users() -> tuple[User, list[User]]:
    """A clerk and 20 salespeople in 4 teams, created once (random passwords: not for logging in)."""
    audit.ensure_armed()
    teams = [Team.objects.get_or_create(name=name)[0] for name in TEAMS]
    existing = {u.username: u for u in User.objects.filter(username__startswith=PREFIX)}

    def ensure(username: str, role: str, team: Team | None) -> User:
        if username in existing:
            return existing[username]
        return user_create(
            username=username,
            password=secrets.token_urlsafe(16),
            display_name=username,
            role_codes=[role],
            team=team,
            by=None,
            check_password=False,
        )

    clerk = ensure(CLERK, Role.CLERK, None)
    sales = [ensure(name, Role.SALESPERSON, teams[i % len(teams)]) for i, name in enumerate(SALESPEOPLE)]
    return clerk, sales


def foreign_customers() -> int:
    """Customers not created by the bench: their presence means this is someone's real data."""
    return Customer.objects.exclude(created_by__username__startswith=PREFIX).count()


def refuse_real_data(*, force: bool) -> None:
    count = foreign_customers()
    if count and not force:
        raise CommandError(
            f"the target database holds {count} customers that the benchmark did not create; "
            "refusing to run (use a throwaway database, or --force if you really mean it)"
        )


def reset() -> None:
    """Remove everything the bench created (customers, contacts, events, batches), nothing else."""
    users = User.objects.filter(username__startswith=PREFIX)
    mine = Customer.objects.filter(created_by__in=users)
    with audit.maintenance():
        Event.objects.filter(actor__in=users).delete()
        for model in (Contact, Assignment, KeyDate, AccessGrant):
            model.objects.filter(customer__in=mine).delete()
        Notification.objects.filter(user__in=users).delete()
        mine._raw_delete(mine.db)
        ImportBatch.objects.filter(created_by__in=users).delete()


def bench_customers() -> int:
    """Bench customers readable with this home's keys (0 if they were encrypted under others)."""
    mine = Customer.objects.filter(created_by__username=CLERK)
    try:
        mine.first()
    except EncryptionKeyError:
        return 0
    return mine.count()


def generate(ctx: BenchContext) -> list[Company]:
    return list(companies(ctx.rows, owners=SALESPEOPLE, seed=ctx.seed))


def import_file(ctx: BenchContext, clerk: User, rows: list[Company]) -> dict[str, Any]:
    """Write the XLSX, then stage and commit it through the real pipeline, timing each step.

    Wall-clock and CPU seconds are both recorded: on a shared box the CPU figures stay
    comparable when other work slows the wall clock down.
    """
    path = ctx.workdir / f"customers-{ctx.rows}.xlsx"
    started = time.perf_counter()
    size = write_xlsx(path, rows)
    written, written_cpu = time.perf_counter(), time.process_time()
    data = path.read_bytes()
    marks: dict[str, tuple[float, float]] = {}

    def hook(point: str, info: Mapping[str, Any]) -> None:
        marks.setdefault(point, (time.perf_counter(), time.process_time()))

    batch = stage_customer_import(name=path.name, data=data, by=clerk, hook=hook)
    staged, staged_cpu = time.perf_counter(), time.process_time()
    if batch.error_count:
        raise CommandError(f"generated file has {batch.error_count} bad rows: {batch.errors[:3]}")
    batch = commit_customer_import(batch_id=batch.pk, by=clerk, hook=hook)
    committed, committed_cpu = time.perf_counter(), time.process_time()
    imported = Customer.objects.filter(import_batch=batch).count()
    if imported != ctx.rows:
        raise CommandError(f"expected {ctx.rows} customers, found {imported}")
    begin, begin_cpu = marks["commit.begin"]
    return {
        "file_mb": round(size / 1024 / 1024, 2),
        "generate_s": round(written - started, 2),
        "stage_s": round(staged - written, 2),
        "commit_validate_s": round(begin - staged, 2),
        "commit_transaction_s": round(committed - begin, 2),
        "commit_s": round(committed - staged, 2),
        "stage_plus_commit_s": round(committed - written, 2),
        "rows_per_s": round(ctx.rows / (committed - written)),
        "cpu": {
            "stage_s": round(staged_cpu - written_cpu, 2),
            "commit_validate_s": round(begin_cpu - staged_cpu, 2),
            "commit_transaction_s": round(committed_cpu - begin_cpu, 2),
        },
    }


# --- benchmarks ---------------------------------------------------------------------------------------


@register("customers-import")
def customers_import(ctx: BenchContext) -> BenchResult:
    """R7: stage and commit an N-row XLSX of realistic customers into a clean bench state."""
    clerk, _sales = bench_users()
    reset()
    ctx.say(f"generating {ctx.rows} customers …")
    rows = generate(ctx)
    ctx.say("importing …")
    figures = import_file(ctx, clerk, rows)
    figures["peak_rss_mb"] = peak_rss_mb()
    table = [
        ("file size", f"{figures['file_mb']}", "MB"),
        ("generate xlsx (openpyxl write-only)", f"{figures['generate_s']}", "s"),
        ("stage (inspect, parse, validate)", f"{figures['stage_s']}", "s"),
        ("commit: re-validate (no lock)", f"{figures['commit_validate_s']}", "s"),
        ("commit: write transaction (lock held)", f"{figures['commit_transaction_s']}", "s"),
        ("stage + commit", f"{figures['stage_plus_commit_s']}", "s"),
        (
            "CPU: stage / re-validate / transaction",
            "{stage_s} / {commit_validate_s} / {commit_transaction_s}".format(**figures["cpu"]),
            "s",
        ),
        ("throughput", f"{figures['rows_per_s']}", "rows/s"),
        ("peak RSS", f"{figures['peak_rss_mb']}", "MB"),
    ]
    return BenchResult("customers-import", ctx.rows, figures, table)


QUERY_KINDS = ("initials", "pinyin", "name", "phone")


def analyze() -> None:
    """Fresh planner statistics (and no dead rows from the reset), as after autovacuum."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("VACUUM (ANALYZE) customers_customer, customers_contact, customers_accessgrant")
        else:
            cursor.execute("ANALYZE")


def make_query(kind: str, company: Company) -> str:
    """What a clerk types: "hrjz" for 涵瑞建筑, "hanrui", "涵瑞建", or the phone number."""
    if kind == "initials":
        return search_keys(company.brand + company.trade)[0].split(" ")[0][:4]
    if kind == "pinyin":
        return search_keys(company.brand)[1].split(" ")[0]
    if kind == "name":
        return company.brand + company.trade[0]
    return company.phone


def time_queries(user: User, queries: list[str]) -> tuple[list[float], list[float], float]:
    """Time one list page as the view runs it: count + first page of the scoped, searched list.

    Returns wall and CPU seconds per query (CPU of this process: with SQLite that is the query
    itself; with PostgreSQL the server's share is not in it) and the average number of hits.
    """
    samples, cpu, hits = [], [], 0
    for query in queries[:3]:  # warm caches; not timed
        list(customer_list(user=user, filters=CustomerFilters(q=query))[:PAGE])
    for query in queries:
        start, start_cpu = time.perf_counter(), time.process_time()
        qs = customer_list(user=user, filters=CustomerFilters(q=query))
        total = qs.count()
        list(qs[:PAGE])
        samples.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
        hits += total
    return samples, cpu, hits / max(len(queries), 1)


@register("customers-search")
def customers_search(ctx: BenchContext) -> BenchResult:
    """CUS-7: list search over N customers by pinyin initials, full pinyin, name and phone,
    as a clerk (all customers) and as a salesperson (own customers only)."""
    clerk, sales = bench_users()
    rows = generate(ctx)
    if bench_customers() != ctx.rows:
        ctx.say(f"loading {ctx.rows} customers for the search benchmark …")
        reset()
        import_file(ctx, clerk, rows)
    analyze()
    rng = random.Random(ctx.seed + 1)
    salesperson = sales[0]
    own = [c for c in rows if c.owner == salesperson.username]
    figures: dict[str, Any] = {"own_customers": len(own), "queries_per_kind": ctx.queries}
    table: list[tuple[str, str, str]] = []
    for label, user, population in (("clerk", clerk, rows), ("salesperson", salesperson, own)):
        for kind in QUERY_KINDS:
            queries = [make_query(kind, company) for company in rng.sample(population, ctx.queries)]
            samples, cpu, hits = time_queries(user, queries)
            stats = summary_ms(samples)
            stats["cpu_median_ms"] = summary_ms(cpu)["median_ms"]
            stats["avg_hits"] = round(hits, 1)
            figures[f"{label}.{kind}"] = stats
            table.append(
                (
                    f"{label:<11} {kind:<8} median / p95",
                    f"{stats['median_ms']} / {stats['p95_ms']}",
                    f"ms (CPU median {stats['cpu_median_ms']} ms, avg {stats['avg_hits']} hits)",
                )
            )
    figures["peak_rss_mb"] = peak_rss_mb()
    return BenchResult("customers-search", ctx.rows, figures, table)
