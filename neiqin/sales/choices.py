"""Choices and lifecycles of the order desk."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from neiqin.core.statemachine import Transitions


class OpportunityStage(models.TextChoices):
    LEAD = "lead", _("线索")
    CONTACTED = "contacted", _("已接洽")
    NEEDS_CONFIRMED = "needs_confirmed", _("需求确认")
    PROPOSAL = "proposal", _("方案/报价")
    NEGOTIATION = "negotiation", _("商务谈判")
    WON = "won", _("赢单")
    LOST = "lost", _("输单")


OPEN_STAGES = [
    OpportunityStage.LEAD,
    OpportunityStage.CONTACTED,
    OpportunityStage.NEEDS_CONFIRMED,
    OpportunityStage.PROPOSAL,
    OpportunityStage.NEGOTIATION,
]
DEFAULT_PROBABILITY = {
    OpportunityStage.LEAD: 10,
    OpportunityStage.CONTACTED: 20,
    OpportunityStage.NEEDS_CONFIRMED: 40,
    OpportunityStage.PROPOSAL: 60,
    OpportunityStage.NEGOTIATION: 80,
    OpportunityStage.WON: 100,
    OpportunityStage.LOST: 0,
}
OPPORTUNITY_FLOW = Transitions(
    {
        **{
            stage: {s for s in OPEN_STAGES if s != stage} | {OpportunityStage.WON, OpportunityStage.LOST}
            for stage in OPEN_STAGES
        },
        OpportunityStage.WON: set(),
        OpportunityStage.LOST: {OpportunityStage.LEAD},
    },
    labels=OpportunityStage,
)


class MilestoneKind(models.TextChoices):
    """Project deals (OPP-2, seed 004): plan → final plan → quotation → contract → prepayment →
    delivery/installation → acceptance."""

    PLAN = "plan", _("方案")
    REVISED_PLAN = "revised_plan", _("修改方案")
    FINAL_PLAN = "final_plan", _("确定方案")
    QUOTATION = "quotation", _("报价")
    CONTRACT = "contract", _("签订合同")
    PREPAYMENT = "prepayment", _("预付款")
    DELIVERY = "delivery", _("送货安装")
    ACCEPTANCE = "acceptance", _("验收")


class Channel(models.TextChoices):
    FAX = "fax", _("传真")
    PHONE = "phone", _("电话")
    EMAIL = "email", _("电子邮件")
    E_ORDER = "e_order", _("电子订单")
    ORAL = "oral", _("口头")
    SALESPERSON = "salesperson", _("业务员")
    CONTRACT = "contract", _("合同")
    IMPORT = "import", _("Excel 导入")


class QuotationStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    ISSUED = "issued", _("已发出")
    ACCEPTED = "accepted", _("客户接受")
    DECLINED = "declined", _("客户拒绝")
    CANCELLED = "cancelled", _("已作废")


QUOTATION_FLOW = Transitions(
    {
        QuotationStatus.DRAFT: {QuotationStatus.ISSUED, QuotationStatus.CANCELLED},
        QuotationStatus.ISSUED: {QuotationStatus.ACCEPTED, QuotationStatus.DECLINED, QuotationStatus.CANCELLED},
        QuotationStatus.ACCEPTED: set(),
        QuotationStatus.DECLINED: set(),
        QuotationStatus.CANCELLED: set(),
    },
    labels=QuotationStatus,
)


class ContractStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    IN_REVIEW = "in_review", _("审核中")
    REVIEWED = "reviewed", _("待签订")
    EFFECTIVE = "effective", _("已生效")
    COMPLETED = "completed", _("履行完毕")
    TERMINATED = "terminated", _("已终止")
    CANCELLED = "cancelled", _("已作废")


CONTRACT_FLOW = Transitions(
    {
        ContractStatus.DRAFT: {ContractStatus.IN_REVIEW, ContractStatus.CANCELLED},
        ContractStatus.IN_REVIEW: {ContractStatus.REVIEWED, ContractStatus.DRAFT, ContractStatus.CANCELLED},
        ContractStatus.REVIEWED: {ContractStatus.EFFECTIVE, ContractStatus.DRAFT, ContractStatus.CANCELLED},
        ContractStatus.EFFECTIVE: {ContractStatus.COMPLETED, ContractStatus.TERMINATED},
        ContractStatus.COMPLETED: set(),
        ContractStatus.TERMINATED: set(),
        ContractStatus.CANCELLED: set(),
    },
    labels=ContractStatus,
)


class ReviewKind(models.TextChoices):
    LEGAL = "legal", _("法务审核")
    FINANCE = "finance", _("财务审核")


class OrderStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PENDING_APPROVAL = "pending_approval", _("待审批")
    APPROVED = "approved", _("待确认")
    CONFIRMED = "confirmed", _("已确认")
    CANCELLED = "cancelled", _("已取消")
    CLOSED = "closed", _("已关闭")


ORDER_FLOW = Transitions(
    {
        OrderStatus.DRAFT: {OrderStatus.PENDING_APPROVAL, OrderStatus.APPROVED, OrderStatus.CANCELLED},
        OrderStatus.PENDING_APPROVAL: {OrderStatus.APPROVED, OrderStatus.DRAFT, OrderStatus.CANCELLED},
        OrderStatus.APPROVED: {
            OrderStatus.CONFIRMED,
            OrderStatus.DRAFT,
            OrderStatus.PENDING_APPROVAL,
            OrderStatus.CANCELLED,
        },
        OrderStatus.CONFIRMED: {OrderStatus.PENDING_APPROVAL, OrderStatus.CANCELLED, OrderStatus.CLOSED},
        OrderStatus.CANCELLED: set(),
        OrderStatus.CLOSED: set(),
    },
    labels=OrderStatus,
)
# Orders that count against the customer's credit (ORD-4, R5): those the company has accepted.
# Orders still waiting for approval or confirmation are alternatives, not commitments; counting
# them would let eight orders entered at once block each other for good. The check at
# confirmation runs with the customer row locked, so confirmed orders never exceed the limit.
OPEN_ORDER_STATUSES = [OrderStatus.CONFIRMED]


class Progress(models.TextChoices):
    """Derived progress of shipping, invoicing and payment (ORD-7): never typed by hand."""

    NONE = "none", _("未开始")
    PARTIAL = "partial", _("部分")
    FULL = "full", _("全部")


class ApprovalStatus(models.TextChoices):
    PENDING = "pending", _("待审批")
    APPROVED = "approved", _("已批准")
    REJECTED = "rejected", _("已驳回")
    VOID = "void", _("已失效")


class RuleKind(models.TextChoices):
    """What an approval rule looks at (ORD-5); the rows of ``ApprovalRule`` configure them."""

    BELOW_FLOOR = "below_floor", _("低于底价")
    CREDIT_SALE = "credit_sale", _("赊销/月结")
    OVERDUE = "overdue", _("客户有逾期欠款")
    CREDIT_LIMIT = "credit_limit", _("超出信用额度")
    SPECIAL_PRODUCT = "special_product", _("特殊/定制产品")
    AMOUNT = "amount", _("订单金额超过限额")
    DISCOUNT = "discount", _("折扣超出权限")
