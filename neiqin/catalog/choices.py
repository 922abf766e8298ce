"""Choices of the catalogue."""

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _


class ProductKind(models.TextChoices):
    GOODS = "goods", _("商品")
    PROMO = "promo", _("促销品")  # promotional material: stocked and issued, never sold


class VatRate(models.TextChoices):
    """China VAT rates; stored as the decimal fraction in text form ("0.13")."""

    R13 = "0.13", _("13%")
    R9 = "0.09", _("9%")
    R6 = "0.06", _("6%")
    R3 = "0.03", _("3%")
    R0 = "0.00", _("0%")


VAT_RATES = [Decimal(value) for value in VatRate.values]


class PriceListKind(models.TextChoices):
    COMPANY = "company", _("公司统一价")
    GRADE = "grade", _("客户等级价")
    CUSTOMER = "customer", _("客户专属价")


class PriceSource(models.TextChoices):
    """Where a resolved price came from (shown next to every price the clerk sees)."""

    CUSTOMER = "customer", _("客户专属价")
    GRADE = "grade", _("客户等级价")
    COMPANY = "company", _("公司统一价")
    STANDARD = "standard", _("产品标准价")
