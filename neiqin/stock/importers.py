"""Opening stock import (SYS-3, INV-1) on the generic pipeline in ``core.imports``.

One row per product and warehouse: 仓库 (name or code), 型号, 规格, 数量 and, for roles that see
costs, 单位成本. A (warehouse, product) pair may appear once in the file and only where it has no
opening stock yet. Commit posts one OPENING receipt per warehouse through
``services.stock_receive`` (numbered, audited, levels updated with the ledger), all in the
pipeline's single transaction.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from neiqin.accounts.roles import CAN_IMPORT_STOCK, CAN_SEE_COST, Role
from neiqin.accounts.scoping import has_role
from neiqin.catalog.importers import (
    Columns,
    TemplateSpec,
    aliases_of,
    field_message,
    fold,
    plain_number,
    template_workbook,
)
from neiqin.catalog.models import Product
from neiqin.catalog.services import normalize_model
from neiqin.core import imports
from neiqin.core.errors import PermissionDenied, ValidationFailed
from neiqin.core.imports import ErrorLog, ImportSession, Progress, RowErrors
from neiqin.core.models import ImportBatch
from neiqin.core.quantities import parse_price, parse_quantity
from neiqin.stock import services
from neiqin.stock.choices import MoveKind
from neiqin.stock.models import StockMove, Warehouse

OPENING_KIND = "opening_stock"

OPENING_COLUMNS: Columns = {
    "warehouse": (gettext_lazy("仓库"), ("仓库名称", "仓库编码", "warehouse")),
    "model": (gettext_lazy("型号"), ("产品型号", "model")),
    "spec": (gettext_lazy("规格"), ("规格型号", "spec", "specification")),
    "quantity": (gettext_lazy("数量"), ("期初数量", "库存数量", "quantity", "qty")),
    "unit_cost": (gettext_lazy("单位成本"), ("成本", "成本价", "unit cost", "cost")),
}
OPENING_REQUIRED = ("warehouse", "model", "quantity")


@dataclass(slots=True)
class _Row:
    number: int
    warehouse_id: int
    product_id: int
    quantity: Decimal
    unit_cost: Decimal | None


class OpeningStockImporter(imports.Importer):
    kind = OPENING_KIND
    required = OPENING_REQUIRED

    @property
    def aliases(self) -> dict[str, tuple[str, ...]]:  # type: ignore[override]
        return aliases_of(OPENING_COLUMNS)

    def column_title(self, field_name: str) -> str:
        entry = OPENING_COLUMNS.get(field_name)
        return str(entry[0]) if entry else field_name

    def authorize(self, user: Any) -> None:
        if not has_role(user, CAN_IMPORT_STOCK):
            raise PermissionDenied(_("只有仓库人员或管理员可以导入期初库存。"))

    def sees_all_batches(self, user: Any) -> bool:
        return has_role(user, {Role.ADMIN})

    def start(self, *, by: Any, keep: bool) -> ImportSession:
        return OpeningStockSession(by=by, keep=keep)

    def preview_columns(self) -> list[tuple[str, str]]:
        return [
            ("row", _("行号")),
            ("warehouse", _("仓库")),
            ("model", _("型号")),
            ("spec", _("规格")),
            ("name", _("品名")),
            ("quantity", _("数量")),
            ("unit", _("单位")),
            ("unit_cost", _("单位成本")),
        ]

    def template_xlsx(self) -> bytes:
        return template_workbook(opening_template_spec())


class OpeningStockSession:
    def __init__(self, *, by: Any, keep: bool) -> None:
        self.by = by
        self.keep = keep
        self.may_cost = by is None or has_role(by, CAN_SEE_COST)
        self.rows: list[_Row] = []
        self.warehouses: dict[str, Warehouse] = {}
        for warehouse in Warehouse.objects.all():
            self.warehouses.setdefault(fold(warehouse.code), warehouse)
            self.warehouses.setdefault(fold(warehouse.name), warehouse)
        self.products: dict[int, tuple[str, str, str, str]] = {}
        self.by_key: dict[tuple[str, str], int] = {}
        self.by_model: dict[str, list[tuple[str, int]]] = defaultdict(list)
        for pk, model, spec, name, unit, normalized in Product.objects.values_list(
            "pk", "model", "spec", "name", "unit", "model_normalized"
        ).iterator(chunk_size=10_000):
            self.products[pk] = (model, spec, name, unit)
            self.by_key[(normalized, spec)] = pk
            self.by_model[normalized].append((spec, pk))
        self.opened = set(
            StockMove.objects.filter(kind=MoveKind.OPENING).values_list("warehouse_id", "product_id").distinct()
        )
        self.seen: dict[tuple[int, int], int] = {}

    def validate_row(self, number: int, cells: Mapping[str, str], errors: RowErrors) -> _Row | None:
        warehouse = self._warehouse(cells.get("warehouse", ""), errors)
        product_id = self._product(cells, errors)
        quantity = cost = None
        try:
            quantity = parse_quantity(cells.get("quantity", ""), field="quantity", label=_("数量"))
        except ValidationFailed as exc:
            errors.add("quantity", field_message(exc))
        raw_cost = cells.get("unit_cost", "")
        if raw_cost and not self.may_cost:
            errors.add("unit_cost", _("您没有查看和填写成本的权限，请清空“单位成本”列后再导入（成本由财务维护）。"))
        elif raw_cost:
            try:
                cost = parse_price(raw_cost, field="unit_cost", label=_("单位成本"))
            except ValidationFailed as exc:
                errors.add("unit_cost", field_message(exc))
        if warehouse is not None and product_id is not None:
            key = (warehouse.pk, product_id)
            if key in self.opened:
                errors.add(
                    "model",
                    _("该产品在%(warehouse)s已有期初库存，不能重复导入；如有差异请做库存调整或盘点。")
                    % {"warehouse": warehouse.name},
                )
            first = self.seen.setdefault(key, number)
            if first != number:
                errors.add("model", _("与本文件第 %(row)s 行是同一仓库的同一产品，请合并为一行。") % {"row": first})
        if errors:
            return None
        row = _Row(number, warehouse.pk, product_id, quantity, cost)
        if self.keep:
            self.rows.append(row)
        return row

    def _warehouse(self, raw: str, errors: RowErrors) -> Warehouse | None:
        if not raw.strip():
            errors.add("warehouse", _("请填写仓库名称或仓库编码。"))
            return None
        warehouse = self.warehouses.get(fold(raw))
        if warehouse is None:
            names = "、".join(sorted({w.name for w in self.warehouses.values() if w.is_active}))
            errors.add("warehouse", _("没有仓库“%(value)s”。可填写：%(names)s。") % {"value": raw[:40], "names": names})
            return None
        if not warehouse.is_active:
            errors.add("warehouse", _("仓库“%(name)s”已停用。") % {"name": warehouse.name})
            return None
        return warehouse

    def _product(self, cells: Mapping[str, str], errors: RowErrors) -> int | None:
        raw_model = cells.get("model", "").strip()
        if not raw_model:
            errors.add("model", _("请填写型号。"))
            return None
        model, spec = normalize_model(raw_model), cells.get("spec", "").strip()
        found = self.by_key.get((model, spec))
        if found is not None:
            return found
        candidates = self.by_model.get(model, [])
        if not spec and len(candidates) == 1:
            return candidates[0][1]
        specs = "、".join(s or "—" for s, _pk in candidates[:6])
        if not candidates:
            errors.add(
                "model", _("没有型号为“%(model)s”的产品。请先在产品目录中新建或导入产品。") % {"model": raw_model[:60]}
            )
        elif not spec:
            errors.add(
                "spec", _("型号 %(model)s 有多个规格（%(specs)s），请填写规格。") % {"model": raw_model, "specs": specs}
            )
        else:
            errors.add(
                "spec",
                _("型号 %(model)s 没有规格“%(spec)s”（已有：%(specs)s）。")
                % {"model": raw_model, "spec": spec[:60], "specs": specs},
            )
        return None

    def preview(self, row: _Row) -> dict[str, Any]:
        model, spec, name, unit = self.products[row.product_id]
        warehouse = next(w for w in self.warehouses.values() if w.pk == row.warehouse_id)
        return {
            "warehouse": warehouse.name,
            "model": model,
            "spec": spec,
            "name": name,
            "quantity": plain_number(row.quantity),
            "unit": unit,
            "unit_cost": plain_number(row.unit_cost),
        }

    def finish(self, errors: ErrorLog) -> None:
        pass

    def recheck(self, *, since: Any, errors: ErrorLog) -> None:
        """Opening stock posted by someone else since validation started."""
        opened = StockMove.objects.filter(kind=MoveKind.OPENING, created_at__gte=since).values_list(
            "warehouse_id", "product_id"
        )
        for key in set(opened):
            row = self.seen.get(key)
            if row is not None:
                errors.add(row, "model", _("该产品在这个仓库刚刚登记了期初库存，不能重复导入。"))

    def publish(self, *, batch: ImportBatch, by: Any, progress: Progress) -> int:
        warehouses = Warehouse.objects.in_bulk({row.warehouse_id for row in self.rows})
        products = Product.objects.in_bulk({row.product_id for row in self.rows})
        grouped: dict[int, list[services.Line]] = defaultdict(list)
        for row in self.rows:
            grouped[row.warehouse_id].append(services.Line(products[row.product_id], row.quantity, row.unit_cost))
        reason = (_("期初库存导入（批次 %(batch)s）") % {"batch": batch.pk})[:200]
        done = 0
        for warehouse_id in sorted(grouped):
            lines = grouped[warehouse_id]
            services.stock_receive(
                warehouse=warehouses[warehouse_id], lines=lines, by=by, reason=reason, kind=MoveKind.OPENING
            )
            done += len(lines)
            progress(done, len(self.rows))
        return len(self.rows)


def opening_template_spec() -> TemplateSpec:
    examples = [
        {"warehouse": "长沙库", "model": "QH-1201", "spec": "1215×195×12mm", "quantity": "1200", "unit_cost": ""},
        {"warehouse": "ZZ", "model": "XPS-B1-50", "spec": "1200×600×50mm", "quantity": "800", "unit_cost": ""},
    ]
    notes = {
        "warehouse": _("仓库名称（如 长沙库）或仓库编码（如 CS）。"),
        "model": _("已有产品的型号；产品须先在产品目录中建好。"),
        "spec": _("同一型号有多个规格时必填。"),
        "quantity": _("大于 0，最多 3 位小数；同一仓库同一产品只能一行。"),
        "unit_cost": _("选填；只有财务或管理层可以填写，仓库人员请留空（按产品成本入账）。"),
    }
    return TemplateSpec(
        sheet_title=_("期初库存导入"),
        columns=OPENING_COLUMNS,
        required=OPENING_REQUIRED,
        examples=examples,
        notes=notes,
        footer=[
            _("每个仓库生成一张期初入库单；已有期初库存的产品不能再次导入，差异请做库存调整或盘点。"),
        ],
    )


OPENING_STOCK_IMPORTER = OpeningStockImporter()
