"""Stock counts (盘点, INV-4): a sheet of the book quantities of one warehouse, the quantities
actually counted, and the variances posted as one adjustment.

Lifecycle (``choices.COUNT_FLOW``): 盘点中 (counting: quantities are entered, by hand or from the
filled-in Excel sheet) → submitted. A count whose variance value (Σ |variance × unit cost|) is
above ``NEIQIN_COUNT_APPROVAL_THRESHOLD`` waits for an approver (待审批), who may not be the
person who submitted it; below the threshold it is posted at once. Rejecting sends it back to
counting; it can be cancelled (作废) until it is posted.

Posting writes one ``stock_adjust`` for all lines with a variance in the same transaction, so a
count is posted completely or not at all; the adjustment moves carry the count as their
document. The variance is counted − expected, where expected is on-hand at the snapshot: the
warehouse is expected to hold its moves while it counts (the detail page warns when moves were
posted after the snapshot).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from neiqin.accounts.roles import CAN_APPROVE_COUNT, CAN_COUNT_STOCK, Role
from neiqin.accounts.scoping import has_role
from neiqin.core import audit, numbering
from neiqin.core.calendar import is_workday
from neiqin.core.errors import Conflict, InvalidTransition, PermissionDenied, ValidationFailed
from neiqin.core.money import round_amount
from neiqin.core.notifications import notify
from neiqin.core.quantities import parse_quantity
from neiqin.stock.choices import COUNT_FLOW, CountStatus
from neiqin.stock.models import StockCount, StockCountLine, StockLevel, Warehouse
from neiqin.stock.services.documents import Line, stock_adjust
from neiqin.stock.services.ledger import Document

IN_PROGRESS = (CountStatus.COUNTING, CountStatus.SUBMITTED)
MAX_REASON = 200
MAX_NOTE = 200
MAX_COMMENT = 200
REMINDER_WINDOW_DAYS = 90
QUARTER_MONTHS = (1, 4, 7, 10)
ZERO = Decimal("0")


def approval_threshold() -> Decimal:
    return Decimal(str(getattr(settings, "NEIQIN_COUNT_APPROVAL_THRESHOLD", Decimal("2000.00"))))


# ---- permissions (the same answers decide which buttons a page shows) -------------------------


def can_count(user: Any) -> bool:
    return has_role(user, CAN_COUNT_STOCK)


def can_approve(user: Any) -> bool:
    return has_role(user, CAN_APPROVE_COUNT)


def can_enter(user: Any, count: StockCount) -> bool:
    return can_count(user) and count.status == CountStatus.COUNTING


def can_submit(user: Any, count: StockCount) -> bool:
    return can_count(user) and count.status == CountStatus.COUNTING


def can_decide(user: Any, count: StockCount) -> bool:
    """Approve or reject: an approver other than the submitter, while the count waits."""
    return can_approve(user) and count.status == CountStatus.SUBMITTED and count.submitted_by_id != user.pk


def can_cancel(user: Any, count: StockCount) -> bool:
    return can_count(user) and count.status in IN_PROGRESS


def _require_counter(by: Any) -> None:
    if by is not None and not can_count(by):
        raise PermissionDenied(_("只有仓库人员或管理员可以盘点。"))


def _require_approver(by: Any) -> None:
    if not can_approve(by):
        raise PermissionDenied(_("只有财务、副总、总经理或管理员可以审批盘点差异。"))


def _actor(by: Any) -> Any:
    return by if getattr(by, "pk", None) else None


def _lock(count: StockCount) -> StockCount:
    return StockCount.objects.select_for_update().select_related("warehouse").get(pk=count.pk)


def _text(value: Any, *, field: str, limit: int, label: str) -> str:
    text = str(value or "").strip()
    if len(text) > limit:
        message = _("%(label)s最多 %(n)s 个字。") % {"label": label, "n": limit}
        raise ValidationFailed(message, extra={"fields": {field: [message]}})
    return text


def line_label(line: StockCountLine) -> str:
    product = line.product
    return f"{product.model} {product.spec}".strip()


# ---- create --------------------------------------------------------------------------------------


def count_create(*, warehouse: Warehouse, by: Any, series: Any = None, note: str = "") -> StockCount:
    """Open a count of ``warehouse`` (optionally one product series): one line per product that
    has a stock level there, expected = on-hand now, unit cost = the product's cost now."""
    _require_counter(by)
    text = _text(note, field="note", limit=MAX_NOTE, label=_("备注"))
    with transaction.atomic():
        # Lock the warehouse row: two clerks opening a count at once must not both succeed.
        locked = Warehouse.objects.select_for_update().get(pk=warehouse.pk)
        if not locked.is_active:
            message = _("仓库“%(name)s”已停用，不能盘点。") % {"name": locked.name}
            raise ValidationFailed(message, extra={"fields": {"warehouse": [message]}})
        running = StockCount.objects.filter(warehouse=locked, status__in=IN_PROGRESS).first()
        if running is not None:
            raise Conflict(
                _("%(warehouse)s已有进行中的盘点 %(number)s，请先完成或作废它。")
                % {"warehouse": locked.name, "number": running.number},
                code="count_in_progress",
                extra={"count": running.pk, "number": running.number},
            )
        levels = StockLevel.objects.filter(warehouse=locked).select_related("product")
        if series is not None:
            levels = levels.filter(product__series=series)
        levels = list(levels.order_by("product__model", "product__spec", "product_id"))
        if not levels:
            message = _("%(warehouse)s没有需要盘点的库存记录。") % {"warehouse": locked.name}
            raise ValidationFailed(message, extra={"fields": {"warehouse": [message]}})
        count = StockCount.objects.create(
            number=numbering.next_number(series="stock_count"),
            warehouse=locked,
            snapshot_at=timezone.now(),
            note=text,
            created_by=_actor(by),
        )
        StockCountLine.objects.bulk_create(
            StockCountLine(count=count, product=level.product, expected=level.on_hand, unit_cost=level.product.cost)
            for level in levels
        )
        audit.record(
            action="stock.count.created",
            obj=count,
            by=by,
            changes={"status": [None, count.status]},
            data={
                "warehouse": locked.pk,
                "series": getattr(series, "pk", None),
                "lines": len(levels),
                "note": text,
            },
        )
    return count


# ---- entering counted quantities -----------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    counted: Decimal | None
    reason: str


def _parse_entries(lines: Mapping[int, StockCountLine], entries: Mapping[Any, Mapping[str, Any]]) -> dict[int, Entry]:
    """Every row checked before anything is written; all problems reported at once, each naming
    the row (型号 规格)."""
    errors: dict[str, list[str]] = {}
    parsed: dict[int, Entry] = {}
    for key, entry in entries.items():
        try:
            product_id = int(key)
        except (TypeError, ValueError):
            product_id = 0
        line = lines.get(product_id)
        if line is None:
            errors[f"lines.{key}"] = [_("产品 %(id)s 不在这张盘点单上。") % {"id": key}]
            continue
        label = line_label(line)
        entry = entry or {}
        raw = entry.get("counted")
        counted = None
        if raw is not None and str(raw).strip() != "":
            try:
                counted = parse_quantity(
                    str(raw).strip(), field=f"lines.{product_id}.counted", label=_("实盘数量"), allow_zero=True
                )
            except ValidationFailed as exc:
                errors[f"lines.{product_id}.counted"] = [f"{label}：{exc.message}"]
        reason = str(entry.get("reason") or "").strip()
        if len(reason) > MAX_REASON:
            errors[f"lines.{product_id}.reason"] = [
                _("%(row)s：差异原因最多 %(n)s 个字。") % {"row": label, "n": MAX_REASON}
            ]
        parsed[product_id] = Entry(counted=counted, reason=reason)
    if errors:
        messages = [m for msgs in errors.values() for m in msgs]
        summary = _("有 %(n)s 处输入有误，未保存：") % {"n": len(messages)} + "；".join(messages[:5])
        raise ValidationFailed(summary, extra={"fields": errors})
    return parsed


def count_enter(
    *, count: StockCount, entries: Mapping[Any, Mapping[str, Any]], by: Any, version: int | None = None
) -> StockCount:
    """Record counted quantities and variance reasons: ``entries`` maps product id to
    ``{"counted": "12.5" or "" (not counted yet), "reason": "…"}``. All rows or none."""
    _require_counter(by)
    with transaction.atomic():
        locked = _lock(count)
        if version is not None and locked.version != version:
            raise Conflict(_("这张盘点单刚被其他人修改过，请刷新后重新录入。"), code="stale_version")
        if locked.status != CountStatus.COUNTING:
            raise InvalidTransition(
                _("盘点单%(state)s，不能再录入。") % {"state": locked.get_status_display()},
                extra={"current": locked.status},
            )
        lines = {line.product_id: line for line in locked.lines.select_related("product")}
        parsed = _parse_entries(lines, entries)
        changed = []
        for product_id, entry in parsed.items():
            line = lines[product_id]
            if line.counted == entry.counted and line.reason == entry.reason:
                continue
            changed.append(
                {
                    "product": product_id,
                    "counted": [_plain(line.counted), _plain(entry.counted)],
                    "reason": [line.reason, entry.reason],
                }
            )
            line.counted, line.reason = entry.counted, entry.reason
            line.save(update_fields=["counted", "reason"])
        if changed:
            locked.version += 1
            locked.save(update_fields=["version"])
            audit.record(action="stock.count.entered", obj=locked, by=by, data={"lines": changed})
    return locked


def _plain(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


# ---- submit, approve, reject, cancel -------------------------------------------------------------


def variance_value(lines: list[StockCountLine]) -> Decimal:
    """Σ |variance × unit cost| in yuan; lines without a cost count 0."""
    total = ZERO
    for line in lines:
        if line.variance and line.unit_cost is not None:
            total += abs(line.variance * line.unit_cost)
    return round_amount(total)


def _check_complete(lines: list[StockCountLine]) -> None:
    missing = [line_label(line) for line in lines if line.counted is None]
    if missing:
        message = _("还有 %(n)s 行没有填写实盘数量：%(rows)s。") % {
            "n": len(missing),
            "rows": "、".join(missing[:10]) + ("…" if len(missing) > 10 else ""),
        }
        fields = {f"lines.{x.product_id}.counted": [_("请填写实盘数量。")] for x in lines if x.counted is None}
        raise ValidationFailed(message, extra={"fields": fields})
    unexplained = [line for line in lines if line.variance and not line.reason.strip()]
    if unexplained:
        message = _("有差异的行必须填写差异原因：%(rows)s。") % {
            "rows": "、".join(line_label(line) for line in unexplained[:10]) + ("…" if len(unexplained) > 10 else "")
        }
        raise ValidationFailed(
            message,
            extra={"fields": {f"lines.{line.product_id}.reason": [_("请填写差异原因。")] for line in unexplained}},
        )


def _approvers(exclude: Any) -> list[Any]:
    from neiqin.accounts.models import User

    users = User.objects.filter(Q(groups__name__in=CAN_APPROVE_COUNT) | Q(is_superuser=True), is_active=True)
    if getattr(exclude, "pk", None):
        users = users.exclude(pk=exclude.pk)
    return list(users.distinct())


def count_submit(*, count: StockCount, by: Any) -> StockCount:
    """Hand in a finished count: every line counted, every variance explained. Above the
    approval threshold it waits for an approver; otherwise it is posted now."""
    _require_counter(by)
    with transaction.atomic():
        locked = _lock(count)
        COUNT_FLOW.check(locked.status, CountStatus.SUBMITTED)
        lines = list(locked.lines.select_related("product"))
        _check_complete(lines)
        old_status = locked.status
        locked.variance_value = variance_value(lines)
        locked.needs_approval = locked.variance_value > approval_threshold()
        locked.submitted_by = _actor(by)
        locked.submitted_at = timezone.now()
        locked.approved_by, locked.approved_at, locked.decision_comment = None, None, ""
        data = {"variance_value": str(locked.variance_value), "threshold": str(approval_threshold())}
        if not locked.needs_approval:
            _post(locked, lines, by=by, old_status=old_status, extra=data)
            return locked
        locked.status = CountStatus.SUBMITTED
        locked.version += 1
        locked.save(
            update_fields=[
                "status",
                "variance_value",
                "needs_approval",
                "submitted_by",
                "submitted_at",
                "approved_by",
                "approved_at",
                "decision_comment",
                "version",
            ]
        )
        audit.record(
            action="stock.count.submitted",
            obj=locked,
            by=by,
            changes={"status": [old_status, locked.status]},
            data=data,
        )
        title = _("盘点单 %(number)s 待审批") % {"number": locked.number}
        body = _("%(warehouse)s盘点差异金额 %(value)s 元，超过 %(threshold)s 元，请审批。") % {
            "warehouse": locked.warehouse.name,
            "value": locked.variance_value,
            "threshold": approval_threshold(),
        }
        for user in _approvers(exclude=by):
            notify(user=user, title=title, body=body, obj=locked)
    return locked


def _require_waiting(count: StockCount) -> None:
    if count.status == CountStatus.COUNTING:
        raise InvalidTransition(_("盘点单还没有提交，不能审批。"), extra={"current": count.status})
    COUNT_FLOW.check(count.status, CountStatus.COUNTING)  # posted / cancelled: a readable refusal


def _require_other_person(count: StockCount, by: Any) -> None:
    if count.submitted_by_id is not None and count.submitted_by_id == getattr(by, "pk", None):
        raise PermissionDenied(_("不能审批自己提交的盘点单，请由其他有审批权限的人处理。"))


def count_approve(*, count: StockCount, by: Any, comment: str = "") -> StockCount:
    """Accept the variances of a submitted count and post them."""
    _require_approver(by)
    text = _text(comment, field="comment", limit=MAX_COMMENT, label=_("审批意见"))
    with transaction.atomic():
        locked = _lock(count)
        _require_waiting(locked)
        _require_other_person(locked, by)
        locked.approved_by = _actor(by)
        locked.approved_at = timezone.now()
        locked.decision_comment = text
        lines = list(locked.lines.select_related("product"))
        _post(locked, lines, by=by, old_status=locked.status, extra={"comment": text})
        if locked.submitted_by_id:
            notify(
                user=locked.submitted_by,
                title=_("盘点单 %(number)s 已审批过账") % {"number": locked.number},
                body=text,
                obj=locked,
            )
    return locked


def count_reject(*, count: StockCount, by: Any, comment: str) -> StockCount:
    """Send a submitted count back to counting (recount or explain better), with the reason."""
    _require_approver(by)
    text = _text(comment, field="comment", limit=MAX_COMMENT, label=_("退回原因"))
    if not text:
        message = _("请填写退回原因。")
        raise ValidationFailed(message, extra={"fields": {"comment": [message]}})
    with transaction.atomic():
        locked = _lock(count)
        _require_waiting(locked)
        _require_other_person(locked, by)
        old_status = locked.status
        submitter = locked.submitted_by
        locked.status = CountStatus.COUNTING
        locked.decision_comment = text
        locked.submitted_by, locked.submitted_at = None, None
        locked.version += 1
        locked.save(update_fields=["status", "decision_comment", "submitted_by", "submitted_at", "version"])
        audit.record(
            action="stock.count.rejected",
            obj=locked,
            by=by,
            changes={"status": [old_status, locked.status]},
            data={"comment": text},
        )
        if submitter is not None:
            notify(
                user=submitter,
                title=_("盘点单 %(number)s 被退回") % {"number": locked.number},
                body=text,
                obj=locked,
            )
    return locked


def count_cancel(*, count: StockCount, by: Any, reason: str = "") -> StockCount:
    """Void a count that has not been posted; nothing is adjusted."""
    _require_counter(by)
    text = _text(reason, field="reason", limit=MAX_COMMENT, label=_("作废原因"))
    with transaction.atomic():
        locked = _lock(count)
        COUNT_FLOW.check(locked.status, CountStatus.CANCELLED)
        old_status = locked.status
        locked.status = CountStatus.CANCELLED
        locked.version += 1
        locked.save(update_fields=["status", "version"])
        audit.record(
            action="stock.count.cancelled",
            obj=locked,
            by=by,
            changes={"status": [old_status, locked.status]},
            data={"reason": text},
        )
    return locked


# ---- posting -------------------------------------------------------------------------------------


def adjustment_reason(count: StockCount, lines: list[StockCountLine]) -> str:
    gains = [line for line in lines if line.variance and line.variance > 0]
    losses = [line for line in lines if line.variance and line.variance < 0]
    text = _("盘点 %(number)s: 盘盈 %(gains)s 项，盘亏 %(losses)s 项") % {
        "number": count.number,
        "gains": len(gains),
        "losses": len(losses),
    }
    reasons = list(dict.fromkeys(line.reason.strip() for line in gains + losses if line.reason.strip()))
    if reasons:
        text += "（" + "；".join(reasons) + "）"
    return text if len(text) <= MAX_REASON else text[: MAX_REASON - 2] + "…）"


def _post(count: StockCount, lines: list[StockCountLine], *, by: Any, old_status: str, extra: dict[str, Any]) -> None:
    """Write the variances as one adjustment and mark the count posted (caller holds the lock)."""
    COUNT_FLOW.check(old_status, CountStatus.POSTED)
    moving = [line for line in lines if line.variance]
    adjustment = None
    if moving:
        posted = stock_adjust(
            warehouse=count.warehouse,
            lines=[Line(product=line.product, quantity=line.variance, unit_cost=line.unit_cost) for line in moving],
            by=by,
            reason=adjustment_reason(count, moving),
            document=Document(type="stock_count", id=str(count.pk), number=count.number),
            check_role=False,
        )
        adjustment = posted.number
    count.status = CountStatus.POSTED
    count.posted_at = timezone.now()
    count.version += 1
    count.save(
        update_fields=[
            "status",
            "variance_value",
            "needs_approval",
            "submitted_by",
            "submitted_at",
            "approved_by",
            "approved_at",
            "decision_comment",
            "posted_at",
            "version",
        ]
    )
    audit.record(
        action="stock.count.posted",
        obj=count,
        by=by,
        changes={"status": [old_status, count.status]},
        data={
            **extra,
            "document": adjustment,
            "variance_value": str(count.variance_value),
            "lines": [
                {"product": line.product_id, "variance": str(line.variance), "reason": line.reason} for line in moving
            ],
        },
    )


# ---- quarterly reminder --------------------------------------------------------------------------


def first_workday_of_quarter(today: dt.date) -> dt.date:
    day = dt.date(today.year, QUARTER_MONTHS[(today.month - 1) // 3], 1)
    while not is_workday(day):
        day += dt.timedelta(days=1)
    return day


def count_reminders(*, today: dt.date) -> int:
    """On the first working day of each quarter, remind the warehouse staff (and each keeper) of
    every active warehouse without a posted count in the last 90 days. Safe to run twice: a user
    gets one reminder per warehouse and quarter. Returns the number of notifications sent."""
    from neiqin.accounts.models import User

    if today.month not in QUARTER_MONTHS or today != first_workday_of_quarter(today):
        return 0
    since = timezone.make_aware(dt.datetime.combine(today - dt.timedelta(days=REMINDER_WINDOW_DAYS), dt.time.min))
    staff = list(User.objects.filter(groups__name=Role.WAREHOUSE, is_active=True).distinct())
    quarter = (today.month - 1) // 3 + 1
    sent = 0
    for warehouse in Warehouse.objects.filter(is_active=True).select_related("keeper"):
        recent = StockCount.objects.filter(warehouse=warehouse, status=CountStatus.POSTED, posted_at__gte=since)
        if recent.exists():
            continue
        recipients = {user.pk: user for user in staff}
        if warehouse.keeper is not None and warehouse.keeper.is_active:
            recipients[warehouse.keeper.pk] = warehouse.keeper
        title = _("请安排%(warehouse)s %(year)s 年第 %(quarter)s 季度盘点") % {
            "warehouse": warehouse.name,
            "year": today.year,
            "quarter": quarter,
        }
        body = _("%(warehouse)s近 %(days)s 天没有已过账的盘点。请打印盘点表，清点后录入实盘数量并提交。") % {
            "warehouse": warehouse.name,
            "days": REMINDER_WINDOW_DAYS,
        }
        for user in recipients.values():
            already = user.notifications.filter(
                title=title[:120], object_type="stock.warehouse", object_id=str(warehouse.pk)
            ).exists()
            if not already:
                notify(user=user, title=title, body=body, obj=warehouse)
                sent += 1
    return sent


# ---- filling a count from its Excel sheet --------------------------------------------------------

SHEET_ALIASES: dict[str, tuple[str, ...]] = {
    "model": ("型号", "model"),
    "spec": ("规格", "spec", "specification"),
    "counted": ("实盘数量", "实盘", "counted"),
    "reason": ("备注", "差异原因", "reason", "note"),
}


def count_fill_from_sheet(*, count: StockCount, name: str, data: Any, by: Any) -> int:
    """Read a filled-in count sheet (the Excel the page offers, same columns) and enter its
    实盘数量 and 备注, matching rows by 型号 + 规格. All rows or none: any bad row refuses the
    whole file with one message per row (``extra["rows"]``). Rows with an empty 实盘数量 are
    left as they are. Returns the number of rows entered."""
    from neiqin.catalog.services.validation import normalize_model
    from neiqin.core.spreadsheets import inspect_upload, map_columns, read_table

    _require_counter(by)
    info = inspect_upload(name=name, data=data)
    raw = data.read() if hasattr(data, "read") else data
    table = read_table(data=raw, kind=info.kind, max_rows=20_000)
    columns = map_columns(table.headers, SHEET_ALIASES, required=("model", "counted"), ignore_unknown=True)
    lines = {
        (normalize_model(line.product.model), line.product.spec.strip()): line
        for line in count.lines.select_related("product")
    }
    entries: dict[int, dict[str, str]] = {}
    seen: dict[int, int] = {}
    problems: list[str] = []

    def cell(row: Any, field: str) -> str:
        index = columns.get(field)
        return row.values[index].strip() if index is not None and index < len(row.values) else ""

    for row in table.rows:
        model, spec, counted = cell(row, "model"), cell(row, "spec"), cell(row, "counted")
        if not model and not counted:
            continue
        line = lines.get((normalize_model(model), spec))
        if line is None:
            problems.append(
                _("第 %(row)s 行：盘点单上没有型号“%(model)s”规格“%(spec)s”的产品。")
                % {"row": row.number, "model": model, "spec": spec}
            )
            continue
        if line.product_id in seen:
            problems.append(
                _("第 %(row)s 行：%(label)s 与第 %(first)s 行重复。")
                % {"row": row.number, "label": line_label(line), "first": seen[line.product_id]}
            )
            continue
        seen[line.product_id] = row.number
        if not counted:
            continue
        try:
            parse_quantity(counted, field="counted", label=_("实盘数量"), allow_zero=True)
        except ValidationFailed as exc:
            problems.append(
                _("第 %(row)s 行（%(label)s）：%(error)s")
                % {"row": row.number, "label": line_label(line), "error": exc.message}
            )
            continue
        reason = cell(row, "reason")
        if len(reason) > MAX_REASON:
            problems.append(_("第 %(row)s 行：备注最多 %(n)s 个字。") % {"row": row.number, "n": MAX_REASON})
            continue
        entries[line.product_id] = {"counted": counted, "reason": reason}
    if problems:
        raise ValidationFailed(
            _("文件有 %(n)s 行有误，没有录入任何数据。请改正后重新上传。") % {"n": len(problems)},
            extra={"rows": problems},
        )
    if not entries:
        message = _("文件里没有填写实盘数量的行。")
        raise ValidationFailed(message, extra={"rows": [message]})
    count_enter(count=count, entries=entries, by=by)
    return len(entries)
