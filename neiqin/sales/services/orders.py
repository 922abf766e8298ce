"""Sales orders (ORD-3 … ORD-8): entry, submission with checks and approvals, confirmation with
stock reservation, changes after confirmation (versioned), cancellation and copying.

Every state change locks the order row first, so a double click, a second tab or two clerks at
once do one thing; the second gets a clear refusal (R3). An order's approvals cover exactly its
priced content (``approvals.content_hash``), re-verified inside the confirming transaction (R6).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from neiqin.core import audit, notifications, numbering
from neiqin.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from neiqin.customers.choices import PaymentMode
from neiqin.sales.choices import ORDER_FLOW, Channel, OrderStatus, Progress
from neiqin.sales.models import OrderLine, OrderVersion, SalesOrder
from neiqin.sales.services import approvals
from neiqin.sales.services.checks import blocking, needing_approval, run_checks
from neiqin.sales.services.lines import LineValues, price_lines, total_of

HEADER_FIELDS = (
    "channel",
    "customer_reference",
    "ordered_on",
    "delivery_on",
    "promised_on",
    "payment_mode",
    "payment_term_days",
    "delivery_address",
    "receiver",
    "receiver_phone",
    "warehouse",
    "notes",
    "written_record",
)
EDITABLE_STATUSES = (OrderStatus.DRAFT, OrderStatus.PENDING_APPROVAL, OrderStatus.APPROVED, OrderStatus.CONFIRMED)


def _can_touch(user: Any, customer: Any) -> bool:
    from neiqin.customers.selectors import customer_queryset

    return user is None or customer_queryset(user=user).filter(pk=customer.pk).exists()


def _require_order_role(user: Any) -> None:
    from neiqin.accounts.roles import Role
    from neiqin.accounts.scoping import has_role

    allowed = {Role.CLERK, Role.SALESPERSON, Role.SALES_MANAGER, Role.DEPUTY_GM, Role.GM, Role.ADMIN}
    if user is not None and not has_role(user, allowed):
        raise PermissionDenied(_("您没有录入订单的权限。"))


def _clean_header(fields: Mapping[str, Any], *, customer: Any) -> dict[str, Any]:
    from neiqin.stock.models import Warehouse

    unknown = set(fields) - set(HEADER_FIELDS)
    if unknown:
        raise ValidationFailed(_("未知字段：%(names)s") % {"names": ", ".join(sorted(unknown))})
    errors: dict[str, list[str]] = {}
    data: dict[str, Any] = {}
    for name, value in fields.items():
        if name in ("ordered_on", "delivery_on", "promised_on"):
            if value in (None, ""):
                data[name] = None
            elif isinstance(value, dt.date):
                data[name] = value
            else:
                try:
                    data[name] = dt.date.fromisoformat(str(value))
                except ValueError:
                    errors[name] = [_("日期格式应为 2026-12-31。")]
        elif name == "channel":
            if value not in Channel.values:
                errors[name] = [_("请选择下单方式。")]
            data[name] = value
        elif name == "payment_mode":
            if value not in ("", None, *PaymentMode.values):
                errors[name] = [_("结算方式只能是款到发货、月结或账期。")]
            data[name] = value or ""
        elif name == "payment_term_days":
            try:
                days = int(value or 0)
                if not 0 <= days <= 365:
                    raise ValueError
                data[name] = days
            except (TypeError, ValueError):
                errors[name] = [_("账期天数应为 0 到 365 的整数。")]
        elif name == "warehouse":
            if value in (None, ""):
                data[name] = None
            else:
                warehouse = value if isinstance(value, Warehouse) else Warehouse.objects.filter(pk=_int(value)).first()
                if warehouse is None or not warehouse.is_active:
                    errors[name] = [_("仓库不存在或已停用。")]
                data[name] = warehouse
        else:
            data[name] = str(value or "").strip()[: 200 if name != "notes" else 4000]
    if data.get("ordered_on") is None and "ordered_on" in data:
        errors["ordered_on"] = [_("请填写下单日期。")]
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], extra={"fields": errors})
    return data


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _write_lines(order: SalesOrder, lines: Sequence[Any]) -> None:
    order.lines.all().delete()
    OrderLine.objects.bulk_create(
        [OrderLine(order=order, warehouse_id=line.warehouse_id, **line.as_model_fields()) for line in lines]
    )
    order.total = total_of(lines)


def _line_keys(lines: Any) -> list[tuple[Any, ...]]:
    """What each line commits to, in position order (priced ``LineValues`` or stored
    ``OrderLine`` rows alike), to tell whether an edit changes the lines at all."""
    return sorted(
        (
            line.position,
            line.product.pk if isinstance(line, LineValues) else line.product_id,
            line.quantity,
            line.unit_price,
            line.discount_rate,
            line.delivery_on,
            line.warehouse_id,
        )
        for line in lines
    )


def order_create(
    *,
    customer: Any,
    lines: Sequence[Mapping[str, Any]],
    by: Any,
    fields: Mapping[str, Any] | None = None,
    owner: Any = None,
    quotation: Any = None,
    contract: Any = None,
) -> SalesOrder:
    """A draft order. Terms default from the customer file; prices from the price lists."""
    _require_order_role(by)
    if not _can_touch(by, customer):
        raise NotFound(_("客户不存在。"))
    defaults = {
        "ordered_on": timezone.localdate(),
        "payment_mode": customer.payment_mode,
        "payment_term_days": customer.payment_term_days,
        "delivery_address": customer.address,
    }
    header = _clean_header({**defaults, **(fields or {})}, customer=customer)
    priced = price_lines(lines, customer=customer, on=header.get("ordered_on"))
    owner = owner or customer.owner or by
    with transaction.atomic():
        order = SalesOrder(
            customer=customer,
            owner=owner,
            quotation=quotation,
            contract=contract,
            created_by=by,
            updated_by=by,
            **header,
        )
        order.save()
        _write_lines(order, priced)
        order.save(update_fields=["total"])
        audit.record(
            action="sales.order.created",
            obj=order,
            by=by,
            data={"customer": customer.pk, "total": str(order.total), "lines": len(priced), "channel": order.channel},
        )
    return order


def _lock(order: SalesOrder) -> SalesOrder:
    """Lock the order, then its customer: two orders of one customer submitted or confirmed at
    once are checked against the credit limit one after the other (R5). Always in this order.

    ``FOR NO KEY UPDATE``: PostgreSQL checks foreign keys (deferred, at COMMIT) with ``FOR KEY
    SHARE`` on the parent row; a plain ``FOR UPDATE`` on the customer would make every transaction
    that merely inserts a row pointing at that customer wait for us, which deadlocked under load."""
    from neiqin.customers.models import Customer

    locked = SalesOrder.objects.select_for_update(no_key=True, of=("self",)).get(pk=order.pk)
    locked.customer = Customer.objects.select_for_update(no_key=True, of=("self",)).get(pk=locked.customer_id)
    return locked


def _snapshot(order: SalesOrder) -> dict[str, Any]:
    return {
        "customer": order.customer_id,
        "payment_mode": order.payment_mode,
        "payment_term_days": order.payment_term_days,
        "delivery_on": order.delivery_on.isoformat() if order.delivery_on else None,
        "promised_on": order.promised_on.isoformat() if order.promised_on else None,
        "delivery_address": order.delivery_address,
        "total": str(order.total),
        "lines": [
            {
                "position": line.position,
                "product": line.product_id,
                "model": line.product.model,
                "quantity": str(line.quantity),
                "unit_price": str(line.unit_price),
                "discount_rate": str(line.discount_rate),
                "amount": str(line.amount),
            }
            for line in order.lines.select_related("product").order_by("position")
        ],
    }


def _diff(before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, Any]]:
    changes: list[dict[str, Any]] = []
    for key in (
        "customer",
        "payment_mode",
        "payment_term_days",
        "delivery_on",
        "promised_on",
        "delivery_address",
        "total",
    ):
        if before.get(key) != after.get(key):
            changes.append({"field": key, "before": before.get(key), "after": after.get(key)})
    old = {line["position"]: line for line in before["lines"]}
    new = {line["position"]: line for line in after["lines"]}
    for position in sorted(set(old) | set(new)):
        a, b = old.get(position), new.get(position)
        if a != b:
            changes.append({"field": f"line {position}", "before": a, "after": b})
    return changes


def order_update(
    *,
    order: SalesOrder,
    by: Any,
    version: int | None,
    fields: Mapping[str, Any] | None = None,
    lines: Sequence[Mapping[str, Any]] | None = None,
    reason: str = "",
) -> SalesOrder:
    """Edit an order. After submission every change is a new version with its diff; approvals
    no longer covering the content are voided and the checks run again; a confirmed order keeps
    its reservations matched to the new lines and its owner is notified (ORD-6)."""
    _require_order_role(by)
    with transaction.atomic():
        locked = _lock(order)
        if not _can_touch(by, locked.customer):
            raise NotFound(_("订单不存在。"))
        if version is not None and locked.version != version:
            who = locked.updated_by.display_name if locked.updated_by else "—"
            raise Conflict(
                _("订单已被 %(who)s 于 %(at)s 修改，请刷新后再改。")
                % {"who": who, "at": timezone.localtime(locked.updated_at).strftime("%Y-%m-%d %H:%M")},
                code="stale_version",
            )
        if locked.status not in EDITABLE_STATUSES:
            raise Conflict(
                _("订单%(status)s，不能修改。") % {"status": locked.get_status_display()}, code="order_closed"
            )
        before = _snapshot(locked)
        if fields:
            for key, value in _clean_header(fields, customer=locked.customer).items():
                setattr(locked, key, value)
        if lines is not None:
            priced = price_lines(lines, customer=locked.customer, on=locked.ordered_on)
            if locked.shipped == Progress.NONE:
                _write_lines(locked, priced)
            elif _line_keys(priced) != _line_keys(locked.lines.all()):
                # Shipped lines are history: changing them belongs to returns and supplementary
                # orders, not to an edit that would rewrite what left the warehouse. The edit
                # page posts the lines with every header change; unchanged lines are kept as they are.
                raise Conflict(
                    _("订单 %(number)s 已有发货，不能再改明细；请办理退货或另下补充订单。") % {"number": locked.number},
                    code="order_shipped",
                )
        locked.version += 1
        locked.updated_by = by
        locked.save()
        after = _snapshot(locked)
        diff = _diff(before, after)
        audit.record(action="sales.order.updated", obj=locked, by=by, data={"diff": diff, "reason": reason[:200]})
        if locked.status != OrderStatus.DRAFT:
            OrderVersion.objects.create(
                order=locked, number=locked.version, snapshot=after, diff=diff, reason=reason[:200], created_by=by
            )
            _reevaluate(locked, by=by)
            if locked.confirmed_at and diff:
                locked.changed_since_confirmation = True
                locked.save(update_fields=["changed_since_confirmation"])
                if locked.owner_id != getattr(by, "pk", None):
                    notifications.notify(
                        user=locked.owner,
                        title=_("订单 %(number)s 已变更") % {"number": locked.number},
                        body=_("%(who)s 修改了订单：%(n)s 处变更。%(reason)s")
                        % {"who": getattr(by, "display_name", ""), "n": len(diff), "reason": reason},
                        obj=locked,
                    )
    return locked


def _reevaluate(order: SalesOrder, *, by: Any) -> None:
    """After a change of a submitted order: checks, approvals and reservations again."""
    checks = run_checks(order, requester=order.created_by)
    order.checks = [c.as_dict() for c in checks]
    order.checked_at = timezone.now()
    needed = [c.rule for c in needing_approval(checks)]
    approvals.sync_requests(document=order, document_type="order", checks=checks, by=by)
    covered = approvals.covered(document=order, document_type="order", needed_rules=needed)
    if blocking(checks):
        target = OrderStatus.DRAFT
    elif not covered:
        target = OrderStatus.PENDING_APPROVAL
    elif order.confirmed_at:
        target = OrderStatus.CONFIRMED
    else:
        target = OrderStatus.APPROVED
    if order.status == OrderStatus.CONFIRMED and target == OrderStatus.CONFIRMED:
        _rereserve(order, by=by)
    elif order.status == OrderStatus.CONFIRMED and target != OrderStatus.CONFIRMED:
        pass  # reservations stay held while the changed order waits for approval
    if target == OrderStatus.DRAFT and order.confirmed_at:
        _release(order, by=by, reason=str(_("订单退回草稿")))
        order.confirmed_at = None
    if target != order.status:
        order.status = target
    order.save(update_fields=["checks", "checked_at", "status", "confirmed_at"])


def order_submit(*, order: SalesOrder, by: Any) -> tuple[SalesOrder, list[Any]]:
    """Run the checks (ORD-4). Blocking failures refuse and change nothing; otherwise the order
    takes its number and either waits for approvals or is ready to confirm."""
    _require_order_role(by)
    with transaction.atomic():
        locked = _lock(order)
        if not _can_touch(by, locked.customer):
            raise NotFound(_("订单不存在。"))
        if locked.status != OrderStatus.DRAFT:
            raise Conflict(
                _("订单已提交（%(status)s），无需重复提交。") % {"status": locked.get_status_display()},
                code="already_submitted",
            )
        checks = run_checks(locked, requester=by)
        failing = blocking(checks)
        if failing:
            raise ValidationFailed(
                _("订单未通过审单：%(reasons)s") % {"reasons": "；".join(c.message for c in failing)},
                code="checks_failed",
                extra={"checks": [c.as_dict() for c in checks]},
            )
        if not locked.number:
            locked.number = numbering.next_number(series="order", on=locked.ordered_on)
        locked.checks = [c.as_dict() for c in checks]
        locked.checked_at = timezone.now()
        locked.submitted_at = timezone.now()
        needed = [c.rule for c in needing_approval(checks)]
        approvals.sync_requests(document=locked, document_type="order", checks=checks, by=by)
        target = (
            OrderStatus.APPROVED
            if approvals.covered(document=locked, document_type="order", needed_rules=needed)
            else OrderStatus.PENDING_APPROVAL
        )
        ORDER_FLOW.check(locked.status, target)
        locked.status = target
        locked.version += 1
        locked.updated_by = by
        locked.save()
        OrderVersion.objects.create(
            order=locked, number=locked.version, snapshot=_snapshot(locked), diff=[], created_by=by
        )
        audit.record(
            action="sales.order.submitted",
            obj=locked,
            by=by,
            data={"number": locked.number, "status": target, "approvals": needed},
        )
    return locked, checks


def after_approval_decision(*, order_id: int, approved: bool, by: Any, comment: str) -> None:
    """Called by ``approvals.approval_decide`` inside its transaction."""
    order = _lock(SalesOrder(pk=order_id))
    if order.status != OrderStatus.PENDING_APPROVAL:
        return
    if not approved:
        if order.confirmed_at:
            _release(order, by=by, reason=str(_("审批被驳回")))
            order.confirmed_at = None
        order.status = OrderStatus.DRAFT
        order.save(update_fields=["status", "confirmed_at"])
        audit.record(action="sales.order.rejected", obj=order, by=by, data={"comment": comment})
        return
    needed = [c["rule"] for c in order.checks if not c["ok"] and c["severity"] == "approval" and c["rule"]]
    if approvals.covered(document=order, document_type="order", needed_rules=needed):
        order.status = OrderStatus.CONFIRMED if order.confirmed_at else OrderStatus.APPROVED
        order.save(update_fields=["status"])
        audit.record(action="sales.order.approved", obj=order, by=by, data={})
        if order.confirmed_at:
            _rereserve(order, by=by)


def order_confirm(*, order: SalesOrder, by: Any, promised_on: dt.date | None = None) -> SalesOrder:
    """Confirm an approved order: re-verify approvals against the content, reserve stock (what
    is there; the shortfall becomes replenishment requests), record the promised date or ask
    for it to be chased (ORD-8)."""
    _require_order_role(by)
    with transaction.atomic():
        locked = _lock(order)
        if not _can_touch(by, locked.customer):
            raise NotFound(_("订单不存在。"))
        if locked.status == OrderStatus.CONFIRMED:
            raise Conflict(
                _("订单 %(number)s 已于 %(at)s 确认，无需重复确认。")
                % {"number": locked.number, "at": timezone.localtime(locked.confirmed_at).strftime("%Y-%m-%d %H:%M")},
                code="already_confirmed",
            )
        ORDER_FLOW.check(locked.status, OrderStatus.CONFIRMED)
        checks = run_checks(locked, requester=locked.created_by)
        if blocking(checks):
            raise ValidationFailed(
                _("订单未通过审单：%(reasons)s") % {"reasons": "；".join(c.message for c in blocking(checks))},
                code="checks_failed",
                extra={"checks": [c.as_dict() for c in checks]},
            )
        needed = [c.rule for c in needing_approval(checks)]
        if not approvals.covered(document=locked, document_type="order", needed_rules=needed):
            # Something changed since the approvals (another order used up the credit, a price
            # changed): ask for what is missing now instead of refusing into a dead end.
            approvals.sync_requests(document=locked, document_type="order", checks=checks, by=by)
            locked.status = OrderStatus.PENDING_APPROVAL
            locked.checks = [c.as_dict() for c in checks]
            locked.checked_at = timezone.now()
            locked.version += 1
            locked.updated_by = by
            locked.save()
            audit.record(action="sales.order.approval_required", obj=locked, by=by, data={"rules": needed})
            return locked
        if promised_on is not None:
            locked.promised_on = promised_on
        shortages = _reserve(locked, by=by)
        locked.status = OrderStatus.CONFIRMED
        locked.confirmed_at = timezone.now()
        locked.waiting_for_stock = bool(shortages)
        locked.checks = [c.as_dict() for c in checks]
        locked.version += 1
        locked.updated_by = by
        locked.save()
        audit.record(
            action="sales.order.confirmed",
            obj=locked,
            by=by,
            data={
                "promised_on": locked.promised_on.isoformat() if locked.promised_on else None,
                "shortages": shortages,
            },
        )
        if locked.promised_on is None:
            for user in {locked.owner, by}:
                if user is not None:
                    notifications.notify(
                        user=user,
                        title=_("请跟进交期：%(number)s") % {"number": locked.number},
                        body=_("订单已确认，但承诺交货日期未定，请与仓库/生产确认后告知客户。"),
                        obj=locked,
                    )
    return locked


def _warehouse_order(order: SalesOrder) -> Callable[[OrderLine], list[Any]]:
    """For a line, the warehouses to take it from in turn: the line's, then the order's, then the
    other active ones by sort order (the active ones read once per order)."""
    from neiqin.stock.models import Warehouse

    active = list(Warehouse.objects.filter(is_active=True).order_by("sort_order", "code"))

    def for_line(line: OrderLine) -> list[Any]:
        preferred = [w for w in (line.warehouse, order.warehouse) if w is not None]
        return list(dict.fromkeys(preferred)) + [w for w in active if w not in preferred]

    return for_line


def _reserve(order: SalesOrder, *, by: Any) -> list[dict[str, str]]:
    """Reserve every line as far as stock allows (all levels locked at once); request
    replenishment for the rest."""
    from neiqin.stock.services import For, Want, reserve_available
    from neiqin.stock.services.replenishment import replenishment_for_shortage

    warehouses_for = _warehouse_order(order)
    open_lines = [
        (line, line.quantity - line.reserved_quantity - line.shipped_quantity, warehouses_for(line))
        for line in order.lines.select_related("product", "warehouse").order_by("position")
        if line.quantity > line.reserved_quantity + line.shipped_quantity
    ]
    taken = reserve_available(
        wants=[Want(line.product, warehouses, need, line=str(line.pk)) for line, need, warehouses in open_lines],
        document=For("order", order.pk, order.number or "", customer=order.customer),
        by=by,
    )
    shortages = []
    reserved = []
    for (line, need, warehouses), take in zip(open_lines, taken, strict=True):
        if take > 0:
            line.reserved_quantity += take
            reserved.append(line)
        if need > take:
            short = need - take
            replenishment_for_shortage(
                product=line.product,
                warehouse=warehouses[0],
                shortage=short,
                needed_by=line.delivery_on or order.delivery_on,
                demand_type="order",
                demand_id=str(order.pk),
                demand_number=order.number or "",
                customer=order.customer,
                by=by,
            )
            shortages.append({"position": str(line.position), "model": line.product.model, "short": str(short)})
    if reserved:
        OrderLine.objects.bulk_update(reserved, ["reserved_quantity"])
    return shortages


def _release(order: SalesOrder, *, by: Any, reason: str) -> None:
    from neiqin.stock.services import reservations_release_for

    reservations_release_for(document_type="order", document_id=order.pk, by=by, reason=reason)
    for line in order.lines.all():
        if line.reserved_quantity:
            line.reserved_quantity = Decimal("0")
            line.save(update_fields=["reserved_quantity"])


def _rereserve(order: SalesOrder, *, by: Any) -> None:
    """Lines changed on a confirmed order: release everything and reserve the new lines."""
    _release(order, by=by, reason=str(_("订单变更，重新占用")))
    shortages = _reserve(order, by=by)
    order.waiting_for_stock = bool(shortages)
    order.save(update_fields=["waiting_for_stock"])


def order_cancel(*, order: SalesOrder, by: Any, reason: str) -> SalesOrder:
    _require_order_role(by)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("请填写取消原因。"), extra={"fields": {"reason": [_("请填写取消原因。")]}})
    with transaction.atomic():
        locked = _lock(order)
        if not _can_touch(by, locked.customer):
            raise NotFound(_("订单不存在。"))
        ORDER_FLOW.check(locked.status, OrderStatus.CANCELLED)
        if locked.shipped == Progress.FULL:
            raise Conflict(
                _("订单 %(number)s 已全部发货，不能取消；请办理退货。") % {"number": locked.number},
                code="order_shipped",
            )
        _release(locked, by=by, reason=reason)
        approvals.void_all(document_type="order", document_id=locked.pk, reason=str(_("订单已取消")))
        locked.status = OrderStatus.CANCELLED
        locked.cancelled_at = timezone.now()
        locked.cancel_reason = reason[:200]
        locked.version += 1
        locked.updated_by = by
        locked.save()
        audit.record(action="sales.order.cancelled", obj=locked, by=by, data={"reason": reason})
        if locked.owner_id != getattr(by, "pk", None):
            notifications.notify(
                user=locked.owner,
                title=_("订单 %(number)s 已取消") % {"number": locked.number or locked.pk},
                body=reason,
                obj=locked,
            )
    return locked


def order_copy(*, order: SalesOrder, by: Any) -> SalesOrder:
    """A new draft with the same customer, terms and lines; approvals are never copied (R6)."""
    lines = [
        {
            "product_id": line.product_id,
            "quantity": line.quantity,
            "unit_price": line.unit_price,
            "discount_rate": line.discount_rate,
            "note": line.note,
        }
        for line in order.lines.order_by("position")
    ]
    fields = {
        name: getattr(order, name)
        for name in (
            "channel",
            "payment_mode",
            "payment_term_days",
            "delivery_address",
            "receiver",
            "receiver_phone",
            "warehouse",
            "notes",
        )
    }
    copy = order_create(customer=order.customer, lines=lines, by=by, fields=fields, owner=order.owner)
    copy.copied_from = order
    copy.save(update_fields=["copied_from"])
    return copy
