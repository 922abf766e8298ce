"""Product and price list imports (SYS-3, PRD-1, PRD-2) on the generic pipeline in ``core.imports``.

**Products** (``ProductImporter``): one row per product. Rows are checked like a product typed in
by hand (required fields, lengths, tax rate, floor ≤ standard price) and against the catalogue
and the rest of the file (the same 型号 + 规格 or 产品编码 twice is an error naming the other
product or row). A series that does not exist yet is created at commit (the preview says so).
Floor prices and costs are only accepted from roles that may set them; a clerk's file with a cost
column filled gets one error per such row. Commit writes the products and their audit events in
bulk (``audit.bulk_create_audited``) and their first company price.

**Prices** (``PriceImporter``): one row per price on a list. The 价格表 column names the list:

* ``公司统一价`` (or ``公司``) — the company list;
* ``A 类客户价`` / ``A类`` / ``A`` (B, C alike) — the list of a customer grade (created if missing);
* a customer's 客户编号 or full name — that customer's own list (created if missing);
* the exact name of any existing price list.

Each row goes through ``services.price_set`` at commit (dated change, below-floor refusal, affected
customers recorded); the owners of affected customers get one summary notification per import.

Shared helpers (column aliases, yes/no cells, dates, the template workbook) are used by the stock
importer too.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import unicodedata
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Any

import xlsxwriter
from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from neiqin.accounts.roles import CAN_IMPORT_CATALOG, CAN_SET_COST, CAN_SET_FLOOR_PRICE, Role
from neiqin.accounts.scoping import has_role
from neiqin.catalog import services
from neiqin.catalog.choices import PriceListKind, ProductKind, VatRate
from neiqin.catalog.models import PriceChange, PriceChangeCustomer, PriceList, PriceListItem, Product, ProductSeries
from neiqin.catalog.services.validation import AUDIT_FIELDS, TEXT_FIELDS, normalize_model
from neiqin.core import audit, imports, pinyin
from neiqin.core.errors import DomainError, PermissionDenied, ValidationFailed
from neiqin.core.imports import ErrorLog, ImportSession, Progress, RowErrors
from neiqin.core.models import ImportBatch
from neiqin.core.money import format_cny
from neiqin.core.notifications import notify
from neiqin.core.numbering import reserve_numbers
from neiqin.core.quantities import parse_price, parse_quantity
from neiqin.core.spreadsheets import escape_cell
from neiqin.core.spreadsheets.writing import WORKBOOK_OPTIONS

PRODUCTS_KIND = "products"
PRICES_KIND = "prices"
PUBLISH_CHUNK = 2000
YES = {"是", "y", "yes", "true", "1", "√", "✓"}
NO = {"否", "n", "no", "false", "0", "×", "x"}
ZERO = Decimal("0")

# field -> (title, further header names). Required fields are listed apart.
Columns = dict[str, tuple[Any, tuple[str, ...]]]


# --- shared helpers -------------------------------------------------------------------------------


def fold(text: str) -> str:
    """Width, case and spaces folded: "Ａ 类" -> "a类"."""
    return "".join(unicodedata.normalize("NFKC", text or "").split()).casefold()


def aliases_of(columns: Columns) -> dict[str, tuple[str, ...]]:
    return _aliases(tuple((name, title, extra) for name, (title, extra) in columns.items()), _language())


def _language() -> str:
    return translation.get_language() or settings.LANGUAGE_CODE


@cache
def _aliases(columns: tuple[tuple[str, Any, tuple[str, ...]], ...], language: str) -> dict[str, tuple[str, ...]]:
    """Header names per field: the (translated) title, the Chinese source title and the extras."""
    result: dict[str, tuple[str, ...]] = {}
    for name, title, extra in columns:
        with translation.override(language):
            shown = str(title)
        with translation.override("zh-hans"):
            chinese = str(title)
        result[name] = tuple(dict.fromkeys((shown, chinese, *extra)))
    return result


def yes_no(cells: Mapping[str, str], name: str, errors: RowErrors, *, default: bool) -> bool:
    raw = cells.get(name, "")
    if not raw:
        return default
    answer = fold(raw)
    if answer in YES:
        return True
    if answer in NO:
        return False
    errors.add(name, _("请填写“是”或“否”（“%(value)s”无法识别）。") % {"value": raw[:20]})
    return default


_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$")


def parse_date(raw: str) -> dt.date | None:
    """2025-03-01, 2025/3/1, 2025.3.1, 2025年3月1日 (a time part from Excel is ignored); None if not a date."""
    match = _DATE.match(unicodedata.normalize("NFKC", raw or "").strip())
    if not match:
        return None
    try:
        return dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None


def field_message(exc: ValidationFailed) -> str:
    """The first field message of a service/parser refusal (they carry the label already)."""
    for messages in (exc.extra.get("fields") or {}).values():
        if messages:
            return str(messages[0])
    return str(exc.message)


def plain_number(value: Decimal | None) -> str:
    """12.5000 -> "12.5" for previews."""
    if value is None:
        return ""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


@dataclass(frozen=True)
class TemplateSpec:
    sheet_title: Any
    columns: Columns
    required: Sequence[str]
    examples: Sequence[Mapping[str, str]]
    notes: Mapping[str, Any]
    footer: Sequence[Any]


def template_workbook(spec: TemplateSpec) -> bytes:
    """An import template: header row (required columns marked * in red), example rows, and a
    "填写说明" sheet explaining each column."""
    output = io.BytesIO()
    workbook = xlsxwriter.Workbook(output, {**WORKBOOK_OPTIONS, "constant_memory": False})
    bold = workbook.add_format({"bold": True})
    red = workbook.add_format({"bold": True, "font_color": "#C00000"})
    sheet = workbook.add_worksheet(str(spec.sheet_title))
    for col, (name, (title, _names)) in enumerate(spec.columns.items()):
        required = name in spec.required
        sheet.write_string(0, col, escape_cell(f"{title}*" if required else str(title)), red if required else bold)
        for row, example in enumerate(spec.examples, start=1):
            sheet.write_string(row, col, escape_cell(str(example.get(name, ""))))
        sheet.set_column(col, col, max(10, min(28, 2 * len(str(title)) + 6)))
    sheet.freeze_panes(1, 0)
    help_sheet = workbook.add_worksheet(_("填写说明"))
    for col, title in enumerate((_("列名"), _("是否必填"), _("说明"))):
        help_sheet.write_string(0, col, title, bold)
    for row, (name, (title, _names)) in enumerate(spec.columns.items(), start=1):
        help_sheet.write_string(row, 0, escape_cell(str(title)))
        help_sheet.write_string(row, 1, _("必填") if name in spec.required else _("选填"))
        help_sheet.write_string(row, 2, escape_cell(str(spec.notes.get(name, ""))))
    last = len(spec.columns) + 2
    footer = [
        _("第一行是列名，请勿修改；从第二行起每行一条，示例行请删除后再导入。"),
        *[str(line) for line in spec.footer],
        _("支持 .xlsx、.xls 和 .csv（UTF-8 或 GBK/GB18030 编码）。"),
        _("有任何一行出错时整批都不会导入；请按错误提示修改后重新上传。"),
    ]
    for offset, line in enumerate(footer):
        help_sheet.write_string(last + offset, 0, escape_cell(line))
    help_sheet.set_column(0, 0, 16)
    help_sheet.set_column(1, 1, 10)
    help_sheet.set_column(2, 2, 90)
    workbook.close()
    return output.getvalue()


def _catalog_authorize(user: Any) -> None:
    if not has_role(user, CAN_IMPORT_CATALOG):
        raise PermissionDenied(_("只有销售内勤或管理员可以导入产品和价格。"))


def _sees_all(user: Any) -> bool:
    return has_role(user, {Role.ADMIN})


class _ProductIndex:
    """Products by (normalised model, spec), loaded once per pass."""

    def __init__(self) -> None:
        self.by_key: dict[tuple[str, str], tuple[int, str, str]] = {}
        self.by_model: dict[str, list[tuple[str, int]]] = defaultdict(list)
        for pk, model, spec, code, name in Product.objects.values_list(
            "pk", "model_normalized", "spec", "code", "name"
        ).iterator(chunk_size=10_000):
            self.by_key[(model, spec)] = (pk, code, name)
            self.by_model[model].append((spec, pk))


# --- products ---------------------------------------------------------------------------------------

PRODUCT_COLUMNS: Columns = {
    "code": (gettext_lazy("产品编码"), ("编码", "code", "product code")),
    "model": (gettext_lazy("型号"), ("产品型号", "model")),
    "name": (gettext_lazy("品名"), ("产品名称", "名称", "name", "product name")),
    "spec": (gettext_lazy("规格"), ("规格型号", "spec", "specification")),
    "unit": (gettext_lazy("单位"), ("计量单位", "unit")),
    "series": (gettext_lazy("系列"), ("产品系列", "series")),
    "brand": (gettext_lazy("品牌"), ("brand",)),
    "standard_price": (gettext_lazy("标准价"), ("标准单价", "单价", "统一价", "standard price", "price")),
    "price_includes_tax": (gettext_lazy("含税"), ("是否含税", "含税价", "tax included")),
    "floor_price": (gettext_lazy("底价"), ("最低价", "floor price")),
    "cost": (gettext_lazy("成本"), ("成本价", "单位成本", "cost")),
    "vat_rate": (gettext_lazy("税率"), ("增值税率", "vat", "vat rate")),
    "is_special": (gettext_lazy("特殊产品"), ("定制产品", "特殊/定制产品", "special")),
    "barcode": (gettext_lazy("条形码"), ("条码", "barcode")),
    "notes": (gettext_lazy("备注"), ("说明", "notes", "remark", "remarks")),
}
PRODUCT_REQUIRED = ("model", "name", "unit", "standard_price")
PRODUCT_TEXT = ("code", "model", "name", "spec", "unit", "brand", "barcode", "notes")


@dataclass(slots=True)
class _ProductRecord:
    number: int
    data: dict[str, Any]
    series_name: str  # "" for none
    new_series: bool


class ProductImporter(imports.Importer):
    kind = PRODUCTS_KIND
    required = PRODUCT_REQUIRED

    @property
    def aliases(self) -> dict[str, tuple[str, ...]]:  # type: ignore[override]
        return aliases_of(PRODUCT_COLUMNS)

    def column_title(self, field_name: str) -> str:
        entry = PRODUCT_COLUMNS.get(field_name)
        return str(entry[0]) if entry else field_name

    def authorize(self, user: Any) -> None:
        _catalog_authorize(user)

    def sees_all_batches(self, user: Any) -> bool:
        return _sees_all(user)

    def start(self, *, by: Any, keep: bool) -> ImportSession:
        return ProductSession(by=by, keep=keep)

    def preview_columns(self) -> list[tuple[str, str]]:
        return [("row", _("行号"))] + [(name, str(title)) for name, (title, _n) in PRODUCT_COLUMNS.items()]

    def template_xlsx(self) -> bytes:
        return template_workbook(product_template_spec())


class ProductSession:
    """One pass over a product file: per-row checks against indexes loaded once, bulk publication."""

    def __init__(self, *, by: Any, keep: bool) -> None:
        self.by = by
        self.keep = keep
        self.may_set_floor = by is None or has_role(by, CAN_SET_FLOOR_PRICE)
        self.may_set_cost = by is None or has_role(by, CAN_SET_COST)
        self.records: list[_ProductRecord] = []
        self.index = _ProductIndex()
        self.codes = dict(Product.objects.values_list("code", "name"))
        self.series = {s.name: s for s in ProductSeries.objects.all()}
        self.file_keys: dict[tuple[str, str], int] = {}
        self.file_codes: dict[str, int] = {}

    def validate_row(self, number: int, cells: Mapping[str, str], errors: RowErrors) -> _ProductRecord | None:
        data: dict[str, Any] = {}
        for name in PRODUCT_TEXT:
            value = cells.get(name, "").strip()
            limit = TEXT_FIELDS[name]
            if len(value) > limit:
                errors.add(name, _("最多 %(n)s 个字。") % {"n": limit})
            data[name] = value
        for name in ("model", "name", "unit"):
            if not data[name]:
                errors.add(name, _("请填写%(label)s。") % {"label": column_label(name)})
        series_name = cells.get("series", "").strip()
        if len(series_name) > 60:
            errors.add("series", _("系列名称最多 60 个字。"))
        data["standard_price"] = self._price(cells, "standard_price", errors, required=True)
        data["floor_price"] = self._restricted_price(cells, "floor_price", errors, allowed=self.may_set_floor)
        data["cost"] = self._restricted_price(cells, "cost", errors, allowed=self.may_set_cost)
        floor, standard = data["floor_price"], data["standard_price"]
        if floor is not None and standard is not None and floor > standard:
            errors.add(
                "floor_price",
                _("底价 %(floor)s 高于标准价 %(price)s，底价不能高于标准价。")
                % {"floor": plain_number(floor), "price": plain_number(standard)},
            )
        data["vat_rate"] = self._vat(cells, errors)
        data["price_includes_tax"] = yes_no(cells, "price_includes_tax", errors, default=True)
        data["is_special"] = yes_no(cells, "is_special", errors, default=False)
        self._duplicates(number, data, errors)
        if errors:
            return None
        new_series = bool(series_name) and series_name not in self.series
        record = _ProductRecord(number=number, data=data, series_name=series_name, new_series=new_series)
        if self.keep:
            self.records.append(record)
        return record

    def _price(self, cells: Mapping[str, str], name: str, errors: RowErrors, *, required: bool) -> Decimal | None:
        raw = cells.get(name, "")
        if not raw and not required:
            return None
        try:
            return parse_price(raw, field=name, label=column_label(name))
        except ValidationFailed as exc:
            errors.add(name, field_message(exc))
            return None

    def _restricted_price(self, cells: Mapping[str, str], name: str, errors: RowErrors, *, allowed: bool):
        if cells.get(name, "") and not allowed:
            message = (
                _("您没有设置底价的权限（只有副总、总经理或管理员可以设置），请清空“底价”列后再导入。")
                if name == "floor_price"
                else _("您没有设置成本的权限（只有财务或管理层可以设置），请清空“成本”列后再导入。")
            )
            errors.add(name, message)
            return None
        return self._price(cells, name, errors, required=False)

    def _vat(self, cells: Mapping[str, str], errors: RowErrors) -> str:
        raw = cells.get("vat_rate", "")
        if not raw:
            return VatRate.R13
        rate = vat_value(raw)
        if rate is None:
            errors.add("vat_rate", _("税率只能是 13%、9%、6%、3% 或 0%。"))
            return VatRate.R13
        return rate

    def _duplicates(self, number: int, data: dict[str, Any], errors: RowErrors) -> None:
        model = normalize_model(data["model"])
        if model:
            key = (model, data["spec"])
            existing = self.index.by_key.get(key)
            if existing is not None:
                errors.add(
                    "model",
                    _("型号和规格与已有产品 %(code)s（%(name)s）相同。请删除这一行，或到产品目录中修改已有产品。")
                    % {"code": existing[1], "name": existing[2]},
                )
            first = self.file_keys.setdefault(key, number)
            if first != number:
                errors.add("model", _("与本文件第 %(row)s 行的型号和规格相同。同一产品只能出现一次。") % {"row": first})
        code = data["code"]
        if code:
            if code in self.codes:
                errors.add(
                    "code", _("产品编码 %(code)s 已被“%(name)s”使用。") % {"code": code, "name": self.codes[code]}
                )
            first = self.file_codes.setdefault(code, number)
            if first != number:
                errors.add("code", _("与本文件第 %(row)s 行的产品编码相同。") % {"row": first})

    def preview(self, record: _ProductRecord) -> dict[str, Any]:
        data = record.data
        shown = {name: str(data.get(name) or "") for name in PRODUCT_TEXT}
        if not data["code"]:
            shown["code"] = _("（自动编号）")
        series = record.series_name
        shown["series"] = _("%(name)s（新系列，导入时创建）") % {"name": series} if record.new_series else series
        for name in ("standard_price", "floor_price", "cost"):
            shown[name] = plain_number(data[name])
        shown["price_includes_tax"] = _("是") if data["price_includes_tax"] else _("否")
        shown["is_special"] = _("是") if data["is_special"] else _("否")
        shown["vat_rate"] = str(dict(VatRate.choices).get(data["vat_rate"], data["vat_rate"]))
        return shown

    def finish(self, errors: ErrorLog) -> None:
        pass

    def recheck(self, *, since: Any, errors: ErrorLog) -> None:
        """Products written since validation started: same model+spec or code as a row of the file."""
        changed = Product.objects.filter(updated_at__gte=since).values_list("model_normalized", "spec", "code", "name")
        for model, spec, code, name in changed:
            row = self.file_keys.get((model, spec))
            if row is not None:
                errors.add(
                    row,
                    "model",
                    _("型号和规格与刚录入的产品 %(code)s（%(name)s）相同。") % {"code": code, "name": name},
                )
            row = self.file_codes.get(code)
            if row is not None:
                errors.add(row, "code", _("产品编码 %(code)s 刚被“%(name)s”使用。") % {"code": code, "name": name})

    def publish(self, *, batch: ImportBatch, by: Any, progress: Progress) -> int:
        total = len(self.records)
        series = self._ensure_series(by)
        missing = sum(1 for record in self.records if not record.data["code"])
        codes = iter(reserve_numbers(series="product", count=missing))
        creator = by if getattr(by, "pk", None) else None
        products = []
        for record in self.records:
            data = dict(record.data)
            data["code"] = data["code"] or next(codes)
            product = Product(
                **data,
                series=series.get(record.series_name),
                model_normalized=normalize_model(data["model"]),
                import_batch=batch,
                created_by=creator,
            )
            initials, full = pinyin.search_keys(product.name)
            product.search_initials, product.search_pinyin = initials[:200], full[:600]
            products.append(product)
        company = services.company_price_list()
        today = timezone.localdate()
        for start in range(0, total, PUBLISH_CHUNK):
            chunk = audit.bulk_create_audited(
                Product,
                products[start : start + PUBLISH_CHUNK],
                action="catalog.product.imported",
                by=by,
                fields=AUDIT_FIELDS,
            )
            items = [
                PriceListItem(
                    price_list=company,
                    product=product,
                    unit_price=product.standard_price,
                    effective_from=today,
                    import_batch=batch,
                    created_by=creator,
                )
                for product in chunk
            ]
            PriceListItem.objects.bulk_create(items)  # noqa: NQ001 - price items are history rows, not audited
            progress(start + len(chunk), total)
        return total

    def _ensure_series(self, by: Any) -> dict[str, ProductSeries]:
        found = {s.name: s for s in ProductSeries.objects.all()}
        next_order = max((s.sort_order for s in found.values()), default=0)
        for name in dict.fromkeys(r.series_name for r in self.records if r.series_name):
            if name not in found:
                next_order += 10
                found[name] = services.series_create(name=name, by=by, sort_order=next_order)
        return found


def column_label(name: str) -> str:
    entry = PRODUCT_COLUMNS.get(name) or PRICE_COLUMNS.get(name)
    return str(entry[0]) if entry else name


def vat_value(raw: str) -> str | None:
    """ "13%", "13", "0.13", "１３％" -> "0.13"; None when it is not one of the VAT rates."""
    text = unicodedata.normalize("NFKC", raw or "").strip().replace(" ", "")
    try:
        if text.endswith("%"):
            number = Decimal(text[:-1]) / 100
        else:
            number = Decimal(text)
            if number >= 1:
                number = number / 100
    except ArithmeticError:
        return None
    value = str(number.quantize(Decimal("0.01")))
    return value if value in VatRate.values else None


def product_template_spec() -> TemplateSpec:
    examples = [
        {
            "code": "",
            "model": "QH-1201",
            "name": "强化复合地板 橡木纹",
            "spec": "1215×195×12mm",
            "unit": "平方米",
            "series": "强化复合地板",
            "brand": "凯瑞",
            "standard_price": "89",
            "price_includes_tax": "是",
            "floor_price": "",
            "cost": "",
            "vat_rate": "13%",
            "is_special": "否",
            "barcode": "",
            "notes": "",
        },
        {
            "code": "",
            "model": "XPS-B1-50",
            "name": "挤塑聚苯板 B1级",
            "spec": "1200×600×50mm",
            "unit": "张",
            "series": "挤塑聚苯板",
            "brand": "凯瑞保温",
            "standard_price": "32.5",
            "price_includes_tax": "是",
            "floor_price": "",
            "cost": "",
            "vat_rate": "13%",
            "is_special": "否",
            "barcode": "",
            "notes": "",
        },
    ]
    notes = {
        "code": _("留空则自动编号；填写时不能与已有产品重复。"),
        "model": _("型号和规格一起不能与已有产品或本文件其他行重复。"),
        "spec": _("如 1215×195×12mm；同一型号的不同规格各占一行。"),
        "unit": _("如 平方米、张、块、卷、米、箱、吨。"),
        "series": _("填写已有系列名称；新的系列名称会在导入时自动创建。"),
        "standard_price": _("公司统一价，最多 4 位小数；导入当天生效。"),
        "price_includes_tax": _("填写“是”或“否”；留空为含税。"),
        "floor_price": _("不能高于标准价；只有副总、总经理或管理员可以填写，其他人请留空。"),
        "cost": _("只有财务或管理层可以填写，其他人请留空。"),
        "vat_rate": _("13%、9%、6%、3% 或 0%；留空为 13%。"),
        "is_special": _("特殊/定制产品填“是”（下单需经理审批）；留空为否。"),
    }
    return TemplateSpec(
        sheet_title=_("产品导入"),
        columns=PRODUCT_COLUMNS,
        required=PRODUCT_REQUIRED,
        examples=examples,
        notes=notes,
        footer=[_("价格调整请使用“导入价格”，这里只新建产品。")],
    )


# --- prices --------------------------------------------------------------------------------------------

PRICE_COLUMNS: Columns = {
    "price_list": (gettext_lazy("价格表"), ("价格表名称", "客户编号", "price list")),
    "model": (gettext_lazy("型号"), ("产品型号", "model")),
    "spec": (gettext_lazy("规格"), ("规格型号", "spec", "specification")),
    "unit_price": (gettext_lazy("单价"), ("价格", "新价", "unit price", "price")),
    "min_quantity": (gettext_lazy("起订数量"), ("起订量", "最小数量", "min quantity")),
    "effective_from": (gettext_lazy("生效日期"), ("生效日", "effective from", "date")),
    "reason": (gettext_lazy("调价原因"), ("原因", "备注", "reason")),
}
PRICE_REQUIRED = ("price_list", "model", "unit_price")
COMPANY_WORDS = {"公司统一价", "公司", "统一价", "公司价", "company"}


@dataclass(frozen=True, slots=True)
class _ListTarget:
    """The list a row goes to: an existing list, or a grade/customer list created at commit."""

    kind: str
    list_id: int | None = None
    grade: str = ""
    customer_id: int | None = None
    label: str = ""

    @property
    def key(self) -> tuple[str, Any]:
        if self.list_id is not None:
            return ("list", self.list_id)
        return (self.kind, self.grade or self.customer_id)


@dataclass(slots=True)
class _PriceRecord:
    number: int
    target: _ListTarget
    product_id: int
    product_label: str
    unit_price: Decimal
    min_quantity: Decimal
    effective_from: dt.date
    reason: str


class PriceImporter(imports.Importer):
    kind = PRICES_KIND
    required = PRICE_REQUIRED

    @property
    def aliases(self) -> dict[str, tuple[str, ...]]:  # type: ignore[override]
        return aliases_of(PRICE_COLUMNS)

    def column_title(self, field_name: str) -> str:
        entry = PRICE_COLUMNS.get(field_name)
        return str(entry[0]) if entry else field_name

    def authorize(self, user: Any) -> None:
        _catalog_authorize(user)

    def sees_all_batches(self, user: Any) -> bool:
        return _sees_all(user)

    def start(self, *, by: Any, keep: bool) -> ImportSession:
        return PriceSession(by=by, keep=keep)

    def preview_columns(self) -> list[tuple[str, str]]:
        return [
            ("row", _("行号")),
            ("price_list", _("价格表")),
            ("product", _("产品")),
            ("unit_price", _("单价")),
            ("min_quantity", _("起订数量")),
            ("effective_from", _("生效日期")),
            ("reason", _("调价原因")),
        ]

    def template_xlsx(self) -> bytes:
        return template_workbook(price_template_spec())


class PriceSession:
    """One pass over a price file; publication through ``services.price_set`` per row."""

    def __init__(self, *, by: Any, keep: bool) -> None:
        from neiqin.customers.choices import Grade
        from neiqin.customers.models import Customer
        from neiqin.customers.selectors import customer_queryset

        self.by = by
        self.keep = keep
        self.today = timezone.localdate()
        self.records: list[_PriceRecord] = []
        self.index = _ProductIndex()
        self.products: dict[int, tuple[str, Decimal | None, str, bool]] = {
            pk: (f"{model} {spec}".strip() + f"（{name}）", floor, kind, active)
            for pk, model, spec, name, floor, kind, active in Product.objects.values_list(
                "pk", "model", "spec", "name", "floor_price", "kind", "is_active"
            ).iterator(chunk_size=10_000)
        }
        self.lists_by_name: dict[str, PriceList] = {}
        self.grade_lists: dict[str, PriceList] = {}
        self.customer_lists: dict[int, PriceList] = {}
        for price_list in PriceList.objects.all():
            self.lists_by_name.setdefault(fold(price_list.name), price_list)
            if price_list.kind == PriceListKind.GRADE:
                self.grade_lists[price_list.grade] = price_list
            elif price_list.kind == PriceListKind.CUSTOMER:
                self.customer_lists[price_list.customer_id] = price_list
        self.grades = {fold(g): g for g in Grade.values}
        for value, label in Grade.choices:
            for text in (label, f"{value}类", f"{value}类客户", f"{value}类客户价", f"{value} 类客户价"):
                self.grades[fold(str(text))] = value
        customers = Customer.objects.all() if by is None else customer_queryset(user=by)
        self.customers_by_code: dict[str, tuple[int, str]] = {}
        self.customers_by_name: dict[str, tuple[int, str]] = {}
        self.visible_customers: set[int] = set()
        for pk, code, name in customers.values_list("pk", "code", "name").iterator(chunk_size=10_000):
            self.visible_customers.add(pk)
            if code:
                self.customers_by_code[fold(code)] = (pk, name)
            self.customers_by_name.setdefault(fold(name), (pk, name))
        self.seen: dict[tuple[Any, int, Decimal, dt.date], int] = {}

    # -- one row -------------------------------------------------------------------------------

    def validate_row(self, number: int, cells: Mapping[str, str], errors: RowErrors) -> _PriceRecord | None:
        target = self._target(cells.get("price_list", ""), errors)
        product_id = self._product(cells, errors)
        price = minimum = None
        try:
            price = parse_price(cells.get("unit_price", ""), field="unit_price", label=_("单价"))
        except ValidationFailed as exc:
            errors.add("unit_price", field_message(exc))
        try:
            minimum = parse_quantity(
                cells.get("min_quantity") or "0", field="min_quantity", label=_("起订数量"), allow_zero=True
            )
        except ValidationFailed as exc:
            errors.add("min_quantity", field_message(exc))
        effective = self._date(cells.get("effective_from", ""), errors)
        reason = cells.get("reason", "").strip()
        if len(reason) > 200:
            errors.add("reason", _("最多 %(n)s 个字。") % {"n": 200})
        if product_id is not None:
            _label, floor, kind, _active = self.products[product_id]
            if kind != ProductKind.GOODS:
                errors.add("model", _("促销品不能定价。"))
            if price is not None and floor is not None and price < floor:
                errors.add(
                    "unit_price",
                    _("单价 %(price)s 低于底价 %(floor)s，价格表中不能录入低于底价的价格；个别订单低于底价请走审批。")
                    % {"price": format_cny(price), "floor": format_cny(floor)},
                )
        if target is not None and product_id is not None and minimum is not None and effective is not None:
            key = (target.key, product_id, minimum, effective)
            first = self.seen.setdefault(key, number)
            if first != number:
                errors.add(
                    "", _("与本文件第 %(row)s 行是同一价格表、同一产品、同一起订数量和生效日期。") % {"row": first}
                )
        if errors:
            return None
        record = _PriceRecord(
            number=number,
            target=target,
            product_id=product_id,
            product_label=self.products[product_id][0],
            unit_price=price,
            min_quantity=minimum,
            effective_from=effective,
            reason=reason[:200],
        )
        if self.keep:
            self.records.append(record)
        return record

    def _target(self, raw: str, errors: RowErrors) -> _ListTarget | None:
        key = fold(raw)
        if not key:
            errors.add("price_list", _("请填写价格表：公司统一价、客户等级（如 A 类客户价）或客户编号。"))
            return None
        if key in {fold(w) for w in COMPANY_WORDS}:
            return _ListTarget(kind=PriceListKind.COMPANY, label=_("公司统一价"))
        if key in self.grades:
            grade = self.grades[key]
            found = self.grade_lists.get(grade)
            if found is not None:
                return self._existing(found, errors)
            return _ListTarget(
                kind=PriceListKind.GRADE, grade=grade, label=_("%(grade)s 类客户价（新建）") % {"grade": grade}
            )
        found = self.lists_by_name.get(key)
        if found is not None:
            return self._existing(found, errors)
        customer = self.customers_by_code.get(key) or self.customers_by_name.get(key)
        if customer is not None:
            pk, name = customer
            found = self.customer_lists.get(pk)
            if found is not None:
                return self._existing(found, errors)
            return _ListTarget(
                kind=PriceListKind.CUSTOMER, customer_id=pk, label=_("%(name)s 专属价（新建）") % {"name": name}
            )
        errors.add(
            "price_list",
            _("找不到价格表或客户“%(value)s”。请填写 公司统一价、A/B/C 类客户价，或您负责的客户的客户编号。")
            % {"value": raw[:40]},
        )
        return None

    def _existing(self, price_list: PriceList, errors: RowErrors) -> _ListTarget | None:
        if price_list.kind == PriceListKind.COMPANY:
            return _ListTarget(kind=PriceListKind.COMPANY, label=price_list.name)
        if not price_list.is_active:
            errors.add("price_list", _("价格表“%(name)s”已停用。") % {"name": price_list.name})
            return None
        if price_list.kind == PriceListKind.CUSTOMER and price_list.customer_id not in self.visible_customers:
            errors.add("price_list", _("找不到价格表“%(name)s”。") % {"name": price_list.name})
            return None
        return _ListTarget(kind=price_list.kind, list_id=price_list.pk, label=price_list.name)

    def _product(self, cells: Mapping[str, str], errors: RowErrors) -> int | None:
        raw_model = cells.get("model", "").strip()
        if not raw_model:
            errors.add("model", _("请填写型号。"))
            return None
        model, spec = normalize_model(raw_model), cells.get("spec", "").strip()
        found = self.index.by_key.get((model, spec))
        if found is not None:
            return found[0]
        candidates = self.index.by_model.get(model, [])
        if not spec and len(candidates) == 1:
            return candidates[0][1]
        if not candidates:
            errors.add("model", _("没有型号为“%(model)s”的产品。") % {"model": raw_model[:60]})
        elif not spec:
            specs = "、".join(s or "—" for s, _pk in candidates[:6])
            errors.add(
                "spec", _("型号 %(model)s 有多个规格（%(specs)s），请填写规格。") % {"model": raw_model, "specs": specs}
            )
        else:
            specs = "、".join(s or "—" for s, _pk in candidates[:6])
            errors.add(
                "spec",
                _("型号 %(model)s 没有规格“%(spec)s”（已有：%(specs)s）。")
                % {"model": raw_model, "spec": spec, "specs": specs},
            )
        return None

    def _date(self, raw: str, errors: RowErrors) -> dt.date | None:
        if not raw.strip():
            return self.today
        value = parse_date(raw)
        if value is None:
            errors.add("effective_from", _("日期格式不对，请写成 2025-03-01。"))
            return None
        if value < self.today:
            errors.add("effective_from", _("生效日期不能早于今天；历史价格不能修改。"))
            return None
        return value

    def preview(self, record: _PriceRecord) -> dict[str, Any]:
        return {
            "price_list": str(record.target.label),
            "product": record.product_label,
            "unit_price": plain_number(record.unit_price),
            "min_quantity": plain_number(record.min_quantity),
            "effective_from": record.effective_from.isoformat(),
            "reason": record.reason,
        }

    def finish(self, errors: ErrorLog) -> None:
        pass

    def recheck(self, *, since: Any, errors: ErrorLog) -> None:
        """Floor prices raised since validation started: a row may now be below the floor."""
        changed = dict(
            Product.objects.filter(updated_at__gte=since, floor_price__isnull=False).values_list("pk", "floor_price")
        )
        for record in self.records:
            floor = changed.get(record.product_id)
            if floor is not None and record.unit_price < floor:
                errors.add(
                    record.number,
                    "unit_price",
                    _("底价刚被调整为 %(floor)s，单价 %(price)s 低于底价。")
                    % {"floor": format_cny(floor), "price": format_cny(record.unit_price)},
                )

    def publish(self, *, batch: ImportBatch, by: Any, progress: Progress) -> int:
        total = len(self.records)
        lists = self._lists(by)
        products = Product.objects.in_bulk([r.product_id for r in self.records])
        reason_default = (_("批量导入（批次 %(batch)s）") % {"batch": batch.pk})[:200]
        change_ids = []
        for done, record in enumerate(self.records, start=1):
            try:
                change = services.price_set(
                    price_list=lists[record.target.key],
                    product=products[record.product_id],
                    unit_price=record.unit_price,
                    effective_from=record.effective_from,
                    by=by,
                    min_quantity=record.min_quantity,
                    reason=record.reason or reason_default,
                    notify=False,
                )
            except DomainError as exc:
                raise ValidationFailed(
                    _("第 %(row)s 行：%(message)s") % {"row": record.number, "message": exc.message},
                    extra={"errors": [{"row": record.number, "column": "", "message": str(exc.message)}]},
                ) from exc
            change_ids.append(change.pk)
            if done % 500 == 0:
                progress(done, total)
        PriceListItem.objects.filter(change_id__in=change_ids).update(import_batch=batch)
        _notify_owners_once(change_ids, by=by)
        progress(total, total)
        return total

    def _lists(self, by: Any) -> dict[tuple[str, Any], PriceList]:
        from neiqin.customers.models import Customer

        lists: dict[tuple[str, Any], PriceList] = {}
        for record in self.records:
            target = record.target
            if target.key in lists:
                continue
            if target.kind == PriceListKind.COMPANY:
                lists[target.key] = services.company_price_list()
            elif target.list_id is not None:
                lists[target.key] = PriceList.objects.get(pk=target.list_id)
            elif target.kind == PriceListKind.GRADE:
                lists[target.key] = services.price_list_create(kind=PriceListKind.GRADE, grade=target.grade, by=by)
            else:
                customer = Customer.objects.get(pk=target.customer_id)
                lists[target.key] = services.price_list_create(kind=PriceListKind.CUSTOMER, customer=customer, by=by)
        return lists


def _notify_owners_once(change_ids: list[int], *, by: Any) -> None:
    """One notification per owner of affected customers for the whole import (not one per row)."""
    from django.contrib.auth import get_user_model

    rows = PriceChangeCustomer.objects.filter(change_id__in=change_ids).exclude(owner_id=None)
    changes: dict[int, set[int]] = defaultdict(set)
    customers: dict[int, set[int]] = defaultdict(set)
    for owner_id, change_id, customer_id in rows.values_list("owner_id", "change_id", "customer_id").iterator():
        changes[owner_id].add(change_id)
        customers[owner_id].add(customer_id)
    if not changes:
        return
    users = get_user_model().objects.in_bulk(list(changes))
    sample = {
        c.pk: c for c in PriceChange.objects.filter(pk__in=change_ids[:200]).select_related("product", "price_list")
    }
    for owner_id in sorted(changes):
        ids = sorted(changes[owner_id])
        first = sample.get(ids[0])
        example = (
            f"{first.product.model} {format_cny(first.new_price)}（{first.effective_from:%Y-%m-%d} 起）"
            if first
            else ""
        )
        notify(
            user=users[owner_id],
            title=_("调价通知：批量调价 %(n)s 项") % {"n": len(ids)},
            body=_(
                "价格表导入调整了 %(n)s 项价格（如 %(example)s），您负责的 %(customers)s 个客户受影响，"
                "请在调价记录中查看并及时告知客户。"
            )
            % {"n": len(ids), "example": example, "customers": len(customers[owner_id])},
            obj=first,
        )


def price_template_spec() -> TemplateSpec:
    today = timezone.localdate().isoformat()
    examples = [
        {
            "price_list": "公司统一价",
            "model": "QH-1201",
            "spec": "1215×195×12mm",
            "unit_price": "92",
            "effective_from": today,
            "reason": "原材料上涨",
        },
        {
            "price_list": "A 类客户价",
            "model": "QH-1201",
            "spec": "1215×195×12mm",
            "unit_price": "86",
            "effective_from": today,
        },
        {
            "price_list": "A 类客户价",
            "model": "QH-1201",
            "spec": "1215×195×12mm",
            "unit_price": "83",
            "min_quantity": "500",
            "effective_from": today,
        },
        {
            "price_list": "KH2025000123",
            "model": "XPS-B1-50",
            "spec": "1200×600×50mm",
            "unit_price": "30",
            "effective_from": "",
        },
    ]
    notes = {
        "price_list": _(
            "填写：公司统一价；或客户等级价 A 类客户价 / B 类客户价 / C 类客户价（也可写 A、B、C）；"
            "或客户编号（也可写客户全称）表示该客户的专属价。等级价表和客户专属价表不存在时导入时自动新建。"
        ),
        "model": _("已有产品的型号。"),
        "spec": _("同一型号有多个规格时必填。"),
        "unit_price": _("含税单价，最多 4 位小数；不能低于产品底价。"),
        "min_quantity": _("数量达到多少时适用这个价格（阶梯价）；留空为 0，即任何数量。"),
        "effective_from": _("如 2025-03-01；留空为今天；不能早于今天（历史价格不能修改）。"),
        "reason": _("调价原因，会显示在调价记录和给业务员的通知中。"),
    }
    return TemplateSpec(
        sheet_title=_("价格导入"),
        columns=PRICE_COLUMNS,
        required=PRICE_REQUIRED,
        examples=examples,
        notes=notes,
        footer=[
            _("每行是一个价格表中一个产品的一个价格；同一价格表、产品、起订数量和生效日期只能出现一次。"),
            _("受影响客户的业务员会收到一条调价通知。"),
        ],
    )


PRODUCT_IMPORTER = ProductImporter()
PRICE_IMPORTER = PriceImporter()
