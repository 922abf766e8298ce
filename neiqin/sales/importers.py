"""Order import (ORD-3: orders that arrive as a spreadsheet) on the generic pipeline in ``core.imports``.

One row per order line. Rows of the same customer with the same 客户订单号 form one order (rows
of a customer without a 客户订单号 form one order too); the header values of an order (下单方式,
下单日期, 收货地址, 备注 of the order) are taken from its first row, and a later row of the same
order that says something different is an error naming the first row. 要求交货日期 belongs to the
line; the order's requested date is the earliest of its lines.

Each order is priced exactly as ``order_create`` will price it (``lines.price_lines``: the
customer's price list unless a 单价 is given, 折扣 as 5% or 0.05), so a file that stages commits.
Commit creates **draft** orders through ``orders.order_create`` (channel as given, default
"Excel 导入"), all in the pipeline's one transaction: one bad row and nothing is written. The
clerk then submits them one by one (checks and approvals as for a typed order).

Errors listed per row: unknown customer or one outside the importer's scope, unknown or
discontinued product, bad quantity / price / discount, bad or missing dates, and a 客户订单号
that already has an order in the system (a file imported twice under another name).
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from neiqin.accounts.roles import Role
from neiqin.accounts.scoping import has_role
from neiqin.catalog.choices import ProductKind
from neiqin.catalog.importers import (
    Columns,
    TemplateSpec,
    aliases_of,
    field_message,
    fold,
    parse_date,
    plain_number,
    template_workbook,
)
from neiqin.catalog.models import Product
from neiqin.catalog.services.validation import normalize_model
from neiqin.core import imports
from neiqin.core.errors import DomainError, PermissionDenied, ValidationFailed
from neiqin.core.imports import ErrorLog, ImportSession, Progress, RowErrors
from neiqin.core.models import ImportBatch
from neiqin.core.quantities import parse_price, parse_quantity
from neiqin.sales.choices import Channel, OrderStatus

ORDERS_KIND = "orders"
IMPORT_ROLES = {Role.CLERK, Role.ADMIN}

ORDER_COLUMNS: Columns = {
    "customer_code": (gettext_lazy("客户编号"), ("customer code", "客户代码")),
    "customer_name": (gettext_lazy("客户名称"), ("客户", "客户全称", "customer", "customer name")),
    "customer_reference": (gettext_lazy("客户订单号"), ("客户单号", "订单号", "po", "po number", "customer po")),
    "channel": (gettext_lazy("下单方式"), ("订货方式", "渠道", "channel")),
    "ordered_on": (gettext_lazy("下单日期"), ("订货日期", "日期", "order date")),
    "delivery_on": (gettext_lazy("要求交货日期"), ("交货日期", "交期", "delivery date")),
    "delivery_address": (gettext_lazy("收货地址"), ("送货地址", "地址", "delivery address")),
    "model": (gettext_lazy("型号"), ("产品型号", "model")),
    "spec": (gettext_lazy("规格"), ("规格型号", "spec")),
    "quantity": (gettext_lazy("数量"), ("订货数量", "qty", "quantity")),
    "unit_price": (gettext_lazy("单价"), ("含税单价", "price", "unit price")),
    "discount_rate": (gettext_lazy("折扣"), ("折扣率", "discount")),
    "note": (gettext_lazy("备注"), ("说明", "note", "notes", "remark")),
}
ORDER_REQUIRED = ("delivery_on", "model", "quantity")
# 下单方式 as people write it -> Channel.
CHANNEL_WORDS: dict[str, str] = {
    "传真": Channel.FAX,
    "fax": Channel.FAX,
    "电话": Channel.PHONE,
    "phone": Channel.PHONE,
    "邮件": Channel.EMAIL,
    "电子邮件": Channel.EMAIL,
    "email": Channel.EMAIL,
    "e-mail": Channel.EMAIL,
    "电子订单": Channel.E_ORDER,
    "网上订单": Channel.E_ORDER,
    "口头": Channel.ORAL,
    "口头订单": Channel.ORAL,
    "业务员": Channel.SALESPERSON,
    "业务员带回": Channel.SALESPERSON,
    "合同": Channel.CONTRACT,
    "导入": Channel.IMPORT,
    "excel导入": Channel.IMPORT,
}
HEADER_KEYS = ("channel", "ordered_on", "delivery_address")


@dataclass(slots=True)
class _Line:
    number: int  # sheet row
    product_id: int
    product_label: str
    quantity: Decimal
    unit_price: Decimal | None
    discount: str
    delivery_on: dt.date
    note: str


@dataclass
class _Order:
    key: tuple[int, str]
    first_row: int
    customer_id: int
    customer_label: str
    reference: str
    header: dict[str, Any]
    lines: list[_Line] = field(default_factory=list)


def _authorize(user: Any) -> None:
    if not has_role(user, IMPORT_ROLES):
        raise PermissionDenied(_("只有销售内勤或管理员可以导入订单。"))


class OrderImporter(imports.Importer):
    kind = ORDERS_KIND
    required = ORDER_REQUIRED

    @property
    def aliases(self) -> dict[str, tuple[str, ...]]:  # type: ignore[override]
        return aliases_of(ORDER_COLUMNS)

    def column_title(self, field_name: str) -> str:
        entry = ORDER_COLUMNS.get(field_name)
        return str(entry[0]) if entry else field_name

    def authorize(self, user: Any) -> None:
        _authorize(user)

    def sees_all_batches(self, user: Any) -> bool:
        return has_role(user, {Role.ADMIN})

    def start(self, *, by: Any, keep: bool) -> ImportSession:
        return OrderSession(by=by, keep=keep)

    def preview_columns(self) -> list[tuple[str, str]]:
        return [
            ("row", _("行号")),
            ("order", _("订单")),
            ("customer", _("客户")),
            ("customer_reference", _("客户订单号")),
            ("channel", _("下单方式")),
            ("ordered_on", _("下单日期")),
            ("delivery_on", _("要求交货日期")),
            ("product", _("产品")),
            ("quantity", _("数量")),
            ("unit_price", _("单价")),
            ("discount_rate", _("折扣")),
        ]

    def template_xlsx(self) -> bytes:
        return template_workbook(order_template_spec())


class OrderSession:
    """One pass over an order file: rows are checked one by one, then every order is priced as a
    whole (``finish``); at commit each order goes through ``order_create``."""

    def __init__(self, *, by: Any, keep: bool) -> None:
        from neiqin.customers.models import Customer
        from neiqin.customers.selectors import customer_queryset

        self.by = by
        self.keep = keep
        self.today = timezone.localdate()
        customers = Customer.objects.all() if by is None else customer_queryset(user=by)
        self.by_code: dict[str, tuple[int, str]] = {}
        self.by_name: dict[str, tuple[int, str]] = {}
        self.addresses: dict[int, str] = {}
        for pk, code, name, address in customers.values_list("pk", "code", "name", "address").iterator(
            chunk_size=10_000
        ):
            if code:
                self.by_code[fold(code)] = (pk, name)
            self.by_name.setdefault(fold(name), (pk, name))
            self.addresses[pk] = address
        self.products: dict[tuple[str, str], list[tuple[int, str, bool, str]]] = {}
        self.by_model: dict[str, list[tuple[str, int]]] = {}
        self.product_info: dict[int, tuple[str, bool, str]] = {}
        for pk, model, norm, spec, name, active, kind in Product.objects.values_list(
            "pk", "model", "model_normalized", "spec", "name", "is_active", "kind"
        ).iterator(chunk_size=10_000):
            label = f"{model} {spec}".strip() + f"（{name}）"
            self.product_info[pk] = (label, active, kind)
            self.products.setdefault((norm, spec), []).append((pk, label, active, kind))
            self.by_model.setdefault(norm, []).append((spec, pk))
        self.orders: dict[tuple[int, str], _Order] = {}
        self.row_order: dict[int, tuple[int, str]] = {}
        self.priced: dict[tuple[int, str], list[Any]] = {}

    # -- one row -------------------------------------------------------------------------------

    def validate_row(self, number: int, cells: Mapping[str, str], errors: RowErrors) -> _Line | None:
        customer = self._customer(cells, errors)
        reference = cells.get("customer_reference", "").strip()
        if len(reference) > 60:
            errors.add("customer_reference", _("客户订单号最多 60 个字。"))
        channel = self._channel(cells.get("channel", ""), errors)
        ordered_on = self._date(cells, "ordered_on", errors, default=self.today)
        delivery_on = self._date(cells, "delivery_on", errors, default=None)
        if ordered_on is not None and ordered_on > self.today:
            errors.add("ordered_on", _("下单日期不能晚于今天。"))
        if ordered_on is not None and delivery_on is not None and delivery_on < ordered_on:
            errors.add("delivery_on", _("要求交货日期不能早于下单日期。"))
        product_id = self._product(cells, errors)
        quantity = unit_price = None
        try:
            quantity = parse_quantity(cells.get("quantity", ""), field="quantity", label=_("数量"))
        except ValidationFailed as exc:
            errors.add("quantity", field_message(exc))
        if cells.get("unit_price", "").strip():
            try:
                unit_price = parse_price(cells["unit_price"], field="unit_price", label=_("单价"))
            except ValidationFailed as exc:
                errors.add("unit_price", field_message(exc))
        discount = unicodedata.normalize("NFKC", cells.get("discount_rate", "")).strip()
        address = cells.get("delivery_address", "").strip()
        if len(address) > 200:
            errors.add("delivery_address", _("收货地址最多 200 个字。"))
        note = cells.get("note", "").strip()
        if len(note) > 200:
            errors.add("note", _("备注最多 200 个字。"))
        if errors or customer is None:
            return None
        pk, label = customer
        header = {
            "channel": channel,
            "ordered_on": ordered_on,
            "delivery_address": address or self.addresses.get(pk, ""),
        }
        key = (pk, fold(reference))
        order = self.orders.get(key)
        if order is None:
            order = self.orders[key] = _Order(
                key=key, first_row=number, customer_id=pk, customer_label=label, reference=reference, header=header
            )
        else:
            for name in HEADER_KEYS:
                given = cells.get(name, "").strip()
                if given and header[name] != order.header[name]:
                    errors.add(
                        name,
                        _("与第 %(row)s 行是同一张订单（同一客户、同一客户订单号），但%(column)s不同。")
                        % {"row": order.first_row, "column": self._title(name)},
                    )
            if errors:
                return None
        line = _Line(
            number=number,
            product_id=product_id,
            product_label=self.product_info[product_id][0],
            quantity=quantity,
            unit_price=unit_price,
            discount=discount,
            delivery_on=delivery_on,
            note=note,
        )
        order.lines.append(line)
        self.row_order[number] = key
        return line

    @staticmethod
    def _title(name: str) -> str:
        return str(ORDER_COLUMNS[name][0])

    def _customer(self, cells: Mapping[str, str], errors: RowErrors) -> tuple[int, str] | None:
        code = cells.get("customer_code", "").strip()
        name = cells.get("customer_name", "").strip()
        if not code and not name:
            errors.add("customer_name", _("请填写客户编号或客户名称。"))
            return None
        if code:
            found = self.by_code.get(fold(code))
            if found is None:
                errors.add(
                    "customer_code",
                    _("找不到客户编号“%(code)s”（或该客户不归您负责）。") % {"code": code[:40]},
                )
                return None
            if name and fold(name) != fold(found[1]):
                errors.add(
                    "customer_name",
                    _("客户编号 %(code)s 是“%(actual)s”，与填写的客户名称“%(name)s”不一致。")
                    % {"code": code[:40], "actual": found[1], "name": name[:60]},
                )
                return None
            return found
        found = self.by_name.get(fold(name))
        if found is None:
            errors.add(
                "customer_name",
                _("找不到客户“%(name)s”（请填写客户档案中的全称，或该客户不归您负责）。") % {"name": name[:60]},
            )
        return found

    def _channel(self, raw: str, errors: RowErrors) -> str:
        text = fold(raw)
        if not text:
            return Channel.IMPORT
        if text in CHANNEL_WORDS:
            return CHANNEL_WORDS[text]
        for value, label in Channel.choices:
            if text in (fold(value), fold(str(label))):
                return value
        errors.add(
            "channel",
            _("下单方式“%(value)s”无法识别，请填写：传真、电话、邮件、电子订单、口头、业务员或合同。")
            % {"value": raw[:20]},
        )
        return Channel.IMPORT

    def _date(self, cells: Mapping[str, str], name: str, errors: RowErrors, *, default: Any) -> dt.date | None:
        raw = cells.get(name, "").strip()
        if not raw:
            if default is None:
                errors.add(name, _("请填写%(column)s，例如 2026-03-01。") % {"column": self._title(name)})
            return default
        value = parse_date(raw)
        if value is None:
            errors.add(name, _("日期“%(value)s”格式不对，请写成 2026-03-01。") % {"value": raw[:20]})
        return value

    def _product(self, cells: Mapping[str, str], errors: RowErrors) -> int | None:
        raw_model = cells.get("model", "").strip()
        if not raw_model:
            errors.add("model", _("请填写型号。"))
            return None
        model, spec = normalize_model(raw_model), cells.get("spec", "").strip()
        found = self.products.get((model, spec))
        if not found and not spec:
            candidates = self.by_model.get(model, [])
            if len(candidates) == 1:
                found = self.products.get((model, candidates[0][0]))
        if found:
            pk, label, active, kind = found[0]
            if kind != ProductKind.GOODS:
                errors.add("model", _("%(product)s 是促销品，不能销售。") % {"product": label})
                return None
            if not active:
                errors.add("model", _("%(product)s 已停售，不能下单。") % {"product": label})
                return None
            return pk
        candidates = self.by_model.get(model, [])
        specs = "、".join(s or "—" for s, _pk in candidates[:6])
        if not candidates:
            errors.add("model", _("没有型号为“%(model)s”的产品。") % {"model": raw_model[:60]})
        elif not spec:
            errors.add(
                "spec", _("型号 %(model)s 有多个规格（%(specs)s），请填写规格。") % {"model": raw_model, "specs": specs}
            )
        else:
            errors.add(
                "spec",
                _("型号 %(model)s 没有规格“%(spec)s”（已有：%(specs)s）。")
                % {"model": raw_model, "spec": spec[:40], "specs": specs},
            )
        return None

    def preview(self, record: _Line) -> dict[str, Any]:
        order = self.orders[self.row_order[record.number]]
        return {
            "order": _("第 %(row)s 行起的订单") % {"row": order.first_row},
            "customer": order.customer_label,
            "customer_reference": order.reference,
            "channel": str(Channel(order.header["channel"]).label),
            "ordered_on": order.header["ordered_on"].isoformat(),
            "delivery_on": record.delivery_on.isoformat(),
            "product": record.product_label,
            "quantity": plain_number(record.quantity),
            "unit_price": plain_number(record.unit_price) if record.unit_price is not None else _("按价格表"),
            "discount_rate": record.discount,
        }

    # -- the whole file ------------------------------------------------------------------------

    def finish(self, errors: ErrorLog) -> None:
        """Price every order as ``order_create`` will, and refuse 客户订单号 that already exist."""
        from neiqin.customers.models import Customer
        from neiqin.sales.services.lines import MAX_LINES, price_lines

        customers = Customer.objects.in_bulk([o.customer_id for o in self.orders.values()])
        self._existing_references(errors)
        for key, order in self.orders.items():
            if len(order.lines) > MAX_LINES:
                errors.add(
                    order.first_row,
                    "customer_reference",
                    _("一张订单最多 %(n)s 行，本订单有 %(count)s 行，请拆成几张订单（不同的客户订单号）。")
                    % {"n": MAX_LINES, "count": len(order.lines)},
                )
                continue
            try:
                priced = price_lines(
                    self._line_rows(order), customer=customers[order.customer_id], on=order.header["ordered_on"]
                )
            except ValidationFailed as exc:
                for name, messages in (exc.extra.get("fields") or {"": [exc.message]}).items():
                    row, column = self._locate(order, name)
                    for message in messages:
                        errors.add(row, column, str(message))
                continue
            self.priced[key] = priced

    def _existing_references(self, errors: ErrorLog, *, since: dt.datetime | None = None) -> None:
        from neiqin.sales.models import SalesOrder

        wanted = [o for o in self.orders.values() if o.reference]
        if not wanted:
            return
        query = Q()
        for order in wanted:
            query |= Q(customer_id=order.customer_id, customer_reference__iexact=order.reference)
        existing = SalesOrder.objects.filter(query).exclude(status=OrderStatus.CANCELLED)
        if since is not None:
            existing = existing.filter(created_at__gte=since)
        found: dict[tuple[int, str], Any] = {}
        for pk, customer_id, reference, number in existing.values_list(
            "pk", "customer_id", "customer_reference", "number"
        ):
            found.setdefault((customer_id, fold(reference)), number or _("草稿 %(id)s") % {"id": pk})
        for order in wanted:
            number = found.get(order.key)
            if number is not None:
                errors.add(
                    order.first_row,
                    "customer_reference",
                    _("客户订单号 %(ref)s 已有订单 %(number)s，不能重复导入。")
                    % {"ref": order.reference, "number": number},
                )

    @staticmethod
    def _line_rows(order: _Order) -> list[dict[str, Any]]:
        return [
            {
                "product_id": line.product_id,
                "quantity": line.quantity,
                "unit_price": line.unit_price,
                "discount_rate": line.discount,
                "delivery_on": line.delivery_on,
                "note": line.note,
            }
            for line in order.lines
        ]

    @staticmethod
    def _locate(order: _Order, name: str) -> tuple[int, str]:
        """'lines.3.discount_rate' -> (sheet row of the order's 3rd line, 'discount_rate')."""
        parts = name.split(".")
        if len(parts) == 3 and parts[0] == "lines" and parts[1].isdigit():
            index = int(parts[1]) - 1
            if 0 <= index < len(order.lines):
                column = {"product": "model"}.get(parts[2], parts[2])
                return order.lines[index].number, column
        return order.first_row, ""

    def recheck(self, *, since: Any, errors: ErrorLog) -> None:
        """Orders typed in meanwhile with the same 客户订单号; products discontinued meanwhile."""
        self._existing_references(errors, since=since)
        ids = {line.product_id for order in self.orders.values() for line in order.lines}
        stopped = set(
            Product.objects.filter(pk__in=ids, updated_at__gte=since, is_active=False).values_list("pk", flat=True)
        )
        for order in self.orders.values():
            for line in order.lines:
                if line.product_id in stopped:
                    errors.add(line.number, "model", _("%(product)s 刚刚停售。") % {"product": line.product_label})

    def publish(self, *, batch: ImportBatch, by: Any, progress: Progress) -> int:
        from neiqin.customers.models import Customer
        from neiqin.sales.services.orders import order_create

        customers = Customer.objects.in_bulk([o.customer_id for o in self.orders.values()])
        total = sum(len(o.lines) for o in self.orders.values())
        done = 0
        for order in self.orders.values():
            delivery = min(line.delivery_on for line in order.lines)
            fields = {
                **order.header,
                "customer_reference": order.reference,
                "delivery_on": delivery,
                "notes": _("Excel 导入（批次 %(batch)s，第 %(row)s 行起）")
                % {"batch": batch.pk, "row": order.first_row},
            }
            try:
                order_create(customer=customers[order.customer_id], lines=self._line_rows(order), by=by, fields=fields)
            except DomainError as exc:
                raise ValidationFailed(
                    _("第 %(row)s 行：%(message)s") % {"row": order.first_row, "message": exc.message},
                    extra={"errors": [{"row": order.first_row, "column": "", "message": str(exc.message)}]},
                ) from exc
            done += len(order.lines)
            progress(done, total)
        return total


def order_template_spec() -> TemplateSpec:
    today = timezone.localdate()
    later = (today + dt.timedelta(days=10)).isoformat()
    examples = [
        {
            "customer_name": "长沙宏达装饰工程有限公司",
            "customer_reference": "HD-2026-031",
            "channel": "传真",
            "ordered_on": today.isoformat(),
            "delivery_on": later,
            "model": "QH-1201",
            "spec": "1215×195×12mm",
            "quantity": "300",
            "note": "送工地，提前一天电话",
        },
        {
            "customer_name": "长沙宏达装饰工程有限公司",
            "customer_reference": "HD-2026-031",
            "channel": "传真",
            "ordered_on": today.isoformat(),
            "delivery_on": later,
            "model": "KL-80",
            "quantity": "120",
            "unit_price": "18.5",
        },
        {
            "customer_code": "KH2025000123",
            "customer_reference": "PO-88012",
            "channel": "邮件",
            "delivery_on": later,
            "delivery_address": "郑州市金水区花园路 9 号 3 号仓",
            "model": "XPS-B1-50",
            "spec": "1200×600×50mm",
            "quantity": "800",
            "discount_rate": "3%",
        },
    ]
    notes = {
        "customer_code": _("客户档案中的客户编号；填写了编号时客户名称可留空。"),
        "customer_name": _("客户全称（与客户档案一致）；客户编号和客户名称至少填一个。只能导入您负责的客户的订单。"),
        "customer_reference": _(
            "客户自己的订单号。同一客户、同一客户订单号的各行合成一张订单；系统中已有该客户订单号的订单时不能再导入。"
        ),
        "channel": _("传真、电话、邮件、电子订单、口头、业务员或合同；留空为“Excel 导入”。"),
        "ordered_on": _("如 2026-03-01；留空为今天；不能晚于今天。同一订单的各行应相同。"),
        "delivery_on": _("客户要求的交货日期，不能早于下单日期；各行可以不同，订单的交货日期取最早的一行。"),
        "delivery_address": _("留空时使用客户档案中的地址。同一订单的各行应相同。"),
        "model": _("产品型号；产品须在售。"),
        "spec": _("同一型号有多个规格时必填。"),
        "quantity": _("大于 0，最多 3 位小数。"),
        "unit_price": _("含税单价；留空时按该客户适用的价格表取价。"),
        "discount_rate": _("如 5% 或 0.05；超出权限的折扣在提交订单时需要审批。"),
        "note": _("该行的备注。"),
    }
    return TemplateSpec(
        sheet_title=_("订单导入"),
        columns=ORDER_COLUMNS,
        required=ORDER_REQUIRED,
        examples=examples,
        notes=notes,
        footer=[
            _("每行是订单的一行产品；同一客户、同一客户订单号的各行合成一张订单。"),
            _("导入后的订单是草稿：请逐张检查后提交审单，需要审批的按审批流程处理。"),
        ],
    )


ORDER_IMPORTER = OrderImporter()
