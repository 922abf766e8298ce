"""Approvals (审批, ORD-5, RELIABILITY R6).

An approval covers exactly what was approved: ``content_hash`` is a SHA-256 over the customer,
the payment terms and every priced line (product, quantity, unit price, discount). Changing any
of those voids the live approvals of the document; a copy of a document starts with none. The
requester can never decide their own request, and the approver must hold the rule's role (or a
higher approving role) and see the customer.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from neiqin.accounts.roles import Role
from neiqin.core import audit, notifications
from neiqin.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from neiqin.sales.choices import ApprovalStatus, RuleKind
from neiqin.sales.models import ApprovalRequest, ApprovalRule
from neiqin.sales.services.checks import Check, holds_authority

DEFAULT_RULES = [
    # code, kind, name, approver role, threshold
    ("below_floor", RuleKind.BELOW_FLOOR, "低于底价", Role.DEPUTY_GM, None),
    ("credit_sale", RuleKind.CREDIT_SALE, "赊销/月结", Role.GM, None),
    ("overdue", RuleKind.OVERDUE, "客户拖欠", Role.GM, None),
    ("credit_limit", RuleKind.CREDIT_LIMIT, "超信用额度", Role.GM, None),
    ("special_product", RuleKind.SPECIAL_PRODUCT, "特殊/定制产品", Role.SALES_MANAGER, None),
    ("amount_manager", RuleKind.AMOUNT, "订单金额超 20 万", Role.SALES_MANAGER, "200000.00"),
    ("amount_gm", RuleKind.AMOUNT, "订单金额超 100 万", Role.GM, "1000000.00"),
    ("discount_manager", RuleKind.DISCOUNT, "折扣超 5%", Role.SALES_MANAGER, "5.00"),
    ("discount_deputy", RuleKind.DISCOUNT, "折扣超 15%", Role.DEPUTY_GM, "15.00"),
]


def ensure_default_rules() -> None:
    """Create the default rules once (admins edit them afterwards; codes are stable)."""
    from decimal import Decimal

    for order, (code, kind, name, role, threshold) in enumerate(DEFAULT_RULES):
        ApprovalRule.objects.get_or_create(
            code=code,
            defaults={
                "kind": kind,
                "name": name,
                "approver_role": role,
                "threshold": Decimal(threshold) if threshold else None,
                "sort_order": order,
            },
        )


def content_hash(*, customer_id: int, payment_mode: str, payment_term_days: int, lines: Iterable[Any]) -> str:
    data = {
        "customer": customer_id,
        "payment_mode": payment_mode or "",
        "payment_term_days": int(payment_term_days or 0),
        "lines": [
            [
                line.position,
                line.product_id,
                str(line.quantity.normalize()),
                str(line.unit_price.normalize()),
                str(line.discount_rate.normalize()),
            ]
            for line in sorted(lines, key=lambda x: (x.position, x.product_id))
        ],
    }
    return hashlib.sha256(json.dumps(data, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def document_hash(document: Any) -> str:
    return content_hash(
        customer_id=document.customer_id,
        payment_mode=getattr(document, "payment_mode", ""),
        payment_term_days=getattr(document, "payment_term_days", 0),
        lines=document.lines.all(),
    )


def _live(document_type: str, document_id: int):
    return ApprovalRequest.objects.filter(
        document_type=document_type,
        document_id=document_id,
        status__in=[ApprovalStatus.PENDING, ApprovalStatus.APPROVED],
    )


def void_stale(*, document_type: str, document_id: int, current_hash: str, reason: str) -> int:
    """Void every live approval that no longer covers the document's content."""
    count = 0
    for approval in _live(document_type, document_id).exclude(content_hash=current_hash).select_for_update():
        approval.status = ApprovalStatus.VOID
        approval.voided_at = timezone.now()
        approval.void_reason = reason[:200]
        approval.save(update_fields=["status", "voided_at", "void_reason"])
        audit.record(action="sales.approval.voided", obj=approval, by=None, data={"reason": reason})
        count += 1
    return count


def void_all(*, document_type: str, document_id: int, reason: str) -> int:
    return void_stale(document_type=document_type, document_id=document_id, current_hash="", reason=reason)


def sync_requests(*, document: Any, document_type: str, checks: list[Check], by: Any) -> list[ApprovalRequest]:
    """Make the live approvals match what the checks need now: void the stale ones, open a
    pending request for every rule that fails and has no live approval. Returns the live ones."""
    current = document_hash(document)
    void_stale(
        document_type=document_type,
        document_id=document.pk,
        current_hash=current,
        reason=str(_("单据内容已变更（价格、数量、折扣、客户或结算条款）")),
    )
    needed = {c.rule: c for c in checks if not c.ok and c.severity == "approval" and c.rule}
    live = {a.rule.code: a for a in _live(document_type, document.pk).select_related("rule")}
    for code, approval in live.items():
        if code not in needed and approval.status == ApprovalStatus.PENDING:
            approval.status = ApprovalStatus.VOID
            approval.voided_at = timezone.now()
            approval.void_reason = str(_("不再需要该审批"))[:200]
            approval.save(update_fields=["status", "voided_at", "void_reason"])
    rules = {r.code: r for r in ApprovalRule.objects.filter(code__in=list(needed))}
    created = []
    for code, check in needed.items():
        if code in live:
            continue
        rule = rules[code]
        approval = ApprovalRequest.objects.create(
            document_type=document_type,
            document_id=document.pk,
            order=document if document_type == "order" else None,
            quotation=document if document_type == "quotation" else None,
            rule=rule,
            approver_role=rule.approver_role,
            reason=check.message[:300],
            figures=check.figures,
            content_hash=current,
            requested_by=by,
        )
        audit.record(
            action="sales.approval.requested", obj=approval, by=by, data={"rule": code, "reason": check.message}
        )
        created.append(approval)
    _notify_approvers(created, document)
    return list(_live(document_type, document.pk).select_related("rule"))


def _notify_approvers(approvals: list[ApprovalRequest], document: Any) -> None:
    from django.contrib.auth import get_user_model

    users = get_user_model()
    for approval in approvals:
        for user in users.objects.filter(groups__name=approval.approver_role, is_active=True).distinct():
            if user.pk == approval.requested_by_id:
                continue
            notifications.notify(
                user=user,
                title=_("待审批：%(doc)s %(rule)s") % {"doc": str(document), "rule": approval.rule.name},
                body=approval.reason,
                obj=approval,
            )


def covered(*, document: Any, document_type: str, needed_rules: Iterable[str]) -> bool:
    """True when every needed rule has an approved request covering the current content."""
    current = document_hash(document)
    approved = set(
        ApprovalRequest.objects.filter(
            document_type=document_type,
            document_id=document.pk,
            status=ApprovalStatus.APPROVED,
            content_hash=current,
        ).values_list("rule__code", flat=True)
    )
    return set(needed_rules) <= approved


def _sees_document(user: Any, approval: ApprovalRequest) -> bool:
    from neiqin.customers.selectors import customer_queryset

    document = approval.order or approval.quotation
    return document is not None and customer_queryset(user=user).filter(pk=document.customer_id).exists()


def approval_decide(*, approval: ApprovalRequest, by: Any, approve: bool, comment: str = "") -> ApprovalRequest:
    """Approve or reject one request; the document moves on when its approvals are complete."""
    comment = (comment or "").strip()
    if not approve and not comment:
        raise ValidationFailed(_("驳回时请填写意见。"), extra={"fields": {"comment": [_("请填写驳回意见。")]}})
    with transaction.atomic():
        locked = (
            ApprovalRequest.objects.select_for_update(no_key=True, of=("self",))
            .select_related("rule")
            .get(pk=approval.pk)
        )
        if not _sees_document(by, locked):
            raise NotFound(_("审批不存在。"))
        if locked.requested_by_id == by.pk:
            raise PermissionDenied(_("不能审批自己提交的申请，请由其他有权限的人审批。"))
        if not holds_authority(by, locked.approver_role):
            raise PermissionDenied(_("该审批需要%(role)s审批。") % {"role": Role(locked.approver_role).label})
        if locked.status != ApprovalStatus.PENDING:
            raise Conflict(
                _("该审批%(status)s，不能重复处理。") % {"status": locked.get_status_display()},
                code="approval_decided",
            )
        document = locked.order or locked.quotation
        if document_hash(document) != locked.content_hash:
            locked.status = ApprovalStatus.VOID
            locked.voided_at = timezone.now()
            locked.void_reason = str(_("单据内容已变更"))
            locked.save(update_fields=["status", "voided_at", "void_reason"])
            audit.record(action="sales.approval.voided", obj=locked, by=by, data={"reason": locked.void_reason})
        else:
            locked.status = ApprovalStatus.APPROVED if approve else ApprovalStatus.REJECTED
            locked.decided_by = by
            locked.decided_at = timezone.now()
            locked.comment = comment[:300]
            locked.save(update_fields=["status", "decided_by", "decided_at", "comment"])
            audit.record(
                action="sales.approval.approved" if approve else "sales.approval.rejected",
                obj=locked,
                by=by,
                data={"rule": locked.rule.code, "comment": comment, "document": str(document)},
            )
            notifications.notify(
                user=locked.requested_by,
                title=(_("已批准：%(doc)s %(rule)s") if approve else _("被驳回：%(doc)s %(rule)s"))
                % {"doc": str(document), "rule": locked.rule.name},
                body=comment,
                obj=document,
            )
            if locked.order_id:
                from neiqin.sales.services.orders import after_approval_decision

                after_approval_decision(order_id=locked.order_id, approved=approve, by=by, comment=comment)
    if locked.status == ApprovalStatus.VOID:
        # Raised after the transaction so that the voiding above is kept (R6).
        raise Conflict(_("单据在申请审批后已被修改，本审批已失效。"), code="approval_stale")
    return locked
