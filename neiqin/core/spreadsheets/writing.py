"""Write exports as XLSX (XlsxWriter) or CSV, with formula injection neutralised (S9).

Both writers take the same column list, so every export offers both formats with one definition.
Text is always written as text: XlsxWriter's ``write()`` would turn ``"=1+1"`` into a live formula
(RELIABILITY T8), so only ``write_string`` is used for text, after :func:`escape_cell`. Numbers
stay numbers so that clerks can sum them, and dates are real Excel dates.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

import xlsxwriter
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from neiqin.core.spreadsheets.errors import ExportTooLarge
from neiqin.core.spreadsheets.escaping import escape_cell

ColumnKind = Literal["text", "money", "quantity", "date", "datetime", "int"]

EXCEL_MAX_ROWS = 1_048_576
SHEET_TITLE_MAX = 31
_SHEET_TITLE_FORBIDDEN = str.maketrans({char: "_" for char in "[]:*?/\\"})
CSV_BATCH_ROWS = 1000
UTF8_BOM = "\ufeff"

NUMBER_FORMATS: dict[str, str] = {
    "money": "#,##0.00",
    "quantity": "#,##0.###",
    "quantity_whole": "#,##0",  # "#,##0.###" would show whole quantities as "5."
    "int": "0",
    "date": "yyyy-mm-dd",
    "datetime": "yyyy-mm-dd hh:mm:ss",
}
DEFAULT_WIDTHS: dict[str, float] = {
    "text": 20,
    "money": 14,
    "quantity": 12,
    "int": 10,
    "date": 12,
    "datetime": 20,
}
WORKBOOK_OPTIONS = {
    # Rows are flushed to a temporary file as they are written: memory stays flat for any size.
    "constant_memory": True,
    # Defence in depth: write_string is used for text anyway, but write() must never guess.
    "strings_to_formulas": False,
    "strings_to_numbers": False,
    "strings_to_urls": False,
}


@dataclass(frozen=True, slots=True)
class Column:
    """One export column: ``key`` reads the row dict, ``title`` is the header the user sees."""

    key: str
    title: str
    kind: ColumnKind = "text"
    width: float | None = None

    def __post_init__(self) -> None:
        if self.kind not in DEFAULT_WIDTHS:
            raise ValueError(f"unknown column kind {self.kind!r}")


Rows = Iterable[Mapping[str, Any]]


def write_xlsx(*, columns: Sequence[Column], rows: Rows, sheet_title: str = "Sheet1") -> bytes:
    """Return an XLSX workbook with a bold, frozen, filterable header row and typed cells.

    Raises :class:`ExportTooLarge` beyond Excel's row limit instead of silently dropping rows.
    """
    if not columns:
        raise ValueError("an export needs at least one column")
    output = io.BytesIO()
    workbook = xlsxwriter.Workbook(output, WORKBOOK_OPTIONS)
    formats = {name: workbook.add_format({"num_format": pattern}) for name, pattern in NUMBER_FORMATS.items()}
    header_format = workbook.add_format({"bold": True})
    sheet = workbook.add_worksheet(safe_sheet_title(sheet_title))
    _write_header(sheet, columns, header_format)
    last_row = 0
    for last_row, row in enumerate(rows, start=1):
        if last_row >= EXCEL_MAX_ROWS:
            raise _too_large()
        for index, column in enumerate(columns):
            _write_cell(sheet, last_row, index, column, row.get(column.key), formats)
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, last_row, len(columns) - 1)
    workbook.close()
    return output.getvalue()


def write_csv(*, columns: Sequence[Column], rows: Rows) -> bytes:
    """Return the whole CSV export; see :func:`iter_csv` for the streaming form."""
    return b"".join(iter_csv(columns=columns, rows=rows))


def iter_csv(*, columns: Sequence[Column], rows: Rows) -> Iterator[bytes]:
    """Yield a CSV export in chunks, for ``StreamingHttpResponse``.

    UTF-8 with BOM, because Excel in China otherwise opens UTF-8 as GBK mojibake; CRLF and
    RFC 4180 quoting. Text cells are always quoted and escaped; numbers are written bare so that
    Excel reads them as numbers (``QUOTE_NONNUMERIC`` quotes exactly the ``str`` values).
    """
    if not columns:
        raise ValueError("an export needs at least one column")
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\r\n")
    buffer.write(UTF8_BOM)
    writer.writerow([escape_cell(column.title) for column in columns])
    for count, row in enumerate(rows, start=1):
        writer.writerow([_csv_value(column, row.get(column.key)) for column in columns])
        if count % CSV_BATCH_ROWS == 0:
            yield _drain(buffer)
    yield _drain(buffer)


def safe_sheet_title(title: str) -> str:
    """Excel refuses ``[]:*?/\\`` and titles over 31 characters; titles may come from user data."""
    cleaned = title.translate(_SHEET_TITLE_FORBIDDEN).strip("' ")[:SHEET_TITLE_MAX]
    return cleaned or "Sheet1"


# --- XLSX cells --------------------------------------------------------------------------------


def _write_header(sheet: Worksheet, columns: Sequence[Column], header_format: Format) -> None:
    for index, column in enumerate(columns):
        sheet.set_column(index, index, _width(column))
        sheet.write_string(0, index, escape_cell(column.title), header_format)


def _width(column: Column) -> float:
    if column.width is not None:
        return column.width
    # CJK characters are about two Latin characters wide.
    title_width = sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in column.title)
    return max(DEFAULT_WIDTHS[column.kind], title_width + 2)


def _write_cell(sheet: Worksheet, row: int, col: int, column: Column, value: Any, formats: dict[str, Format]) -> None:
    if value is None or (isinstance(value, str) and value == ""):
        return
    kind = column.kind
    if kind == "text":
        sheet.write_string(row, col, escape_cell(str(value)))
    elif kind == "money":
        sheet.write_number(row, col, _decimal(value), formats["money"])
    elif kind == "quantity":
        number = _decimal(value)
        whole = number == number.to_integral_value()
        sheet.write_number(row, col, number, formats["quantity_whole" if whole else "quantity"])
    elif kind == "int":
        sheet.write_number(row, col, _integer(value), formats["int"])
    elif kind == "date":
        sheet.write_datetime(row, col, _local_date(value), formats["date"])
    else:
        sheet.write_datetime(row, col, _local_naive_datetime(value), formats["datetime"])


def _too_large() -> ExportTooLarge:
    return ExportTooLarge(
        _("导出的数据超过 Excel 的上限（%(limit)s 行）。请缩小筛选范围，或改用 CSV 导出。")
        % {"limit": EXCEL_MAX_ROWS - 1}
    )


# --- CSV cells ---------------------------------------------------------------------------------


def _csv_value(column: Column, value: Any) -> str | Decimal | int | None:
    """``str`` values get quoted by the writer, ``Decimal``/``int`` stay bare numbers."""
    if value is None or (isinstance(value, str) and value == ""):
        return None
    kind = column.kind
    if kind == "text":
        return escape_cell(str(value))
    if kind == "money":
        return _money_text(_decimal(value))
    if kind == "quantity":
        return _plain(_decimal(value))
    if kind == "int":
        return _integer(value)
    if kind == "date":
        return _local_date(value).isoformat()
    return _local_naive_datetime(value).strftime("%Y-%m-%d %H:%M:%S")


def _money_text(amount: Decimal) -> Decimal:
    """At least two decimals ("12.50"), never rounded: unit prices carry four."""
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and exponent > -2:
        return amount.quantize(Decimal("0.01"))
    return amount


def _plain(number: Decimal) -> Decimal:
    """Drop trailing zeros without switching to exponent notation (``1E+2`` -> ``100``)."""
    normalized = number.normalize()
    exponent = normalized.as_tuple().exponent
    if isinstance(exponent, int) and exponent > 0:
        return normalized.quantize(Decimal(1))
    return normalized


def _drain(buffer: io.StringIO) -> bytes:
    chunk = buffer.getvalue().encode("utf-8")
    buffer.seek(0)
    buffer.truncate()
    return chunk


# --- value conversion --------------------------------------------------------------------------


def _decimal(value: Any) -> Decimal:
    """Exact numbers only: a float or bool reaching an export is a bug upstream (see core.money)."""
    if isinstance(value, bool | float):
        raise TypeError(f"refusing {type(value).__name__} in a numeric export column: {value!r}")
    if isinstance(value, Decimal):
        number = value
    else:
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            raise ValueError(f"not a number: {value!r}") from None
    if not number.is_finite():
        raise ValueError(f"not a finite number: {value!r}")
    return number


def _integer(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    number = _decimal(value)
    if number != number.to_integral_value():
        raise ValueError(f"not a whole number: {value!r}")
    return int(number)


def _local_naive_datetime(value: Any) -> dt.datetime:
    """Excel has no time zones: show aware datetimes in the user's current zone (Asia/Shanghai)."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.replace(tzinfo=None)
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time())
    raise TypeError(f"not a datetime: {value!r}")


def _local_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime) or isinstance(value, str) and len(value) > 10:
        return _local_naive_datetime(value).date()
    if isinstance(value, str):
        return dt.date.fromisoformat(value)
    if isinstance(value, dt.date):
        return value
    raise TypeError(f"not a date: {value!r}")
