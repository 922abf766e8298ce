"""Exports of the order desk lists (SYS-3): orders, quotations, contracts and opportunities as
XLSX or CSV.

Each export starts from the user's scoped queryset (``sales.selectors``), so a salesperson's file
holds only documents of own customers whatever filters are passed; the caller may only narrow it
further (the list page's filters). Amounts are numbers, text cells are neutralised against formula
injection (``core.spreadsheets``), floor prices are never exported, and every export is recorded
in the audit trail with the format, the filters and the row count.

Orders, quotations and contracts can also be exported one row per line (``lines=True``): product,
quantity, list price, discount, unit price, amount — still without the floor price.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

from django.db.models import Model, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from neiqin.core import audit
from neiqin.core.errors import ValidationFailed
from neiqin.core.money import round_amount
from neiqin.core.spreadsheets import Column, write_csv, write_xlsx
from neiqin.sales import selectors
from neiqin.sales.models import Contract, Opportunity, Quotation, SalesOrder

FORMATS = ("xlsx", "csv")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"
CHUNK = 1000

Narrow = Callable[[QuerySet], QuerySet]


def check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise ValidationFailed(_("不支持的导出格式：%(fmt)s。请选择 xlsx 或 csv。") % {"fmt": fmt})
    return fmt


def _person(user: Any) -> str:
    return str(user) if user is not None else ""


def _yes(value: bool) -> str:
    return _("是") if value else ""


def _write(
    *,
    columns: list[Column],
    rows: Iterator[dict[str, Any]],
    title: str,
    fmt: str,
    action: str,
    model: type[Model],
    user: Any,
    filters: dict[str, Any] | None,
    lines: bool,
) -> tuple[bytes, str, str]:
    counter = {"rows": 0}

    def counted() -> Iterator[dict[str, Any]]:
        for row in rows:
            counter["rows"] += 1
            yield row

    if fmt == "xlsx":
        content, content_type = write_xlsx(columns=columns, rows=counted(), sheet_title=title), XLSX_TYPE
    else:
        content, content_type = write_csv(columns=columns, rows=counted()), CSV_TYPE
    audit.record_collection(
        action=action,
        model=model,
        by=user,
        data={
            "format": fmt,
            "count": counter["rows"],
            "lines": lines,
            "filters": {k: str(v) for k, v in (filters or {}).items() if v not in (None, "", False)},
        },
    )
    return content, f"{title}_{timezone.localdate():%Y%m%d}.{fmt}", content_type


# ---- document lines (orders, quotations, contracts) ---------------------------------------------


def _line_columns(number_title: str, date_title: str) -> list[Column]:
    return [
        Column("number", number_title, width=18),
        Column("customer", _("客户"), width=28),
        Column("status", _("状态"), width=10),
        Column("date", date_title, kind="date"),
        Column("position", _("序号"), kind="int", width=6),
        Column("code", _("产品编码"), width=14),
        Column("model", _("型号"), width=18),
        Column("name", _("品名规格"), width=28),
        Column("unit", _("单位"), width=8),
        Column("quantity", _("数量"), kind="quantity"),
        Column("list_price", _("价目价"), kind="money"),
        Column("discount", _("折扣(%)"), kind="quantity", width=10),
        Column("unit_price", _("单价"), kind="money"),
        Column("amount", _("金额"), kind="money"),
        Column("delivery_on", _("交货日期"), kind="date"),
        Column("note", _("备注"), width=24),
    ]


def _line_rows(
    qs: QuerySet, *, related: str, date_field: str, number: Callable[[Any], str]
) -> Iterator[dict[str, Any]]:
    """One row per line of the documents in ``qs`` (in chunks); never the floor price."""
    ids = list(qs.values_list("pk", flat=True))
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        documents = {d.pk: d for d in qs.model.objects.filter(pk__in=chunk).select_related("customer")}
        line_model = qs.model._meta.get_field(related).related_model
        parent = qs.model._meta.get_field(related).field.name
        lines = line_model.objects.filter(**{f"{parent}_id__in": chunk}).select_related("product").order_by("position")
        by_document: dict[int, list[Any]] = {}
        for line in lines:
            by_document.setdefault(getattr(line, f"{parent}_id"), []).append(line)
        for pk in chunk:
            document = documents[pk]
            for line in by_document.get(pk, []):
                product = line.product
                yield {
                    "number": number(document),
                    "customer": document.customer.name,
                    "status": document.get_status_display(),
                    "date": getattr(document, date_field),
                    "position": line.position,
                    "code": product.code,
                    "model": product.model,
                    "name": line.description or " ".join(p for p in (product.name, product.spec) if p),
                    "unit": product.unit,
                    "quantity": line.quantity,
                    "list_price": line.list_price,
                    "discount": (line.discount_rate * 100).normalize() if line.discount_rate else Decimal("0"),
                    "unit_price": line.unit_price,
                    "amount": line.amount,
                    "delivery_on": line.delivery_on,
                    "note": line.note,
                }


def _draft_label(document: Any) -> str:
    return document.number or _("草稿 %(id)s") % {"id": document.pk}


# ---- orders ---------------------------------------------------------------------------------------


def _order_columns() -> list[Column]:
    return [
        Column("number", _("订单号"), width=18),
        Column("status", _("状态"), width=10),
        Column("customer_code", _("客户编号"), width=14),
        Column("customer", _("客户"), width=28),
        Column("owner", _("业务员"), width=10),
        Column("channel", _("下单方式"), width=10),
        Column("customer_reference", _("客户订单号"), width=16),
        Column("ordered_on", _("下单日期"), kind="date"),
        Column("delivery_on", _("要求交货日期"), kind="date"),
        Column("promised_on", _("承诺交货日期"), kind="date"),
        Column("payment_mode", _("结算方式"), width=10),
        Column("payment_term_days", _("账期天数"), kind="int"),
        Column("total", _("订单金额"), kind="money"),
        Column("shipped", _("发货进度"), width=10),
        Column("invoiced", _("开票进度"), width=10),
        Column("paid", _("回款进度"), width=10),
        Column("waiting_for_stock", _("等待到货"), width=10),
        Column("changed", _("确认后有变更"), width=12),
        Column("oral", _("口头订单未补书面"), width=16),
        Column("delivery_address", _("收货地址"), width=30),
        Column("receiver", _("收货人"), width=10),
        Column("receiver_phone", _("收货电话"), width=16),
        Column("created_by", _("录入人"), width=10),
        Column("created_at", _("录入时间"), kind="datetime"),
    ]


def _order_rows(qs: QuerySet[SalesOrder]) -> Iterator[dict[str, Any]]:
    for order in qs.select_related("customer", "owner", "created_by").iterator(chunk_size=CHUNK):
        yield {
            "number": _draft_label(order),
            "status": order.get_status_display(),
            "customer_code": order.customer.code,
            "customer": order.customer.name,
            "owner": _person(order.owner),
            "channel": order.get_channel_display(),
            "customer_reference": order.customer_reference,
            "ordered_on": order.ordered_on,
            "delivery_on": order.delivery_on,
            "promised_on": order.promised_on,
            "payment_mode": order.get_payment_mode_display() if order.payment_mode else "",
            "payment_term_days": order.payment_term_days,
            "total": order.total,
            "shipped": order.get_shipped_display(),
            "invoiced": order.get_invoiced_display(),
            "paid": order.get_paid_display(),
            "waiting_for_stock": _yes(order.waiting_for_stock),
            "changed": _yes(order.changed_since_confirmation),
            "oral": _yes(order.is_oral_unrecorded),
            "delivery_address": order.delivery_address,
            "receiver": order.receiver,
            "receiver_phone": order.receiver_phone,
            "created_by": _person(order.created_by),
            "created_at": order.created_at,
        }


def export_orders(
    *, user: Any, fmt: str = "xlsx", narrow: Narrow | None = None, filters: dict | None = None, lines: bool = False
) -> tuple[bytes, str, str]:
    """The orders in the user's scope (narrowed by the list filters) as (content, file name, type)."""
    check_format(fmt)
    qs = selectors.order_queryset(user=user)
    if narrow is not None:
        qs = narrow(qs)
    qs = qs.order_by("-ordered_on", "-id")
    if lines:
        columns = _line_columns(_("订单号"), _("下单日期"))
        rows = _line_rows(qs, related="lines", date_field="ordered_on", number=_draft_label)
        title = _("销售订单明细")
    else:
        columns, rows, title = _order_columns(), _order_rows(qs), _("销售订单")
    return _write(
        columns=columns,
        rows=rows,
        title=title,
        fmt=fmt,
        action="sales.order.exported",
        model=SalesOrder,
        user=user,
        filters=filters,
        lines=lines,
    )


# ---- quotations -----------------------------------------------------------------------------------


def _quotation_columns() -> list[Column]:
    return [
        Column("number", _("报价单号"), width=18),
        Column("status", _("状态"), width=10),
        Column("customer_code", _("客户编号"), width=14),
        Column("customer", _("客户"), width=28),
        Column("owner", _("业务员"), width=10),
        Column("quoted_on", _("报价日期"), kind="date"),
        Column("valid_until", _("有效期至"), kind="date"),
        Column("expired", _("已过期"), width=8),
        Column("contact_name", _("联系人"), width=10),
        Column("payment_terms", _("付款方式"), width=16),
        Column("delivery_terms", _("交货方式"), width=16),
        Column("total", _("合计金额"), kind="money"),
        Column("created_at", _("创建时间"), kind="datetime"),
    ]


def _quotation_rows(qs: QuerySet[Quotation], open_statuses: tuple[str, ...]) -> Iterator[dict[str, Any]]:
    today = timezone.localdate()
    for quotation in qs.select_related("customer", "owner").iterator(chunk_size=CHUNK):
        yield {
            "number": _draft_label(quotation),
            "status": quotation.get_status_display(),
            "customer_code": quotation.customer.code,
            "customer": quotation.customer.name,
            "owner": _person(quotation.owner),
            "quoted_on": quotation.quoted_on,
            "valid_until": quotation.valid_until,
            "expired": _yes(quotation.valid_until < today and quotation.status in open_statuses),
            "contact_name": quotation.contact_name,
            "payment_terms": quotation.payment_terms,
            "delivery_terms": quotation.delivery_terms,
            "total": quotation.total,
            "created_at": quotation.created_at,
        }


def export_quotations(
    *, user: Any, fmt: str = "xlsx", narrow: Narrow | None = None, filters: dict | None = None, lines: bool = False
) -> tuple[bytes, str, str]:
    from neiqin.sales.choices import QuotationStatus

    check_format(fmt)
    qs = selectors.quotation_queryset(user=user)
    if narrow is not None:
        qs = narrow(qs)
    qs = qs.order_by("-quoted_on", "-id")
    if lines:
        columns = _line_columns(_("报价单号"), _("报价日期"))
        rows = _line_rows(qs, related="lines", date_field="quoted_on", number=_draft_label)
        title = _("报价单明细")
    else:
        open_statuses = (QuotationStatus.DRAFT, QuotationStatus.ISSUED)
        columns, rows, title = _quotation_columns(), _quotation_rows(qs, open_statuses), _("报价单")
    return _write(
        columns=columns,
        rows=rows,
        title=title,
        fmt=fmt,
        action="sales.quotation.exported",
        model=Quotation,
        user=user,
        filters=filters,
        lines=lines,
    )


# ---- contracts ------------------------------------------------------------------------------------


def _contract_columns() -> list[Column]:
    return [
        Column("number", _("合同编号"), width=18),
        Column("title", _("合同名称"), width=28),
        Column("status", _("状态"), width=10),
        Column("customer_code", _("客户编号"), width=14),
        Column("customer", _("客户"), width=28),
        Column("owner", _("业务员"), width=10),
        Column("total", _("合同金额"), kind="money"),
        Column("signed_on", _("签订日期"), kind="date"),
        Column("starts_on", _("起始日期"), kind="date"),
        Column("ends_on", _("到期日期"), kind="date"),
        Column("days_left", _("剩余天数"), kind="int"),
        Column("scan", _("已归档扫描件"), width=12),
        Column("created_at", _("创建时间"), kind="datetime"),
    ]


def _contract_rows(qs: QuerySet[Contract]) -> Iterator[dict[str, Any]]:
    from neiqin.sales.choices import ContractStatus

    today = timezone.localdate()
    for contract in qs.select_related("customer", "owner").iterator(chunk_size=CHUNK):
        effective = contract.status == ContractStatus.EFFECTIVE
        yield {
            "number": contract.number or "",
            "title": contract.title,
            "status": contract.get_status_display(),
            "customer_code": contract.customer.code,
            "customer": contract.customer.name,
            "owner": _person(contract.owner),
            "total": contract.total,
            "signed_on": contract.signed_on,
            "starts_on": contract.starts_on,
            "ends_on": contract.ends_on,
            "days_left": (contract.ends_on - today).days if effective and contract.ends_on else None,
            "scan": _yes(bool(contract.scan_file)),
            "created_at": contract.created_at,
        }


def export_contracts(
    *, user: Any, fmt: str = "xlsx", narrow: Narrow | None = None, filters: dict | None = None, lines: bool = False
) -> tuple[bytes, str, str]:
    check_format(fmt)
    qs = selectors.contract_queryset(user=user)
    if narrow is not None:
        qs = narrow(qs)
    if not qs.query.order_by:
        qs = qs.order_by("-created_at", "-id")
    if lines:
        columns = _line_columns(_("合同编号"), _("签订日期"))
        rows = _line_rows(qs, related="lines", date_field="signed_on", number=lambda c: c.number or c.title)
        title = _("合同明细")
    else:
        columns, rows, title = _contract_columns(), _contract_rows(qs), _("合同")
    return _write(
        columns=columns,
        rows=rows,
        title=title,
        fmt=fmt,
        action="sales.contract.exported",
        model=Contract,
        user=user,
        filters=filters,
        lines=lines,
    )


# ---- opportunities --------------------------------------------------------------------------------


def _opportunity_columns() -> list[Column]:
    return [
        Column("title", _("机会名称"), width=28),
        Column("customer_code", _("客户编号"), width=14),
        Column("customer", _("客户"), width=28),
        Column("owner", _("负责业务员"), width=10),
        Column("stage", _("阶段"), width=10),
        Column("expected_amount", _("预计金额"), kind="money"),
        Column("probability", _("成交概率(%)"), kind="int", width=12),
        Column("weighted_amount", _("加权金额"), kind="money"),
        Column("expected_on", _("预计成交日期"), kind="date"),
        Column("is_project", _("项目型"), width=8),
        Column("lost_reason", _("输单原因"), width=24),
        Column("closed_on", _("关闭日期"), kind="date"),
        Column("updated_at", _("更新时间"), kind="datetime"),
    ]


def _opportunity_rows(qs: QuerySet[Opportunity]) -> Iterator[dict[str, Any]]:
    for opportunity in qs.select_related("customer", "owner").iterator(chunk_size=CHUNK):
        yield {
            "title": opportunity.title,
            "customer_code": opportunity.customer.code,
            "customer": opportunity.customer.name,
            "owner": _person(opportunity.owner),
            "stage": opportunity.get_stage_display(),
            "expected_amount": opportunity.expected_amount,
            "probability": opportunity.probability,
            "weighted_amount": round_amount(opportunity.expected_amount * opportunity.probability / 100),
            "expected_on": opportunity.expected_on,
            "is_project": _yes(opportunity.is_project),
            "lost_reason": opportunity.lost_reason,
            "closed_on": opportunity.closed_on,
            "updated_at": opportunity.updated_at,
        }


def export_opportunities(
    *, user: Any, fmt: str = "xlsx", narrow: Narrow | None = None, filters: dict | None = None
) -> tuple[bytes, str, str]:
    check_format(fmt)
    qs = selectors.opportunity_queryset(user=user)
    if narrow is not None:
        qs = narrow(qs)
    qs = qs.order_by("-updated_at", "-id")
    return _write(
        columns=_opportunity_columns(),
        rows=_opportunity_rows(qs),
        title=_("销售机会"),
        fmt=fmt,
        action="sales.opportunity.exported",
        model=Opportunity,
        user=user,
        filters=filters,
        lines=False,
    )
