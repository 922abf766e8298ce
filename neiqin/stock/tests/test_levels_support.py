"""Builders shared by the level/ledger/warehouse tests (plain functions, no tests here)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from neiqin.catalog import services as catalog
from neiqin.stock import services
from neiqin.stock.models import StockLevel, StockMove, Warehouse


def make_warehouse(cast: Any, code: str, name: str, **fields: Any) -> Warehouse:
    return services.warehouse_create(fields={"code": code, "name": name, **fields}, by=cast.admin)


def make_product(cast: Any, model: str, **fields: Any) -> Any:
    data = {"name": f"测试产品{model}", "model": model, "unit": "箱", "standard_price": "100", "cost": "60"}
    data.update(fields)
    return catalog.product_create(fields=data, by=cast.admin)


def receive(cast: Any, warehouse: Warehouse, product: Any, quantity: str) -> services.Posted:
    return services.stock_receive(warehouse=warehouse, lines=[services.Line(product, quantity)], by=cast.warehouse)


def level(warehouse: Warehouse, product: Any) -> StockLevel | None:
    return StockLevel.objects.filter(warehouse=warehouse, product=product).first()


def on_hand(warehouse: Warehouse, product: Any) -> Decimal:
    found = level(warehouse, product)
    return found.on_hand if found else Decimal("0")


def snapshot() -> tuple[int, list[tuple[int, int, Decimal, Decimal]]]:
    """Everything a refused posting must leave alone: the ledger size and every level."""
    levels = list(StockLevel.objects.order_by("id").values_list("warehouse_id", "product_id", "on_hand", "reserved"))
    return StockMove.objects.count(), levels
