from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from neiqin.core.crypto import EncryptedTextField
from neiqin.customers.choices import (
    AssignmentKind,
    Grade,
    Industry,
    KeyDateKind,
    Kind,
    PaymentMode,
    Potential,
    Scale,
    Source,
    Stage,
)


class Customer(models.Model):
    """The customer file (客户档案, CUS-1). Company property: read through selectors only.

    Phones, fax, e-mail, ID number and bank account are encrypted at rest; ``phone_index``
    is a blind index for exact lookups (caller's number -> customer).
    """

    code = models.CharField(_("客户编号"), max_length=20, unique=True)
    name = models.CharField(_("客户名称"), max_length=120)
    short_name = models.CharField(_("简称"), max_length=40, blank=True)
    kind = models.CharField(_("客户性质"), max_length=12, choices=Kind.choices, default=Kind.ENTERPRISE)
    industry = models.CharField(_("行业"), max_length=20, choices=Industry.choices, default=Industry.OTHER)
    scale = models.CharField(_("规模"), max_length=10, choices=Scale.choices, blank=True)
    potential = models.CharField(_("购买潜力"), max_length=10, choices=Potential.choices, blank=True)
    stage = models.CharField(_("合作阶段"), max_length=12, choices=Stage.choices, default=Stage.POTENTIAL)
    grade = models.CharField(_("客户等级"), max_length=2, choices=Grade.choices, default=Grade.C)
    is_vip = models.BooleanField(_("VIP"), default=False)
    source = models.CharField(_("客户来源"), max_length=20, choices=Source.choices, blank=True)

    province = models.CharField(_("省份"), max_length=20, blank=True)
    city = models.CharField(_("城市"), max_length=30, blank=True)
    region = models.ForeignKey(
        "accounts.Region", verbose_name=_("销售大区"), null=True, blank=True, on_delete=models.SET_NULL
    )
    address = models.CharField(_("详细地址"), max_length=200, blank=True)
    phone = EncryptedTextField(_("电话"), blank=True)
    phone_index = models.CharField(max_length=40, blank=True, db_index=True, editable=False)
    fax = EncryptedTextField(_("传真"), blank=True)
    email = EncryptedTextField(_("电子邮箱"), blank=True)
    website = models.CharField(_("网址"), max_length=200, blank=True)
    business_scope = models.TextField(_("经营范围"), blank=True)
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, blank=True)
    id_number = EncryptedTextField(_("身份证号"), blank=True)

    invoice_title = models.CharField(_("开票名称"), max_length=120, blank=True)
    invoice_tax_id = models.CharField(_("纳税人识别号"), max_length=20, blank=True)
    invoice_address_phone = EncryptedTextField(_("开票地址电话"), blank=True)
    invoice_bank = models.CharField(_("开户银行"), max_length=100, blank=True)
    invoice_account = EncryptedTextField(_("银行账号"), blank=True)

    purchase_intent = models.TextField(_("购买意向"), blank=True)
    purchase_capacity = models.CharField(_("购买能力"), max_length=100, blank=True)
    lost_reason = models.TextField(_("未成交原因"), blank=True)
    notes = models.TextField(_("备注"), blank=True)

    credit_limit = models.DecimalField(
        _("信用额度"), max_digits=14, decimal_places=2, default=Decimal("0.00"), validators=[MinValueValidator(0)]
    )
    payment_mode = models.CharField(
        _("结算方式"), max_length=10, choices=PaymentMode.choices, default=PaymentMode.PREPAY
    )
    payment_term_days = models.PositiveSmallIntegerField(_("账期天数"), default=0)

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("负责业务员"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="owned_customers",
    )
    team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("所属团队"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="customers",
    )
    assigned_at = models.DateTimeField(_("分配时间"), null=True, blank=True)
    handover_due_at = models.DateTimeField(_("确认期限"), null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("确认接收时间"), null=True, blank=True)
    pooled_at = models.DateTimeField(_("进入公海时间"), null=True, blank=True)

    next_contact_on = models.DateField(_("下次联系日期"), null=True, blank=True)
    last_contact_at = models.DateTimeField(_("最近联系时间"), null=True, blank=True)

    name_normalized = models.CharField(max_length=120, editable=False, db_index=True)
    search_initials = models.CharField(max_length=200, editable=False, blank=True)
    search_pinyin = models.CharField(max_length=800, editable=False, blank=True)

    import_batch = models.ForeignKey(
        "core.ImportBatch", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("客户")
        verbose_name_plural = _("客户")
        constraints = [
            models.UniqueConstraint(
                fields=["credit_code"], condition=~Q(credit_code=""), name="customers_credit_code_uniq"
            ),
            models.CheckConstraint(condition=Q(credit_limit__gte=0), name="customers_credit_limit_nonneg"),
        ]
        indexes = [
            models.Index(fields=["owner", "stage"], name="customers_owner_stage_idx"),
            models.Index(fields=["team"], name="customers_team_idx"),
            models.Index(fields=["next_contact_on"], name="customers_next_contact_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def in_pool(self) -> bool:
        return self.owner_id is None


class Contact(models.Model):
    """A person at the customer: decision makers and day-to-day contacts."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(_("姓名"), max_length=40, db_index=True)
    title = models.CharField(_("职务"), max_length=40, blank=True)
    department = models.CharField(_("部门"), max_length=40, blank=True)
    mobile = EncryptedTextField(_("手机"), blank=True)
    mobile_index = models.CharField(max_length=40, blank=True, db_index=True, editable=False)
    phone = EncryptedTextField(_("座机"), blank=True)
    phone_index = models.CharField(max_length=40, blank=True, db_index=True, editable=False)
    email = EncryptedTextField(_("电子邮箱"), blank=True)
    wechat = EncryptedTextField(_("微信"), blank=True)
    birthday = models.DateField(_("生日"), null=True, blank=True)
    is_decision_maker = models.BooleanField(_("决策人"), default=False)
    is_primary = models.BooleanField(_("主要联系人"), default=False)
    notes = models.TextField(_("备注"), blank=True)
    search_initials = models.CharField(max_length=100, editable=False, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-is_primary", "id"]
        verbose_name = _("联系人")
        verbose_name_plural = _("联系人")

    def __str__(self) -> str:
        return self.name


class KeyDate(models.Model):
    """Dates worth a reminder: lease expiry (contact 4-5 months before), anniversaries…"""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="key_dates")
    kind = models.CharField(_("类型"), max_length=20, choices=KeyDateKind.choices)
    date = models.DateField(_("日期"))
    remind_days_before = models.PositiveSmallIntegerField(_("提前提醒天数"), default=7)
    recurring = models.BooleanField(_("每年重复"), default=False)
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        ordering = ["date", "id"]
        verbose_name = _("关键日期")
        verbose_name_plural = _("关键日期")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.date}"


class Assignment(models.Model):
    """History of who owned a customer: assignments, claims from the pool, releases."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="assignments")
    kind = models.CharField(_("类型"), max_length=14, choices=AssignmentKind.choices)
    from_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    to_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("原因"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    due_at = models.DateTimeField(_("确认期限"), null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("确认时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("分配记录")
        verbose_name_plural = _("分配记录")

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.kind}"


class AccessGrant(models.Model):
    """Explicit read access to one customer file for a user outside its scope (CUS-4)."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="grants")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="customer_grants")
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(_("到期时间"), null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(_("原因"), max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("查看授权")
        verbose_name_plural = _("查看授权")

    def __str__(self) -> str:
        return f"{self.user_id} -> {self.customer_id}"
