"""Replenishment requests (补货申请, INV-3): a shortage reported to purchasing/production with the
quantity, the warehouse the goods must arrive in and the date they are needed by.

A request is raised by hand (clerk, warehouse, sales manager) or by order confirmation when a
reservation fails (``replenishment_for_shortage``). There is at most one *open* request per
product, warehouse and demand: asking again raises its quantity instead of creating a second
one, so purchasing sees one line per need. The (warehouse, product) stock level row is the lock
that serialises those checks, so two clerks asking at once still end with one request.

Lifecycle (``REPLENISHMENT_FLOW``): 待处理 → 采购/生产中 → 已到货, or 已取消 from either open
state. Each change is locked, checked, saved, audited and told to the requester.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from neiqin.accounts.models import User
from neiqin.accounts.roles import CAN_HANDLE_REPLENISHMENT, CAN_REQUEST_REPLENISHMENT, Role
from neiqin.accounts.scoping import has_role
from neiqin.catalog.models import Product
from neiqin.core import audit, numbering
from neiqin.core.errors import Conflict, PermissionDenied, ValidationFailed
from neiqin.core.notifications import notify
from neiqin.core.quantities import parse_quantity
from neiqin.stock.choices import REPLENISHMENT_FLOW, ReplenishmentStatus
from neiqin.stock.models import ReplenishmentRequest, Warehouse
from neiqin.stock.services.ledger import lock_levels

MAX_NOTE = 2000
MAX_DEMAND = 30  # demand_type column
MAX_DEMAND_REF = 40  # demand_id / demand_number columns
OPEN_STATES = (ReplenishmentStatus.OPEN, ReplenishmentStatus.IN_PROGRESS)


# ---- rules (the same answers decide which buttons a page shows) ----------------------------------


def can_request(user: Any) -> bool:
    return has_role(user, CAN_REQUEST_REPLENISHMENT)


def can_handle(user: Any) -> bool:
    return has_role(user, CAN_HANDLE_REPLENISHMENT)


def can_start(user: Any, request: ReplenishmentRequest) -> bool:
    return can_handle(user) and REPLENISHMENT_FLOW.can(request.status, ReplenishmentStatus.IN_PROGRESS)


def can_fulfil(user: Any, request: ReplenishmentRequest) -> bool:
    return can_handle(user) and REPLENISHMENT_FLOW.can(request.status, ReplenishmentStatus.FULFILLED)


def can_cancel(user: Any, request: ReplenishmentRequest) -> bool:
    return _may_cancel(user, request) and REPLENISHMENT_FLOW.can(request.status, ReplenishmentStatus.CANCELLED)


def _may_handle(user: Any, request: ReplenishmentRequest) -> bool:
    return can_handle(user)


def _may_cancel(user: Any, request: ReplenishmentRequest) -> bool:
    """Handlers may cancel any open request; whoever asked may withdraw their own."""
    own = request.requested_by_id is not None and request.requested_by_id == getattr(user, "pk", None)
    return can_handle(user) or (own and can_request(user))


# ---- input checks -------------------------------------------------------------------------------------


def _fail(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, extra={"fields": {field: [message]}})


def _check_target(product: Any, warehouse: Any) -> None:
    if not isinstance(product, Product) or product.pk is None:
        raise _fail("product", _("请选择产品（按型号查找）。"))
    if not isinstance(warehouse, Warehouse) or warehouse.pk is None:
        raise _fail("warehouse", _("请选择到货仓库。"))
    if not warehouse.is_active:
        raise _fail("warehouse", _("仓库“%(name)s”已停用，不能申请补货。") % {"name": warehouse.name})


def _check_needed_by(needed_by: Any, *, today: dt.date) -> dt.date | None:
    if needed_by in (None, ""):
        return None
    if not isinstance(needed_by, dt.date) or isinstance(needed_by, dt.datetime):
        raise _fail("needed_by", _("需求日期格式不对，应为 2026-05-01 这样的日期。"))
    if needed_by < today:
        raise _fail("needed_by", _("需求日期不能早于今天。"))
    return needed_by


def _check_expected_on(expected_on: Any) -> dt.date | None:
    if expected_on in (None, ""):
        return None
    if not isinstance(expected_on, dt.date) or isinstance(expected_on, dt.datetime):
        raise _fail("expected_on", _("预计到货日期格式不对，应为 2026-05-01 这样的日期。"))
    if expected_on < timezone.localdate():
        raise _fail("expected_on", _("预计到货日期不能早于今天。"))
    return expected_on


def _text(value: Any, *, field: str, limit: int, label: str) -> str:
    text = str(value or "").strip()
    if len(text) > limit:
        raise _fail(field, _("%(label)s最多 %(n)s 个字。") % {"label": label, "n": limit})
    if "\x00" in text:
        raise _fail(field, _("%(label)s含有无效字符。") % {"label": label})
    return text


def _demand_of(
    demand: Any, demand_type: str, demand_id: Any, demand_number: str, customer: Any
) -> tuple[str, str, str, Any]:
    """A ``For``-like object (type, id, number, customer) or the three loose values."""
    if demand is not None:
        demand_type = getattr(demand, "type", "") or ""
        demand_id = getattr(demand, "id", "") or ""
        demand_number = getattr(demand, "number", "") or ""
        customer = customer or getattr(demand, "customer", None)
    kind = _text(demand_type, field="demand_type", limit=MAX_DEMAND, label=_("需求来源"))
    ident = _text(demand_id, field="demand_id", limit=MAX_DEMAND_REF, label=_("需求来源"))
    number = _text(demand_number, field="demand_number", limit=MAX_DEMAND_REF, label=_("来源单号"))
    if bool(kind) != bool(ident):
        raise _fail("demand_type", _("需求来源的类型和编号要一起填写。"))
    return kind, ident, number, customer


def _check_customer(customer: Any, by: Any) -> None:
    if customer is None or by is None:
        return
    from neiqin.customers.selectors import customer_queryset

    if not customer_queryset(user=by).filter(pk=customer.pk).exists():
        raise _fail("customer", _("客户不存在或无权查看。"))


# ---- notifications ------------------------------------------------------------------------------------


def _handlers(warehouse: Warehouse) -> list[User]:
    """The warehouse users and the keeper of the warehouse: they pass the need to purchasing."""
    who = Q(groups__name=Role.WAREHOUSE)
    if warehouse.keeper_id:
        who |= Q(pk=warehouse.keeper_id)
    return list(User.objects.filter(who, is_active=True).distinct().order_by("pk"))


def _labels(request: ReplenishmentRequest) -> dict[str, Any]:
    product = request.product
    return {
        "number": request.number,
        "model": product.model,
        "name": product.name,
        "quantity": _fmt(request.quantity),
        "unit": product.unit,
        "warehouse": request.warehouse.name,
        "needed_by": request.needed_by.isoformat() if request.needed_by else _("未定"),
        "status": request.get_status_display(),
    }


def _notify_handlers(request: ReplenishmentRequest, *, by: Any, title: str) -> None:
    body = _("%(model)s %(name)s，数量 %(quantity)s %(unit)s，到货仓库 %(warehouse)s，需求日期 %(needed_by)s。") % (
        _labels(request)
    )
    for user in _handlers(request.warehouse):
        if user.pk != getattr(by, "pk", None):
            notify(user=user, title=title, body=body, obj=request)


def _notify_requester(request: ReplenishmentRequest, *, by: Any) -> None:
    requester = request.requested_by
    if requester is None or not requester.is_active or requester.pk == getattr(by, "pk", None):
        return
    labels = _labels(request)
    title = _("补货申请 %(number)s：%(status)s") % labels
    body = _("%(model)s %(name)s %(quantity)s %(unit)s（%(warehouse)s）现为“%(status)s”。") % labels
    if request.expected_on:
        body += " " + _("预计到货 %(date)s。") % {"date": request.expected_on.isoformat()}
    if request.response:
        body += " " + _("处理意见：%(text)s") % {"text": request.response}
    notify(user=requester, title=title, body=body, obj=request)


def _fmt(quantity: Decimal) -> str:
    text = f"{quantity:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


# ---- create / top up -------------------------------------------------------------------------------------


def _open_for(
    *, product: Product, warehouse: Warehouse, demand_type: str, demand_id: str, customer: Any
) -> ReplenishmentRequest | None:
    """The open request of this need (locked). Requests entered without a source document are
    the same need when they are for the same customer (or for none)."""
    qs = ReplenishmentRequest.objects.select_for_update(of=("self",)).filter(
        product=product,
        warehouse=warehouse,
        status=ReplenishmentStatus.OPEN,
        demand_type=demand_type,
        demand_id=demand_id,
    )
    if not demand_type:
        qs = qs.filter(customer=customer) if customer is not None else qs.filter(customer__isnull=True)
    return qs.order_by("created_at", "id").first()


def _raise(
    request: ReplenishmentRequest, *, quantity: Decimal, needed_by: dt.date | None, note: str, by: Any, action: str
) -> ReplenishmentRequest:
    before = audit.snapshot(request, ("quantity", "needed_by", "note"))
    request.quantity = quantity
    if needed_by and (request.needed_by is None or needed_by < request.needed_by):
        request.needed_by = needed_by
    if note and note not in request.note:
        request.note = (request.note + "\n" + note).strip()[:MAX_NOTE]
    request.version += 1
    request.save(update_fields=["quantity", "needed_by", "note", "version", "updated_at"])
    changes = audit.diff(before, audit.snapshot(request, ("quantity", "needed_by", "note")))
    audit.record(action=action, obj=request, by=by, changes=changes)
    _notify_handlers(request, by=by, title=_("补货申请 %(number)s 数量增加") % {"number": request.number})
    return request


def _create(
    *,
    product: Product,
    warehouse: Warehouse,
    quantity: Decimal,
    needed_by: dt.date | None,
    demand: tuple[str, str, str, Any],
    note: str,
    by: Any,
) -> ReplenishmentRequest:
    demand_type, demand_id, demand_number, customer = demand
    request = ReplenishmentRequest.objects.create(
        number=numbering.next_number(series="replenishment"),
        product=product,
        warehouse=warehouse,
        quantity=quantity,
        needed_by=needed_by,
        demand_type=demand_type,
        demand_id=demand_id,
        demand_number=demand_number,
        customer=customer,
        note=note,
        requested_by=by if getattr(by, "pk", None) else None,
    )
    audit.record(
        action="stock.replenishment.requested",
        obj=request,
        by=by,
        changes={"status": [None, request.status], "quantity": [None, str(quantity)]},
        data={
            "product": product.pk,
            "warehouse": warehouse.pk,
            "needed_by": needed_by.isoformat() if needed_by else None,
            "demand": demand_number or demand_id,
            "customer": customer.pk if customer is not None else None,
        },
    )
    _notify_handlers(request, by=by, title=_("新补货申请 %(number)s") % {"number": request.number})
    return request


def replenishment_request(
    *,
    product: Product,
    warehouse: Warehouse,
    quantity: Any,
    by: Any,
    needed_by: dt.date | None = None,
    demand: Any = None,
    demand_type: str = "",
    demand_id: Any = "",
    demand_number: str = "",
    customer: Any = None,
    note: str = "",
) -> ReplenishmentRequest:
    """Ask purchasing/production for ``quantity`` of ``product`` in ``warehouse``.

    If the same need (product, warehouse, demand) already has an open request, its quantity is
    raised by ``quantity`` (and its date brought forward) instead of opening a second one.
    ``by=None`` is the system (an order confirmation on nobody's behalf).
    """
    if by is not None and not can_request(by):
        raise PermissionDenied(_("您没有申请补货的权限。"))
    _check_target(product, warehouse)
    amount = parse_quantity(quantity, label=_("需求数量"))
    wanted = _check_needed_by(needed_by, today=timezone.localdate())
    text = _text(note, field="note", limit=MAX_NOTE, label=_("说明"))
    demand_values = _demand_of(demand, demand_type, demand_id, demand_number, customer)
    _check_customer(demand_values[3], by)
    with transaction.atomic():
        lock_levels([(warehouse, product)])  # serialises "is there an open request?" per level
        existing = _open_for(
            product=product,
            warehouse=warehouse,
            demand_type=demand_values[0],
            demand_id=demand_values[1],
            customer=demand_values[3],
        )
        if existing is not None:
            return _raise(
                existing,
                quantity=existing.quantity + amount,
                needed_by=wanted,
                note=text,
                by=by,
                action="stock.replenishment.increased",
            )
        return _create(
            product=product,
            warehouse=warehouse,
            quantity=amount,
            needed_by=wanted,
            demand=demand_values,
            note=text,
            by=by,
        )


def replenishment_for_shortage(
    *,
    product: Product,
    warehouse: Warehouse,
    shortage: Any,
    needed_by: dt.date | None,
    demand_type: str,
    demand_id: Any,
    demand_number: str,
    customer: Any,
    by: Any,
) -> ReplenishmentRequest:
    """What order confirmation calls when ``reserve`` refuses for lack of stock.

    ``shortage`` is the whole quantity this demand is missing, not an increment: the open
    request of the demand is created, or topped up to cover it (never lowered), so confirming
    the same order again does not double the request. The confirming user needs no
    replenishment role (the system raises the request on their behalf) and a needed-by date in
    the past is kept as it is (the request is simply overdue from the start).
    """
    _check_target(product, warehouse)
    amount = parse_quantity(shortage, field="shortage", label=_("缺货数量"))
    if needed_by is not None and (not isinstance(needed_by, dt.date) or isinstance(needed_by, dt.datetime)):
        raise _fail("needed_by", _("需求日期格式不对，应为 2026-05-01 这样的日期。"))
    demand = _demand_of(None, demand_type, demand_id, demand_number, customer)
    if not demand[0]:
        raise _fail("demand_type", _("缺货补货必须注明来源单据。"))
    note = _("订单 %(number)s 占用库存不足，自动申请补货。") % {"number": demand[2] or demand[1]}
    with transaction.atomic():
        lock_levels([(warehouse, product)])
        existing = _open_for(
            product=product, warehouse=warehouse, demand_type=demand[0], demand_id=demand[1], customer=demand[3]
        )
        if existing is None:
            return _create(
                product=product,
                warehouse=warehouse,
                quantity=amount,
                needed_by=needed_by,
                demand=demand,
                note=note,
                by=by,
            )
        if existing.quantity >= amount and (needed_by is None or (existing.needed_by or needed_by) <= needed_by):
            return existing  # already covers this shortage
        return _raise(
            existing,
            quantity=max(existing.quantity, amount),
            needed_by=needed_by,
            note="",
            by=by,
            action="stock.replenishment.topped_up",
        )


# ---- transitions ------------------------------------------------------------------------------------------


def _locked(request: ReplenishmentRequest, version: int | None) -> ReplenishmentRequest:
    locked = (
        ReplenishmentRequest.objects.select_for_update(of=("self",))
        .select_related("product", "warehouse", "requested_by")
        .get(pk=request.pk)
    )
    if version is not None and locked.version != version:
        raise Conflict(
            _("补货申请 %(number)s 已被他人修改，请刷新后重试。") % {"number": locked.number}, code="stale_version"
        )
    return locked


def _transition(
    *,
    request: ReplenishmentRequest,
    target: str,
    by: Any,
    response: str,
    version: int | None,
    allowed: Any,
    denied: str,
    expected_on: dt.date | None = None,
    reason_required: bool = False,
) -> ReplenishmentRequest:
    text = _text(response, field="response", limit=MAX_NOTE, label=_("处理意见"))
    with transaction.atomic():
        locked = _locked(request, version)
        if by is not None and not allowed(by, locked):
            raise PermissionDenied(denied)
        REPLENISHMENT_FLOW.check(locked.status, target)
        if reason_required and not text:
            raise _fail("response", _("请填写取消原因。"))
        fields = ("status", "response", "expected_on", "handled_by", "closed_at")
        before = audit.snapshot(locked, fields)
        locked.status = target
        if text:
            locked.response = text
        if expected_on is not None:
            locked.expected_on = expected_on
        if by is not None and can_handle(by):
            locked.handled_by = by
        if target not in OPEN_STATES:
            locked.closed_at = timezone.now()
        locked.version += 1
        locked.save(update_fields=[*fields, "version", "updated_at"])
        changes = audit.diff(before, audit.snapshot(locked, fields))
        audit.record(action=f"stock.replenishment.{target}", obj=locked, by=by, changes=changes)
        _notify_requester(locked, by=by)
    return locked


def replenishment_start(
    *,
    request: ReplenishmentRequest,
    by: Any,
    response: str = "",
    expected_on: dt.date | None = None,
    version: int | None = None,
) -> ReplenishmentRequest:
    """Purchasing/production has taken the request on (采购/生产中), optionally with a date."""
    return _transition(
        request=request,
        target=ReplenishmentStatus.IN_PROGRESS,
        by=by,
        response=response,
        version=version,
        allowed=_may_handle,
        denied=_("只有仓库或销售内勤可以处理补货申请。"),
        expected_on=_check_expected_on(expected_on),
    )


def replenishment_fulfil(
    *, request: ReplenishmentRequest, by: Any, response: str = "", version: int | None = None
) -> ReplenishmentRequest:
    """The goods have arrived (已到货). The receipt itself is entered as a stock receipt."""
    return _transition(
        request=request,
        target=ReplenishmentStatus.FULFILLED,
        by=by,
        response=response,
        version=version,
        allowed=_may_handle,
        denied=_("只有仓库或销售内勤可以确认补货到货。"),
    )


def replenishment_cancel(
    *, request: ReplenishmentRequest, by: Any, response: str, version: int | None = None
) -> ReplenishmentRequest:
    """Withdraw the request (the order was cancelled, stock turned up elsewhere); a reason is required."""
    return _transition(
        request=request,
        target=ReplenishmentStatus.CANCELLED,
        by=by,
        response=response,
        version=version,
        allowed=_may_cancel,
        denied=_("只有仓库、销售内勤或申请人本人可以取消补货申请。"),
        reason_required=True,
    )
