"""What every generator step receives: the seeded RNG, the cast of users and a simulated clock.

Services stamp rows with ``timezone.now()`` (``created_at``, audit events, assignment and
handover times). To give the demo a believable two-year history through those same services,
a step runs each call "at" a moment in the past: ``ctx.clock.at(moment)`` swaps
``django.utils.timezone.now`` for the duration of the call. The build is single-threaded and the
swap is undone on exit, so nothing outside the build sees it.

Moments are expressed as ``At`` values (working days before the anchor day plus minutes after
09:00) drawn from the seeded RNG, and resolved against the anchor ``ctx.now`` (the real time
when the build started). The same seed therefore gives the same relative history on any day.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

OFFICE_OPENS = dt.time(9, 0)
OFFICE_MINUTES = 9 * 60  # 09:00-18:00
HISTORY_WORKDAYS = 500  # about two years of customer history


@dataclass(frozen=True)
class Scale:
    name: str
    customers: int


SCALES = {
    "tiny": Scale("tiny", 30),  # tests
    "small": Scale("small", 300),
    "medium": Scale("medium", 3_000),
    "large": Scale("large", 30_000),
}


@dataclass(frozen=True, order=True)
class At:
    """A moment of the simulated history, relative to the anchor.

    ``days_ago`` counts working days (Monday-Friday) back from the anchor day; ``minute`` is
    minutes after 09:00 on that day (negative for the night, e.g. the 02:10 job). ``minutes_ago``
    (when set) means exactly that many minutes before the anchor time, for things that must be
    fresh (a handover assigned this morning).
    """

    days_ago: int
    minute: int = 0
    minutes_ago: int | None = None

    @classmethod
    def ago(cls, minutes: int) -> At:
        return cls(days_ago=0, minute=0, minutes_ago=minutes)


class Clock:
    """Resolves ``At`` values and runs code at a simulated ``now``."""

    def __init__(self, anchor: dt.datetime, *, history_days: int = HISTORY_WORKDAYS + 50):
        self.anchor = anchor
        self.zone = ZoneInfo(settings.TIME_ZONE)
        today = timezone.localtime(anchor, self.zone).date()
        self.workdays = [today]
        day = today
        while len(self.workdays) <= history_days:
            day -= dt.timedelta(days=1)
            if day.weekday() < 5:
                self.workdays.append(day)

    @property
    def today(self) -> dt.date:
        return self.workdays[0]

    def day(self, days_ago: int) -> dt.date:
        return self.workdays[min(days_ago, len(self.workdays) - 1)]

    def resolve(self, at: At) -> dt.datetime:
        latest = self.anchor - dt.timedelta(minutes=1)
        if at.minutes_ago is not None:
            return self.anchor - dt.timedelta(minutes=at.minutes_ago)
        local = dt.datetime.combine(self.day(at.days_ago), OFFICE_OPENS, tzinfo=self.zone)
        moment = local + dt.timedelta(minutes=min(max(at.minute, -9 * 60), 15 * 60 - 1))  # same day
        return min(moment, latest)

    @contextmanager
    def at(self, when: At | dt.datetime) -> Iterator[dt.datetime]:
        moment = self.resolve(when) if isinstance(when, At) else when
        original = timezone.now
        timezone.now = lambda: moment  # type: ignore[assignment]  # see the module docstring
        try:
            yield moment
        finally:
            timezone.now = original  # type: ignore[assignment]


def step_rng(seed: int, step: str) -> random.Random:
    return random.Random(f"{seed}:{step}")


@dataclass
class DemoContext:
    """Shared state of one build. Steps add what later steps need (``ctx.extra``)."""

    seed: int
    scale: Scale
    clock: Clock
    rng: random.Random
    log: Callable[[str], None] = print
    users: dict[str, Any] = field(default_factory=dict)  # username -> User
    teams: dict[str, Any] = field(default_factory=dict)  # name -> Team
    regions: dict[str, Any] = field(default_factory=dict)  # code -> Region
    stats: Counter[str] = field(default_factory=Counter)
    extra: dict[str, Any] = field(default_factory=dict)

    def rng_for(self, step: str) -> random.Random:
        """An RNG of its own for one step, so adding or changing a step never reshuffles the
        data of the others (the shared ``rng`` depends on every step before it)."""
        return step_rng(self.seed, step)

    @property
    def now(self) -> dt.datetime:
        return self.clock.anchor

    @property
    def today(self) -> dt.date:
        return self.clock.today
