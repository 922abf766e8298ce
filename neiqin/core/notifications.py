"""In-app notifications (the inbox). E-mail and WeCom/DingTalk delivery build on this row."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from neiqin.core.models import Notification


def notify(*, user: Any, title: Any, body: Any = "", obj: Any = None) -> Notification:
    return Notification.objects.create(
        user=user,
        title=str(title)[:120],
        body=str(body),
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
    )


@transaction.atomic
def notifications_mark_read(*, user: Any, ids: list[int] | None = None) -> int:
    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs.update(read_at=timezone.now())
