"""Price lists and dated price changes (PRD-2).

``price_set`` is the one door for a new price on any list: it refuses prices below the floor,
writes the dated item, snapshots the customers whose price changes and notifies their owners.
The company list's price in force today is mirrored in ``Product.standard_price``; future-dated
company changes are applied by the daily job ``apply_due_price_changes``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from neiqin.accounts.roles import CAN_SET_PRICES
from neiqin.accounts.scoping import has_role
from neiqin.catalog.choices import PriceListKind, ProductKind
from neiqin.catalog.models import PriceChange, PriceChangeCustomer, PriceList, PriceListItem, Product
from neiqin.core import audit, notifications
from neiqin.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from neiqin.core.money import format_cny
from neiqin.core.quantities import parse_price, parse_quantity

# Customers in these stages are told about price changes; prospects and lost customers are not.
NOTIFIED_STAGES = ("intended", "signed")


def company_price_list() -> PriceList:
    found = PriceList.objects.filter(kind=PriceListKind.COMPANY).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            return PriceList.objects.create(name=str(_("公司统一价")), kind=PriceListKind.COMPANY)
    except IntegrityError:
        return PriceList.objects.get(kind=PriceListKind.COMPANY)


def _require_pricing(by: Any) -> None:
    if by is not None and not has_role(by, CAN_SET_PRICES):
        raise PermissionDenied(_("您没有定价权限。"))


def price_list_create(*, kind: str, by: Any, grade: str = "", customer: Any = None, name: str = "") -> PriceList:
    """A grade or customer list (the company list exists once and is created on demand)."""
    from neiqin.customers.choices import Grade
    from neiqin.customers.selectors import customer_queryset

    _require_pricing(by)
    if kind == PriceListKind.GRADE:
        if grade not in Grade.values:
            raise ValidationFailed(_("请选择客户等级。"), extra={"fields": {"grade": [_("请选择客户等级。")]}})
        if PriceList.objects.filter(kind=kind, grade=grade).exists():
            raise Conflict(_("%(grade)s 类客户的价格表已存在。") % {"grade": grade}, code="price_list_exists")
        default_name = _("%(grade)s 类客户价") % {"grade": grade}
        values = {"grade": grade}
    elif kind == PriceListKind.CUSTOMER:
        if customer is None:
            raise ValidationFailed(_("请选择客户。"), extra={"fields": {"customer": [_("请选择客户。")]}})
        if by is not None and not customer_queryset(user=by).filter(pk=customer.pk).exists():
            raise NotFound(_("客户不存在。"))
        if PriceList.objects.filter(kind=kind, customer=customer).exists():
            raise Conflict(_("客户“%(name)s”已有专属价格表。") % {"name": customer.name}, code="price_list_exists")
        default_name = _("%(name)s 专属价") % {"name": customer.short_name or customer.name}
        values = {"customer": customer}
    else:
        raise ValidationFailed(_("只能新建客户等级价或客户专属价。"))
    try:
        with transaction.atomic():
            price_list = PriceList.objects.create(
                kind=kind,
                name=(name or default_name)[:80],
                created_by=by if getattr(by, "pk", None) else None,
                **values,
            )
            audit.record(action="catalog.pricelist.created", obj=price_list, by=by, data={"kind": kind})
    except IntegrityError:
        # Two people created the same list at the same moment: the unique constraint decided.
        raise Conflict(_("这个价格表刚刚已由他人创建，请刷新后查看。"), code="price_list_exists") from None
    return price_list


def record_initial_price(*, product: Product, price_list: PriceList, by: Any, effective_from: dt.date) -> None:
    """The first company price of a new product (no change notice: nobody bought it yet)."""
    PriceListItem.objects.create(
        price_list=price_list,
        product=product,
        unit_price=product.standard_price,
        effective_from=effective_from,
        created_by=by if getattr(by, "pk", None) else None,
    )


def _old_price(price_list: PriceList, product: Product, min_quantity: Decimal, on: dt.date) -> Decimal | None:
    item = (
        PriceListItem.objects.filter(
            price_list=price_list, product=product, min_quantity=min_quantity, effective_from__lte=on
        )
        .order_by("-effective_from", "-id")
        .first()
    )
    return item.unit_price if item is not None else None


def price_set(
    *,
    price_list: PriceList,
    product: Product,
    unit_price: Any,
    effective_from: dt.date | None,
    by: Any,
    min_quantity: Any = "0",
    reason: str = "",
    allow_past: bool = False,
    notify: bool = True,
) -> PriceChange:
    """Put a dated price on a list; returns the change with its affected customers recorded."""
    from neiqin.customers.selectors import customer_queryset

    _require_pricing(by)
    if price_list.kind == PriceListKind.CUSTOMER and by is not None:
        if not customer_queryset(user=by).filter(pk=price_list.customer_id).exists():
            raise NotFound(_("价格表不存在。"))
    today = timezone.localdate()
    effective_from = effective_from or today
    price = parse_price(unit_price, field="unit_price", label=_("单价"))
    minimum = parse_quantity(min_quantity, field="min_quantity", label=_("起订数量"), allow_zero=True)
    product = Product.objects.get(pk=product.pk)  # the floor as it is now, not the caller's copy
    errors: dict[str, list[str]] = {}
    if effective_from < today and not allow_past:
        errors["effective_from"] = [_("生效日期不能早于今天；历史价格不能修改。")]
    if product.kind != ProductKind.GOODS:
        errors["product"] = [_("促销品不能定价。")]
    if product.floor_price is not None and price < product.floor_price:
        errors["unit_price"] = [
            _("单价 %(price)s 低于底价 %(floor)s，价格表中不能录入低于底价的价格；个别订单低于底价请走审批。")
            % {"price": format_cny(price), "floor": format_cny(product.floor_price)}
        ]
    if not price_list.is_active:
        errors["price_list"] = [_("价格表已停用。")]
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], extra={"fields": errors})
    text = (reason or "").strip()[:200]
    with transaction.atomic():
        locked = Product.objects.select_for_update(no_key=True).get(pk=product.pk)
        if locked.floor_price is not None and price < locked.floor_price:
            raise Conflict(_("底价刚刚被修改，请刷新后重新定价。"), code="floor_changed")
        old = _old_price(price_list, locked, minimum, effective_from)
        existing = PriceListItem.objects.filter(
            price_list=price_list, product=locked, min_quantity=minimum, effective_from=effective_from
        ).first()
        change = PriceChange.objects.create(
            price_list=price_list,
            product=locked,
            min_quantity=minimum,
            old_price=old,
            new_price=price,
            effective_from=effective_from,
            reason=text,
            applied=effective_from <= today,
            created_by=by if getattr(by, "pk", None) else None,
        )
        if existing is not None:
            # A correction of the same day's (or a scheduled) price: the earlier row is replaced
            # in the history by the new one; the audit trail keeps both.
            existing.delete()
        PriceListItem.objects.create(
            price_list=price_list,
            product=locked,
            unit_price=price,
            min_quantity=minimum,
            effective_from=effective_from,
            change=change,
            created_by=by if getattr(by, "pk", None) else None,
        )
        if price_list.kind == PriceListKind.COMPANY and minimum == 0 and effective_from <= today:
            _mirror_standard_price(locked, today)
        affected = _snapshot_affected(change) if old != price else 0
        change.affected_count = affected
        change.save(update_fields=["affected_count"])
        audit.record(
            action="catalog.price.set",
            obj=locked,
            by=by,
            changes={"price": [str(old) if old is not None else None, str(price)]},
            data={
                "price_list": price_list.pk,
                "min_quantity": str(minimum),
                "effective_from": effective_from.isoformat(),
                "reason": text,
                "affected": affected,
            },
        )
        if notify and affected:
            _notify_owners(change)
    return change


def _mirror_standard_price(product: Product, today: dt.date) -> None:
    current = _old_price(company_price_list(), product, Decimal("0"), today)
    if current is not None and current != product.standard_price:
        before = product.standard_price
        product.standard_price = current
        product.version += 1
        product.save(update_fields=["standard_price", "version", "updated_at"])
        audit.record(
            action="catalog.product.standard_price",
            obj=product,
            by=None,
            changes={"standard_price": [str(before), str(current)]},
        )


def _snapshot_affected(change: PriceChange) -> int:
    """Customers whose price for this product changes: those the list applies to, minus those a
    more specific list overrides for this product, in the stages that get price notices."""
    from neiqin.customers.models import Customer

    price_list = change.price_list
    customers = Customer.objects.filter(stage__in=NOTIFIED_STAGES)
    # Only a base price (no quantity break) in force by the change's date overrides this list for
    # everyday orders; a customer whose own list only has a bulk-quantity price still pays the
    # changed price for small orders and is told.
    overriding = PriceListItem.objects.filter(
        product=change.product, price_list__is_active=True, min_quantity=0, effective_from__lte=change.effective_from
    )
    if price_list.kind == PriceListKind.CUSTOMER:
        customers = customers.filter(pk=price_list.customer_id)
    elif price_list.kind == PriceListKind.GRADE:
        customers = customers.filter(grade=price_list.grade).exclude(
            pk__in=overriding.filter(price_list__kind=PriceListKind.CUSTOMER).values("price_list__customer_id")
        )
    else:
        customers = customers.exclude(
            pk__in=overriding.filter(price_list__kind=PriceListKind.CUSTOMER).values("price_list__customer_id")
        )
        graded = set(
            overriding.filter(price_list__kind=PriceListKind.GRADE).values_list("price_list__grade", flat=True)
        )
        if graded:
            customers = customers.exclude(grade__in=graded)
    rows = [
        PriceChangeCustomer(
            change=change, customer_id=pk, owner_id=owner_id, old_price=change.old_price, new_price=change.new_price
        )
        for pk, owner_id in customers.values_list("pk", "owner_id").iterator(chunk_size=2000)
    ]
    PriceChangeCustomer.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def _notify_owners(change: PriceChange) -> None:
    from django.contrib.auth import get_user_model

    counts: dict[int, int] = defaultdict(int)
    for owner_id in change.affected.exclude(owner_id=None).values_list("owner_id", flat=True).iterator():
        counts[owner_id] += 1
    users = get_user_model().objects.in_bulk(list(counts))
    product = change.product
    for owner_id, count in sorted(counts.items()):
        notifications.notify(
            user=users[owner_id],
            title=_("调价通知：%(model)s 自 %(date)s 起 %(new)s")
            % {
                "model": product.model,
                "date": change.effective_from.isoformat(),
                "new": format_cny(change.new_price),
            },
            body=_("%(product)s（%(list)s）由 %(old)s 调为 %(new)s，您负责的 %(n)s 个客户受影响，请及时告知客户。")
            % {
                "product": str(product),
                "list": change.price_list.name,
                "old": format_cny(change.old_price) if change.old_price is not None else "—",
                "new": format_cny(change.new_price),
                "n": count,
            },
            obj=change,
        )


def apply_due_price_changes(*, today: dt.date | None = None) -> int:
    """Daily: future-dated changes whose day has come are marked in force and the company price
    mirrored onto the product. Returns how many changes were applied."""
    today = today or timezone.localdate()
    due = list(PriceChange.objects.filter(applied=False, effective_from__lte=today).select_related("price_list"))
    for change in due:
        with transaction.atomic():
            if change.price_list.kind == PriceListKind.COMPANY and change.min_quantity == 0:
                product = Product.objects.select_for_update(no_key=True).get(pk=change.product_id)
                _mirror_standard_price(product, today)
            PriceChange.objects.filter(pk=change.pk).update(applied=True)
    return len(due)


def customers_with_prices_q(product: Product) -> Q:
    """Customers that have their own price for ``product`` (for reports)."""
    return Q(
        pk__in=PriceListItem.objects.filter(product=product, price_list__kind=PriceListKind.CUSTOMER).values(
            "price_list__customer_id"
        )
    )
