"""Order checks (审单, ORD-4): run on submit and on every change; each failing check says why,
with the figures, and which approval (if any) clears it.

Severity: ``block`` must be fixed (data missing); ``approval`` is cleared by an approval of the
named rule; ``warn`` is shown but does not stop the order (a shortage: confirmation reserves what
is there and raises a replenishment request for the rest).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Sum
from django.utils.translation import gettext as _

from neiqin.core.money import format_cny, round_quantity
from neiqin.sales import credit
from neiqin.sales.choices import Channel, RuleKind
from neiqin.sales.models import ApprovalRule, SalesOrder

BLOCK, APPROVAL, WARN = "block", "approval", "warn"
CREDIT_MODES = ("monthly", "term")


@dataclass
class Check:
    code: str
    ok: bool
    severity: str
    message: str
    rule: str = ""  # ApprovalRule.code that clears it
    approver_role: str = ""
    figures: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _fmt(quantity: Decimal) -> str:
    text = f"{quantity:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _rules() -> dict[str, list[ApprovalRule]]:
    by_kind: dict[str, list[ApprovalRule]] = {}
    for rule in ApprovalRule.objects.filter(is_active=True).order_by("sort_order", "code"):
        by_kind.setdefault(rule.kind, []).append(rule)
    return by_kind


def run_checks(order: SalesOrder, *, requester: Any = None) -> list[Check]:
    """Every check of ``order`` as it is now (lines included), passing ones too."""
    lines = list(order.lines.select_related("product").order_by("position"))
    rules = _rules()
    checks: list[Check] = []
    checks += _data_checks(order, lines)
    checks += _credit_checks(order, rules)
    checks += _line_rule_checks(lines, rules)
    checks += _amount_checks(order, rules)
    checks += _discount_checks(lines, rules, requester or order.created_by)
    checks += _stock_checks(order, lines)
    return checks


def _data_checks(order: SalesOrder, lines: list[Any]) -> list[Check]:
    customer = order.customer
    missing = []
    if not customer.name:
        missing.append(_("客户名称"))
    if not (customer.phone or customer.contacts.exists()):
        missing.append(_("客户电话或联系人"))
    checks = [
        Check(
            "customer_data",
            not missing,
            BLOCK,
            _("客户资料完整")
            if not missing
            else _("客户资料缺少：%(items)s，请先补全客户档案。") % {"items": "、".join(missing)},
        )
    ]
    inactive = [line.product.model for line in lines if not line.product.is_active]
    checks.append(
        Check(
            "product_active",
            not inactive,
            BLOCK,
            _("产品均在售") if not inactive else _("以下产品已停售：%(models)s") % {"models": "、".join(inactive)},
        )
    )
    checks.append(Check("lines", bool(lines), BLOCK, _("有产品明细") if lines else _("订单没有产品明细。")))
    zero_price = [line.product.model for line in lines if line.unit_price == 0]
    checks.append(
        Check(
            "prices",
            not zero_price,
            WARN,
            _("单价齐全")
            if not zero_price
            else _("以下产品单价为 0（赠品？）：%(models)s") % {"models": "、".join(zero_price)},
        )
    )
    has_date = bool(order.delivery_on) or (bool(lines) and all(line.delivery_on for line in lines))
    checks.append(
        Check("delivery_date", has_date, BLOCK, _("有交货日期") if has_date else _("请填写客户要求的交货日期。"))
    )
    checks.append(
        Check(
            "payment_terms",
            bool(order.payment_mode),
            BLOCK,
            _("结算方式已填写") if order.payment_mode else _("请填写结算方式（款到发货、月结或账期）。"),
        )
    )
    checks.append(
        Check(
            "delivery_address",
            bool(order.delivery_address),
            BLOCK,
            _("收货地址已填写") if order.delivery_address else _("请填写收货地址。"),
        )
    )
    oral = order.channel == Channel.ORAL and not order.written_record
    checks.append(
        Check(
            "written_record",
            not oral,
            WARN,
            _("有书面凭证") if not oral else _("口头订单：请尽快补充客户的书面确认（传真、邮件或签字）。"),
        )
    )
    return checks


def _rule_check(code: str, ok: bool, rule: ApprovalRule | None, message: str, figures: dict[str, Any]) -> Check:
    return Check(
        code,
        ok,
        APPROVAL,
        message,
        rule=rule.code if rule else "",
        approver_role=rule.approver_role if rule else "",
        figures=figures,
    )


def _credit_checks(order: SalesOrder, rules: dict[str, list[ApprovalRule]]) -> list[Check]:
    checks = []
    customer = order.customer
    on_credit = order.payment_mode in CREDIT_MODES
    for rule in rules.get(RuleKind.CREDIT_SALE, []):
        checks.append(
            _rule_check(
                "credit_sale",
                not on_credit,
                rule,
                _("款到发货")
                if not on_credit
                else _("赊销（%(mode)s，账期 %(days)s 天）需要%(rule)s审批。")
                % {"mode": order.get_payment_mode_display(), "days": order.payment_term_days, "rule": rule.name},
                {"payment_mode": order.payment_mode, "payment_term_days": order.payment_term_days},
            )
        )
    exposure = credit.exposure(customer, excluding_order_id=order.pk)
    for rule in rules.get(RuleKind.OVERDUE, []):
        ok = exposure.overdue <= 0
        checks.append(
            _rule_check(
                "overdue",
                ok,
                rule,
                _("客户无逾期欠款")
                if ok
                else _("客户有逾期欠款 %(amount)s。") % {"amount": format_cny(exposure.overdue)},
                {"overdue": str(exposure.overdue)},
            )
        )
    if on_credit:
        for rule in rules.get(RuleKind.CREDIT_LIMIT, []):
            after = exposure.used + order.total
            ok = after <= exposure.limit
            checks.append(
                _rule_check(
                    "credit_limit",
                    ok,
                    rule,
                    _("信用额度足够")
                    if ok
                    else _(
                        "超出信用额度：额度 %(limit)s，已占用 %(used)s（未完成订单 %(orders)s、应收 %(recv)s），"
                        "本单 %(this)s，超出 %(over)s。"
                    )
                    % {
                        "limit": format_cny(exposure.limit),
                        "used": format_cny(exposure.used),
                        "orders": format_cny(exposure.open_orders),
                        "recv": format_cny(exposure.receivable),
                        "this": format_cny(order.total),
                        "over": format_cny(after - exposure.limit),
                    },
                    {
                        "limit": str(exposure.limit),
                        "open_orders": str(exposure.open_orders),
                        "receivable": str(exposure.receivable),
                        "order": str(order.total),
                    },
                )
            )
    return checks


def _line_rule_checks(lines: list[Any], rules: dict[str, list[ApprovalRule]]) -> list[Check]:
    checks = []
    below = [line for line in lines if line.floor_price is not None and line.unit_price < line.floor_price]
    for rule in rules.get(RuleKind.BELOW_FLOOR, []):
        checks.append(
            _rule_check(
                "below_floor",
                not below,
                rule,
                _("价格不低于底价")
                if not below
                else _("以下产品低于底价：%(items)s")
                % {
                    "items": "；".join(
                        _("%(model)s 单价 %(price)s，底价 %(floor)s")
                        % {
                            "model": line.product.model,
                            "price": format_cny(line.unit_price),
                            "floor": format_cny(line.floor_price),
                        }
                        for line in below
                    )
                },
                {
                    "lines": [
                        {
                            "position": line.position,
                            "unit_price": str(line.unit_price),
                            "floor_price": str(line.floor_price),
                        }
                        for line in below
                    ]
                },
            )
        )
    special = [line for line in lines if line.product.is_special]
    for rule in rules.get(RuleKind.SPECIAL_PRODUCT, []):
        checks.append(
            _rule_check(
                "special_product",
                not special,
                rule,
                _("无特殊/定制产品")
                if not special
                else _("含特殊/定制产品：%(models)s") % {"models": "、".join(line.product.model for line in special)},
                {"positions": [line.position for line in special]},
            )
        )
    return checks


def _amount_checks(order: SalesOrder, rules: dict[str, list[ApprovalRule]]) -> list[Check]:
    checks = []
    for rule in rules.get(RuleKind.AMOUNT, []):
        limit = rule.threshold or Decimal("0")
        ok = order.total <= limit
        checks.append(
            _rule_check(
                f"amount:{rule.code}",
                ok,
                rule,
                _("金额在 %(limit)s 以内") % {"limit": format_cny(limit)}
                if ok
                else _("订单金额 %(total)s 超过 %(limit)s。")
                % {"total": format_cny(order.total), "limit": format_cny(limit)},
                {"total": str(order.total), "threshold": str(limit)},
            )
        )
    return checks


ROLE_RANK = {"sales_manager": 1, "deputy_gm": 2, "gm": 3}


def holds_authority(user: Any, role: str) -> bool:
    """True if ``user`` holds ``role`` or a higher approving role."""
    from neiqin.accounts.scoping import roles

    need = ROLE_RANK.get(role, 99)
    return any(ROLE_RANK.get(r, 0) >= need for r in roles(user))


def _discount_checks(lines: list[Any], rules: dict[str, list[ApprovalRule]], requester: Any) -> list[Check]:
    checks = []
    for rule in rules.get(RuleKind.DISCOUNT, []):
        limit = (rule.threshold or Decimal("0")) / 100
        over = [line for line in lines if line.discount_rate > limit]
        ok = not over or (requester is not None and holds_authority(requester, rule.approver_role))
        checks.append(
            _rule_check(
                f"discount:{rule.code}",
                ok,
                rule,
                _("折扣在权限内")
                if ok
                else _("折扣超过 %(limit)s%%：%(items)s")
                % {
                    "limit": _fmt(rule.threshold or Decimal("0")),
                    "items": "、".join(f"{line.product.model} {_fmt(line.discount_rate * 100)}%" for line in over),
                },
                {"threshold_percent": str(rule.threshold), "positions": [line.position for line in over]},
            )
        )
    return checks


def _stock_checks(order: SalesOrder, lines: list[Any]) -> list[Check]:
    from neiqin.stock.models import StockLevel

    if not lines:
        return []
    ids = [line.product_id for line in lines]
    levels = StockLevel.objects.filter(product_id__in=ids, warehouse__is_active=True)
    free: dict[int, Decimal] = {}
    for row in levels.values("product_id").annotate(on_hand=Sum("on_hand"), reserved=Sum("reserved")):
        # round: SQLite sums NUMERIC columns in floating point
        free[row["product_id"]] = round_quantity(row["on_hand"] - row["reserved"])
    needed: dict[int, Decimal] = {}
    for line in lines:
        needed[line.product_id] = needed.get(line.product_id, Decimal("0")) + line.quantity - line.reserved_quantity
    short = []
    for line in lines:
        need = needed.get(line.product_id, Decimal("0"))
        have = max(free.get(line.product_id, Decimal("0")), Decimal("0"))
        if need > have and line.product_id not in [s[0] for s in short]:
            short.append((line.product_id, line.product.model, need, have, line.product.unit))
    return [
        Check(
            "stock",
            not short,
            WARN,
            _("库存充足")
            if not short
            else _("库存不足：%(items)s；确认时先占用现有库存，缺口生成补货申请。")
            % {
                "items": "；".join(
                    _("%(model)s 需 %(need)s，可用 %(have)s %(unit)s")
                    % {"model": m, "need": _fmt(n), "have": _fmt(h), "unit": u}
                    for _p, m, n, h, u in short
                )
            },
            figures={"short": [{"product": p, "need": str(n), "available": str(h)} for p, _m, n, h, _u in short]},
        )
    ]


def blocking(checks: list[Check]) -> list[Check]:
    return [c for c in checks if not c.ok and c.severity == BLOCK]


def needing_approval(checks: list[Check]) -> list[Check]:
    return [c for c in checks if not c.ok and c.severity == APPROVAL and c.rule]
