"""The benchmark registry, timing helpers and result files."""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import resource
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import django
from django.db import connection


@dataclass
class BenchContext:
    rows: int
    queries: int = 50
    seed: int = 20261123
    workdir: Path = field(default_factory=lambda: Path("."))
    say: Callable[[str], None] = print


@dataclass
class BenchResult:
    name: str
    rows: int
    figures: dict[str, Any]
    # (label, value, unit) lines for the printed table
    table: list[tuple[str, str, str]]


Benchmark = Callable[[BenchContext], BenchResult]
BENCHMARKS: dict[str, Benchmark] = {}


def register(name: str) -> Callable[[Benchmark], Benchmark]:
    def decorate(function: Benchmark) -> Benchmark:
        BENCHMARKS[name] = function
        return function

    return decorate


@contextmanager
def stopwatch() -> Iterator[dict[str, float]]:
    """``with stopwatch() as t: ...`` then ``t["seconds"]``."""
    box: dict[str, float] = {}
    start = time.perf_counter()
    try:
        yield box
    finally:
        box["seconds"] = time.perf_counter() - start


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile (p95 of 50 samples is the 48th smallest)."""
    ordered = sorted(values)
    if not ordered:
        return 0.0
    rank = max(1, min(len(ordered), round(fraction * len(ordered) + 0.5)))
    return ordered[rank - 1]


def summary_ms(samples: Sequence[float]) -> dict[str, float]:
    return {
        "median_ms": round(statistics.median(samples) * 1000, 2),
        "p95_ms": round(percentile(samples, 0.95) * 1000, 2),
        "max_ms": round(max(samples) * 1000, 2),
        "n": len(samples),
    }


def peak_rss_mb() -> float:
    """Peak resident memory of this process (Linux reports KiB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def machine() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "processor": _cpu_model(),
        "python": sys.version.split()[0],
        "django": django.get_version(),
        "database": _database(),
        # Other work on the box skews timings: record how busy it was when the result was saved.
        "load_average_1_5_15": [round(v, 2) for v in os.getloadavg()],
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def _database() -> str:
    if connection.vendor == "sqlite":
        import sqlite3

        return f"sqlite {sqlite3.sqlite_version}"
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        return f"postgresql {cursor.fetchone()[0]}"


def save(result: BenchResult, directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now().astimezone()
    path = directory / f"{result.name}-{connection.vendor}-{result.rows}-{now:%Y%m%d-%H%M%S}.json"
    payload = {
        "benchmark": result.name,
        "rows": result.rows,
        "engine": connection.vendor,
        "date": now.isoformat(timespec="seconds"),
        "machine": machine(),
        "results": result.figures,
    }
    path.write_text(json.dumps(payload, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def render(result: BenchResult) -> str:
    width = max((len(label) for label, _value, _unit in result.table), default=10)
    lines = [f"== {result.name} ({result.rows} rows, {connection.vendor}) =="]
    lines += [f"  {label:<{width}}  {value:>12} {unit}" for label, value, unit in result.table]
    return "\n".join(lines)
