"""The audit trail: services call ``record`` inside their transaction.

Every change of a business record writes one ``Event`` with the actor, the request id and IP,
and the before/after of each changed field. Values of sensitive fields (phones, e-mails, ID and
bank numbers) are stored as Fernet tokens ``{"enc": ...}`` so the audit table never holds them in
plain text; ``display_changes`` decrypts them for users allowed to see the record.

Audited models must not be written with ``QuerySet.update`` / ``bulk_update`` / ``bulk_create``
outside this module: ``bulk_create_audited`` is the one door for bulk inserts (imports).
A test scans the source tree for violations.
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Iterable, Sequence
from contextlib import contextmanager
from typing import Any

from django.db import connection, models, transaction

from neiqin.core import context, crypto
from neiqin.core.models import AuditGuard, Event

# app_label.model -> names of fields holding sensitive values
SENSITIVE_FIELDS: dict[str, set[str]] = {}
AUDITED_MODELS: set[str] = set()


def register(model_label: str, *, sensitive: Iterable[str] = ()) -> None:
    AUDITED_MODELS.add(model_label)
    SENSITIVE_FIELDS.setdefault(model_label, set()).update(sensitive)


def _plain(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def snapshot(instance: models.Model, fields: Sequence[str]) -> dict[str, Any]:
    """Field values as JSON-able data, foreign keys as ids (``owner`` -> ``owner_id``)."""
    data: dict[str, Any] = {}
    for name in fields:
        field = instance._meta.get_field(name)
        attname = getattr(field, "attname", name)
        data[name] = _plain(getattr(instance, attname))
    return data


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    return {k: [before.get(k), after.get(k)] for k in after if before.get(k) != after.get(k)}


def _protect(label: str, changes: dict[str, list[Any]]) -> dict[str, list[Any]]:
    sensitive = SENSITIVE_FIELDS.get(label, set())
    protected: dict[str, list[Any]] = {}
    for field, pair in changes.items():
        if field in sensitive:
            protected[field] = [{"enc": crypto.encrypt(str(v))} if v not in (None, "") else v for v in pair]
        else:
            protected[field] = pair
    return protected


def _event(
    *, action: str, obj: models.Model, by: Any, changes: dict[str, list[Any]] | None, data: dict[str, Any] | None
) -> Event:
    ctx = context.current()
    label = obj._meta.label_lower
    return Event(
        action=action,
        actor=by if getattr(by, "pk", None) else None,
        object_type=label,
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        changes=_protect(label, changes or {}),
        data=data or {},
        request_id=ctx.request_id,
        ip=ctx.ip,
        channel=ctx.channel,
    )


def record(
    *,
    action: str,
    obj: models.Model,
    by: Any,
    changes: dict[str, list[Any]] | None = None,
    data: dict[str, Any] | None = None,
) -> Event:
    """Write one audit event in the caller's transaction."""
    event = _event(action=action, obj=obj, by=by, changes=changes, data=data)
    event.save(force_insert=True)
    return event


def record_each(*, action: str, by: Any, items: Sequence[tuple[models.Model, dict[str, Any]]]) -> None:
    """One event per (object, data) pair, inserted together: the same rows ``record`` writes one
    at a time, for a service that changes several objects in one step."""
    if items:
        events = [_event(action=action, obj=obj, by=by, changes=None, data=data) for obj, data in items]
        Event.objects.bulk_create(events)


def record_collection(*, action: str, model: type[models.Model], by: Any, data: dict[str, Any]) -> Event:
    """An event about many rows at once (an export, a search over the archive)."""
    ctx = context.current()
    event = Event(
        action=action,
        actor=by if getattr(by, "pk", None) else None,
        object_type=model._meta.label_lower,
        object_id="*",
        object_repr=str(model._meta.verbose_name_plural),
        data=data,
        request_id=ctx.request_id,
        ip=ctx.ip,
        channel=ctx.channel,
    )
    event.save(force_insert=True)
    return event


def bulk_create_audited(
    model: type[models.Model],
    objs: list[models.Model],
    *,
    action: str,
    by: Any,
    fields: Sequence[str],
    batch_size: int = 2000,
) -> list[models.Model]:
    """The one door for bulk inserts of audited models: rows and their events in one go."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("bulk_create_audited must run inside a transaction")
    created = model.objects.bulk_create(objs, batch_size=batch_size)  # noqa: NQ001 (audited helper)
    if created and created[0].pk is None:  # backends without RETURNING: fetch ids back
        raise RuntimeError("bulk_create did not return primary keys")
    events = [
        _event(action=action, obj=o, by=by, changes={k: [None, v] for k, v in snapshot(o, fields).items()}, data=None)
        for o in created
    ]
    Event.objects.bulk_create(events, batch_size=batch_size)
    return created


def display_changes(event: Event) -> dict[str, list[Any]]:
    """Changes with sensitive values decrypted; for users already allowed to see the object."""
    shown: dict[str, list[Any]] = {}
    for field, pair in (event.changes or {}).items():
        shown[field] = [crypto.decrypt(v["enc"]) if isinstance(v, dict) and "enc" in v else v for v in pair]
    return shown


def history(obj: models.Model) -> models.QuerySet[Event]:
    return Event.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk)).select_related("actor")


@contextmanager
def maintenance():
    """Disarm the append-only triggers for one transaction (retention purge, restore checks)."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute("SET LOCAL neiqin.audit_maintenance = 'on'")
            yield
        else:
            AuditGuard.objects.all().delete()
            try:
                yield
            finally:
                AuditGuard.objects.create(armed=True)


def ensure_armed() -> None:
    """Re-create the SQLite guard row (a test-database flush deletes every row)."""
    if connection.vendor == "sqlite" and not AuditGuard.objects.exists():
        AuditGuard.objects.create(armed=True)
