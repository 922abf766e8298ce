"""Notifications (SYS-5): the in-app inbox row, written at once by the service that has news, and
its e-mail leg, sent by a periodic job (``notifications_send_emails``, every 5 minutes).

E-mail is at-least-once and never blocks the business transaction: the row is claimed with a
conditional UPDATE (so two senders never take the same row), the mail is sent outside any
transaction, and only then is the row marked sent. A sender that dies between sending and
marking leaves a claim that goes stale after ``EMAIL_CLAIM_STALE`` and is retried. A failure
counts an attempt; after ``EMAIL_MAX_ATTEMPTS`` the row stays in the inbox only. Notices already
read in the app, older than ``EMAIL_MAX_AGE``, or of users without an address or who turned
e-mail off are not mailed.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import groupby
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from neiqin.core.links import object_path
from neiqin.core.models import Notification

EMAIL_MAX_ATTEMPTS = 5
EMAIL_CLAIM_STALE = dt.timedelta(minutes=15)
EMAIL_MAX_AGE = dt.timedelta(days=2)
EMAIL_BATCH = 500


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


# ---- the e-mail leg ------------------------------------------------------------------------------


@dataclass(frozen=True)
class MailRun:
    """What one sending pass did: mails sent, notifications they carried, mails that failed."""

    mails: int
    notifications: int
    failed: int


def _pending(now: dt.datetime) -> Any:
    """Unsent notices of users who get e-mail, not yet read, young enough, not given up on, and
    not claimed by another sender (or claimed so long ago that it must have died)."""
    return (
        Notification.objects.filter(
            emailed_at__isnull=True,
            read_at__isnull=True,
            created_at__gte=now - EMAIL_MAX_AGE,
            email_attempts__lt=EMAIL_MAX_ATTEMPTS,
            user__is_active=True,
            user__email_notifications=True,
        )
        .filter(_unclaimed(now))
        .exclude(user__email="")
    )


def _unclaimed(now: dt.datetime) -> Q:
    return Q(email_claimed_at__isnull=True) | Q(email_claimed_at__lt=now - EMAIL_CLAIM_STALE)


def _claim(now: dt.datetime, limit: int) -> list[Notification]:
    token = secrets.token_hex(16)
    ids = list(_pending(now).order_by("created_at", "id").values_list("pk", flat=True)[:limit])
    if not ids:
        return []
    with transaction.atomic():
        # Of two senders, one gets each row: PostgreSQL re-checks a row's own columns after
        # waiting for the other sender's lock, so the UPDATE's condition must be on this table's
        # columns only. Conditions through the user join became an ``id IN (subquery)`` that is
        # not re-checked, and both senders claimed the same rows (the race test caught it).
        Notification.objects.filter(pk__in=ids, emailed_at__isnull=True).filter(_unclaimed(now)).update(
            email_claim=token, email_claimed_at=now
        )
    return list(
        Notification.objects.filter(email_claim=token).select_related("user").order_by("user_id", "created_at", "id")
    )


def _one_line(text: str) -> str:
    """Header-safe: no line breaks in a subject (a customer name may carry one)."""
    return " ".join(str(text).split())


def _message(user: Any, notices: Sequence[Notification]) -> EmailMessage:
    """One mail per user per pass: the notice itself, or a digest of several, in the user's language."""
    base = settings.NEIQIN_BASE_URL
    with translation.override(user.language or settings.LANGUAGE_CODE):
        if len(notices) == 1:
            subject = _("【内勤】%(title)s") % {"title": _one_line(notices[0].title)}
        else:
            subject = ngettext("【内勤】%(count)d 条新通知", "【内勤】%(count)d 条新通知", len(notices)) % {
                "count": len(notices)
            }
        parts = [_("%(name)s，您好：") % {"name": user.display_name or user.username}, ""]
        for notice in notices:
            parts.append(f"■ {_one_line(notice.title)}")
            parts.append(timezone.localtime(notice.created_at).strftime("%Y-%m-%d %H:%M"))
            if notice.body:
                parts.append(notice.body)
            path = object_path(notice.object_type, notice.object_id)
            if path:
                parts.append(_("查看：%(url)s") % {"url": base + path})
            parts.append("")
        parts.append("—")
        parts.append(_("这封邮件由内勤系统自动发送。全部通知：%(url)s") % {"url": base + "/notifications/"})
        parts.append(_("不想收到通知邮件？在个人设置中关闭：%(url)s") % {"url": base + "/profile/"})
    return EmailMessage(subject=subject, body="\n".join(parts), to=[user.email])


def notifications_send_emails(
    *, now: dt.datetime | None = None, connection: Any = None, limit: int = EMAIL_BATCH
) -> MailRun:
    """Send the pending notices by e-mail, one mail per user (a digest when there are several)."""
    now = now or timezone.now()
    claimed = _claim(now, limit)
    if not claimed:
        return MailRun(0, 0, 0)
    connection = connection or get_connection(fail_silently=False)
    mails = carried = failed = 0
    for _user_id, group in groupby(claimed, key=lambda n: n.user_id):
        notices = list(group)
        ids = [n.pk for n in notices]
        try:
            connection.send_messages([_message(notices[0].user, notices)])
        except Exception as exc:  # noqa: BLE001 - any transport failure is counted and retried
            failed += 1
            Notification.objects.filter(pk__in=ids).update(
                email_attempts=F("email_attempts") + 1,
                email_claim="",
                email_claimed_at=None,
                email_error=f"{type(exc).__name__}: {exc}"[:200],
            )
            continue
        mails += 1
        carried += len(ids)
        Notification.objects.filter(pk__in=ids).update(emailed_at=timezone.now(), email_claim="", email_error="")
    return MailRun(mails, carried, failed)
