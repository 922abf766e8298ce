from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class Region(models.Model):
    """A sales region (大区), e.g. 华中, grouping provinces; used for reports and teams."""

    code = models.CharField(_("编码"), max_length=20, unique=True)
    name = models.CharField(_("名称"), max_length=40, unique=True)
    provinces = models.JSONField(_("包含省份"), default=list, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("销售大区")
        verbose_name_plural = _("销售大区")

    def __str__(self) -> str:
        return self.name


class Team(models.Model):
    """A sales team or department; its manager sees the team's customers."""

    name = models.CharField(_("名称"), max_length=60, unique=True)
    region = models.ForeignKey(Region, verbose_name=_("大区"), null=True, blank=True, on_delete=models.SET_NULL)
    manager = models.ForeignKey(
        "accounts.User",
        verbose_name=_("负责人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_teams",
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("团队")
        verbose_name_plural = _("团队")

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    display_name = models.CharField(_("姓名"), max_length=40, blank=True)
    team = models.ForeignKey(
        Team, verbose_name=_("所属团队"), null=True, blank=True, on_delete=models.SET_NULL, related_name="members"
    )
    mobile = models.CharField(_("手机"), max_length=20, blank=True)
    language = models.CharField(_("界面语言"), max_length=10, blank=True)
    # SYS-5: notifications also go out by e-mail (to ``email``) unless the user turns it off.
    email_notifications = models.BooleanField(_("通知同时发邮件"), default=True)

    class Meta:
        ordering = ["username"]
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self) -> str:
        return self.display_name or self.username


class ApiToken(models.Model):
    """Personal API token; only its SHA-256 is stored, the token is shown once at creation."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("名称"), max_length=60)
    prefix = models.CharField(max_length=12)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("API 令牌")
        verbose_name_plural = _("API 令牌")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
