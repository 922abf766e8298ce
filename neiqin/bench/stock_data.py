"""Bench data for the stock benchmarks: products, warehouses, a move ledger and its levels.

Written in bulk (``COPY`` on PostgreSQL, ``executemany`` in one transaction on SQLite), not through
the services: a million moves through ``post_moves`` would take hours and measure the wrong thing.
The data obeys the ledger's invariants all the same: each level's ``on_hand`` is the sum of its
moves, each move's ``balance_after`` is the running sum, no level goes below zero, ``reserved`` is
0 (no reservations). ``verify_levels`` checks the first invariant in SQL after loading.

Everything belongs to products coded ``BENCH-P…`` and warehouses coded ``BENCH-W…``; ``reset_stock``
removes their moves, levels and reservations and nothing else.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from neiqin.catalog.models import Product
from neiqin.catalog.services.validation import normalize_model
from neiqin.core.pinyin import search_keys
from neiqin.stock.models import Reservation, StockLevel, StockMove, Warehouse
from neiqin.stock.services import warehouse_create

PRODUCT_PREFIX = "BENCH-P"
WAREHOUSE_PREFIX = "BENCH-W"
WAREHOUSE_NAMES = ["基准长沙库", "基准郑州库", "基准西安库", "基准武汉库", "基准南昌库"]
# (model family, product name, unit, cost): models look like QH-00123, XPS-04567 …
FAMILIES = [
    ("QH", "强化复合地板", "箱", Decimal("58.5")),
    ("SM", "实木复合地板", "箱", Decimal("132")),
    ("XPS", "挤塑聚苯板", "张", Decimal("21.8")),
    ("EPS", "模塑聚苯板", "张", Decimal("12.4")),
    ("MDF", "中密度纤维板", "张", Decimal("45")),
    ("KL", "踢脚线", "根", Decimal("9.6")),
    ("FS", "防水卷材", "卷", Decimal("86")),
    ("JB", "胶粘剂", "桶", Decimal("35.2")),
]
BATCH = 20_000


def model_of(n: int) -> str:
    return f"{FAMILIES[n % len(FAMILIES)][0]}-{n:05d}"


def ensure_warehouses(count: int = 3) -> list[Warehouse]:
    """``count`` active bench warehouses (created through the service on first use)."""
    warehouses = []
    for i in range(count):
        code = f"{WAREHOUSE_PREFIX}{i + 1}"
        existing = Warehouse.objects.filter(code=code).first()
        warehouses.append(
            existing
            or warehouse_create(fields={"code": code, "name": WAREHOUSE_NAMES[i], "sort_order": 900 + i}, by=None)
        )
    return warehouses


def ensure_products(count: int) -> list[int]:
    """Ids of ``count`` bench products ``BENCH-P00000``…, inserting the missing ones in bulk."""
    have = dict(Product.objects.filter(code__startswith=PRODUCT_PREFIX).values_list("code", "pk"))
    keys = {name: search_keys(name) for _f, name, _u, _c in FAMILIES}
    missing = []
    for n in range(count):
        code = f"{PRODUCT_PREFIX}{n:05d}"
        if code in have:
            continue
        _family, name, unit, cost = FAMILIES[n % len(FAMILIES)]
        model = model_of(n)
        missing.append(
            Product(
                code=code,
                name=name,
                model=model,
                spec=f"{600 + n % 7 * 100}×{90 + n % 5 * 10}",
                unit=unit,
                cost=cost,
                standard_price=(cost * Decimal("1.6")).quantize(Decimal("0.0001")),
                model_normalized=normalize_model(model),
                search_initials=keys[name][0][:200],
                search_pinyin=keys[name][1][:600],
            )
        )
    for start in range(0, len(missing), 5000):
        # Bench fixture rows, not a user's change: no audit event per product on purpose.
        Product.objects.bulk_create(missing[start : start + 5000])  # noqa: NQ001
    codes = [f"{PRODUCT_PREFIX}{n:05d}" for n in range(count)]
    ids = dict(Product.objects.filter(code__startswith=PRODUCT_PREFIX).values_list("code", "pk"))
    return [ids[c] for c in codes]


def reset_stock() -> None:
    """Remove the moves, levels and reservations of the bench products (and only those)."""
    products = Product.objects.filter(code__startswith=PRODUCT_PREFIX)
    warehouses = Warehouse.objects.filter(code__startswith=WAREHOUSE_PREFIX)
    for model in (StockMove, Reservation, StockLevel):
        qs = model.objects.filter(product__in=products) | model.objects.filter(warehouse__in=warehouses)
        model.objects.filter(pk__in=qs.values("pk"))._raw_delete(connection.alias)


def ledger(
    product_ids: Sequence[int], warehouse_ids: Sequence[int], moves: int, *, seed: int, days: int = 730
) -> Iterator[tuple[tuple[Any, ...], tuple[Any, ...] | None]]:
    """Yield (move row, level row or None): per level an opening stock then receipts and
    shipments that never take it below zero, dated in order over the last ``days`` days. The level
    row comes with the level's last move."""
    rng = random.Random(seed)
    levels = [(w, p) for p in product_ids for w in warehouse_ids]
    per_level, extra = divmod(moves, len(levels))
    today = timezone.localdate()
    start = today - dt.timedelta(days=days)
    now = timezone.now()
    for index, (w, p) in enumerate(levels):
        n = per_level + (1 if index < extra else 0)
        if n == 0:
            continue
        balance = 0
        # A fifth of the levels stop selling early: they are the slow movers.
        slow = rng.random() < 0.2
        offsets = sorted(rng.randrange(days) for _ in range(n))
        first_in = last_in = last_out = None
        for i, offset in enumerate(offsets):
            moved_on = start + dt.timedelta(days=offset)
            quiet = slow and offset > days * 0.6
            if i == 0:
                quantity, kind = rng.randint(20, 200), "opening"
            elif balance > 0 and not quiet and rng.random() < 0.55:
                quantity, kind = -rng.randint(1, min(balance, 40)), "shipment"
            else:
                quantity, kind = rng.randint(5, 80), "receipt"
            balance += quantity
            if quantity > 0:
                first_in = first_in or moved_on
                last_in = moved_on
            else:
                last_out = moved_on
            move = (w, p, kind, quantity, balance, moved_on, "bench", f"B{index}", f"B{index}-{i}", "", now)
            level = None
            if i == n - 1:
                minimum = rng.choice([0, 0, 0, 10, 50, 150])
                level = (w, p, balance, 0, minimum, False, first_in, last_in, last_out, now)
            yield move, level


MOVE_COLUMNS = (
    "warehouse_id",
    "product_id",
    "kind",
    "quantity",
    "balance_after",
    "moved_on",
    "document_type",
    "document_id",
    "document_number",
    "reason",
    "created_at",
)
LEVEL_COLUMNS = (
    "warehouse_id",
    "product_id",
    "on_hand",
    "reserved",
    "min_quantity",
    "allow_negative",
    "first_inbound_on",
    "last_inbound_on",
    "last_outbound_on",
    "updated_at",
)


def load(product_ids: Sequence[int], warehouse_ids: Sequence[int], moves: int, *, seed: int) -> dict[str, int]:
    """Write the ledger and the levels in one transaction; returns the row counts."""
    move_table, level_table = StockMove._meta.db_table, StockLevel._meta.db_table
    counts = {"moves": 0, "levels": 0}
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            raw = cursor.cursor
            with (
                raw.copy(f"COPY {move_table} ({', '.join(MOVE_COLUMNS)}) FROM STDIN") as move_copy,
            ):
                levels = []
                for move, level in ledger(product_ids, warehouse_ids, moves, seed=seed):
                    move_copy.write_row(move)
                    counts["moves"] += 1
                    if level:
                        levels.append(level)
            with raw.copy(f"COPY {level_table} ({', '.join(LEVEL_COLUMNS)}) FROM STDIN") as level_copy:
                for level in levels:
                    level_copy.write_row(level)
            counts["levels"] = len(levels)
        else:
            move_sql, level_sql = _insert(move_table, MOVE_COLUMNS), _insert(level_table, LEVEL_COLUMNS)
            raw = cursor.cursor  # the sqlite3 cursor: plain executemany, no Django per-row overhead
            moves_batch, levels_batch = [], []
            for move, level in ledger(product_ids, warehouse_ids, moves, seed=seed):
                moves_batch.append(_sqlite_row(move))
                if level:
                    levels_batch.append(_sqlite_row(level))
                if len(moves_batch) >= BATCH:
                    raw.executemany(move_sql, moves_batch)
                    counts["moves"] += len(moves_batch)
                    moves_batch = []
            raw.executemany(move_sql, moves_batch)
            counts["moves"] += len(moves_batch)
            raw.executemany(level_sql, levels_batch)
            counts["levels"] = len(levels_batch)
    return counts


def _insert(table: str, columns: Sequence[str]) -> str:
    marks = ", ".join("?" * len(columns))
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"  # noqa: S608 - names from model meta


def _sqlite_row(row: tuple[Any, ...]) -> tuple[Any, ...]:
    out = []
    for value in row:
        if isinstance(value, dt.datetime):
            out.append(value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(sep=" "))
        elif isinstance(value, dt.date):
            out.append(value.isoformat())
        else:
            out.append(value)
    return tuple(out)


def verify_levels(warehouse_ids: Sequence[int]) -> int:
    """Levels of the bench warehouses whose on-hand differs from the sum of their moves (must be 0)."""
    move_table, level_table = StockMove._meta.db_table, StockLevel._meta.db_table
    marks = ", ".join(["%s"] * len(warehouse_ids))
    sql = f"""
        SELECT COUNT(*) FROM {level_table} l
        LEFT JOIN (
            SELECT warehouse_id, product_id, SUM(quantity) AS total FROM {move_table}
            WHERE warehouse_id IN ({marks}) GROUP BY warehouse_id, product_id
        ) m ON m.warehouse_id = l.warehouse_id AND m.product_id = l.product_id
        WHERE l.warehouse_id IN ({marks}) AND l.on_hand <> COALESCE(m.total, 0)
    """  # noqa: S608 - table names from model meta, values as parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, [*warehouse_ids, *warehouse_ids])
        return cursor.fetchone()[0]


def analyze() -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            tables = ", ".join(m._meta.db_table for m in (StockMove, StockLevel, Reservation, Product))
            cursor.execute(f"VACUUM (ANALYZE) {tables}")
        else:
            cursor.execute("ANALYZE")
