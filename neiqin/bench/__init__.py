"""Benchmarks (not tests): ``manage.py bench <name>`` times real workloads and records the figures.

Each benchmark is a function registered in ``BENCHMARKS`` under a name such as
``customers-import``; it receives a ``BenchContext`` and returns a ``BenchResult``. The command
runs them against a throwaway database by default and writes the results as JSON to
``NEIQIN_HOME/bench/``. Figures for the target machine are kept in ``docs/benchmarks.md``.
"""

from __future__ import annotations

from neiqin.bench.registry import BENCHMARKS, BenchContext, BenchResult, register

__all__ = ["BENCHMARKS", "BenchContext", "BenchResult", "register"]
