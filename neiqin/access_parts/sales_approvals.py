"""Access matrix part: sales_approvals."""

from __future__ import annotations

WEB: dict[str, tuple[str, str, dict | None, frozenset[str]]] = {}
API: dict[str, tuple[str, str, dict | None, frozenset[str]]] = {}


def world(cast) -> dict:
    """Objects the paths above refer to; keys are the placeholders used in the paths."""
    return {}
