"""Stock benchmarks: reservation throughput through the services (R1's code path) and the stock
report over a large move ledger (``docs/benchmarks.md``, section "Stock").

    manage.py bench stock-reserve --queries 50      # 50 × 40 = 2 000 reserves + 2 000 releases
    manage.py bench stock-report --rows 1000000     # 1 000 000 moves, 10 000 products × 3 warehouses
    manage.py bench stock-report --rows 100000      # quick: 100 000 moves, 1 000 products

Scale: ``stock-report`` reads ``--rows`` as the number of moves and uses ``rows / 100`` products
(at least 100); ``stock-reserve`` runs ``--queries × 40`` operations of each kind against 1 000
products × 3 warehouses.
"""

from __future__ import annotations

import random
import time
from decimal import Decimal
from typing import Any

from django.core.management.base import CommandError
from django.db.models import Max, Sum

from neiqin.catalog.models import Product
from neiqin.stock.choices import SALES_OUTBOUND_KINDS
from neiqin.stock.models import Reservation, StockLevel, StockMove, Warehouse

from . import stock_data
from .registry import BenchContext, BenchResult, peak_rss_mb, register, stopwatch, summary_ms

RESERVE_PRODUCTS = 1000
PAGE = 50
CONCURRENT_WORKERS = 4


def _clerk():
    from .customers import bench_users

    return bench_users()[0]


def _ops_per_s(count: int, seconds: float) -> float:
    return round(count / seconds, 1) if seconds else 0.0


def _row(label: str, stats: dict[str, Any], extra: str = "") -> tuple[str, str, str]:
    return (label, f"{stats['median_ms']} / {stats['p95_ms']}", f"ms median / p95{extra}")


# --- stock-reserve -----------------------------------------------------------------------------------


def reserve_release_worker(
    worker: int, product_ids: list[int], warehouse_ids: list[int], pairs: int, seed: int, start_at: float
) -> dict[str, Any]:
    """Child process: ``pairs`` × (reserve 1–3 units, release them) on random levels."""
    from neiqin.accounts.models import User
    from neiqin.bench.customers import CLERK
    from neiqin.stock.services import For, InsufficientStock, reservation_release, reserve

    clerk = User.objects.get(username=CLERK)
    products = list(Product.objects.filter(pk__in=product_ids))
    warehouses = list(Warehouse.objects.filter(pk__in=warehouse_ids))
    rng = random.Random(seed * 10 + worker)
    while time.time() < start_at:
        time.sleep(0.005)
    samples: list[float] = []
    refused, errors = 0, []
    started = time.perf_counter()
    for i in range(pairs):
        begin = time.perf_counter()
        try:
            document = For("bench", f"c{worker}-{i}")
            held = reserve(
                product=rng.choice(products),
                warehouse=rng.choice(warehouses),
                quantity=rng.randint(1, 3),
                document=document,
                by=clerk,
            )
            reservation_release(reservation=held, by=clerk)
        except InsufficientStock:
            refused += 1
        except Exception as exc:  # noqa: BLE001 - reported, the benchmark fails on any
            errors.append(f"{type(exc).__name__}: {exc}")
        samples.append(time.perf_counter() - begin)
    return {"wall": time.perf_counter() - started, "samples": samples, "refused": refused, "errors": errors}


def _concurrent(label: str, product_ids: list[int], warehouse_ids: list[int], pairs: int, seed: int) -> dict:
    from neiqin.core.testing import run_processes

    start_at = time.time() + 3.0
    per_worker = max(1, pairs // CONCURRENT_WORKERS)
    args = [(w, product_ids, warehouse_ids, per_worker, seed, start_at) for w in range(CONCURRENT_WORKERS)]
    results = run_processes(reserve_release_worker, args)
    errors = [e for r in results for e in r["errors"]]
    if errors:
        raise CommandError(f"{label}: {len(errors)} errors, first: {errors[0]}")
    samples = [s for r in results for s in r["samples"]]
    wall = max(r["wall"] for r in results)
    stats = summary_ms(samples)
    stats.update(
        {
            "processes": CONCURRENT_WORKERS,
            "pairs": len(samples),
            "refused": sum(r["refused"] for r in results),
            "wall_s": round(wall, 2),
            "pairs_per_s": _ops_per_s(len(samples), wall),
        }
    )
    return stats


def _check_no_reserved(warehouse_ids: list[int]) -> None:
    left = StockLevel.objects.filter(warehouse_id__in=warehouse_ids).aggregate(s=Sum("reserved"))["s"] or 0
    active = Reservation.objects.filter(warehouse_id__in=warehouse_ids, status="active").count()
    if left or active:
        raise CommandError(f"after releasing everything: reserved {left}, {active} active reservations")


@register("stock-reserve")
def stock_reserve(ctx: BenchContext) -> BenchResult:
    """INV-3/R1: reserve + release through the services on 1 000 products × 3 warehouses
    (sequential, then 4 processes on all levels and on one hot product)."""
    from neiqin.stock.services import (
        For,
        InsufficientStock,
        reservation_release,
        reservations_release_for,
        reserve,
        reserve_from,
    )

    ops = ctx.queries * 40
    clerk = _clerk()
    warehouses = stock_data.ensure_warehouses(3)
    warehouse_ids = [w.pk for w in warehouses]
    ctx.say(f"preparing {RESERVE_PRODUCTS} products × 3 warehouses …")
    product_ids = stock_data.ensure_products(RESERVE_PRODUCTS)
    stock_data.reset_stock()
    stock_data.load(product_ids, warehouse_ids, RESERVE_PRODUCTS * 3, seed=ctx.seed)  # opening stock per level
    stock_data.analyze()
    products = list(Product.objects.filter(pk__in=product_ids))
    rng = random.Random(ctx.seed)

    ctx.say(f"{ops} reserves, {ops} releases …")
    held, reserve_s, refused = [], [], 0
    with stopwatch() as reserve_wall:
        for i in range(ops):
            begin = time.perf_counter()
            try:
                held.append(
                    reserve(
                        product=rng.choice(products),
                        warehouse=rng.choice(warehouses),
                        quantity=rng.randint(1, 5),
                        document=For("bench", f"r{i}"),
                        by=clerk,
                    )
                )
            except InsufficientStock:
                refused += 1
            reserve_s.append(time.perf_counter() - begin)
    release_s = []
    with stopwatch() as release_wall:
        for reservation in held:
            begin = time.perf_counter()
            reservation_release(reservation=reservation, by=clerk)
            release_s.append(time.perf_counter() - begin)
    split_ops = max(1, ops // 4)
    split_s, split_release_s = [], []
    for i in range(split_ops):
        order = rng.sample(warehouses, len(warehouses))
        begin = time.perf_counter()
        try:
            reserve_from(
                product=rng.choice(products),
                warehouses=order,
                quantity=rng.randint(50, 250),  # often more than one warehouse has: split
                document=For("bench-split", f"s{i}"),
                by=clerk,
                split=True,
            )
        except InsufficientStock:
            pass
        split_s.append(time.perf_counter() - begin)
        begin = time.perf_counter()
        reservations_release_for(document_type="bench-split", document_id=f"s{i}", by=clerk)
        split_release_s.append(time.perf_counter() - begin)
    _check_no_reserved(warehouse_ids)

    figures: dict[str, Any] = {"operations": ops, "products": RESERVE_PRODUCTS, "warehouses": 3}
    figures["reserve"] = {**summary_ms(reserve_s), "ops_per_s": _ops_per_s(ops, reserve_wall["seconds"])}
    figures["reserve"]["refused"] = refused
    figures["release"] = {**summary_ms(release_s), "ops_per_s": _ops_per_s(len(held), release_wall["seconds"])}
    figures["reserve_from_split"] = summary_ms(split_s)
    figures["release_for_document"] = summary_ms(split_release_s)

    ctx.say(f"{CONCURRENT_WORKERS} processes × {ops // CONCURRENT_WORKERS} reserve+release pairs …")
    figures["concurrent_spread"] = _concurrent("spread", product_ids, warehouse_ids, ops, ctx.seed)
    figures["concurrent_hot"] = _concurrent("hot", product_ids[:1], warehouse_ids, ops, ctx.seed + 1)
    _check_no_reserved(warehouse_ids)
    if stock_data.verify_levels(warehouse_ids):
        raise CommandError("levels differ from the ledger after the benchmark")
    figures["peak_rss_mb"] = peak_rss_mb()

    spread, hot = figures["concurrent_spread"], figures["concurrent_hot"]
    table = [
        _row("reserve (1 warehouse)", figures["reserve"], f", {figures['reserve']['ops_per_s']} ops/s"),
        _row("release", figures["release"], f", {figures['release']['ops_per_s']} ops/s"),
        _row("reserve_from 3 warehouses, split", figures["reserve_from_split"]),
        _row("release_for (document)", figures["release_for_document"]),
        _row(f"{CONCURRENT_WORKERS} proc reserve+release, spread", spread, f", {spread['pairs_per_s']} pairs/s"),
        _row(f"{CONCURRENT_WORKERS} proc reserve+release, 1 hot SKU", hot, f", {hot['pairs_per_s']} pairs/s"),
        ("peak RSS", f"{figures['peak_rss_mb']}", "MB"),
    ]
    return BenchResult("stock-reserve", ops, figures, table)


# --- stock-report ------------------------------------------------------------------------------------


def _time(function, repeat: int) -> tuple[dict[str, Any], Any]:
    function()  # warm caches; not timed
    samples, cpu, result = [], [], None
    for _ in range(repeat):
        begin, begin_cpu = time.perf_counter(), time.process_time()
        result = function()
        samples.append(time.perf_counter() - begin)
        cpu.append(time.process_time() - begin_cpu)
    stats = summary_ms(samples)
    stats["cpu_median_ms"] = summary_ms(cpu)["median_ms"]
    return stats, result


def _ensure_ledger(ctx: BenchContext, product_ids: list[int], warehouse_ids: list[int]) -> dict[str, Any]:
    """Load the ledger unless the same one is already there (same size, levels matching)."""
    moves = ctx.rows
    have = StockMove.objects.filter(warehouse_id__in=warehouse_ids).count()
    levels = StockLevel.objects.filter(warehouse_id__in=warehouse_ids).count()
    if (
        have == moves
        and levels == len(product_ids) * len(warehouse_ids)
        and not stock_data.verify_levels(warehouse_ids)
    ):
        ctx.say(f"reusing the {moves} bench moves already loaded")
        return {"reused": True}
    ctx.say(f"loading {moves} moves over {len(product_ids)} products × {len(warehouse_ids)} warehouses …")
    stock_data.reset_stock()
    begin_cpu = time.process_time()
    with stopwatch() as load:
        counts = stock_data.load(product_ids, warehouse_ids, moves, seed=ctx.seed)
    return {
        "reused": False,
        "load_s": round(load["seconds"], 2),
        "load_cpu_s": round(time.process_time() - begin_cpu, 2),
        "moves_per_s": _ops_per_s(moves, load["seconds"]),
        **counts,
    }


@register("stock-report")
def stock_report(ctx: BenchContext) -> BenchResult:
    """INV-1/INV-2: the level matrix (count + first page, filtered page, xlsx export), one
    product's ledger balance and the slow-moving report over N moves (rows/100 products × 3)."""
    from neiqin.stock.exports import export_levels
    from neiqin.stock.selectors.levels import LevelFilters, level_row, level_rows, matrix_warehouses
    from neiqin.stock.selectors.reports import slow_moving
    from neiqin.stock.services import ledger_balance

    n_products = max(100, ctx.rows // 100)
    repeat = max(3, min(ctx.queries, 20))
    clerk = _clerk()
    warehouses = stock_data.ensure_warehouses(3)
    warehouse_ids = [w.pk for w in warehouses]
    with stopwatch() as products_time:
        product_ids = stock_data.ensure_products(n_products)
    figures: dict[str, Any] = {"products": n_products, "warehouses": 3, "moves": ctx.rows, "repeat": repeat}
    figures["products_s"] = round(products_time["seconds"], 2)
    figures["load"] = _ensure_ledger(ctx, product_ids, warehouse_ids)
    with stopwatch() as verify:
        mismatched = stock_data.verify_levels(warehouse_ids)
    if mismatched:
        raise CommandError(f"{mismatched} levels differ from the sum of their moves")
    figures["verify_all_levels_s"] = round(verify["seconds"], 2)
    stock_data.analyze()

    def page(filters: LevelFilters):
        def run():
            columns = matrix_warehouses(filters)
            qs = level_rows(filters=filters, warehouses=columns)
            total = qs.count()
            rows = [level_row(p, columns) for p in qs[:PAGE]]
            return total, len(rows)

        return run

    ctx.say("timing the level matrix …")
    figures["matrix_page"], (total, _n) = _time(page(LevelFilters()), repeat)
    figures["matrix_page"]["rows"] = total
    # What a clerk types: the start of a model, e.g. "XPS-045" for XPS-04567 (≈ 12 products each)
    models = list(Product.objects.filter(pk__in=product_ids).values_list("model", flat=True))
    prefixes = [model[:-2] for model in random.Random(ctx.seed + 2).sample(models, repeat)]
    filtered = []
    for i in range(repeat):
        filters = LevelFilters(q=prefixes[i], warehouse=warehouse_ids[i % 3], low_only=True)
        begin = time.perf_counter()
        hits, _rows = page(filters)()
        filtered.append((time.perf_counter() - begin, hits))
    figures["matrix_filtered_page"] = {
        **summary_ms([s for s, _h in filtered]),
        "avg_hits": round(sum(h for _s, h in filtered) / len(filtered), 1),
    }
    searched = []
    for i in range(repeat):
        begin = time.perf_counter()
        hits, _rows = page(LevelFilters(q=prefixes[i]))()
        searched.append((time.perf_counter() - begin, hits))
    figures["matrix_search_page"] = {
        **summary_ms([s for s, _h in searched]),
        "avg_hits": round(sum(h for _s, h in searched) / len(searched), 1),
    }

    ctx.say("exporting the level matrix to xlsx …")
    begin_cpu = time.process_time()
    with stopwatch() as export:
        content, _name, _type = export_levels(user=clerk, filters=LevelFilters(), fmt="xlsx")
    figures["export_xlsx"] = {
        "s": round(export["seconds"], 2),
        "cpu_s": round(time.process_time() - begin_cpu, 2),
        "mb": round(len(content) / 1024 / 1024, 2),
        "rows": total,
    }

    rng = random.Random(ctx.seed)
    levels = list(StockLevel.objects.filter(warehouse_id__in=warehouse_ids).select_related("warehouse", "product"))
    sample = rng.sample(levels, min(50, len(levels)))
    balances = []
    for level in sample:
        begin = time.perf_counter()
        value = ledger_balance(warehouse=level.warehouse, product=level.product)
        balances.append(time.perf_counter() - begin)
        if value != level.on_hand:
            raise CommandError(f"ledger_balance {value} != on_hand {level.on_hand}")
    figures["ledger_balance"] = summary_ms(balances)

    ctx.say("slow-moving report and aggregate …")
    slow_repeat = max(1, min(repeat, 3))
    figures["slow_moving_report"], rows = _time(lambda: slow_moving(days=180), slow_repeat)
    figures["slow_moving_report"]["rows"] = len(rows)
    value = sum((r.value for r in rows if r.value is not None), Decimal("0"))
    figures["slow_moving_report"]["value"] = str(value)

    def last_sale_per_level():
        return len(
            StockMove.objects.filter(warehouse_id__in=warehouse_ids, kind__in=list(SALES_OUTBOUND_KINDS))
            .values("warehouse_id", "product_id")
            .annotate(last=Max("moved_on"))
            .order_by()
        )

    figures["last_sale_aggregate"], groups = _time(last_sale_per_level, slow_repeat)
    figures["last_sale_aggregate"]["groups"] = groups
    figures["peak_rss_mb"] = peak_rss_mb()

    load = figures["load"]
    table = [
        ("bench products (bulk insert)", f"{figures['products_s']}", "s"),
        (
            "load moves + levels",
            "reused" if load["reused"] else f"{load['load_s']}",
            "" if load["reused"] else f"s (CPU {load['load_cpu_s']} s, {load['moves_per_s']} moves/s)",
        ),
        ("verify Σ moves == on_hand, all levels", f"{figures['verify_all_levels_s']}", "s"),
        _row("matrix: count + first page", figures["matrix_page"], f", {total} products"),
        _row(
            "matrix: model prefix + 1 warehouse + low",
            figures["matrix_filtered_page"],
            f", avg {figures['matrix_filtered_page']['avg_hits']} hits",
        ),
        _row(
            "matrix: model prefix only",
            figures["matrix_search_page"],
            f", avg {figures['matrix_search_page']['avg_hits']} hits",
        ),
        (
            "export levels xlsx",
            f"{figures['export_xlsx']['s']}",
            f"s (CPU {figures['export_xlsx']['cpu_s']} s, {figures['export_xlsx']['mb']} MB)",
        ),
        _row("ledger_balance (one level)", figures["ledger_balance"]),
        _row("slow_moving(days=180)", figures["slow_moving_report"], f", {len(rows)} rows"),
        _row("last sale per level (GROUP BY)", figures["last_sale_aggregate"], f", {groups} groups"),
        ("peak RSS", f"{figures['peak_rss_mb']}", "MB"),
    ]
    return BenchResult("stock-report", ctx.rows, figures, table)
