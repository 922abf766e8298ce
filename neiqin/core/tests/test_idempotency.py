"""Idempotency keys (R3): one effect per key, replay returns the first response."""

from __future__ import annotations

import pytest

from neiqin.core import idempotency
from neiqin.core.errors import Conflict, ValidationFailed
from neiqin.core.models import IdempotencyRecord

pytestmark = pytest.mark.django_db


def test_a_replay_returns_the_first_response_without_running_again(cast):
    calls = []

    def action():
        calls.append(1)
        return 201, {"id": len(calls)}

    first = idempotency.once(user=cast.clerk, key="k1", scope="POST /x", payload={"a": 1}, action=action)
    again = idempotency.once(user=cast.clerk, key="k1", scope="POST /x", payload={"a": 1}, action=action)
    assert (first.status, first.body, first.replayed) == (201, {"id": 1}, False)
    assert (again.status, again.body, again.replayed) == (201, {"id": 1}, True)
    assert calls == [1]


def test_the_same_key_with_another_body_is_refused(cast):
    idempotency.once(user=cast.clerk, key="k2", scope="POST /x", payload={"a": 1}, action=lambda: (200, {}))
    with pytest.raises(ValidationFailed):
        idempotency.once(user=cast.clerk, key="k2", scope="POST /x", payload={"a": 2}, action=lambda: (200, {}))


def test_a_key_in_flight_is_a_conflict(cast):
    IdempotencyRecord.objects.create(
        user=cast.clerk, key="k3", scope="POST /x", request_hash=idempotency.fingerprint({})
    )
    with pytest.raises(Conflict):
        idempotency.once(user=cast.clerk, key="k3", scope="POST /x", payload={}, action=lambda: (200, {}))


def test_a_refused_request_frees_the_key(cast):
    def refuse():
        raise Conflict("no")

    with pytest.raises(Conflict):
        idempotency.once(user=cast.clerk, key="k4", scope="POST /x", payload={}, action=refuse)
    assert idempotency.once(
        user=cast.clerk, key="k4", scope="POST /x", payload={}, action=lambda: (200, {"ok": 1})
    ).body == {"ok": 1}


def test_keys_are_per_user(cast):
    idempotency.once(user=cast.clerk, key="k5", scope="POST /x", payload={}, action=lambda: (200, {"u": 1}))
    other = idempotency.once(user=cast.sales1, key="k5", scope="POST /x", payload={}, action=lambda: (200, {"u": 2}))
    assert other.body == {"u": 2} and not other.replayed
