"""Contracts (合同, ORD-2): drafted from an editable template with both parties, the product
table and the standard clauses; reviewed by legal and finance; signed; archived with the scanned
signed copy; watched until expiry. A contract without number, both signatures and the signing
date cannot become effective (the service refuses, and a CHECK constraint backs it)."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from neiqin.accounts.roles import Role
from neiqin.accounts.scoping import has_role
from neiqin.core import audit, notifications, numbering
from neiqin.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from neiqin.sales.choices import CONTRACT_FLOW, ContractStatus, ReviewKind
from neiqin.sales.models import Contract, ContractLine, ContractReview, ContractTemplate
from neiqin.sales.services.lines import price_lines, total_of
from neiqin.sales.services.orders import _can_touch, _require_order_role

STANDARD_CLAUSES = [
    ("quality", "质量标准", "按国家标准及生产厂家企业标准执行；产品须附合格证。"),
    ("delivery", "交货时间及地点", "卖方于合同生效后按约定日期将货物送至买方指定地点。"),
    ("transport", "运输方式及费用", "汽车运输，运费由卖方承担；买方指定特殊运输方式的，费用由买方承担。"),
    (
        "acceptance",
        "验收标准及提出异议期限",
        "买方应在货到后 3 日内验收，如有异议应在 7 日内书面提出，逾期视为验收合格。",
    ),
    ("packaging", "包装标准", "按生产厂家标准包装，包装物不回收。"),
    ("settlement", "结算方式及期限", "银行转账。按双方约定的结算方式及期限付款。"),
    (
        "breach",
        "违约责任",
        "按《中华人民共和国民法典》合同编的有关规定执行；逾期付款的，每日按未付金额的万分之五支付违约金。",
    ),
    ("disputes", "解决合同纠纷的方式", "双方协商解决；协商不成的，向卖方所在地人民法院提起诉讼。"),
    ("other", "其他约定事项", "本合同一式两份，双方各执一份，经双方签字盖章后生效，传真件与原件具有同等效力。"),
]
REVIEWERS = {ReviewKind.LEGAL: {Role.DEPUTY_GM, Role.GM, Role.ADMIN}, ReviewKind.FINANCE: {Role.FINANCE}}
PARTY_KEYS = ("name", "address", "bank", "account", "tax_id", "phone", "fax", "representative")


def default_template() -> ContractTemplate:
    template = ContractTemplate.objects.filter(is_default=True, is_active=True).first()
    if template is None:
        template, _created = ContractTemplate.objects.get_or_create(
            name="标准购销合同",
            defaults={
                "is_default": True,
                "clauses": [{"key": k, "title": t, "text": x} for k, t, x in STANDARD_CLAUSES],
            },
        )
    return template


def seller_party() -> dict[str, str]:
    company = getattr(settings, "NEIQIN_COMPANY", {}) or {}
    data = {key: str(company.get(key, "")) for key in PARTY_KEYS}
    data["name"] = data["name"] or settings.NEIQIN_COMPANY_NAME
    return data


def buyer_party(customer: Any) -> dict[str, str]:
    address_phone = customer.invoice_address_phone or ""
    return {
        "name": customer.invoice_title or customer.name,
        "address": customer.address,
        "bank": customer.invoice_bank,
        "account": customer.invoice_account,
        "tax_id": customer.invoice_tax_id or customer.credit_code,
        "phone": customer.phone or address_phone,
        "fax": customer.fax,
        "representative": "",
    }


def _clean_party(value: Any, field: str) -> dict[str, str]:
    if not isinstance(value, Mapping) or set(value) - set(PARTY_KEYS):
        raise ValidationFailed(_("合同当事人信息格式不对。"), extra={"fields": {field: [_("格式不对。")]}})
    return {key: str(value.get(key, "") or "")[:200] for key in PARTY_KEYS}


def contract_create(
    *,
    customer: Any,
    by: Any,
    title: str,
    lines: Sequence[Mapping[str, Any]] | None = None,
    quotation: Any = None,
    template: ContractTemplate | None = None,
    ends_on: dt.date | None = None,
) -> Contract:
    _require_order_role(by)
    if not _can_touch(by, customer):
        raise NotFound(_("客户不存在。"))
    if not (title or "").strip():
        raise ValidationFailed(_("请填写合同名称。"), extra={"fields": {"title": [_("请填写合同名称。")]}})
    if lines is None and quotation is not None:
        lines = [
            {
                "product_id": line.product_id,
                "quantity": line.quantity,
                "unit_price": line.unit_price,
                "discount_rate": line.discount_rate,
                "delivery_on": line.delivery_on,
            }
            for line in quotation.lines.order_by("position")
        ]
    priced = price_lines(lines or [], customer=customer)
    template = template or default_template()
    with transaction.atomic():
        contract = Contract.objects.create(
            customer=customer,
            owner=customer.owner or by,
            quotation=quotation,
            template=template,
            title=title.strip()[:120],
            seller=seller_party(),
            buyer=buyer_party(customer),
            clauses=list(template.clauses),
            ends_on=ends_on,
            created_by=by,
        )
        ContractLine.objects.bulk_create([ContractLine(contract=contract, **line.as_model_fields()) for line in priced])
        contract.total = total_of(priced)
        contract.save(update_fields=["total"])
        audit.record(action="sales.contract.created", obj=contract, by=by, data={"total": str(contract.total)})
    return contract


def _lock(contract: Contract) -> Contract:
    return Contract.objects.select_for_update(no_key=True, of=("self",)).select_related("customer").get(pk=contract.pk)


def contract_update(
    *,
    contract: Contract,
    by: Any,
    version: int | None,
    fields: Mapping[str, Any] | None = None,
    lines: Sequence[Mapping[str, Any]] | None = None,
) -> Contract:
    """Edit a draft: title, parties, clauses, dates, lines."""
    allowed = {"title", "seller", "buyer", "clauses", "starts_on", "ends_on", "expiry_warning_days", "signed_at_place"}
    fields = dict(fields or {})
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationFailed(_("未知字段：%(names)s") % {"names": ", ".join(sorted(unknown))})
    with transaction.atomic():
        locked = _lock(contract)
        if not _can_touch(by, locked.customer):
            raise NotFound(_("合同不存在。"))
        if version is not None and version != locked.version:
            raise Conflict(_("合同已被他人修改，请刷新后再改。"), code="stale_version")
        if locked.status != ContractStatus.DRAFT:
            raise Conflict(_("只有草稿状态的合同可以修改。"), code="contract_locked")
        for key, value in fields.items():
            if key in ("seller", "buyer"):
                value = _clean_party(value, key)
            elif key == "clauses":
                if not isinstance(value, list) or not all(isinstance(c, Mapping) and c.get("title") for c in value):
                    raise ValidationFailed(_("条款格式不对。"), extra={"fields": {"clauses": [_("格式不对。")]}})
                value = [
                    {"key": str(c.get("key", "")), "title": str(c["title"])[:60], "text": str(c.get("text", ""))[:4000]}
                    for c in value
                ]
            elif key in ("starts_on", "ends_on"):
                value = value if isinstance(value, dt.date) or value is None else dt.date.fromisoformat(str(value))
            setattr(locked, key, value)
        if lines is not None:
            priced = price_lines(lines, customer=locked.customer)
            locked.lines.all().delete()
            ContractLine.objects.bulk_create(
                [ContractLine(contract=locked, **line.as_model_fields()) for line in priced]
            )
            locked.total = total_of(priced)
        locked.version += 1
        locked.save()
        audit.record(action="sales.contract.updated", obj=locked, by=by, data={"fields": sorted(fields)})
    return locked


def contract_submit_review(*, contract: Contract, by: Any) -> Contract:
    """Send to legal and finance review; the contract takes its number now."""
    with transaction.atomic():
        locked = _lock(contract)
        if not _can_touch(by, locked.customer):
            raise NotFound(_("合同不存在。"))
        CONTRACT_FLOW.check(locked.status, ContractStatus.IN_REVIEW)
        if not locked.lines.exists():
            raise ValidationFailed(_("合同没有产品明细。"))
        if not locked.number:
            locked.number = numbering.next_number(series="contract")
        locked.status = ContractStatus.IN_REVIEW
        locked.version += 1
        locked.save()
        ContractReview.objects.filter(contract=locked).delete()
        for kind in ReviewKind.values:
            ContractReview.objects.create(contract=locked, kind=kind)
        audit.record(action="sales.contract.review_requested", obj=locked, by=by, data={"number": locked.number})
    return locked


def contract_review(*, contract: Contract, kind: str, by: Any, approved: bool, comment: str = "") -> Contract:
    if kind not in REVIEWERS:
        raise ValidationFailed(_("未知的审核类型。"))
    if not has_role(by, REVIEWERS[kind]):
        raise PermissionDenied(_("您不能进行%(kind)s。") % {"kind": ReviewKind(kind).label})
    if not approved and not (comment or "").strip():
        raise ValidationFailed(_("退回时请填写意见。"), extra={"fields": {"comment": [_("请填写意见。")]}})
    with transaction.atomic():
        locked = _lock(contract)
        if locked.status != ContractStatus.IN_REVIEW:
            raise Conflict(_("合同不在审核中。"), code="contract_not_in_review")
        if locked.created_by_id == by.pk:
            raise PermissionDenied(_("不能审核自己起草的合同。"))
        review = ContractReview.objects.select_for_update().get(contract=locked, kind=kind)
        if review.approved is not None:
            raise Conflict(_("该项审核已完成。"), code="review_done")
        review.approved = approved
        review.reviewer = by
        review.reviewed_at = timezone.now()
        review.comment = (comment or "")[:300]
        review.save()
        if not approved:
            locked.status = ContractStatus.DRAFT
        elif not ContractReview.objects.filter(contract=locked).exclude(approved=True).exists():
            locked.status = ContractStatus.REVIEWED
        locked.version += 1
        locked.save()
        audit.record(
            action="sales.contract.reviewed",
            obj=locked,
            by=by,
            data={"kind": kind, "approved": approved, "comment": comment},
        )
        notifications.notify(
            user=locked.owner,
            title=(_("合同 %(number)s %(kind)s通过") if approved else _("合同 %(number)s %(kind)s退回"))
            % {"number": locked.number, "kind": ReviewKind(kind).label},
            body=comment,
            obj=locked,
        )
    return locked


def contract_sign(
    *, contract: Contract, by: Any, signed_on: Any, seller_signatory: str, buyer_signatory: str, place: str = ""
) -> Contract:
    """Record the signing; the contract becomes effective only with number, both signatories and date."""
    errors: dict[str, list[str]] = {}
    if not (seller_signatory or "").strip():
        errors["seller_signatory"] = [_("请填写卖方签字人。")]
    if not (buyer_signatory or "").strip():
        errors["buyer_signatory"] = [_("请填写买方签字人。")]
    try:
        signed = signed_on if isinstance(signed_on, dt.date) else dt.date.fromisoformat(str(signed_on))
    except ValueError:
        signed = None
    if signed is None:
        errors["signed_on"] = [_("请填写签订日期。")]
    elif signed > timezone.localdate():
        errors["signed_on"] = [_("签订日期不能晚于今天。")]
    if errors:
        raise ValidationFailed(
            _("合同缺少编号、双方签字或签订日期，不能生效。"), code="contract_incomplete", extra={"fields": errors}
        )
    with transaction.atomic():
        locked = _lock(contract)
        if not _can_touch(by, locked.customer):
            raise NotFound(_("合同不存在。"))
        CONTRACT_FLOW.check(locked.status, ContractStatus.EFFECTIVE)
        if not locked.number:
            raise ValidationFailed(_("合同缺少编号，不能生效。"), code="contract_incomplete")
        locked.signed_on = signed
        locked.seller_signatory = seller_signatory.strip()[:40]
        locked.buyer_signatory = buyer_signatory.strip()[:40]
        locked.signed_at_place = (place or locked.signed_at_place)[:60]
        locked.starts_on = locked.starts_on or signed
        locked.status = ContractStatus.EFFECTIVE
        locked.version += 1
        locked.save()
        audit.record(action="sales.contract.signed", obj=locked, by=by, data={"signed_on": signed.isoformat()})
    return locked


MAX_SCAN_BYTES = 20 * 1024 * 1024
SCAN_TYPES = {b"%PDF": "pdf", b"\x89PNG": "png", b"\xff\xd8\xff": "jpg"}


def contract_attach_scan(*, contract: Contract, by: Any, data: bytes) -> Contract:
    """Archive the scanned signed copy (PDF, PNG or JPEG), stored encrypted under NEIQIN_HOME."""
    from pathlib import Path

    from neiqin.core import crypto

    if not data or len(data) > MAX_SCAN_BYTES:
        raise ValidationFailed(_("扫描件为空或超过 20 MB。"), extra={"fields": {"file": [_("文件大小不对。")]}})
    kind = next((ext for magic, ext in SCAN_TYPES.items() if data.startswith(magic)), None)
    if kind is None:
        raise ValidationFailed(_("扫描件只能是 PDF、PNG 或 JPG。"), extra={"fields": {"file": [_("文件类型不对。")]}})
    digest = hashlib.sha256(data).hexdigest()
    with transaction.atomic():
        locked = _lock(contract)
        if not _can_touch(by, locked.customer):
            raise NotFound(_("合同不存在。"))
        if locked.status not in (ContractStatus.EFFECTIVE, ContractStatus.COMPLETED, ContractStatus.TERMINATED):
            raise Conflict(_("合同签订生效后才能上传签字盖章扫描件。"), code="contract_not_signed")
        folder = Path(settings.NEIQIN_HOME) / "files" / "contracts"
        folder.mkdir(parents=True, exist_ok=True)
        name = f"{locked.pk}-{digest[:16]}.{kind}.bin"
        (folder / name).write_bytes(crypto.encrypt_bytes(data))
        locked.scan_file = name
        locked.scan_sha256 = digest
        locked.archived_at = timezone.now()
        locked.version += 1
        locked.save()
        audit.record(action="sales.contract.archived", obj=locked, by=by, data={"sha256": digest, "type": kind})
    return locked


def contract_close(*, contract: Contract, by: Any, completed: bool, reason: str = "") -> Contract:
    with transaction.atomic():
        locked = _lock(contract)
        if not _can_touch(by, locked.customer):
            raise NotFound(_("合同不存在。"))
        target = ContractStatus.COMPLETED if completed else ContractStatus.TERMINATED
        CONTRACT_FLOW.check(locked.status, target)
        if not completed and not (reason or "").strip():
            raise ValidationFailed(_("请填写终止原因。"), extra={"fields": {"reason": [_("请填写终止原因。")]}})
        locked.status = target
        locked.version += 1
        locked.save()
        audit.record(action=f"sales.contract.{target}", obj=locked, by=by, data={"reason": reason})
    return locked


def contracts_expiry_remind(*, today: dt.date | None = None) -> int:
    """Daily: warn the owner N days (per contract) before an effective contract expires."""
    today = today or timezone.localdate()
    sent = 0
    for contract in Contract.objects.filter(status=ContractStatus.EFFECTIVE, ends_on__isnull=False).select_related(
        "owner"
    ):
        days = (contract.ends_on - today).days
        if days == contract.expiry_warning_days or (0 <= days < contract.expiry_warning_days and days % 7 == 0):
            notifications.notify(
                user=contract.owner,
                title=_("合同 %(number)s 将于 %(date)s 到期") % {"number": contract.number, "date": contract.ends_on},
                body=_("还有 %(days)s 天到期，请与客户商谈续签。") % {"days": days},
                obj=contract,
            )
            sent += 1
    return sent
