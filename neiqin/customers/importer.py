"""Customer import and export (SYS-3, CUS-1, CUS-6) on the generic pipeline in ``core.imports``.

Rows are validated by the customer services (``build_customer`` / ``clean_contact_fields``), so
an imported customer passes exactly the checks of one typed in by hand. Duplicates (CUS-6) are
found against the database and within the file, from indexes loaded once per pass: the existing
normalised names, credit codes and phone blind indexes. Commit reserves one block of customer
codes and writes customers, contacts and their audit events in bulk, in one transaction.

Interface for the web UI: ``stage_customer_import``, ``commit_customer_import``,
``discard_customer_import``, ``import_batches_for``, ``template_xlsx``, ``export_customers``.
"""

from __future__ import annotations

import dataclasses
import io
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

import xlsxwriter
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from neiqin.accounts.models import User
from neiqin.accounts.roles import Role
from neiqin.accounts.scoping import has_role
from neiqin.core import audit, crypto, imports
from neiqin.core.errors import DomainError, PermissionDenied, ValidationFailed
from neiqin.core.identifiers import make_uscc, normalize_company_name, normalize_phone, validate_uscc
from neiqin.core.imports import ErrorLog, Hook, ImportSession, Progress, RowErrors
from neiqin.core.models import ImportBatch
from neiqin.core.notifications import notify
from neiqin.core.numbering import reserve_numbers
from neiqin.core.spreadsheets import Column, escape_cell, write_csv, write_xlsx
from neiqin.core.spreadsheets.writing import WORKBOOK_OPTIONS
from neiqin.customers import rules, services
from neiqin.customers.choices import AssignmentKind, Grade, Industry, Kind, Potential, Scale, Source, Stage
from neiqin.customers.models import Assignment, Contact, Customer
from neiqin.customers.selectors import CustomerFilters, customer_list

KIND = "customers"
PUBLISH_CHUNK = 2000

# field -> (title shown in the template and exports, further header names accepted on import).
# The first Chinese title carries "*" when the column is required.
COLUMNS: dict[str, tuple[Any, tuple[str, ...]]] = {
    "name": (gettext_lazy("客户名称"), ("客户名称*", "公司名称", "客户全称", "name", "customer name", "company name")),
    "short_name": (gettext_lazy("简称"), ("客户简称", "short name", "short_name")),
    "kind": (gettext_lazy("客户性质"), ("性质", "kind", "customer type")),
    "industry": (gettext_lazy("行业"), ("所属行业", "industry")),
    "scale": (gettext_lazy("规模"), ("企业规模", "scale", "size")),
    "potential": (gettext_lazy("购买潜力"), ("潜力", "potential")),
    "stage": (gettext_lazy("合作阶段"), ("阶段", "stage")),
    "grade": (gettext_lazy("客户等级"), ("等级", "grade")),
    "is_vip": (gettext_lazy("VIP"), ("是否VIP", "is_vip")),
    "source": (gettext_lazy("客户来源"), ("来源", "source")),
    "province": (gettext_lazy("省份"), ("省", "province")),
    "city": (gettext_lazy("城市"), ("市", "city")),
    "address": (gettext_lazy("详细地址"), ("地址", "address")),
    "phone": (gettext_lazy("电话"), ("公司电话", "phone", "tel", "telephone")),
    "fax": (gettext_lazy("传真"), ("fax",)),
    "email": (gettext_lazy("邮箱"), ("电子邮箱", "email", "e-mail")),
    "website": (gettext_lazy("网址"), ("网站", "website", "url")),
    "business_scope": (gettext_lazy("经营范围"), ("business scope",)),
    "credit_code": (gettext_lazy("统一社会信用代码"), ("信用代码", "credit code", "uscc")),
    "invoice_title": (gettext_lazy("开票名称"), ("发票抬头", "invoice title")),
    "invoice_tax_id": (gettext_lazy("纳税人识别号"), ("税号", "tax id")),
    "invoice_address_phone": (gettext_lazy("开票地址电话"), ("地址电话", "invoice address phone")),
    "invoice_bank": (gettext_lazy("开户银行"), ("开户行", "bank")),
    "invoice_account": (gettext_lazy("银行账号"), ("账号", "bank account")),
    "purchase_intent": (gettext_lazy("购买意向"), ("purchase intent",)),
    "purchase_capacity": (gettext_lazy("购买能力"), ("purchase capacity",)),
    "lost_reason": (gettext_lazy("未成交原因"), ("流失原因", "lost reason")),
    "notes": (gettext_lazy("备注"), ("notes", "remark", "remarks")),
    "owner": (gettext_lazy("负责业务员"), ("业务员", "负责人", "owner", "salesperson")),
    "contact_name": (gettext_lazy("联系人"), ("联系人姓名", "contact", "contact name")),
    "contact_title": (gettext_lazy("联系人职务"), ("职务", "contact title")),
    "contact_mobile": (gettext_lazy("联系人手机"), ("手机", "contact mobile", "mobile")),
}
# Columns of our own exports that an import recognises and ignores (codes are assigned anew).
EXPORT_ONLY: dict[str, tuple[Any, tuple[str, ...]]] = {
    "code": (gettext_lazy("客户编号"), ("code",)),
    "team": (gettext_lazy("所属团队"), ("team",)),
    "created_at": (gettext_lazy("创建时间"), ("created at",)),
}
REQUIRED = ("name",)
SERVICE_TEXT = (
    "name",
    "short_name",
    "province",
    "city",
    "address",
    "phone",
    "fax",
    "email",
    "website",
    "business_scope",
    "credit_code",
    "invoice_title",
    "invoice_tax_id",
    "invoice_address_phone",
    "invoice_bank",
    "invoice_account",
    "purchase_intent",
    "purchase_capacity",
    "lost_reason",
    "notes",
)
CHOICES = {
    "kind": Kind,
    "industry": Industry,
    "scale": Scale,
    "potential": Potential,
    "grade": Grade,
    "source": Source,
    "stage": Stage,
}
CONTACT_COLUMNS = {"contact_name": "name", "contact_title": "title", "contact_mobile": "mobile"}
SENSITIVE_COLUMNS = {"phone", "fax", "email", "invoice_address_phone", "invoice_account", "contact_mobile"}
YES = {"是", "y", "yes", "true", "1", "√", "vip"}
NO = {"否", "n", "no", "false", "0", "×", "x"}
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"


# --- public interface ----------------------------------------------------------------------------


def stage_customer_import(*, name: str, data: bytes, by: Any, hook: Hook | None = None) -> ImportBatch:
    """Check an uploaded customer file and keep it as a batch to preview (nothing is imported yet)."""
    return imports.stage(IMPORTER, name=name, data=data, by=by, hook=hook)


def commit_customer_import(*, batch_id: int, by: Any, hook: Hook | None = None) -> ImportBatch:
    """Import every row of a staged batch, or none (see ``core.imports.commit``)."""
    return imports.commit(IMPORTER, batch_id=batch_id, by=by, hook=hook)


def discard_customer_import(*, batch_id: int, by: Any) -> None:
    imports.discard(IMPORTER, batch_id=batch_id, by=by)


def import_batches_for(*, user: Any) -> QuerySet[ImportBatch]:
    """Customer import batches the user may see: their own; administrators see all."""
    return imports.batches_for(IMPORTER, user=user)


def preview_columns() -> list[tuple[str, str]]:
    """(key, title) pairs to render ``ImportBatch.preview`` rows in template order."""
    return [("row", _("行号"))] + [(name, str(title)) for name, (title, _names) in COLUMNS.items()]


# --- the importer ---------------------------------------------------------------------------------


class CustomerImporter(imports.Importer):
    kind = KIND
    required = REQUIRED

    @property
    def aliases(self) -> dict[str, tuple[str, ...]]:  # type: ignore[override]
        return _aliases(translation.get_language() or settings.LANGUAGE_CODE)

    def column_title(self, field_name: str) -> str:
        entry = COLUMNS.get(field_name) or EXPORT_ONLY.get(field_name)
        return str(entry[0]) if entry else field_name

    def authorize(self, user: Any) -> None:
        if not rules.can_import(user):
            raise PermissionDenied(_("您没有导入客户的权限。如需导入，请联系管理员。"))

    def sees_all_batches(self, user: Any) -> bool:
        return has_role(user, {Role.ADMIN})

    def start(self, *, by: Any, keep: bool) -> ImportSession:
        return CustomerSession(by=by, keep=keep)


IMPORTER = CustomerImporter()


@cache
def _aliases(language: str) -> dict[str, tuple[str, ...]]:
    """Header names per field: the (translated) title, the Chinese source title and the extras."""
    result: dict[str, tuple[str, ...]] = {}
    for name, (title, extra) in {**COLUMNS, **EXPORT_ONLY}.items():
        with translation.override(language):
            shown = str(title)
        with translation.override("zh-hans"):
            chinese = str(title)
        result[name] = tuple(dict.fromkeys((shown, chinese, *extra)))
    return result


def _fold(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split()).casefold()


@cache
def _choice_lookup(field_name: str) -> dict[str, str]:
    """Accept the code, the Chinese label and the English label ("A 类", "A类", "a" -> "A")."""
    lookup: dict[str, str] = {}
    for value, label in CHOICES[field_name].choices:
        names = [value]
        for language in ("zh-hans", "en"):
            with translation.override(language):
                names.append(str(label))
        if field_name == "stage":
            names += [n.removesuffix("客户") for n in names if n.endswith("客户")]
        for text in names:
            lookup.setdefault(_fold(text), value)
    return lookup


def _choice_hint(field_name: str) -> str:
    labels = "、".join(str(label) for label in CHOICES[field_name].labels)
    return _("可选：%(labels)s。") % {"labels": labels}


def _mask(value: str) -> str:
    """Previews are stored in the batch row: never keep phones or accounts there in clear."""
    if not value:
        return ""
    if "@" in value:
        local, _at, domain = value.partition("@")
        return f"{local[:1]}***@{domain}"
    if len(value) <= 6:
        return "*" * len(value)
    return f"{value[:3]}****{value[-4:]}"


@dataclass(slots=True)
class _Record:
    """A valid row: the cleaned fields (staging) or the unsaved customer (commit pass)."""

    number: int
    cleaned: dict[str, Any]
    stage: str
    owner: User | None
    contact: dict[str, Any] | None
    customer: Customer | None = None
    # Commit pass: rows prepared before the write transaction, so it only inserts.
    contact_row: Contact | None = None
    assignment: Assignment | None = None


@dataclass(slots=True)
class _Seen:
    """The first row of the file holding a key, for "duplicate of row N" messages."""

    row: int
    name: str


class CustomerSession:
    """One pass over a customer file: per-row checks and, at commit, the bulk publication.

    Staging runs the service's field validation (``clean_customer_fields``) and owner rule; the
    commit pass builds the unsaved customers with ``build_customer`` (same checks, plus the search
    keys that staging does not need).
    """

    def __init__(self, *, by: Any, keep: bool) -> None:
        self.by = by
        self.keep = keep
        self.records: list[_Record] = []
        self.may_assign = rules.can_assign(by)
        self.same_code, self.same_name, self.same_phone = (
            _("统一社会信用代码相同"),
            _("客户名称相同"),
            _("电话号码相同"),
        )
        self._load_users()
        self._load_existing()
        self.file_names: dict[str, _Seen] = {}
        self.file_codes: dict[str, _Seen] = {}
        self.file_phones: dict[str, _Seen] = {}
        self._customers: dict[int, Customer] = {}
        self._owner_problems: dict[int, str | None] = {}

    # -- indexes loaded once ------------------------------------------------------------------

    def _load_users(self) -> None:
        self.by_username: dict[str, User] = {}
        self.by_display: dict[str, list[User]] = {}
        for user in User.objects.filter(is_active=True).select_related("team"):
            self.by_username[user.username.casefold()] = user
            if user.display_name:
                self.by_display.setdefault(user.display_name.strip(), []).append(user)

    def _load_existing(self) -> None:
        """Existing keys -> customer id (CUS-6: same credit code, normalised name or phone)."""
        self.db_names: dict[str, int] = {}
        self.db_codes: dict[str, int] = {}
        self.db_phones: dict[str, int] = {}
        rows = Customer.objects.values_list("pk", "name_normalized", "credit_code", "phone_index")
        for pk, name, code, phone in rows.iterator(chunk_size=10_000):
            self.db_names.setdefault(name, pk)
            if code:
                self.db_codes.setdefault(code, pk)
            if phone:
                self.db_phones.setdefault(phone, pk)
        contacts = Contact.objects.filter(~Q(mobile_index="") | ~Q(phone_index=""))
        for customer_id, mobile, phone in contacts.values_list("customer_id", "mobile_index", "phone_index").iterator(
            chunk_size=10_000
        ):
            for index in (mobile, phone):
                if index:
                    self.db_phones.setdefault(index, customer_id)

    # -- one row ---------------------------------------------------------------------------------

    def validate_row(self, number: int, cells: Mapping[str, str], errors: RowErrors) -> _Record | None:
        fields: dict[str, Any] = {name: cells[name] for name in SERVICE_TEXT if cells.get(name)}
        for name in ("kind", "industry", "scale", "potential", "grade", "source"):
            if cells.get(name):
                fields[name] = _choice_lookup(name).get(_fold(cells[name]), cells[name])
        if cells.get("is_vip"):
            answer = _fold(cells["is_vip"])
            if answer in YES or answer in NO:
                fields["is_vip"] = answer in YES
            else:
                errors.add("is_vip", _("请填写“是”或“否”。"))
        stage = self._stage(cells, errors)
        owner = self._owner(cells.get("owner", ""), errors)
        contact = self._contact(cells, errors)
        cleaned: dict[str, Any] | None = None
        customer: Customer | None = None
        try:
            if self.keep:
                customer = services.build_customer(fields=fields, by=self.by, owner=owner)
                if stage:
                    customer.stage = stage
            else:
                if owner is not None:
                    self.check_owner(owner, errors)
                cleaned = services.clean_customer_fields(fields)
        except ValidationFailed as exc:
            self._service_errors(exc, errors)
        except DomainError as exc:
            errors.add("", str(exc.message))
        self._duplicates(number, cells, self._keys(cells, cleaned, customer, contact), errors)
        if errors or (cleaned is None and customer is None):
            return None
        record = _Record(number, cleaned or {}, stage, owner, contact, customer)
        if customer is not None:
            self._prepare_related(record, customer)
            self.records.append(record)
        return record

    def _prepare_related(self, record: _Record, customer: Customer) -> None:
        """Contact and assignment rows, built now so that the commit transaction only inserts."""
        if record.contact is not None:
            record.contact_row = Contact(customer=customer, **record.contact)
            services.contact_indexes(record.contact_row)
        if customer.owner_id:
            record.assignment = Assignment(
                customer=customer,
                kind=AssignmentKind.ASSIGN,
                to_owner=customer.owner,
                by=self.by if getattr(self.by, "pk", None) else None,
                due_at=customer.handover_due_at,
                acknowledged_at=customer.acknowledged_at,
            )

    def check_owner(self, owner: User, errors: RowErrors) -> None:
        """The service's owner rule (active salesperson or sales manager), once per user."""
        if owner.pk not in self._owner_problems:
            try:
                services.check_owner(owner)
                self._owner_problems[owner.pk] = None
            except ValidationFailed as exc:
                self._owner_problems[owner.pk] = f"{exc.message}（{owner}）"
        problem = self._owner_problems[owner.pk]
        if problem:
            errors.add("owner", problem)

    def _stage(self, cells: Mapping[str, str], errors: RowErrors) -> str:
        raw = cells.get("stage", "")
        if not raw:
            return ""
        stage = _choice_lookup("stage").get(_fold(raw))
        if stage is None:
            errors.add("stage", _("无效的合作阶段：%(value)s。") % {"value": raw} + _choice_hint("stage"))
            return ""
        if stage == Stage.LOST and not cells.get("lost_reason"):
            errors.add("stage", _("合作阶段为“流失客户”时，请在“未成交原因”列填写原因。"))
        return stage

    def _owner(self, raw: str, errors: RowErrors) -> User | None:
        raw = raw.strip()
        if not raw:
            return None
        if not self.may_assign:
            errors.add("owner", _("您没有分配客户的权限，请清空“负责业务员”列，导入后由销售经理分配。"))
            return None
        user = self.by_username.get(raw.casefold())
        if user is not None:
            return user
        matches = self.by_display.get(raw, [])
        if len(matches) == 1:
            return matches[0]
        if matches:
            errors.add(
                "owner",
                _("有 %(count)s 个用户的姓名都是“%(name)s”，请改填用户名。") % {"count": len(matches), "name": raw},
            )
        else:
            errors.add(
                "owner",
                _("找不到业务员“%(name)s”。请填写系统中已有的用户名或姓名，或留空放入公海。") % {"name": raw},
            )
        return None

    def _contact(self, cells: Mapping[str, str], errors: RowErrors) -> dict[str, Any] | None:
        given = {target: cells[source] for source, target in CONTACT_COLUMNS.items() if cells.get(source)}
        if not given:
            return None
        try:
            return services.clean_contact_fields({**given, "is_primary": True})
        except ValidationFailed as exc:
            back = {target: source for source, target in CONTACT_COLUMNS.items()}
            for name, messages in exc.extra.get("fields", {}).items():
                for message in messages:
                    errors.add(back.get(name, ""), message)
            return None

    def _service_errors(self, exc: ValidationFailed, errors: RowErrors) -> None:
        fields = exc.extra.get("fields") or {"": [str(exc.message)]}
        if "owner" in fields:  # from the owner check: the message says more than the field note
            errors.add("owner", str(exc.message))
            return
        for name, messages in fields.items():
            for message in messages:
                if name in CHOICES:
                    message = f"{message.rstrip('。')}。{_choice_hint(name)}"
                errors.add(name if name in COLUMNS else "", message)

    # -- duplicates (CUS-6) ------------------------------------------------------------------

    def _keys(
        self,
        cells: Mapping[str, str],
        cleaned: dict[str, Any] | None,
        customer: Customer | None,
        contact: dict[str, Any] | None,
    ) -> list[tuple[str, str, str]]:
        """[(column, kind, key)] of the row. Taken from the raw cells when the row did not
        validate, so that a bad row still shows its duplicates in the same pass."""
        if customer is not None:
            name, code, phone = customer.name_normalized, customer.credit_code, customer.phone_index
        elif cleaned is not None:
            name = normalize_company_name(cleaned.get("name", ""))
            code = cleaned.get("credit_code", "")
            phone = crypto.blind_index(cleaned.get("phone", ""), purpose="phone")
        else:
            name = normalize_company_name(cells.get("name", ""))
            code = _quiet(validate_uscc, cells.get("credit_code", ""))
            phone = _phone_index(cells.get("phone", ""))
        if contact is not None:
            mobile = crypto.blind_index(contact.get("mobile", ""), purpose="phone")
        else:
            mobile = _phone_index(cells.get("contact_mobile", ""))
        keys = [("credit_code", "code", code), ("name", "name", name), ("phone", "phone", phone)]
        keys.append(("contact_mobile", "phone", mobile))
        return [key for key in keys if key[2]]

    def _duplicates(self, number: int, cells: Mapping[str, str], keys: list[tuple[str, str, str]], errors: RowErrors):
        """Against the database (one message per existing customer) and earlier rows of the file."""
        tables = {
            "code": (self.db_codes, self.file_codes, self.same_code),
            "name": (self.db_names, self.file_names, self.same_name),
            "phone": (self.db_phones, self.file_phones, self.same_phone),
        }
        reported_db: set[int] = set()
        reported_rows: set[int] = set()
        for column, kind, key in keys:
            existing, seen, reason = tables[kind]
            pk = existing.get(key)
            if pk is not None and pk not in reported_db:
                reported_db.add(pk)
                errors.add(column, lambda pk=pk, reason=reason: self._duplicate_message(pk, reason))
            first = seen.get(key)
            if first is None:
                seen[key] = _Seen(number, cells.get("name", ""))
            elif first.row != number and first.row not in reported_rows:
                reported_rows.add(first.row)
                errors.add(
                    column,
                    _("与本文件第 %(row)s 行“%(name)s”重复：%(reason)s。同一客户只能出现一次，请删除或合并重复的行。")
                    % {"row": first.row, "name": first.name, "reason": reason},
                )

    def _duplicate_message(self, pk: int, reason: str) -> str:
        customer = self._customers.get(pk)
        if customer is None:
            customer = Customer.objects.select_related("owner").get(pk=pk)
            self._customers[pk] = customer
        return services.Duplicate(customer, reason).message + _("请删除这一行，或到客户列表中修改已有客户。")

    def finish(self, errors: ErrorLog) -> None:
        self._customers.clear()

    def recheck(self, *, since: Any, errors: ErrorLog) -> None:
        """Customers and contacts written since validation started (inside the commit lock)."""
        hits: dict[tuple[int, int], tuple[str, str]] = {}  # (row, existing pk) -> (column, reason)
        changed = Customer.objects.filter(updated_at__gte=since).values_list(
            "pk", "name_normalized", "credit_code", "phone_index"
        )
        for pk, name, code, phone in changed:
            for key, seen, reason, column in (
                (code, self.file_codes, self.same_code, "credit_code"),
                (name, self.file_names, self.same_name, "name"),
                (phone, self.file_phones, self.same_phone, "phone"),
            ):
                if key and key in seen:
                    hits.setdefault((seen[key].row, pk), (column, reason))
        contacts = Contact.objects.filter(updated_at__gte=since).values_list(
            "customer_id", "mobile_index", "phone_index"
        )
        for pk, mobile, phone in contacts:
            for key in (mobile, phone):
                if key and key in self.file_phones:
                    hits.setdefault((self.file_phones[key].row, pk), ("phone", self.same_phone))
        for (row, pk), (column, reason) in sorted(hits.items()):
            errors.add(row, column, lambda pk=pk, reason=reason: self._duplicate_message(pk, reason))

    # -- preview and publication ---------------------------------------------------------------

    def preview(self, record: _Record) -> dict[str, Any]:
        values = record.cleaned if record.customer is None else vars(record.customer)
        shown: dict[str, Any] = {}
        for name in COLUMNS:
            if name == "stage":
                value = record.stage or Stage.POTENTIAL
            elif name in CHOICES:
                value = values.get(name) or Customer._meta.get_field(name).get_default()
            else:
                value = values.get(name, "")
            if name in CHOICES:
                value = dict(CHOICES[name].choices).get(value, value)
            elif name == "is_vip":
                value = _("是") if value else _("否")
            elif name == "owner":
                value = str(record.owner) if record.owner else _("公海")
            elif name in CONTACT_COLUMNS:
                value = (record.contact or {}).get(CONTACT_COLUMNS[name], "")
            shown[name] = _mask(str(value)) if name in SENSITIVE_COLUMNS else str(value or "")
        return shown

    def publish(self, *, batch: ImportBatch, by: Any, progress: Progress) -> int:
        total = len(self.records)
        codes = reserve_numbers(series="customer", count=total)
        reason = (_("批量导入（批次 %(batch)s）") % {"batch": batch.pk})[:200]
        owners: dict[int, list[Any]] = {}
        for record, code in zip(self.records, codes, strict=True):
            customer = record.customer
            customer.code = code
            customer.import_batch = batch
            if record.assignment is not None:
                record.assignment.reason = reason
                owners.setdefault(customer.owner_id, [customer.owner, 0, customer.handover_due_at])[1] += 1
        for start in range(0, total, PUBLISH_CHUNK):
            chunk = self.records[start : start + PUBLISH_CHUNK]
            audit.bulk_create_audited(
                Customer,
                [record.customer for record in chunk],
                action="customers.customer.imported",
                by=by,
                fields=services.AUDIT_FIELDS,
            )
            contacts = [record.contact_row for record in chunk if record.contact_row is not None]
            if contacts:
                audit.bulk_create_audited(
                    Contact, contacts, action="customers.contact.imported", by=by, fields=services.CONTACT_FIELDS
                )
            assignments = [record.assignment for record in chunk if record.assignment is not None]
            if assignments:
                Assignment.objects.bulk_create(assignments)  # noqa: NQ001 - not an audited model; history rows
            progress(start + len(chunk), total)
        for owner, count, due in owners.values():
            if owner.pk != getattr(by, "pk", None) and due:
                notify(
                    user=owner,
                    title=_("新分配客户：批量导入 %(count)s 个") % {"count": count},
                    body=_("请在 %(due)s 前确认接收并了解客户背景。")
                    % {"due": timezone.localtime(due).strftime("%m-%d %H:%M")},
                    obj=None,
                )
        return total


def _quiet(check: Any, value: str) -> str:
    try:
        return check(value)
    except ValidationError:
        return ""


def _phone_index(raw: str) -> str:
    return crypto.blind_index(_quiet(normalize_phone, raw), purpose="phone")


# --- template ----------------------------------------------------------------------------------------

EXAMPLE_ROW = {
    "name": "长沙涵瑞建筑装饰有限公司",
    "short_name": "涵瑞建筑",
    "kind": "企业",
    "industry": "建筑装饰",
    "scale": "中型",
    "potential": "高",
    "stage": "意向客户",
    "grade": "A 类",
    "is_vip": "否",
    "source": "展会",
    "province": "湖南",
    "city": "长沙",
    "address": "岳麓区麓谷大道 100 号",
    "phone": "0731-8888 1234",
    "fax": "0731-8888 1235",
    "email": "office@hanrui.example.cn",
    "website": "www.hanrui.example.cn",
    "business_scope": "建筑装饰工程设计与施工",
    "credit_code": "",  # filled with a valid code at runtime
    "invoice_title": "长沙涵瑞建筑装饰有限公司",
    "invoice_tax_id": "",
    "invoice_address_phone": "长沙市岳麓区麓谷大道 100 号 0731-88881234",
    "invoice_bank": "中国银行长沙麓谷支行",
    "invoice_account": "6217 0000 1234 5678",
    "purchase_intent": "办公楼装修，预计明年一季度",
    "purchase_capacity": "50 万元以内",
    "lost_reason": "",
    "notes": "",
    "owner": "",
    "contact_name": "王经理",
    "contact_title": "采购部经理",
    "contact_mobile": "138 0013 8000",
}


def _help_rows() -> list[tuple[str, str, str]]:
    required, optional = _("必填"), _("选填")

    def choices(name: str) -> str:
        return "、".join(str(label) for label in CHOICES[name].labels)

    notes = {
        "name": _("公司全称或个人姓名，不能与已有客户重复（名称、统一社会信用代码或电话相同都算重复）。"),
        "kind": _("填写：%(v)s；留空为“企业”。") % {"v": choices("kind")},
        "industry": _("填写：%(v)s；留空为“其他”。") % {"v": choices("industry")},
        "scale": _("填写：%(v)s。") % {"v": choices("scale")},
        "potential": _("填写：%(v)s。") % {"v": choices("potential")},
        "stage": _("填写：%(v)s；留空为“潜在客户”；“流失客户”须填写未成交原因。") % {"v": choices("stage")},
        "grade": _("填写：%(v)s（也可写 A、B、C）；留空为 C 类。") % {"v": choices("grade")},
        "is_vip": _("填写“是”或“否”；留空为否。"),
        "source": _("填写：%(v)s。") % {"v": choices("source")},
        "phone": _("座机请带区号，如 0731-88881234；一格只填一个号码。"),
        "credit_code": _("18 位，系统会核对校验位；个人客户留空。"),
        "owner": _("填写业务员的用户名或姓名；留空则放入公海。"),
        "contact_mobile": _("11 位手机号，不能与已有客户的电话重复。"),
    }
    return [
        (str(title), required if name in REQUIRED else optional, str(notes.get(name, "")))
        for name, (title, _names) in COLUMNS.items()
    ]


def template_xlsx() -> bytes:
    """The import template: header row, one example row, and a sheet explaining each column."""
    example = dict(EXAMPLE_ROW, credit_code=make_uscc("91430104MA4L0HR01"))
    output = io.BytesIO()
    workbook = xlsxwriter.Workbook(output, {**WORKBOOK_OPTIONS, "constant_memory": False})
    bold = workbook.add_format({"bold": True})
    required = workbook.add_format({"bold": True, "font_color": "#C00000"})
    sheet = workbook.add_worksheet(_("客户导入"))
    for col, (name, (title, _names)) in enumerate(COLUMNS.items()):
        header = f"{title}*" if name in REQUIRED else str(title)
        sheet.write_string(0, col, escape_cell(header), required if name in REQUIRED else bold)
        sheet.write_string(1, col, escape_cell(example.get(name, "")))
        sheet.set_column(col, col, max(12, min(30, 2 * len(str(title)) + 4)))
    sheet.freeze_panes(1, 1)
    help_sheet = workbook.add_worksheet(_("填写说明"))
    for col, title in enumerate((_("列名"), _("是否必填"), _("说明"))):
        help_sheet.write_string(0, col, title, bold)
    for row, values in enumerate(_help_rows(), start=1):
        for col, value in enumerate(values):
            help_sheet.write_string(row, col, escape_cell(value))
    last = len(COLUMNS) + 2
    help_sheet.write_string(last, 0, _("第一行是列名，请勿修改；从第二行起每行一个客户，示例行请删除后再导入。"))
    help_sheet.write_string(last + 1, 0, _("支持 .xlsx、.xls 和 .csv（UTF-8 或 GBK/GB18030 编码）；一次最多 20 万行。"))
    help_sheet.write_string(last + 2, 0, _("有任何一行出错时整批都不会导入；请按错误提示修改后重新上传。"))
    help_sheet.set_column(0, 0, 18)
    help_sheet.set_column(1, 1, 10)
    help_sheet.set_column(2, 2, 80)
    workbook.close()
    return output.getvalue()


# --- export --------------------------------------------------------------------------------------------


def _export_columns() -> list[Column]:
    columns = [Column("code", str(EXPORT_ONLY["code"][0]))]
    columns += [Column(name, str(title)) for name, (title, _names) in COLUMNS.items()]
    columns += [
        Column("team", str(EXPORT_ONLY["team"][0])),
        Column("created_at", str(EXPORT_ONLY["created_at"][0]), kind="datetime"),
    ]
    return columns


def _export_row(customer: Customer) -> dict[str, Any]:
    row: dict[str, Any] = {name: getattr(customer, name) or "" for name in SERVICE_TEXT}
    for name in CHOICES:
        row[name] = getattr(customer, f"get_{name}_display")() if getattr(customer, name) else ""
    row["code"] = customer.code
    row["is_vip"] = _("是") if customer.is_vip else _("否")
    row["owner"] = str(customer.owner) if customer.owner_id else ""
    row["team"] = str(customer.team) if customer.team_id else ""
    row["created_at"] = customer.created_at
    contacts = list(customer.contacts.all())
    if contacts:
        first = contacts[0]
        row.update(contact_name=first.name, contact_title=first.title, contact_mobile=first.mobile or "")
    return row


def _active_filters(filters: CustomerFilters) -> dict[str, Any]:
    defaults = CustomerFilters()
    return {
        f.name: getattr(filters, f.name)
        for f in dataclasses.fields(filters)
        if getattr(filters, f.name) != getattr(defaults, f.name)
    }


def export_customers(
    *, user: Any, filters: CustomerFilters, fmt: Literal["xlsx", "csv"] = "xlsx"
) -> tuple[bytes, str, str]:
    """The customer list as the user sees it (scoped), as (content, file name, content type).

    Same columns as the import template (plus code, team and creation time), phones decrypted,
    every text cell neutralised against formula injection. The export is recorded in the audit trail.
    """
    if not rules.can_export(user):
        raise PermissionDenied(_("您没有导出客户的权限。"))
    if fmt not in ("xlsx", "csv"):
        raise ValidationFailed(_("不支持的导出格式：%(fmt)s。请选择 xlsx 或 csv。") % {"fmt": fmt})
    qs = customer_list(user=user, filters=filters).prefetch_related(
        Prefetch("contacts", queryset=Contact.objects.order_by("-is_primary", "id"))
    )
    counter = {"rows": 0}

    def rows() -> Iterator[dict[str, Any]]:
        for customer in qs.iterator(chunk_size=2000):
            counter["rows"] += 1
            yield _export_row(customer)

    columns = _export_columns()
    if fmt == "xlsx":
        content = write_xlsx(columns=columns, rows=rows(), sheet_title=_("客户列表"))
        content_type = XLSX_TYPE
    else:
        content = write_csv(columns=columns, rows=rows())
        content_type = CSV_TYPE
    services.customer_record_export(by=user, count=counter["rows"], filters=_active_filters(filters), fmt=fmt)
    filename = f"{_('客户列表')}_{timezone.localdate():%Y%m%d}.{fmt}"
    return content, filename, content_type
