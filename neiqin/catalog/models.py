"""The catalogue (PRD-1) and price lists (PRD-2).

Prices are tax-inclusive by default (含税) and kept to 4 decimals (``core.money.round_price``);
quantities to 3. ``Product.standard_price`` is the company price in force today: it is only
changed through a dated price change on the company list (``services.price_set``), and a daily
job moves it when a future-dated change comes into force. Price history lives in
``PriceListItem`` rows, one per (list, product, quantity break, effective date).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from neiqin.catalog.choices import PriceListKind, ProductKind, VatRate

PRICE = {"max_digits": 14, "decimal_places": 4}
QUANTITY = {"max_digits": 14, "decimal_places": 3}
AMOUNT = {"max_digits": 16, "decimal_places": 2}


class ProductSeries(models.Model):
    """A product series (系列), e.g. 强化复合地板 or 挤塑聚苯板; the sales reports group by it."""

    name = models.CharField(_("系列名称"), max_length=60, unique=True)
    description = models.CharField(_("说明"), max_length=200, blank=True)
    sort_order = models.PositiveIntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["sort_order", "name"]
        verbose_name = _("产品系列")
        verbose_name_plural = _("产品系列")

    def __str__(self) -> str:
        return self.name


class Product(models.Model):
    code = models.CharField(_("产品编码"), max_length=30, unique=True)
    name = models.CharField(_("品名"), max_length=120)
    model = models.CharField(_("型号"), max_length=60)
    spec = models.CharField(_("规格"), max_length=120, blank=True)
    series = models.ForeignKey(
        ProductSeries, verbose_name=_("系列"), null=True, blank=True, on_delete=models.PROTECT, related_name="products"
    )
    brand = models.CharField(_("品牌"), max_length=60, blank=True)
    unit = models.CharField(_("单位"), max_length=10)
    kind = models.CharField(_("类别"), max_length=10, choices=ProductKind.choices, default=ProductKind.GOODS)

    standard_price = models.DecimalField(_("标准价"), **PRICE, default=Decimal("0"))
    price_includes_tax = models.BooleanField(_("含税价"), default=True)
    floor_price = models.DecimalField(_("底价"), **PRICE, null=True, blank=True)
    cost = models.DecimalField(_("成本"), **PRICE, null=True, blank=True)
    vat_rate = models.CharField(_("税率"), max_length=4, choices=VatRate.choices, default=VatRate.R13)

    is_special = models.BooleanField(_("特殊/定制产品"), default=False)
    is_active = models.BooleanField(_("在售"), default=True)
    barcode = models.CharField(_("条形码"), max_length=32, blank=True)
    notes = models.TextField(_("备注"), blank=True)

    model_normalized = models.CharField(max_length=60, editable=False, db_index=True)
    search_initials = models.CharField(max_length=200, editable=False, blank=True)
    search_pinyin = models.CharField(max_length=600, editable=False, blank=True)

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
        ordering = ["series__sort_order", "model", "spec", "id"]
        verbose_name = _("产品")
        verbose_name_plural = _("产品")
        constraints = [
            models.UniqueConstraint(fields=["model_normalized", "spec"], name="catalog_product_model_spec_uniq"),
            models.CheckConstraint(condition=Q(standard_price__gte=0), name="catalog_product_price_nonneg"),
            models.CheckConstraint(
                condition=Q(floor_price__isnull=True) | Q(floor_price__gte=0), name="catalog_product_floor_nonneg"
            ),
            models.CheckConstraint(condition=Q(cost__isnull=True) | Q(cost__gte=0), name="catalog_product_cost_nonneg"),
        ]
        indexes = [
            models.Index(fields=["series", "model"], name="catalog_product_series_idx"),
            models.Index(fields=["is_active", "kind"], name="catalog_product_active_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.model} {self.name}" + (f" {self.spec}" if self.spec else "")

    @property
    def vat(self) -> Decimal:
        return Decimal(self.vat_rate)


class PriceList(models.Model):
    """The company list (exactly one), a list per customer grade, or a list for one customer."""

    name = models.CharField(_("价格表名称"), max_length=80)
    kind = models.CharField(_("类型"), max_length=10, choices=PriceListKind.choices)
    grade = models.CharField(_("客户等级"), max_length=2, blank=True)
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("客户"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="price_lists",
    )
    is_active = models.BooleanField(_("启用"), default=True)
    notes = models.CharField(_("备注"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        ordering = ["kind", "grade", "name", "id"]
        verbose_name = _("价格表")
        verbose_name_plural = _("价格表")
        constraints = [
            models.UniqueConstraint(
                fields=["kind"], condition=Q(kind=PriceListKind.COMPANY), name="catalog_pricelist_one_company"
            ),
            models.UniqueConstraint(
                fields=["grade"], condition=Q(kind=PriceListKind.GRADE), name="catalog_pricelist_grade_uniq"
            ),
            models.UniqueConstraint(
                fields=["customer"], condition=Q(kind=PriceListKind.CUSTOMER), name="catalog_pricelist_customer_uniq"
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind=PriceListKind.COMPANY, customer__isnull=True, grade="")
                    | (Q(kind=PriceListKind.GRADE, customer__isnull=True) & ~Q(grade=""))
                    | Q(kind=PriceListKind.CUSTOMER, customer__isnull=False, grade="")
                ),
                name="catalog_pricelist_kind_shape",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class PriceListItem(models.Model):
    """One price of one product on one list, from ``effective_from`` on, for quantities from
    ``min_quantity`` up (quantity breaks). Never edited: a change is a new row (history)."""

    price_list = models.ForeignKey(PriceList, verbose_name=_("价格表"), on_delete=models.PROTECT, related_name="items")
    product = models.ForeignKey(Product, verbose_name=_("产品"), on_delete=models.PROTECT, related_name="price_items")
    unit_price = models.DecimalField(_("单价"), **PRICE)
    min_quantity = models.DecimalField(_("起订数量"), **QUANTITY, default=Decimal("0"))
    effective_from = models.DateField(_("生效日期"))
    change = models.ForeignKey(
        "catalog.PriceChange", null=True, blank=True, on_delete=models.PROTECT, related_name="items"
    )
    import_batch = models.ForeignKey(
        "core.ImportBatch", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        ordering = ["price_list", "product", "min_quantity", "-effective_from"]
        verbose_name = _("价格")
        verbose_name_plural = _("价格")
        constraints = [
            models.UniqueConstraint(
                fields=["price_list", "product", "min_quantity", "effective_from"], name="catalog_priceitem_uniq"
            ),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="catalog_priceitem_price_nonneg"),
            models.CheckConstraint(condition=Q(min_quantity__gte=0), name="catalog_priceitem_minqty_nonneg"),
        ]
        indexes = [
            models.Index(fields=["product", "price_list", "effective_from"], name="catalog_priceitem_lookup_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.price_list} {self.product} {self.unit_price}"


class PriceChange(models.Model):
    """A dated price change (调价): the new price, who set it, and which customers it affects.

    The affected customers are a snapshot taken when the change is made (``PriceChangeCustomer``)
    so that the owners' notifications and the list the clerk sends out stay the same later.
    """

    price_list = models.ForeignKey(PriceList, verbose_name=_("价格表"), on_delete=models.PROTECT, related_name="+")
    product = models.ForeignKey(Product, verbose_name=_("产品"), on_delete=models.PROTECT, related_name="price_changes")
    min_quantity = models.DecimalField(_("起订数量"), **QUANTITY, default=Decimal("0"))
    old_price = models.DecimalField(_("原价"), **PRICE, null=True, blank=True)
    new_price = models.DecimalField(_("新价"), **PRICE)
    effective_from = models.DateField(_("生效日期"))
    reason = models.CharField(_("调价原因"), max_length=200, blank=True)
    applied = models.BooleanField(_("已生效"), default=False)
    affected_count = models.PositiveIntegerField(_("受影响客户数"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("调价时间"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("调价记录")
        verbose_name_plural = _("调价记录")
        indexes = [models.Index(fields=["applied", "effective_from"], name="catalog_pricechange_due_idx")]

    def __str__(self) -> str:
        return f"{self.product} {self.old_price} → {self.new_price}"


class PriceChangeCustomer(models.Model):
    change = models.ForeignKey(PriceChange, on_delete=models.CASCADE, related_name="affected")
    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="+")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    old_price = models.DecimalField(**PRICE, null=True, blank=True)
    new_price = models.DecimalField(**PRICE)

    class Meta:
        ordering = ["change", "customer"]
        constraints = [models.UniqueConstraint(fields=["change", "customer"], name="catalog_pcc_uniq")]
        indexes = [models.Index(fields=["owner", "change"], name="catalog_pcc_owner_idx")]

    def __str__(self) -> str:
        return f"{self.change_id}:{self.customer_id}"
