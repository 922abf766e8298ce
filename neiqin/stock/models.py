"""Stock (INV-1 … INV-6).

The move ledger (``StockMove``) is the truth; ``StockLevel`` holds on-hand and reserved per
product and warehouse and is only changed in the transaction that writes the move (or the
reservation), so ``on_hand == Σ moves`` and ``reserved == Σ active reservations`` always hold.
Quantities are ``Decimal`` with 3 places. CHECK constraints keep on-hand ≥ 0 (unless the
warehouse allows negative stock; the flag is copied onto each level row so the database can
check it) and reserved ≥ 0.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from neiqin.stock.choices import CountStatus, LoanStatus, MoveKind, ReplenishmentStatus, ReservationStatus

QUANTITY = {"max_digits": 14, "decimal_places": 3}
PRICE = {"max_digits": 14, "decimal_places": 4}
AMOUNT = {"max_digits": 16, "decimal_places": 2}
ZERO = Decimal("0")


class Warehouse(models.Model):
    code = models.CharField(_("仓库编码"), max_length=20, unique=True)
    name = models.CharField(_("仓库名称"), max_length=40, unique=True)
    region = models.ForeignKey(
        "accounts.Region", verbose_name=_("销售大区"), null=True, blank=True, on_delete=models.SET_NULL
    )
    address = models.CharField(_("地址"), max_length=200, blank=True)
    keeper = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("库管员"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="kept_warehouses",
    )
    allow_negative = models.BooleanField(_("允许负库存"), default=False)
    is_active = models.BooleanField(_("启用"), default=True)
    sort_order = models.PositiveIntegerField(_("排序"), default=0)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("仓库")
        verbose_name_plural = _("仓库")

    def __str__(self) -> str:
        return self.name


class StockLevel(models.Model):
    """On-hand and reserved of one product in one warehouse; available = on_hand − reserved."""

    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="levels")
    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, related_name="stock_levels")
    on_hand = models.DecimalField(_("库存数量"), **QUANTITY, default=ZERO)
    reserved = models.DecimalField(_("已占用"), **QUANTITY, default=ZERO)
    min_quantity = models.DecimalField(_("安全库存"), **QUANTITY, default=ZERO)
    allow_negative = models.BooleanField(default=False, editable=False)
    first_inbound_on = models.DateField(_("首次入库日期"), null=True, blank=True)
    last_inbound_on = models.DateField(_("最近入库日期"), null=True, blank=True)
    # Last move that took goods to a customer (shipment, promotional issue, loan): slow-moving
    # stock is read from these two dates without touching the ledger.
    last_outbound_on = models.DateField(_("最近销售出库日期"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["warehouse", "product"]
        verbose_name = _("库存")
        verbose_name_plural = _("库存")
        constraints = [
            models.UniqueConstraint(fields=["warehouse", "product"], name="stock_level_uniq"),
            models.CheckConstraint(
                condition=Q(allow_negative=True) | Q(on_hand__gte=0), name="stock_level_on_hand_nonneg"
            ),
            models.CheckConstraint(condition=Q(reserved__gte=0), name="stock_level_reserved_nonneg"),
            models.CheckConstraint(condition=Q(min_quantity__gte=0), name="stock_level_min_nonneg"),
        ]
        indexes = [
            models.Index(fields=["product", "warehouse"], name="stock_level_product_idx"),
            models.Index(fields=["warehouse", "last_outbound_on"], name="stock_level_outbound_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.warehouse} {self.product_id}: {self.on_hand}/{self.reserved}"

    @property
    def available(self) -> Decimal:
        return self.on_hand - self.reserved

    @staticmethod
    def available_expression() -> F:
        return F("on_hand") - F("reserved")


class StockMove(models.Model):
    """One line of the ledger: a signed change of on-hand in one warehouse. Never edited or
    deleted; a mistake is corrected by a new adjustment. A transfer is two moves sharing
    ``document_number`` (out of one warehouse, into the other)."""

    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="moves")
    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, related_name="stock_moves")
    kind = models.CharField(_("类型"), max_length=14, choices=MoveKind.choices)
    quantity = models.DecimalField(_("数量"), **QUANTITY)  # signed: + in, − out
    balance_after = models.DecimalField(_("结存"), **QUANTITY)
    unit_cost = models.DecimalField(_("单位成本"), **PRICE, null=True, blank=True)
    moved_on = models.DateField(_("业务日期"), db_index=True)
    document_type = models.CharField(_("单据类型"), max_length=30, blank=True)
    document_id = models.CharField(max_length=40, blank=True)
    document_number = models.CharField(_("单据号"), max_length=40, blank=True, db_index=True)
    counterpart = models.ForeignKey(
        Warehouse, verbose_name=_("对方仓库"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("客户"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(_("原因/备注"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("经办人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("库存流水")
        verbose_name_plural = _("库存流水")
        constraints = [models.CheckConstraint(condition=~Q(quantity=0), name="stock_move_nonzero")]
        indexes = [
            models.Index(fields=["product", "warehouse", "moved_on"], name="stock_move_product_idx"),
            models.Index(fields=["warehouse", "moved_on"], name="stock_move_wh_date_idx"),
            models.Index(fields=["kind", "moved_on"], name="stock_move_kind_idx"),
            models.Index(fields=["document_type", "document_id"], name="stock_move_document_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.product_id}@{self.warehouse_id} {self.quantity}"


class Reservation(models.Model):
    """Stock held for a document line (an order line, later). ``quantity`` is what is still held:
    shipping consumes it, cancelling releases it; the level's ``reserved`` is their sum."""

    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="reservations")
    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, related_name="reservations")
    quantity = models.DecimalField(_("占用数量"), **QUANTITY)
    original_quantity = models.DecimalField(_("原占用数量"), **QUANTITY)
    status = models.CharField(
        _("状态"), max_length=10, choices=ReservationStatus.choices, default=ReservationStatus.ACTIVE
    )
    document_type = models.CharField(_("单据类型"), max_length=30)
    document_id = models.CharField(max_length=40)
    document_number = models.CharField(_("单据号"), max_length=40, blank=True)
    line_key = models.CharField(max_length=40, blank=True)
    customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("库存占用")
        verbose_name_plural = _("库存占用")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=0), name="stock_reservation_qty_nonneg"),
            models.UniqueConstraint(
                fields=["document_type", "document_id", "line_key", "warehouse", "product"],
                condition=Q(status="active"),
                name="stock_reservation_active_uniq",
            ),
        ]
        indexes = [
            models.Index(fields=["product", "warehouse", "status"], name="stock_reservation_level_idx"),
            models.Index(fields=["document_type", "document_id"], name="stock_reservation_doc_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.document_number or self.document_id} {self.product_id}@{self.warehouse_id} {self.quantity}"


class ReplenishmentRequest(models.Model):
    """A shortage reported to purchasing/production (INV-3): what, how many, by when, for which demand."""

    number = models.CharField(_("申请单号"), max_length=30, unique=True)
    product = models.ForeignKey("catalog.Product", verbose_name=_("产品"), on_delete=models.PROTECT, related_name="+")
    warehouse = models.ForeignKey(Warehouse, verbose_name=_("到货仓库"), on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(_("需求数量"), **QUANTITY)
    needed_by = models.DateField(_("需求日期"), null=True, blank=True)
    status = models.CharField(
        _("状态"), max_length=12, choices=ReplenishmentStatus.choices, default=ReplenishmentStatus.OPEN
    )
    demand_type = models.CharField(_("需求来源"), max_length=30, blank=True)
    demand_id = models.CharField(max_length=40, blank=True)
    demand_number = models.CharField(_("来源单号"), max_length=40, blank=True)
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("客户"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.TextField(_("说明"), blank=True)
    response = models.TextField(_("处理意见"), blank=True)
    expected_on = models.DateField(_("预计到货日期"), null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("申请人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("处理人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("补货申请")
        verbose_name_plural = _("补货申请")
        constraints = [models.CheckConstraint(condition=Q(quantity__gt=0), name="stock_replenishment_qty_pos")]
        indexes = [models.Index(fields=["status", "needed_by"], name="stock_replenishment_status_idx")]

    def __str__(self) -> str:
        return self.number


class StockCount(models.Model):
    """A stock count (盘点) of one warehouse: a sheet of expected quantities, the counted ones,
    and the variances posted as adjustments (INV-4)."""

    number = models.CharField(_("盘点单号"), max_length=30, unique=True)
    warehouse = models.ForeignKey(Warehouse, verbose_name=_("仓库"), on_delete=models.PROTECT, related_name="counts")
    status = models.CharField(_("状态"), max_length=10, choices=CountStatus.choices, default=CountStatus.COUNTING)
    snapshot_at = models.DateTimeField(_("账面时点"))
    note = models.CharField(_("备注"), max_length=200, blank=True)
    variance_value = models.DecimalField(_("差异金额"), **AMOUNT, default=Decimal("0.00"))
    needs_approval = models.BooleanField(_("需审批"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("提交人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审批人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decision_comment = models.CharField(_("审批意见"), max_length=200, blank=True)
    posted_at = models.DateTimeField(_("过账时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("盘点单")
        verbose_name_plural = _("盘点单")

    def __str__(self) -> str:
        return self.number


class StockCountLine(models.Model):
    count = models.ForeignKey(StockCount, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey("catalog.Product", verbose_name=_("产品"), on_delete=models.PROTECT, related_name="+")
    expected = models.DecimalField(_("账面数量"), **QUANTITY)
    counted = models.DecimalField(_("实盘数量"), **QUANTITY, null=True, blank=True)
    unit_cost = models.DecimalField(_("单位成本"), **PRICE, null=True, blank=True)
    reason = models.CharField(_("差异原因"), max_length=200, blank=True)

    class Meta:
        ordering = ["count", "id"]
        constraints = [
            models.UniqueConstraint(fields=["count", "product"], name="stock_countline_uniq"),
            models.CheckConstraint(
                condition=Q(counted__isnull=True) | Q(counted__gte=0), name="stock_countline_nonneg"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.count_id}:{self.product_id}"

    @property
    def variance(self) -> Decimal | None:
        return None if self.counted is None else self.counted - self.expected


class PromoIssue(models.Model):
    """Promotional material handed out (促销品发放): to whom, for which customer (INV-6)."""

    number = models.CharField(_("发放单号"), max_length=30, unique=True)
    product = models.ForeignKey("catalog.Product", verbose_name=_("促销品"), on_delete=models.PROTECT, related_name="+")
    warehouse = models.ForeignKey(Warehouse, verbose_name=_("仓库"), on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(_("数量"), **QUANTITY)
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("客户"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recipient = models.CharField(_("领取人"), max_length=60)
    salesperson = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("业务员"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    purpose = models.CharField(_("用途"), max_length=200, blank=True)
    issued_on = models.DateField(_("发放日期"))
    move = models.OneToOneField(StockMove, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("经办人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-issued_on", "-id"]
        verbose_name = _("促销品发放")
        verbose_name_plural = _("促销品发放")
        constraints = [models.CheckConstraint(condition=Q(quantity__gt=0), name="stock_promo_qty_pos")]

    def __str__(self) -> str:
        return self.number


class ProductLoan(models.Model):
    """A product loan (产品借用): request → approval → lent → returned and/or charged (INV-6)."""

    number = models.CharField(_("借用单号"), max_length=30, unique=True)
    product = models.ForeignKey("catalog.Product", verbose_name=_("产品"), on_delete=models.PROTECT, related_name="+")
    warehouse = models.ForeignKey(Warehouse, verbose_name=_("仓库"), on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(_("借用数量"), **QUANTITY)
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("客户"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    purpose = models.CharField(_("借用用途"), max_length=200)
    due_on = models.DateField(_("约定归还日期"))
    status = models.CharField(_("状态"), max_length=10, choices=LoanStatus.choices, default=LoanStatus.REQUESTED)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("申请人"), on_delete=models.PROTECT, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审批人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decision_comment = models.CharField(_("审批意见"), max_length=200, blank=True)
    lent_on = models.DateField(_("借出日期"), null=True, blank=True)
    returned_quantity = models.DecimalField(_("已归还数量"), **QUANTITY, default=ZERO)
    charged_quantity = models.DecimalField(_("转销售数量"), **QUANTITY, default=ZERO)
    charge_unit_price = models.DecimalField(_("转销售单价"), **PRICE, null=True, blank=True)
    charge_amount = models.DecimalField(_("转销售金额"), **AMOUNT, default=Decimal("0.00"))
    closed_on = models.DateField(_("结清日期"), null=True, blank=True)
    created_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("产品借用")
        verbose_name_plural = _("产品借用")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="stock_loan_qty_pos"),
            models.CheckConstraint(
                condition=Q(returned_quantity__gte=0)
                & Q(charged_quantity__gte=0)
                & Q(quantity__gte=F("returned_quantity") + F("charged_quantity")),
                name="stock_loan_settled_le_qty",
            ),
        ]
        indexes = [models.Index(fields=["status", "due_on"], name="stock_loan_status_idx")]

    def __str__(self) -> str:
        return self.number

    @property
    def outstanding(self) -> Decimal:
        return self.quantity - self.returned_quantity - self.charged_quantity
