"""Warehouses (INV-1) and per-level settings (low-stock threshold)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from neiqin.accounts.roles import CAN_MANAGE_WAREHOUSES, CAN_MOVE_STOCK
from neiqin.accounts.scoping import has_role
from neiqin.catalog.models import Product
from neiqin.core import audit
from neiqin.core.errors import Conflict, PermissionDenied, ValidationFailed
from neiqin.core.quantities import parse_quantity
from neiqin.stock.models import StockLevel, Warehouse
from neiqin.stock.services.ledger import lock_levels

FIELDS = ("code", "name", "region", "address", "keeper", "allow_negative", "is_active", "sort_order")


def _clean(fields: dict[str, Any], *, instance: Warehouse | None) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    unknown = set(fields) - set(FIELDS)
    if unknown:
        raise ValidationFailed(_("未知字段：%(names)s") % {"names": ", ".join(sorted(unknown))})
    data = dict(fields)
    for name in ("code", "name"):
        if name in data or instance is None:
            value = str(data.get(name) or "").strip()
            if not value:
                errors[name] = [_("必填。")]
            data[name] = value
    if data.get("code"):
        clash = Warehouse.objects.filter(code=data["code"])
        if instance is not None:
            clash = clash.exclude(pk=instance.pk)
        if clash.exists():
            errors["code"] = [_("仓库编码已存在。")]
    if data.get("name"):
        clash = Warehouse.objects.filter(name=data["name"])
        if instance is not None:
            clash = clash.exclude(pk=instance.pk)
        if clash.exists():
            errors["name"] = [_("仓库名称已存在。")]
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], extra={"fields": errors})
    return data


def warehouse_create(*, fields: dict[str, Any], by: Any) -> Warehouse:
    if by is not None and not has_role(by, CAN_MANAGE_WAREHOUSES):
        raise PermissionDenied(_("只有管理员可以设置仓库。"))
    data = _clean(fields, instance=None)
    with transaction.atomic():
        warehouse = Warehouse.objects.create(**data)
        audit.record(
            action="stock.warehouse.created",
            obj=warehouse,
            by=by,
            changes={k: [None, v] for k, v in audit.snapshot(warehouse, FIELDS).items()},
        )
    return warehouse


def warehouse_update(*, warehouse: Warehouse, fields: dict[str, Any], by: Any) -> Warehouse:
    if by is not None and not has_role(by, CAN_MANAGE_WAREHOUSES):
        raise PermissionDenied(_("只有管理员可以设置仓库。"))
    data = _clean(fields, instance=warehouse)
    with transaction.atomic():
        locked = Warehouse.objects.select_for_update().get(pk=warehouse.pk)
        before = audit.snapshot(locked, FIELDS)
        for key, value in data.items():
            setattr(locked, key, value)
        if before["allow_negative"] and not locked.allow_negative:
            if StockLevel.objects.filter(warehouse=locked, on_hand__lt=0).exists():
                raise Conflict(_("该仓库有负库存，先盘点调整为 0 以上，才能关闭“允许负库存”。"), code="negative_stock")
        locked.save()
        if before["allow_negative"] != locked.allow_negative:
            StockLevel.objects.filter(warehouse=locked).update(allow_negative=locked.allow_negative)
        changes = audit.diff(before, audit.snapshot(locked, FIELDS))
        if changes:
            audit.record(action="stock.warehouse.updated", obj=locked, by=by, changes=changes)
    return locked


def level_set_min_quantity(*, warehouse: Warehouse, product: Product, min_quantity: Any, by: Any) -> StockLevel:
    """Set the low-stock threshold (安全库存) of one product in one warehouse."""
    if not has_role(by, CAN_MOVE_STOCK):
        raise PermissionDenied(_("只有仓库人员可以设置安全库存。"))
    value = parse_quantity(min_quantity, field="min_quantity", label=_("安全库存"), allow_zero=True)
    with transaction.atomic():
        level = lock_levels([(warehouse, product)])[(warehouse.pk, product.pk)]
        old = level.min_quantity
        if old != value:
            level.min_quantity = value
            level.save(update_fields=["min_quantity", "updated_at"])
            audit.record(
                action="stock.level.min_quantity",
                obj=warehouse,
                by=by,
                changes={"min_quantity": [str(old), str(value)]},
                data={"product": product.pk},
            )
    return level
