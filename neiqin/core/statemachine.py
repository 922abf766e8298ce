"""Lifecycle transitions as one small table per document.

Usage::

    STAGES = Transitions({"potential": {"intended", "lost"}, ...}, labels=Stage)
    STAGES.check(customer.stage, "signed")   # raises InvalidTransition with a readable message
    STAGES.can(customer.stage, "signed")     # the same rule decides which buttons a page shows
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.utils.translation import gettext as _

from neiqin.core.errors import InvalidTransition


class Transitions:
    def __init__(self, table: Mapping[str, Iterable[str]], *, labels: Any = None):
        self.table = {state: frozenset(targets) for state, targets in table.items()}
        self.labels = labels

    def _label(self, state: str) -> str:
        if self.labels is not None:
            try:
                return str(self.labels(state).label)
            except ValueError:
                pass
        return state

    def targets(self, current: str) -> frozenset[str]:
        return self.table.get(current, frozenset())

    def can(self, current: str, target: str) -> bool:
        return target in self.targets(current)

    def check(self, current: str, target: str) -> None:
        if current == target:
            raise InvalidTransition(
                _("已经是“%(state)s”状态，无需重复操作。") % {"state": self._label(current)},
                code="already_in_state",
                extra={"current": current, "target": target},
            )
        if not self.can(current, target):
            raise InvalidTransition(
                _("不能从“%(current)s”变为“%(target)s”。")
                % {"current": self._label(current), "target": self._label(target)},
                extra={"current": current, "target": target},
            )
