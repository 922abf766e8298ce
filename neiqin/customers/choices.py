"""Classification axes of the customer file (CUS-2) and their lifecycle table."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from neiqin.core.statemachine import Transitions


class Kind(models.TextChoices):
    ENTERPRISE = "enterprise", _("企业")
    INDIVIDUAL = "individual", _("个人")


class Scale(models.TextChoices):
    MICRO = "micro", _("微型")
    SMALL = "small", _("小型")
    MEDIUM = "medium", _("中型")
    LARGE = "large", _("大型")


class Industry(models.TextChoices):
    CONSTRUCTION = "construction", _("建筑装饰")
    REAL_ESTATE = "real_estate", _("房地产")
    MANUFACTURING = "manufacturing", _("制造业")
    TRADE = "trade", _("批发零售")
    IT = "it", _("信息技术")
    FINANCE = "finance", _("金融")
    EDUCATION = "education", _("教育")
    HEALTHCARE = "healthcare", _("医疗卫生")
    GOVERNMENT = "government", _("政府机关")
    HOSPITALITY = "hospitality", _("酒店餐饮")
    LOGISTICS = "logistics", _("物流")
    OTHER = "other", _("其他")


class Potential(models.TextChoices):
    HIGH = "high", _("高")
    MEDIUM = "medium", _("中")
    LOW = "low", _("低")


class Stage(models.TextChoices):
    POTENTIAL = "potential", _("潜在客户")
    INTENDED = "intended", _("意向客户")
    SIGNED = "signed", _("签约客户")
    LOST = "lost", _("流失客户")


STAGE_TRANSITIONS = Transitions(
    {
        Stage.POTENTIAL: {Stage.INTENDED, Stage.SIGNED, Stage.LOST},
        Stage.INTENDED: {Stage.SIGNED, Stage.LOST, Stage.POTENTIAL},
        Stage.SIGNED: {Stage.LOST},
        Stage.LOST: {Stage.POTENTIAL, Stage.INTENDED},
    },
    labels=Stage,
)


class Grade(models.TextChoices):
    A = "A", _("A 类")
    B = "B", _("B 类")
    C = "C", _("C 类")


class Source(models.TextChoices):
    MARKET_RESEARCH = "market_research", _("市场调研")
    EXHIBITION = "exhibition", _("展会")
    WEB = "web", _("网络推广")
    VISIT = "visit", _("业务员拜访")
    REFERRAL = "referral", _("客户介绍")
    PHONE = "phone", _("来电咨询")
    OTHER = "other", _("其他")


class PaymentMode(models.TextChoices):
    PREPAY = "prepay", _("款到发货")
    MONTHLY = "monthly", _("月结")
    TERM = "term", _("账期")


class KeyDateKind(models.TextChoices):
    LEASE_EXPIRY = "lease_expiry", _("租约到期")
    BIRTHDAY = "birthday", _("生日")
    FOUNDING = "founding", _("公司周年")
    CONTRACT_EXPIRY = "contract_expiry", _("合同到期")
    OTHER = "other", _("其他")


class AssignmentKind(models.TextChoices):
    ASSIGN = "assign", _("分配")
    REASSIGN = "reassign", _("转移")
    CLAIM = "claim", _("公海领取")
    RELEASE = "release", _("退回公海")
    AUTO_RELEASE = "auto_release", _("超期自动退回公海")


# Regular return visits by grade (定期回访), in days.
REVISIT_DAYS = {Grade.A: 14, Grade.B: 30, Grade.C: 90}
# Lease expiry: contact 4-5 months before (seed 004).
KEY_DATE_LEAD_DAYS = {KeyDateKind.LEASE_EXPIRY: 150, KeyDateKind.BIRTHDAY: 3, KeyDateKind.CONTRACT_EXPIRY: 30}
