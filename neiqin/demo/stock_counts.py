"""Demo step: stock_counts."""

from __future__ import annotations

from neiqin.demo.context import DemoContext


def build(ctx: DemoContext) -> None:
    """Filled in by the stock_counts module."""
