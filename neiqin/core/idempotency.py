"""Idempotency keys (RELIABILITY R3; draft-ietf-httpapi-idempotency-key-header).

``once(user=, key=, scope=, payload=, action=)`` runs ``action`` at most once per (user, key):

- first request: a record is committed as *in flight*, the action runs, and its response is
  stored in the action's own transaction, so a crash leaves either nothing done (the record
  stays in flight and is retaken after ``STALE_AFTER``) or the effect and its stored response;
- a replay with the same payload returns the stored response (``replayed=True``);
- the same key with a different payload or endpoint → ``ValidationFailed`` (422);
- the same key while the first is still running → ``Conflict`` (409).

A business refusal (``DomainError``) is not stored: the record is removed, so the client may
retry the same key after fixing the cause. Without a key the action simply runs.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from neiqin.core.errors import Conflict, ValidationFailed
from neiqin.core.models import IdempotencyRecord

STALE_AFTER = dt.timedelta(minutes=2)
MAX_KEY = 100


@dataclass(frozen=True)
class Outcome:
    status: int
    body: Any
    replayed: bool = False


def fingerprint(payload: Any) -> str:
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _claim(*, user: Any, key: str, scope: str, digest: str) -> IdempotencyRecord | Outcome:
    try:
        with transaction.atomic():
            return IdempotencyRecord.objects.create(user=user, key=key, scope=scope, request_hash=digest)
    except IntegrityError:
        pass
    existing = IdempotencyRecord.objects.get(user=user, key=key)
    if existing.scope != scope or existing.request_hash != digest:
        raise ValidationFailed(
            _("同一个 Idempotency-Key 不能用于不同的请求。"), code="idempotency_key_reused", extra={"key": key}
        )
    if existing.state == IdempotencyRecord.State.DONE:
        return Outcome(existing.response_status or 200, existing.response_body, replayed=True)
    if timezone.now() - existing.created_at < STALE_AFTER:
        raise Conflict(_("相同的请求正在处理中，请稍候刷新查看结果。"), code="idempotency_in_flight")
    # An abandoned attempt (the process died): take it over.
    taken = IdempotencyRecord.objects.filter(pk=existing.pk, created_at=existing.created_at).update(
        created_at=timezone.now()
    )
    if not taken:
        raise Conflict(_("相同的请求正在处理中，请稍候刷新查看结果。"), code="idempotency_in_flight")
    existing.refresh_from_db()
    return existing


def once(*, user: Any, key: str | None, scope: str, payload: Any, action: Callable[[], tuple[int, Any]]) -> Outcome:
    """Run ``action`` (returning ``(status, json-able body)``) at most once for this key."""
    if not key:
        status, body = action()
        return Outcome(status, body)
    key = key.strip()[:MAX_KEY]
    owner = user if getattr(user, "pk", None) else None
    claimed = _claim(user=owner, key=key, scope=scope[:200], digest=fingerprint(payload))
    if isinstance(claimed, Outcome):
        return claimed
    try:
        with transaction.atomic():
            status, body = action()
            IdempotencyRecord.objects.filter(pk=claimed.pk).update(
                state=IdempotencyRecord.State.DONE, response_status=status, response_body=body
            )
    except BaseException:  # a refusal or a crash: nothing was done, the key may be used again
        IdempotencyRecord.objects.filter(pk=claimed.pk, state=IdempotencyRecord.State.IN_FLIGHT).delete()
        raise
    return Outcome(status, body)


def purge(*, older_than: dt.timedelta = dt.timedelta(days=7)) -> int:
    """Keys are kept a week (a client retrying later than that sends a new request)."""
    deleted, _rows = IdempotencyRecord.objects.filter(created_at__lt=timezone.now() - older_than).delete()
    return deleted
