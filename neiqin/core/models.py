from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Event(models.Model):
    """Append-only audit trail: one row per business change, written by services.

    UPDATE and DELETE are refused by database triggers (see migration 0002) so that no code
    path, bulk or not, can rewrite history. Sensitive values are stored encrypted (see
    ``neiqin.core.audit``), never in plain text.
    """

    created_at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    action = models.CharField(_("动作"), max_length=80, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    object_type = models.CharField(_("对象类型"), max_length=60)
    object_id = models.CharField(_("对象编号"), max_length=40)
    object_repr = models.CharField(_("对象"), max_length=200, blank=True)
    changes = models.JSONField(_("变更"), default=dict, blank=True)
    data = models.JSONField(_("附加信息"), default=dict, blank=True)
    request_id = models.CharField(max_length=32, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    channel = models.CharField(max_length=16, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id", "created_at"], name="core_event_object_idx")]
        verbose_name = _("审计事件")
        verbose_name_plural = _("审计事件")

    def __str__(self) -> str:
        return f"{self.action} {self.object_type}#{self.object_id}"


class AuditGuard(models.Model):
    """Single row whose presence arms the SQLite audit triggers (PostgreSQL uses a setting).

    Removing it is a deliberate maintenance act (retention purge), done by
    ``neiqin.core.audit.maintenance()`` inside one transaction.
    """

    armed = models.BooleanField(default=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return "audit guard"


class NumberSeries(models.Model):
    """Configurable prefix per document type, e.g. 合同 -> "HT"."""

    code = models.CharField(_("单据类型"), max_length=30, unique=True)
    name = models.CharField(_("名称"), max_length=60)
    prefix = models.CharField(_("前缀"), max_length=12)
    padding = models.PositiveSmallIntegerField(_("序号位数"), default=5)

    class Meta:
        ordering = ["code"]
        verbose_name = _("编号规则")
        verbose_name_plural = _("编号规则")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"


class NumberCounter(models.Model):
    """The locked counter row per series and year: gap-free, duplicate-free numbers."""

    series = models.CharField(max_length=30)
    year = models.PositiveSmallIntegerField()
    last_value = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["series", "year"]
        constraints = [models.UniqueConstraint(fields=["series", "year"], name="core_counter_series_year_uniq")]

    def __str__(self) -> str:
        return f"{self.series}/{self.year}: {self.last_value}"


class CalendarYear(models.Model):
    """Marks a year whose holidays and make-up workdays are known."""

    year = models.PositiveSmallIntegerField(unique=True)
    source = models.CharField(max_length=40, default="chinesecalendar")

    class Meta:
        ordering = ["year"]

    def __str__(self) -> str:
        return str(self.year)


class CalendarDay(models.Model):
    """An exception to Monday-Friday: a weekday holiday or a weekend make-up workday (调休)."""

    date = models.DateField(_("日期"), unique=True)
    is_workday = models.BooleanField(_("工作日"))
    name = models.CharField(_("说明"), max_length=40, blank=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("节假日调整")
        verbose_name_plural = _("节假日调整")

    def __str__(self) -> str:
        return f"{self.date} {'workday' if self.is_workday else 'holiday'}"


class Notification(models.Model):
    """An in-app message to one user (inbox); e-mail and group robots come from the same row."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    title = models.CharField(_("标题"), max_length=120)
    body = models.TextField(_("内容"), blank=True)
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=40, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    # The e-mail leg (SYS-5, ``notifications.notifications_send_emails``): a sender claims a row
    # (claim token and time), sends, then records ``emailed_at``; a failure counts an attempt.
    emailed_at = models.DateTimeField(null=True, blank=True)
    email_claim = models.CharField(max_length=32, blank=True)
    email_claimed_at = models.DateTimeField(null=True, blank=True)
    email_attempts = models.PositiveSmallIntegerField(default=0)
    email_error = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "read_at"], name="core_notif_user_read_idx"),
            models.Index(fields=["created_at"], condition=Q(emailed_at__isnull=True), name="core_notif_unmailed_idx"),
        ]
        verbose_name = _("通知")
        verbose_name_plural = _("通知")

    def __str__(self) -> str:
        return self.title


class ImportBatch(models.Model):
    """One uploaded file being imported: staged (validated, preview) then committed all-or-nothing.

    A committed file (same kind and SHA-256) cannot be committed again, so re-running an import
    never duplicates rows.
    """

    class Status(models.TextChoices):
        STAGED = "staged", _("待确认")
        COMMITTED = "committed", _("已导入")
        REJECTED = "rejected", _("有错误")
        DISCARDED = "discarded", _("已放弃")

    kind = models.CharField(_("导入类型"), max_length=30)
    file_sha256 = models.CharField(max_length=64)
    file_name = models.CharField(_("文件名"), max_length=200)
    file_kind = models.CharField(max_length=8)
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.STAGED)
    row_count = models.PositiveIntegerField(_("行数"), default=0)
    error_count = models.PositiveIntegerField(_("错误行数"), default=0)
    errors = models.JSONField(_("错误"), default=list, blank=True)
    preview = models.JSONField(_("预览"), default=list, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    committed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "file_sha256"],
                condition=models.Q(status="committed"),
                name="core_import_committed_once",
            )
        ]
        verbose_name = _("导入批次")
        verbose_name_plural = _("导入批次")

    def __str__(self) -> str:
        return f"{self.kind} {self.file_name}"


class IdempotencyRecord(models.Model):
    """One request made with an ``Idempotency-Key`` (RELIABILITY R3): the first completes and its
    response is kept; a replay gets that response, the same key with another body is refused."""

    class State(models.TextChoices):
        IN_FLIGHT = "in_flight", "in flight"
        DONE = "done", "done"

    key = models.CharField(max_length=100)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    scope = models.CharField(max_length=200)
    request_hash = models.CharField(max_length=64)
    state = models.CharField(max_length=10, choices=State.choices, default=State.IN_FLIGHT)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="core_idempotency_user_key_uniq")]
        indexes = [models.Index(fields=["created_at"], name="core_idempotency_created_idx")]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key}"
