"""Promotional materials and product loans (INV-6).

Promotional materials (促销品) are catalogue products of kind ``promo``: they are received into
the warehouses like any goods and leave through ``promo_issue``, which writes the issue record
(who got what, for which customer) and its ledger move in one transaction.

A product loan (产品借用申请单) follows ``LOAN_FLOW``: the requester (clerk, salesperson,
manager) asks, the deputy GM / GM approves or rejects (never their own request), the warehouse
lends the goods out (a LOAN_OUT move) and takes them back (LOAN_RETURN, partial returns
allowed); what the customer keeps is charged at the customer's price (转销售) without a stock
move, the goods having already left. The loan closes when nothing is outstanding.

Every transition locks the loan row, checks the flow, saves the changed fields, writes an audit
event and notifies the requester, all in one transaction.
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
from neiqin.accounts.roles import (
    CAN_APPROVE_LOAN,
    CAN_CHARGE_LOAN,
    CAN_HANDLE_LOAN,
    CAN_ISSUE_PROMO,
    CAN_REQUEST_LOAN,
)
from neiqin.accounts.scoping import has_role
from neiqin.catalog.choices import ProductKind
from neiqin.catalog.models import Product
from neiqin.core import audit, numbering
from neiqin.core.errors import InvalidTransition, PermissionDenied, ValidationFailed
from neiqin.core.models import Notification
from neiqin.core.money import line_amount
from neiqin.core.notifications import notify
from neiqin.core.quantities import parse_price, parse_quantity
from neiqin.stock.choices import LOAN_FLOW, LoanStatus, MoveKind
from neiqin.stock.models import ProductLoan, PromoIssue, StockMove, Warehouse
from neiqin.stock.services.ledger import Document, MoveLine, post_moves

MAX_PURPOSE = 200
MAX_RECIPIENT = 60
MAX_COMMENT = 200
LOAN_DOCUMENT = "loan"
PROMO_DOCUMENT = "promo_issue"
LOAN_AUDIT_FIELDS = (
    "number",
    "product",
    "warehouse",
    "quantity",
    "customer",
    "purpose",
    "due_on",
    "status",
    "requested_by",
)


# ---- shared checks ---------------------------------------------------------------------------------


def _fail(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, extra={"fields": {field: [message]}})


def _text(value: Any, *, field: str, label: str, max_length: int, required: bool) -> str:
    text = str(value or "").strip()
    if required and not text:
        raise _fail(field, _("请填写%(label)s。") % {"label": label})
    if len(text) > max_length:
        raise _fail(field, _("%(label)s最多 %(n)s 个字。") % {"label": label, "n": max_length})
    return text


def _date(value: Any, *, field: str, label: str) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise _fail(field, _("%(label)s格式应为 2026-03-31。") % {"label": label}) from None


def _not_future(day: dt.date, *, field: str, label: str) -> dt.date:
    if day > timezone.localdate():
        raise _fail(field, _("%(label)s不能晚于今天。") % {"label": label})
    return day


def _active_warehouse(warehouse: Warehouse) -> None:
    if not isinstance(warehouse, Warehouse):
        raise _fail("warehouse", _("请选择仓库。"))
    if not warehouse.is_active:
        raise _fail("warehouse", _("仓库“%(name)s”已停用。") % {"name": warehouse.name})


def _by_pk(by: Any) -> Any:
    return by if getattr(by, "pk", None) else None


def _in_customer_scope(customer: Any, by: Any) -> None:
    """A customer named by the user must be one they may see (CUS-4)."""
    from neiqin.customers.selectors import customer_queryset

    if customer is None or by is None:
        return
    if not customer_queryset(user=by).filter(pk=customer.pk).exists():
        raise _fail("customer", _("客户不存在，或不在您负责的范围内。"))


def _approvers(*, exclude: Any = None) -> list[User]:
    users = (
        User.objects.filter(Q(groups__name__in=CAN_APPROVE_LOAN) | Q(is_superuser=True), is_active=True)
        .distinct()
        .order_by("pk")
    )
    if exclude is not None:
        users = users.exclude(pk=exclude.pk)
    return list(users)


def _qty(value: Decimal) -> str:
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _lock(loan: ProductLoan) -> ProductLoan:
    return (
        ProductLoan.objects.select_for_update(of=("self",))
        .select_related("product", "warehouse", "customer", "requested_by")
        .get(pk=loan.pk)
    )


def _save(loan: ProductLoan, fields: list[str]) -> None:
    loan.version += 1
    loan.save(update_fields=[*fields, "version", "updated_at"])


def _changes(before: dict[str, Any], loan: ProductLoan, fields: list[str]) -> dict[str, list[Any]]:
    return audit.diff(before, audit.snapshot(loan, fields))


def _tell_requester(loan: ProductLoan, *, by: Any, title: str, body: str = "") -> None:
    requester = loan.requested_by
    if requester.is_active and requester.pk != getattr(by, "pk", None):
        notify(user=requester, title=title, body=body, obj=loan)


def _label(loan: ProductLoan) -> dict[str, Any]:
    return {
        "number": loan.number,
        "product": loan.product.model,
        "quantity": _qty(loan.quantity),
        "unit": loan.product.unit,
    }


# ---- promotional materials ---------------------------------------------------------------------------


def promo_issue(
    *,
    product: Product,
    warehouse: Warehouse,
    quantity: Any,
    recipient: str,
    by: Any,
    customer: Any = None,
    salesperson: Any = None,
    purpose: str = "",
    issued_on: Any = None,
) -> PromoIssue:
    """Hand out promotional material (促销品发放) and take it off the warehouse's stock.

    The issue record and its PROMO_ISSUE move are written together, so the record of who got
    the material (seed 000: "做好发放记录") and the stock of materials always agree."""
    if by is not None and not has_role(by, CAN_ISSUE_PROMO):
        raise PermissionDenied(_("只有内勤或仓库人员可以登记促销品发放。"))
    if not isinstance(product, Product):
        raise _fail("product", _("请选择促销品。"))
    if product.kind != ProductKind.PROMO:
        raise _fail("product", _("“%(model)s”不是促销品；商品出库请走发货或借用。") % {"model": product.model})
    _active_warehouse(warehouse)
    amount = parse_quantity(quantity)
    recipient_name = _text(recipient, field="recipient", label=_("领取人"), max_length=MAX_RECIPIENT, required=True)
    purpose_text = _text(purpose, field="purpose", label=_("用途"), max_length=MAX_PURPOSE, required=False)
    day = _date(issued_on, field="issued_on", label=_("发放日期")) or timezone.localdate()
    _not_future(day, field="issued_on", label=_("发放日期"))
    _in_customer_scope(customer, by)
    if salesperson is not None and not getattr(salesperson, "is_active", False):
        raise _fail("salesperson", _("业务员账号已停用。"))
    with transaction.atomic():
        number = numbering.next_number(series="promo_issue", on=day)
        moves = post_moves(
            [MoveLine(product=product, warehouse=warehouse, quantity=-amount)],
            kind=MoveKind.PROMO_ISSUE,
            by=by,
            document=Document(type=PROMO_DOCUMENT, id=number, number=number),
            moved_on=day,
            reason=purpose_text or _("促销品发放：%(recipient)s") % {"recipient": recipient_name},
            customer=customer,
        )
        move = moves[0]
        if move.pk is None:  # backends without RETURNING on bulk inserts
            move = StockMove.objects.get(document_type=PROMO_DOCUMENT, document_id=number)
        issue = PromoIssue(
            number=number,
            product=product,
            warehouse=warehouse,
            quantity=amount,
            customer=customer,
            recipient=recipient_name,
            salesperson=salesperson,
            purpose=purpose_text,
            issued_on=day,
            move=move,
            created_by=_by_pk(by),
        )
        issue.save(force_insert=True)
        fields = ["number", "product", "warehouse", "quantity", "customer", "recipient", "salesperson", "issued_on"]
        audit.record(
            action="stock.promo_issue.created",
            obj=issue,
            by=by,
            changes={k: [None, v] for k, v in audit.snapshot(issue, fields).items() if v not in (None, "")},
            data={"move": move.pk, "purpose": purpose_text},
        )
        if salesperson is not None and salesperson.pk != getattr(by, "pk", None):
            notify(
                user=salesperson,
                title=_("促销品已发放：%(number)s") % {"number": number},
                body=_("%(product)s × %(quantity)s %(unit)s 已发放给 %(recipient)s。")
                % {
                    "product": product.name,
                    "quantity": _qty(amount),
                    "unit": product.unit,
                    "recipient": recipient_name,
                },
                obj=issue,
            )
    return issue


# ---- loans: request and decision ----------------------------------------------------------------------


def loan_request(
    *,
    product: Product,
    warehouse: Warehouse,
    quantity: Any,
    customer: Any,
    purpose: str,
    due_on: Any,
    by: Any,
) -> ProductLoan:
    """A product loan request (产品借用申请单); the approvers (deputy GM, GM) are notified."""
    if by is None or not has_role(by, CAN_REQUEST_LOAN):
        raise PermissionDenied(_("您没有申请借用产品的权限。"))
    if not isinstance(product, Product):
        raise _fail("product", _("请选择要借用的产品。"))
    if product.kind != ProductKind.GOODS:
        raise _fail("product", _("促销品不能借用，请登记促销品发放。"))
    if not product.is_active:
        raise _fail("product", _("“%(model)s”已停售，不能借用。") % {"model": product.model})
    _active_warehouse(warehouse)
    amount = parse_quantity(quantity)
    purpose_text = _text(purpose, field="purpose", label=_("借用用途"), max_length=MAX_PURPOSE, required=True)
    due = _date(due_on, field="due_on", label=_("约定归还日期"))
    if due is None:
        raise _fail("due_on", _("请填写约定归还日期。"))
    if due < timezone.localdate():
        raise _fail("due_on", _("约定归还日期不能早于今天。"))
    _in_customer_scope(customer, by)
    with transaction.atomic():
        loan = ProductLoan(
            number=numbering.next_number(series="loan"),
            product=product,
            warehouse=warehouse,
            quantity=amount,
            customer=customer,
            purpose=purpose_text,
            due_on=due,
            requested_by=by,
        )
        loan.save(force_insert=True)
        audit.record(
            action="stock.loan.requested",
            obj=loan,
            by=by,
            changes={k: [None, v] for k, v in audit.snapshot(loan, LOAN_AUDIT_FIELDS).items() if v not in (None, "")},
        )
        title = _("借用待审批：%(number)s") % {"number": loan.number}
        body = _("%(by)s 申请借用 %(product)s × %(quantity)s %(unit)s，用途：%(purpose)s，约定 %(due)s 归还。") % {
            "by": by,
            "product": product.model,
            "quantity": _qty(amount),
            "unit": product.unit,
            "purpose": purpose_text,
            "due": due.isoformat(),
        }
        for approver in _approvers(exclude=by):
            notify(user=approver, title=title, body=body, obj=loan)
    return loan


def _require_approver(loan: ProductLoan, by: Any) -> None:
    if by is None or not has_role(by, CAN_APPROVE_LOAN):
        raise PermissionDenied(_("只有副总、总经理或管理员可以审批产品借用。"))
    if loan.requested_by_id == by.pk:
        raise PermissionDenied(_("不能审批自己提交的借用申请，请由其他领导审批。"))


def _decide(*, loan: ProductLoan, by: Any, target: str, comment: str) -> ProductLoan:
    _require_approver(loan, by)
    with transaction.atomic():
        loan = _lock(loan)
        _require_approver(loan, by)
        LOAN_FLOW.check(loan.status, target)
        fields = ["status", "decided_by", "decided_at", "decision_comment"]
        before = audit.snapshot(loan, fields)
        loan.status = target
        loan.decided_by = by
        loan.decided_at = timezone.now()
        loan.decision_comment = comment
        _save(loan, fields)
        approved = target == LoanStatus.APPROVED
        audit.record(
            action="stock.loan.approved" if approved else "stock.loan.rejected",
            obj=loan,
            by=by,
            changes=_changes(before, loan, fields),
        )
        labels = _label(loan)
        if approved:
            title = _("借用已批准：%(number)s") % labels
            body = _("%(product)s × %(quantity)s %(unit)s 已批准，可到仓库领取。") % labels
        else:
            title = _("借用被驳回：%(number)s") % labels
            body = _("驳回原因：%(comment)s") % {"comment": comment}
        _tell_requester(loan, by=by, title=title, body=body)
    return loan


def loan_approve(*, loan: ProductLoan, by: Any, comment: str = "") -> ProductLoan:
    """Approve a request (每单 厂长/副总/老总 审批); the requester may not decide their own."""
    text = _text(comment, field="comment", label=_("审批意见"), max_length=MAX_COMMENT, required=False)
    return _decide(loan=loan, by=by, target=LoanStatus.APPROVED, comment=text)


def loan_reject(*, loan: ProductLoan, by: Any, comment: str) -> ProductLoan:
    """Reject a request; the reason is required so the requester knows what to change."""
    _require_approver(loan, by)
    text = _text(comment, field="comment", label=_("驳回原因"), max_length=MAX_COMMENT, required=True)
    return _decide(loan=loan, by=by, target=LoanStatus.REJECTED, comment=text)


def can_cancel(loan: ProductLoan, user: Any) -> bool:
    """The requester, or anyone who may approve loans, may withdraw a loan before it is lent."""
    return bool(user is not None and (loan.requested_by_id == user.pk or has_role(user, CAN_APPROVE_LOAN)))


def loan_cancel(*, loan: ProductLoan, by: Any) -> ProductLoan:
    """Withdraw a request or an approved loan before the goods leave the warehouse."""
    if not can_cancel(loan, by):
        raise PermissionDenied(_("只有申请人或审批人可以取消借用单。"))
    with transaction.atomic():
        loan = _lock(loan)
        LOAN_FLOW.check(loan.status, LoanStatus.CANCELLED)
        fields = ["status"]
        before = audit.snapshot(loan, fields)
        loan.status = LoanStatus.CANCELLED
        _save(loan, fields)
        audit.record(action="stock.loan.cancelled", obj=loan, by=by, changes=_changes(before, loan, fields))
        _tell_requester(loan, by=by, title=_("借用已取消：%(number)s") % {"number": loan.number})
    return loan


# ---- loans: goods out, back, charged ------------------------------------------------------------------


def _require_handler(by: Any) -> None:
    if by is None or not has_role(by, CAN_HANDLE_LOAN):
        raise PermissionDenied(_("只有仓库人员可以办理借出和归还。"))


def _require_lent(loan: ProductLoan) -> None:
    if loan.status != LoanStatus.LENT:
        raise InvalidTransition(
            _("借用单处于“%(status)s”状态，只有已借出的借用单可以归还或转销售。")
            % {"status": loan.get_status_display()},
            extra={"current": loan.status},
        )


def _settle_quantity(loan: ProductLoan, quantity: Any, *, label: str) -> Decimal:
    amount = parse_quantity(quantity, label=label)
    if amount > loan.outstanding:
        raise _fail(
            "quantity",
            _("%(label)s %(quantity)s 超过未归还数量 %(outstanding)s %(unit)s。")
            % {
                "label": label,
                "quantity": _qty(amount),
                "outstanding": _qty(loan.outstanding),
                "unit": loan.product.unit,
            },
        )
    return amount


def _close_if_settled(loan: ProductLoan, *, on: dt.date, fields: list[str]) -> bool:
    if loan.outstanding != 0:
        return False
    LOAN_FLOW.check(loan.status, LoanStatus.CLOSED)
    loan.status = LoanStatus.CLOSED
    loan.closed_on = on
    fields += ["status", "closed_on"]
    return True


def loan_lend(*, loan: ProductLoan, by: Any, lent_on: Any = None) -> ProductLoan:
    """The warehouse hands the approved goods out: a LOAN_OUT move of the whole quantity.
    Refused (nothing changed) when the warehouse has not enough available stock."""
    _require_handler(by)
    day = _date(lent_on, field="lent_on", label=_("借出日期")) or timezone.localdate()
    _not_future(day, field="lent_on", label=_("借出日期"))
    with transaction.atomic():
        loan = _lock(loan)
        LOAN_FLOW.check(loan.status, LoanStatus.LENT)
        post_moves(
            [MoveLine(product=loan.product, warehouse=loan.warehouse, quantity=-loan.quantity)],
            kind=MoveKind.LOAN_OUT,
            by=by,
            document=Document(type=LOAN_DOCUMENT, id=loan.number, number=loan.number),
            moved_on=day,
            reason=loan.purpose,
            customer=loan.customer,
        )
        fields = ["status", "lent_on"]
        before = audit.snapshot(loan, fields)
        loan.status = LoanStatus.LENT
        loan.lent_on = day
        _save(loan, fields)
        audit.record(action="stock.loan.lent", obj=loan, by=by, changes=_changes(before, loan, fields))
        labels = _label(loan) | {"due": loan.due_on.isoformat()}
        _tell_requester(
            loan,
            by=by,
            title=_("借用已出库：%(number)s") % labels,
            body=_("%(product)s × %(quantity)s %(unit)s 已借出，请在 %(due)s 前归还或转销售。") % labels,
        )
    return loan


def loan_return(*, loan: ProductLoan, quantity: Any, by: Any, returned_on: Any = None) -> ProductLoan:
    """Goods coming back (partly or all): a LOAN_RETURN move; closes the loan when settled."""
    _require_handler(by)
    day = _date(returned_on, field="returned_on", label=_("归还日期")) or timezone.localdate()
    _not_future(day, field="returned_on", label=_("归还日期"))
    with transaction.atomic():
        loan = _lock(loan)
        _require_lent(loan)
        amount = _settle_quantity(loan, quantity, label=_("归还数量"))
        post_moves(
            [MoveLine(product=loan.product, warehouse=loan.warehouse, quantity=amount)],
            kind=MoveKind.LOAN_RETURN,
            by=by,
            document=Document(type=LOAN_DOCUMENT, id=loan.number, number=loan.number),
            moved_on=day,
            reason=_("借用归还"),
            customer=loan.customer,
        )
        fields = ["returned_quantity", "status", "closed_on"]
        before = audit.snapshot(loan, fields)
        loan.returned_quantity += amount
        changed = ["returned_quantity"]
        closed = _close_if_settled(loan, on=day, fields=changed)
        _save(loan, changed)
        audit.record(
            action="stock.loan.returned",
            obj=loan,
            by=by,
            changes=_changes(before, loan, fields),
            data={"quantity": str(amount), "returned_on": day.isoformat(), "closed": closed},
        )
        labels = _label(loan) | {"returned": _qty(amount), "outstanding": _qty(loan.outstanding)}
        body = _("本次归还 %(returned)s %(unit)s，尚未归还 %(outstanding)s %(unit)s。") % labels
        _tell_requester(loan, by=by, title=_("借用已归还：%(number)s") % labels, body=body)
    return loan


def loan_charge(*, loan: ProductLoan, quantity: Any, by: Any, unit_price: Any = None) -> ProductLoan:
    """The customer keeps (part of) the goods and pays for them (转销售).

    No stock move: the goods left with LOAN_OUT already. The unit price defaults to the price
    the customer would be quoted today for that quantity; the amount is added to the loan."""
    from neiqin.catalog.selectors import resolve_price

    if by is None or not has_role(by, CAN_CHARGE_LOAN):
        raise PermissionDenied(_("只有内勤或财务可以把借用转为销售。"))
    explicit_price = None
    if unit_price not in (None, ""):
        explicit_price = parse_price(unit_price, field="unit_price", label=_("转销售单价"))
    with transaction.atomic():
        loan = _lock(loan)
        _require_lent(loan)
        amount = _settle_quantity(loan, quantity, label=_("转销售数量"))
        price = explicit_price
        if price is None:
            price = resolve_price(product=loan.product, customer=loan.customer, quantity=amount).unit_price
        value = line_amount(quantity=amount, unit_price=price)
        fields = ["charged_quantity", "charge_unit_price", "charge_amount", "status", "closed_on"]
        before = audit.snapshot(loan, fields)
        loan.charged_quantity += amount
        loan.charge_unit_price = price
        loan.charge_amount += value
        changed = ["charged_quantity", "charge_unit_price", "charge_amount"]
        closed = _close_if_settled(loan, on=timezone.localdate(), fields=changed)
        _save(loan, changed)
        audit.record(
            action="stock.loan.charged",
            obj=loan,
            by=by,
            changes=_changes(before, loan, fields),
            data={"quantity": str(amount), "unit_price": str(price), "amount": str(value), "closed": closed},
        )
        labels = _label(loan) | {"charged": _qty(amount), "outstanding": _qty(loan.outstanding)}
        body = _("%(charged)s %(unit)s 已转为销售，尚未归还 %(outstanding)s %(unit)s。") % labels
        _tell_requester(loan, by=by, title=_("借用已转销售：%(number)s") % labels, body=body)
    return loan


# ---- overdue reminders ----------------------------------------------------------------------------------


def overdue_title(loan: ProductLoan) -> str:
    return (_("借用逾期未还：%(number)s") % {"number": loan.number})[:120]


def _reminded_today(*, user: Any, loan: ProductLoan, since: dt.datetime) -> bool:
    return Notification.objects.filter(
        user=user,
        object_type=loan._meta.label_lower,
        object_id=str(loan.pk),
        title=overdue_title(loan),
        created_at__gte=since,
    ).exists()


def loans_overdue_remind(*, today: dt.date) -> int:
    """Remind the requester and their team manager of every lent loan past its due date, at
    most once per day each; returns how many loans got at least one reminder. Called by a
    daily huey job; safe to run more than once a day."""
    since = timezone.make_aware(dt.datetime.combine(today, dt.time.min), timezone.get_current_timezone())
    overdue = (
        ProductLoan.objects.filter(status=LoanStatus.LENT, due_on__lt=today)
        .select_related("product", "customer", "requested_by__team__manager")
        .order_by("due_on", "pk")
    )
    reminded = 0
    for loan in overdue:
        requester = loan.requested_by
        recipients = [requester]
        team = requester.team
        if team is not None and team.manager is not None and team.manager.pk != requester.pk:
            recipients.append(team.manager)
        labels = _label(loan) | {
            "days": (today - loan.due_on).days,
            "due": loan.due_on.isoformat(),
            "outstanding": _qty(loan.outstanding),
            "requester": requester,
            "customer": loan.customer.name if loan.customer else "—",
        }
        body = (
            _(
                "%(requester)s 借用的 %(product)s 约定 %(due)s 归还，已逾期 %(days)s 天，尚有 %(outstanding)s %(unit)s "
                "未归还（客户：%(customer)s）。请尽快归还或办理转销售。"
            )
            % labels
        )
        sent = False
        with transaction.atomic():
            for user in recipients:
                if not user.is_active or _reminded_today(user=user, loan=loan, since=since):
                    continue
                notify(user=user, title=overdue_title(loan), body=body, obj=loan)
                sent = True
        reminded += int(sent)
    return reminded
