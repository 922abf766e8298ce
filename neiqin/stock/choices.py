"""Choices and lifecycles of the stock app."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from neiqin.core.statemachine import Transitions


class MoveKind(models.TextChoices):
    RECEIPT = "receipt", _("入库")
    SHIPMENT = "shipment", _("发货出库")
    TRANSFER_OUT = "transfer_out", _("调拨出库")
    TRANSFER_IN = "transfer_in", _("调拨入库")
    ADJUSTMENT = "adjustment", _("库存调整")
    RETURN = "return", _("退货入库")
    PROMO_ISSUE = "promo_issue", _("促销品发放")
    LOAN_OUT = "loan_out", _("借出")
    LOAN_RETURN = "loan_return", _("借用归还")
    OPENING = "opening", _("期初库存")


INBOUND_KINDS = {MoveKind.RECEIPT, MoveKind.TRANSFER_IN, MoveKind.RETURN, MoveKind.LOAN_RETURN, MoveKind.OPENING}
OUTBOUND_KINDS = {MoveKind.SHIPMENT, MoveKind.TRANSFER_OUT, MoveKind.PROMO_ISSUE, MoveKind.LOAN_OUT}
# Moves that count as goods leaving for customers (slow-moving stock, turnover).
SALES_OUTBOUND_KINDS = {MoveKind.SHIPMENT, MoveKind.PROMO_ISSUE, MoveKind.LOAN_OUT}


class ReservationStatus(models.TextChoices):
    ACTIVE = "active", _("占用中")
    RELEASED = "released", _("已释放")
    CONSUMED = "consumed", _("已出库")


class ReplenishmentStatus(models.TextChoices):
    OPEN = "open", _("待处理")
    IN_PROGRESS = "in_progress", _("采购/生产中")
    FULFILLED = "fulfilled", _("已到货")
    CANCELLED = "cancelled", _("已取消")


REPLENISHMENT_FLOW = Transitions(
    {
        ReplenishmentStatus.OPEN: {
            ReplenishmentStatus.IN_PROGRESS,
            ReplenishmentStatus.FULFILLED,
            ReplenishmentStatus.CANCELLED,
        },
        ReplenishmentStatus.IN_PROGRESS: {ReplenishmentStatus.FULFILLED, ReplenishmentStatus.CANCELLED},
        ReplenishmentStatus.FULFILLED: set(),
        ReplenishmentStatus.CANCELLED: set(),
    },
    labels=ReplenishmentStatus,
)


class CountStatus(models.TextChoices):
    COUNTING = "counting", _("盘点中")
    SUBMITTED = "submitted", _("待审批")
    POSTED = "posted", _("已过账")
    CANCELLED = "cancelled", _("已作废")


COUNT_FLOW = Transitions(
    {
        CountStatus.COUNTING: {CountStatus.SUBMITTED, CountStatus.POSTED, CountStatus.CANCELLED},
        CountStatus.SUBMITTED: {CountStatus.POSTED, CountStatus.COUNTING, CountStatus.CANCELLED},
        CountStatus.POSTED: set(),
        CountStatus.CANCELLED: set(),
    },
    labels=CountStatus,
)


class LoanStatus(models.TextChoices):
    REQUESTED = "requested", _("待审批")
    APPROVED = "approved", _("已批准")
    REJECTED = "rejected", _("已驳回")
    LENT = "lent", _("已借出")
    CLOSED = "closed", _("已结清")
    CANCELLED = "cancelled", _("已取消")


LOAN_FLOW = Transitions(
    {
        LoanStatus.REQUESTED: {LoanStatus.APPROVED, LoanStatus.REJECTED, LoanStatus.CANCELLED},
        LoanStatus.APPROVED: {LoanStatus.LENT, LoanStatus.CANCELLED},
        LoanStatus.REJECTED: set(),
        LoanStatus.LENT: {LoanStatus.CLOSED},
        LoanStatus.CLOSED: set(),
        LoanStatus.CANCELLED: set(),
    },
    labels=LoanStatus,
)
