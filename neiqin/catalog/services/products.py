"""Creating and editing products (PRD-1). Prices other than at creation change through
``prices.price_set`` (dated, with the affected customers notified)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from neiqin.accounts.roles import CAN_EDIT_PRODUCTS, CAN_SET_COST, CAN_SET_FLOOR_PRICE, CAN_SET_PRICES
from neiqin.accounts.scoping import has_role
from neiqin.catalog.models import Product, ProductSeries
from neiqin.catalog.services.validation import AUDIT_FIELDS, clean_product_fields
from neiqin.core import audit, numbering, pinyin
from neiqin.core.errors import Conflict, PermissionDenied, ValidationFailed


def _authorize_fields(fields: dict[str, Any], by: Any, *, creating: bool) -> None:
    if by is None:  # system (demo builder, imports run by commands)
        return
    cost_only = not creating and set(fields) <= {"cost"}
    if not has_role(by, CAN_EDIT_PRODUCTS) and not (cost_only and has_role(by, CAN_SET_COST)):
        raise PermissionDenied(_("您没有维护产品资料的权限。"))
    if fields.get("floor_price") not in (None, "") and not has_role(by, CAN_SET_FLOOR_PRICE):
        raise PermissionDenied(_("只有副总、总经理或管理员可以设置底价。"))
    if "floor_price" in fields and not creating and not has_role(by, CAN_SET_FLOOR_PRICE):
        raise PermissionDenied(_("只有副总、总经理或管理员可以设置底价。"))
    if "cost" in fields and (fields.get("cost") not in (None, "") or not creating) and not has_role(by, CAN_SET_COST):
        raise PermissionDenied(_("只有财务或管理层可以设置成本。"))
    if creating and fields.get("standard_price") not in (None, "") and not has_role(by, CAN_SET_PRICES):
        raise PermissionDenied(_("您没有定价权限。"))


def _search_fields(product: Product) -> None:
    initials, full = pinyin.search_keys(product.name)
    product.search_initials = initials[:200]
    product.search_pinyin = full[:600]


def product_create(*, fields: dict[str, Any], by: Any, effective_from: dt.date | None = None) -> Product:
    """A new product; its standard price becomes the company price from ``effective_from`` (today)."""
    from neiqin.catalog.services.prices import company_price_list, record_initial_price

    _authorize_fields(fields, by, creating=True)
    data = clean_product_fields(fields, instance=None)
    with transaction.atomic():
        if not data.get("code"):
            data["code"] = numbering.next_number(series="product")
        product = Product(**data, created_by=by if getattr(by, "pk", None) else None)
        _search_fields(product)
        product.save()
        audit.record(
            action="catalog.product.created",
            obj=product,
            by=by,
            changes={k: [None, v] for k, v in audit.snapshot(product, AUDIT_FIELDS).items() if v not in (None, "")},
        )
        record_initial_price(
            product=product,
            price_list=company_price_list(),
            by=by,
            effective_from=effective_from or timezone.localdate(),
        )
    return product


def product_update(*, product: Product, fields: dict[str, Any], by: Any, version: int | None = None) -> Product:
    """Edit descriptive fields, floor price and cost (by role); the standard price is refused here."""
    if "standard_price" in fields:
        message = _("标准价请通过“调价”修改，以便记录生效日期并通知相关客户。")
        raise ValidationFailed(message, extra={"fields": {"standard_price": [message]}})
    _authorize_fields(fields, by, creating=False)
    with transaction.atomic():
        locked = Product.objects.select_for_update(no_key=True).get(pk=product.pk)
        if version is not None and locked.version != version:
            raise Conflict(
                _("该产品已被他人修改（%(at)s），请刷新后再改。")
                % {"at": timezone.localtime(locked.updated_at).strftime("%Y-%m-%d %H:%M")},
                code="stale_version",
            )
        data = clean_product_fields(fields, instance=locked)
        before = audit.snapshot(locked, AUDIT_FIELDS)
        for key, value in data.items():
            setattr(locked, key, value)
        changes = audit.diff(before, audit.snapshot(locked, AUDIT_FIELDS))
        if not changes:
            return locked
        _search_fields(locked)
        locked.version += 1
        locked.save()
        audit.record(action="catalog.product.updated", obj=locked, by=by, changes=changes)
    return locked


def series_create(*, name: str, by: Any, description: str = "", sort_order: int = 0) -> ProductSeries:
    if by is not None and not has_role(by, CAN_EDIT_PRODUCTS):
        raise PermissionDenied(_("您没有维护产品资料的权限。"))
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(_("请填写系列名称。"), extra={"fields": {"name": [_("请填写系列名称。")]}})
    if len(name) > 60:
        raise ValidationFailed(_("系列名称最多 60 个字。"), extra={"fields": {"name": [_("太长。")]}})
    if ProductSeries.objects.filter(name=name).exists():
        raise ValidationFailed(
            _("系列“%(name)s”已存在。") % {"name": name}, extra={"fields": {"name": [_("已存在。")]}}
        )
    with transaction.atomic():
        series = ProductSeries.objects.create(name=name, description=description[:200], sort_order=sort_order)
        audit.record(action="catalog.series.created", obj=series, by=by, data={"name": name})
    return series
