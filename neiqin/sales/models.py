"""Opportunities, quotations, contracts, sales orders and approvals (ORD-1 … ORD-8).

Money: line amounts are rounded once at the line (``core.money.line_amount``); totals are exact
sums. Every document line stores the price it was given and where that price came from, so a
later price change never alters a saved document. Numbers are taken from the numbering service
when a document is issued (quotations), reviewed (contracts) or submitted (orders), never for
drafts (RELIABILITY R2).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from neiqin.customers.choices import PaymentMode
from neiqin.sales.choices import (
    ApprovalStatus,
    Channel,
    ContractStatus,
    MilestoneKind,
    OpportunityStage,
    OrderStatus,
    Progress,
    QuotationStatus,
    ReviewKind,
    RuleKind,
)

PRICE = {"max_digits": 14, "decimal_places": 4}
QUANTITY = {"max_digits": 14, "decimal_places": 3}
AMOUNT = {"max_digits": 16, "decimal_places": 2}
RATE = {"max_digits": 5, "decimal_places": 4}
USER = settings.AUTH_USER_MODEL


def _user(verbose: str, *, null: bool = True, related: str = "+") -> models.ForeignKey:
    return models.ForeignKey(
        USER, verbose_name=verbose, null=null, blank=null, on_delete=models.PROTECT, related_name=related
    )


class Opportunity(models.Model):
    """A sales opportunity (销售机会, OPP-1); project deals carry milestones (OPP-2)."""

    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("客户"), on_delete=models.PROTECT, related_name="opportunities"
    )
    owner = _user(_("负责业务员"), null=False, related="opportunities")
    title = models.CharField(_("机会名称"), max_length=120)
    stage = models.CharField(_("阶段"), max_length=16, choices=OpportunityStage.choices, default=OpportunityStage.LEAD)
    expected_amount = models.DecimalField(_("预计金额"), **AMOUNT, default=Decimal("0.00"))
    expected_on = models.DateField(_("预计成交日期"), null=True, blank=True)
    probability = models.PositiveSmallIntegerField(_("成交概率(%)"), default=10)
    is_project = models.BooleanField(_("项目型"), default=False)
    lost_reason = models.CharField(_("输单原因"), max_length=200, blank=True)
    notes = models.TextField(_("备注"), blank=True)
    closed_on = models.DateField(_("关闭日期"), null=True, blank=True)
    created_by = _user(_("创建人"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-updated_at", "-id"]
        verbose_name = _("销售机会")
        verbose_name_plural = _("销售机会")
        constraints = [
            models.CheckConstraint(condition=Q(probability__lte=100), name="sales_opportunity_probability"),
            models.CheckConstraint(condition=Q(expected_amount__gte=0), name="sales_opportunity_amount_nonneg"),
        ]
        indexes = [models.Index(fields=["owner", "stage"], name="sales_opportunity_owner_idx")]

    def __str__(self) -> str:
        return self.title


class OpportunityStageChange(models.Model):
    """Every stage an opportunity passed through, for conversion rates per stage and person."""

    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="stage_changes")
    from_stage = models.CharField(max_length=16, blank=True)
    to_stage = models.CharField(max_length=16)
    changed_by = _user(_("操作人"))
    changed_at = models.DateTimeField()

    class Meta:
        ordering = ["changed_at", "id"]
        indexes = [models.Index(fields=["to_stage", "changed_at"], name="sales_oppstage_idx")]

    def __str__(self) -> str:
        return f"{self.opportunity_id}: {self.from_stage} → {self.to_stage}"


class ProjectMilestone(models.Model):
    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="milestones")
    kind = models.CharField(_("节点"), max_length=16, choices=MilestoneKind.choices)
    planned_on = models.DateField(_("计划日期"), null=True, blank=True)
    done_on = models.DateField(_("完成日期"), null=True, blank=True)
    collection_amount = models.DecimalField(_("应收款"), **AMOUNT, default=Decimal("0.00"))
    collected_amount = models.DecimalField(_("已收款"), **AMOUNT, default=Decimal("0.00"))
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        ordering = ["opportunity", "planned_on", "id"]
        constraints = [models.UniqueConstraint(fields=["opportunity", "kind"], name="sales_milestone_uniq")]

    def __str__(self) -> str:
        return f"{self.opportunity_id}:{self.kind}"


class PricedLine(models.Model):
    """A product line of a quotation, contract or order."""

    position = models.PositiveSmallIntegerField(_("序号"))
    product = models.ForeignKey("catalog.Product", verbose_name=_("产品"), on_delete=models.PROTECT, related_name="+")
    description = models.CharField(_("品名规格"), max_length=200, blank=True)
    quantity = models.DecimalField(_("数量"), **QUANTITY)
    list_price = models.DecimalField(_("价目价"), **PRICE)
    price_source = models.CharField(_("价格来源"), max_length=10, blank=True)
    discount_rate = models.DecimalField(_("折扣率"), **RATE, default=Decimal("0"))
    unit_price = models.DecimalField(_("单价"), **PRICE)
    floor_price = models.DecimalField(_("底价"), **PRICE, null=True, blank=True)
    vat_rate = models.CharField(_("税率"), max_length=4, default="0.13")
    amount = models.DecimalField(_("金额"), **AMOUNT)
    delivery_on = models.DateField(_("交货日期"), null=True, blank=True)
    note = models.CharField(_("备注"), max_length=200, blank=True)

    class Meta:
        abstract = True
        ordering = ["position", "id"]


class Quotation(models.Model):
    """A quotation (报价单, ORD-1)."""

    number = models.CharField(_("报价单号"), max_length=30, unique=True, null=True, blank=True)
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("客户"), on_delete=models.PROTECT, related_name="quotations"
    )
    opportunity = models.ForeignKey(
        Opportunity,
        verbose_name=_("销售机会"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="quotations",
    )
    owner = _user(_("业务员"), null=False, related="quotations")
    status = models.CharField(_("状态"), max_length=10, choices=QuotationStatus.choices, default=QuotationStatus.DRAFT)
    quoted_on = models.DateField(_("报价日期"))
    valid_until = models.DateField(_("有效期至"))
    contact_name = models.CharField(_("联系人"), max_length=40, blank=True)
    payment_terms = models.CharField(_("付款方式"), max_length=100, blank=True)
    delivery_terms = models.CharField(_("交货方式"), max_length=100, blank=True)
    notes = models.TextField(_("备注"), blank=True)
    total = models.DecimalField(_("合计金额"), **AMOUNT, default=Decimal("0.00"))
    created_by = _user(_("创建人"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("报价单")
        verbose_name_plural = _("报价单")
        indexes = [models.Index(fields=["customer", "status"], name="sales_quotation_customer_idx")]

    def __str__(self) -> str:
        return self.number or str(_("报价草稿 %(id)s") % {"id": self.pk})


class QuotationLine(PricedLine):
    quotation = models.ForeignKey(Quotation, on_delete=models.CASCADE, related_name="lines")

    class Meta(PricedLine.Meta):
        constraints = [models.CheckConstraint(condition=Q(quantity__gt=0), name="sales_quotationline_qty_pos")]

    def __str__(self) -> str:
        return f"{self.quotation_id}#{self.position}"


class ContractTemplate(models.Model):
    """An editable contract template: the ten standard clauses (ORD-2) as text with placeholders."""

    name = models.CharField(_("模板名称"), max_length=60, unique=True)
    clauses = models.JSONField(_("条款"), default=list)  # [{"key": "quality", "title": "...", "text": "..."}]
    is_default = models.BooleanField(_("默认模板"), default=False)
    is_active = models.BooleanField(_("启用"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-is_default", "name"]
        verbose_name = _("合同模板")
        verbose_name_plural = _("合同模板")

    def __str__(self) -> str:
        return self.name


class Contract(models.Model):
    """A sales contract (合同, ORD-2). Parties are snapshots taken when the contract is drafted."""

    number = models.CharField(_("合同编号"), max_length=30, unique=True, null=True, blank=True)
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("客户"), on_delete=models.PROTECT, related_name="contracts"
    )
    quotation = models.ForeignKey(
        Quotation, verbose_name=_("报价单"), null=True, blank=True, on_delete=models.SET_NULL, related_name="contracts"
    )
    opportunity = models.ForeignKey(
        Opportunity,
        verbose_name=_("销售机会"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="contracts",
    )
    template = models.ForeignKey(
        ContractTemplate, verbose_name=_("模板"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    owner = _user(_("业务员"), null=False, related="contracts")
    title = models.CharField(_("合同名称"), max_length=120)
    status = models.CharField(_("状态"), max_length=12, choices=ContractStatus.choices, default=ContractStatus.DRAFT)
    seller = models.JSONField(_("卖方"), default=dict)  # name, address, bank, account, tax_id, phone, fax
    buyer = models.JSONField(_("买方"), default=dict)
    clauses = models.JSONField(_("条款"), default=list)
    total = models.DecimalField(_("合同金额"), **AMOUNT, default=Decimal("0.00"))
    signed_on = models.DateField(_("签订日期"), null=True, blank=True)
    signed_at_place = models.CharField(_("签订地点"), max_length=60, blank=True)
    seller_signatory = models.CharField(_("卖方签字人"), max_length=40, blank=True)
    buyer_signatory = models.CharField(_("买方签字人"), max_length=40, blank=True)
    starts_on = models.DateField(_("起始日期"), null=True, blank=True)
    ends_on = models.DateField(_("到期日期"), null=True, blank=True)
    expiry_warning_days = models.PositiveSmallIntegerField(_("到期提前提醒天数"), default=30)
    scan_file = models.CharField(_("签字盖章扫描件"), max_length=200, blank=True)
    scan_sha256 = models.CharField(max_length=64, blank=True)
    archived_at = models.DateTimeField(_("归档时间"), null=True, blank=True)
    created_by = _user(_("创建人"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("合同")
        verbose_name_plural = _("合同")
        constraints = [
            # ORD-2: an effective contract has a number, both signatures and the signing date.
            models.CheckConstraint(
                condition=~Q(status__in=["effective", "completed", "terminated"])
                | (Q(number__isnull=False, signed_on__isnull=False) & ~Q(seller_signatory="") & ~Q(buyer_signatory="")),
                name="sales_contract_effective_complete",
            )
        ]
        indexes = [
            models.Index(fields=["customer", "status"], name="sales_contract_customer_idx"),
            models.Index(fields=["status", "ends_on"], name="sales_contract_expiry_idx"),
        ]

    def __str__(self) -> str:
        return self.number or self.title


class ContractLine(PricedLine):
    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="lines")

    class Meta(PricedLine.Meta):
        constraints = [models.CheckConstraint(condition=Q(quantity__gt=0), name="sales_contractline_qty_pos")]

    def __str__(self) -> str:
        return f"{self.contract_id}#{self.position}"


class ContractReview(models.Model):
    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="reviews")
    kind = models.CharField(_("审核类型"), max_length=10, choices=ReviewKind.choices)
    approved = models.BooleanField(_("通过"), null=True)
    reviewer = _user(_("审核人"))
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    comment = models.CharField(_("审核意见"), max_length=300, blank=True)

    class Meta:
        ordering = ["contract", "kind"]
        constraints = [models.UniqueConstraint(fields=["contract", "kind"], name="sales_contractreview_uniq")]

    def __str__(self) -> str:
        return f"{self.contract_id}:{self.kind}"


class SalesOrder(models.Model):
    """A sales order (销售订单, ORD-3 … ORD-8)."""

    number = models.CharField(_("订单号"), max_length=30, unique=True, null=True, blank=True)
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("客户"), on_delete=models.PROTECT, related_name="orders"
    )
    owner = _user(_("业务员"), null=False, related="orders")
    quotation = models.ForeignKey(
        Quotation, verbose_name=_("报价单"), null=True, blank=True, on_delete=models.SET_NULL, related_name="orders"
    )
    contract = models.ForeignKey(
        Contract, verbose_name=_("合同"), null=True, blank=True, on_delete=models.SET_NULL, related_name="orders"
    )
    copied_from = models.ForeignKey(
        "self", verbose_name=_("复制自"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    channel = models.CharField(_("下单方式"), max_length=12, choices=Channel.choices, default=Channel.PHONE)
    customer_reference = models.CharField(_("客户订单号"), max_length=60, blank=True)
    written_record = models.CharField(
        _("书面凭证"), max_length=200, blank=True
    )  # stored file name; oral orders need one
    status = models.CharField(_("状态"), max_length=16, choices=OrderStatus.choices, default=OrderStatus.DRAFT)
    ordered_on = models.DateField(_("下单日期"))
    delivery_on = models.DateField(_("要求交货日期"), null=True, blank=True)
    promised_on = models.DateField(_("承诺交货日期"), null=True, blank=True)
    payment_mode = models.CharField(_("结算方式"), max_length=10, choices=PaymentMode.choices, blank=True)
    payment_term_days = models.PositiveSmallIntegerField(_("账期天数"), default=0)
    delivery_address = models.CharField(_("收货地址"), max_length=200, blank=True)
    receiver = models.CharField(_("收货人"), max_length=40, blank=True)
    receiver_phone = models.CharField(_("收货电话"), max_length=40, blank=True)
    warehouse = models.ForeignKey(
        "stock.Warehouse", verbose_name=_("发货仓库"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    notes = models.TextField(_("备注"), blank=True)
    total = models.DecimalField(_("订单金额"), **AMOUNT, default=Decimal("0.00"))
    checks = models.JSONField(_("审单结果"), default=list, blank=True)
    checked_at = models.DateTimeField(_("审单时间"), null=True, blank=True)
    waiting_for_stock = models.BooleanField(_("等待到货"), default=False)
    changed_since_confirmation = models.BooleanField(_("确认后有变更"), default=False)
    shipped = models.CharField(_("发货进度"), max_length=8, choices=Progress.choices, default=Progress.NONE)
    invoiced = models.CharField(_("开票进度"), max_length=8, choices=Progress.choices, default=Progress.NONE)
    paid = models.CharField(_("回款进度"), max_length=8, choices=Progress.choices, default=Progress.NONE)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("取消时间"), null=True, blank=True)
    cancel_reason = models.CharField(_("取消原因"), max_length=200, blank=True)
    created_by = _user(_("录入人"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    updated_by = _user(_("最后修改人"))
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("销售订单")
        verbose_name_plural = _("销售订单")
        constraints = [models.CheckConstraint(condition=Q(total__gte=0), name="sales_order_total_nonneg")]
        indexes = [
            models.Index(fields=["customer", "status"], name="sales_order_customer_idx"),
            models.Index(fields=["owner", "status"], name="sales_order_owner_idx"),
            models.Index(fields=["status", "ordered_on"], name="sales_order_status_idx"),
        ]

    def __str__(self) -> str:
        return self.number or str(_("订单草稿 %(id)s") % {"id": self.pk})

    @property
    def is_oral_unrecorded(self) -> bool:
        return self.channel == Channel.ORAL and not self.written_record


class OrderLine(PricedLine):
    order = models.ForeignKey(SalesOrder, on_delete=models.CASCADE, related_name="lines")
    warehouse = models.ForeignKey(
        "stock.Warehouse", verbose_name=_("仓库"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reserved_quantity = models.DecimalField(_("已占用"), **QUANTITY, default=Decimal("0"))
    shipped_quantity = models.DecimalField(_("已发货"), **QUANTITY, default=Decimal("0"))

    class Meta(PricedLine.Meta):
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="sales_orderline_qty_pos"),
            models.CheckConstraint(condition=Q(reserved_quantity__gte=0), name="sales_orderline_reserved_nonneg"),
        ]

    def __str__(self) -> str:
        return f"{self.order_id}#{self.position}"


class OrderVersion(models.Model):
    """A snapshot of an order after each change once it was submitted (ORD-6), with the diff."""

    order = models.ForeignKey(SalesOrder, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("版本"))
    snapshot = models.JSONField(default=dict)
    diff = models.JSONField(default=list)
    reason = models.CharField(_("变更原因"), max_length=200, blank=True)
    created_by = _user(_("修改人"))
    created_at = models.DateTimeField(_("修改时间"), auto_now_add=True)

    class Meta:
        ordering = ["order", "number"]
        constraints = [models.UniqueConstraint(fields=["order", "number"], name="sales_orderversion_uniq")]

    def __str__(self) -> str:
        return f"{self.order_id} v{self.number}"


class ApprovalRule(models.Model):
    """A configurable approval rule (ORD-5): what triggers it and which role decides."""

    code = models.SlugField(_("规则代码"), max_length=40, unique=True)
    kind = models.CharField(_("规则类型"), max_length=16, choices=RuleKind.choices)
    name = models.CharField(_("规则名称"), max_length=60)
    approver_role = models.CharField(_("审批角色"), max_length=20)
    threshold = models.DecimalField(_("金额/比例阈值"), **AMOUNT, null=True, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("审批规则")
        verbose_name_plural = _("审批规则")

    def __str__(self) -> str:
        return self.name


class ApprovalRequest(models.Model):
    """One approval a document needs. It covers exactly the content it was asked for: the hash of
    the priced lines, customer and terms (R6). Any later change voids it."""

    document_type = models.CharField(max_length=20)  # "order" | "quotation"
    document_id = models.PositiveBigIntegerField()
    order = models.ForeignKey(SalesOrder, null=True, blank=True, on_delete=models.CASCADE, related_name="approvals")
    quotation = models.ForeignKey(Quotation, null=True, blank=True, on_delete=models.CASCADE, related_name="approvals")
    rule = models.ForeignKey(ApprovalRule, verbose_name=_("审批规则"), on_delete=models.PROTECT, related_name="+")
    approver_role = models.CharField(_("审批角色"), max_length=20)
    reason = models.CharField(_("审批原因"), max_length=300)
    figures = models.JSONField(_("相关数据"), default=dict)
    content_hash = models.CharField(max_length=64)
    status = models.CharField(_("状态"), max_length=10, choices=ApprovalStatus.choices, default=ApprovalStatus.PENDING)
    requested_by = _user(_("申请人"), null=False)
    requested_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    decided_by = _user(_("审批人"))
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    comment = models.CharField(_("审批意见"), max_length=300, blank=True)
    voided_at = models.DateTimeField(_("失效时间"), null=True, blank=True)
    void_reason = models.CharField(_("失效原因"), max_length=200, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("审批")
        verbose_name_plural = _("审批")
        constraints = [
            models.UniqueConstraint(
                fields=["document_type", "document_id", "rule"],
                condition=Q(status__in=["pending", "approved"]),
                name="sales_approval_live_uniq",
            )
        ]
        indexes = [
            models.Index(fields=["status", "approver_role"], name="sales_approval_queue_idx"),
            models.Index(fields=["document_type", "document_id"], name="sales_approval_doc_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.document_type}:{self.document_id}:{self.rule_id}"
