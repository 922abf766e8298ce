"""Read an inspected upload into header + numbered rows of clean strings.

python-calamine reads ``.xlsx`` and legacy ``.xls`` about ten times faster than openpyxl and never
evaluates or expands anything. Every cell comes back as text, because importers validate text
(``money.to_decimal``, phone and date parsers) and Excel's float storage must not leak out:
``13800138000.0`` becomes ``"13800138000"``. Rows keep their sheet row number for error messages.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

import python_calamine
from django.utils.translation import gettext_lazy as _

from neiqin.core.spreadsheets.errors import UploadRejected
from neiqin.core.spreadsheets.escaping import unescape_cell

MAX_ROWS = 200_000
DECODE_CHUNK = 1024 * 1024
# Excel shows 15 significant digits; more would expose binary float noise (0.30000000000000004).
EXCEL_DIGITS = 15
_INVISIBLE = "\ufeff\u200b"

RawRow = list[object]
NumberedRows = Iterator[tuple[int, RawRow]]


class Row(NamedTuple):
    """One data row: ``number`` is the 1-based row the user sees in Excel."""

    number: int
    values: list[str]


@dataclass(frozen=True, slots=True)
class Table:
    """Header cells and a one-pass iterator over the non-empty rows below them.

    ``rows`` is lazy so that a 200 000-row import never holds every row as Python strings; each
    row has at least ``len(headers)`` values.
    """

    headers: list[str]
    header_row: int
    rows: Iterator[Row]


def read_table(*, data: bytes, kind: str, sheet: int = 0, max_rows: int = MAX_ROWS) -> Table:
    """Parse ``data`` (already accepted by ``inspect_upload``) into a :class:`Table`.

    The header is the first non-empty row. ``max_rows`` counts the rows below it, blank ones
    included, and is enforced before the first row is yielded.
    """
    if kind in ("xlsx", "xls"):
        rows, last_row = _workbook_rows(data, sheet=sheet)
        return _build_table(rows, max_rows=max_rows, count_after=lambda _header: last_row)
    if kind == "csv":
        encoding = _csv_encoding(data)
        return _build_table(
            _csv_rows(data, encoding),
            max_rows=max_rows,
            count_after=lambda header: _count_rows_after(_csv_rows(data, encoding), header, max_rows),
        )
    raise ValueError(f"Unknown spreadsheet kind: {kind!r}")


def clean_cell(value: object) -> str:
    """Turn one parsed cell into the text the user typed or saw."""
    if value is None:
        text = ""
    elif isinstance(value, str):
        text = value
    elif isinstance(value, bool):
        text = "TRUE" if value else "FALSE"
    elif isinstance(value, int):
        text = str(value)
    elif isinstance(value, float):
        text = _float_text(value)
    elif isinstance(value, dt.datetime):
        text = _datetime_text(value)
    elif isinstance(value, dt.date):
        text = value.isoformat()
    elif isinstance(value, dt.time):
        text = value.replace(microsecond=0).isoformat()
    elif isinstance(value, dt.timedelta):
        text = _duration_text(value)
    else:
        text = str(value)
    # Unescape before trimming, so that reading back our own export returns exactly the trimmed
    # original (escape_cell only ever adds one quote at the very front).
    return _tidy(unescape_cell(text))


# --- cell conversion ---------------------------------------------------------------------------


def _tidy(text: str) -> str:
    return text.strip().strip(_INVISIBLE).strip()


def _float_text(value: float) -> str:
    """Render like Excel: 15 significant digits, no exponent, no ``.0`` on whole numbers."""
    if not math.isfinite(value):
        return str(value)
    if value == 0:
        return "0"
    return format(Decimal(f"{value:.{EXCEL_DIGITS}g}"), "f")


def _datetime_text(value: dt.datetime) -> str:
    # Excel stores times as fractions of a day; round away the float noise to whole seconds.
    value = (value + dt.timedelta(microseconds=500_000)).replace(microsecond=0)
    if value.time() == dt.time(0, 0):
        return value.date().isoformat()
    return value.strftime("%Y-%m-%d %H:%M:%S")


def _duration_text(value: dt.timedelta) -> str:
    seconds = round(value.total_seconds())
    sign = "-" if seconds < 0 else ""
    hours, rest = divmod(abs(seconds), 3600)
    return f"{sign}{hours}:{rest // 60:02d}:{rest % 60:02d}"


# --- table assembly ----------------------------------------------------------------------------


def _build_table(rows: NumberedRows, *, max_rows: int, count_after: Callable[[int], int | None]) -> Table:
    header_row, headers = _find_header(rows)
    _check_row_count(count_after(header_row), header_row=header_row, max_rows=max_rows)
    return Table(headers=headers, header_row=header_row, rows=_data_rows(rows, width=len(headers)))


def _find_header(rows: NumberedRows) -> tuple[int, list[str]]:
    """The first non-empty row: templates often carry a title or blank rows above the header."""
    for number, raw in rows:
        headers = _trim(_clean_row(raw))
        if headers:
            return number, headers
    raise UploadRejected(_("表格里没有数据。请确认第一行是列名、下面是数据，并且选对了工作表。"), code="upload_no_data")


def _check_row_count(last_row: int | None, *, header_row: int, max_rows: int) -> None:
    if last_row is not None and last_row - header_row > max_rows:
        raise UploadRejected(
            _("表格有 %(count)s 行数据，超过单次导入上限 %(limit)s 行。请拆分成多个文件后分别导入。")
            % {"count": last_row - header_row, "limit": max_rows},
            code="upload_too_many_rows",
            extra={"rows": last_row - header_row, "max_rows": max_rows},
        )


def _data_rows(rows: NumberedRows, *, width: int) -> Iterator[Row]:
    for number, raw in rows:
        values = _clean_row(raw)
        if any(values):
            yield Row(number, _fit(values, width))


def _clean_row(raw: Iterable[object]) -> list[str]:
    return [clean_cell(value) for value in raw]


def _trim(values: list[str]) -> list[str]:
    while values and not values[-1]:
        values.pop()
    return values


def _fit(values: list[str], width: int) -> list[str]:
    """Pad short rows to the header width; keep extra cells only if they hold something."""
    if len(values) < width:
        return values + [""] * (width - len(values))
    return values[:width] + _trim(values[width:])


# --- workbooks ---------------------------------------------------------------------------------


def _workbook_rows(data: bytes, *, sheet: int) -> tuple[NumberedRows, int]:
    """Open one sheet with calamine; returns numbered rows and the last used row number."""
    if sheet < 0:
        raise ValueError("sheet index must be >= 0")
    try:
        workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        worksheet = workbook.get_sheet_by_index(sheet)
    except python_calamine.PasswordError:
        raise UploadRejected(
            _("文件设置了打开密码。请在 Excel 中取消密码并另存后再上传。"), code="upload_encrypted"
        ) from None
    except (python_calamine.WorksheetNotFound, IndexError):
        raise UploadRejected(
            _("找不到第 %(number)s 个工作表。请检查工作表的顺序后再上传。") % {"number": sheet + 1},
            code="upload_no_sheet",
        ) from None
    except (python_calamine.CalamineError, ValueError, OSError):
        raise _unreadable() from None
    end = worksheet.end
    last_row = end[0] + 1 if end is not None else 0
    # iter_rows starts at the sheet's first row even when the data starts lower down, so the
    # enumeration below is the row number Excel shows.
    return _numbered(worksheet.iter_rows()), last_row


def _numbered(rows: Iterable[RawRow]) -> NumberedRows:
    try:
        yield from enumerate(rows, start=1)
    except python_calamine.CalamineError:
        raise _unreadable() from None


def _unreadable() -> UploadRejected:
    return UploadRejected(
        _("无法读取这个 Excel 文件，它可能已损坏。请在 Excel 中打开并另存为 .xlsx 后再上传。"),
        code="upload_damaged",
    )


# --- CSV ---------------------------------------------------------------------------------------


def _csv_encoding(data: bytes) -> str:
    """UTF-8 (with or without BOM) first, then GB18030, which Excel in China writes by default."""
    for encoding in ("utf-8-sig", "gb18030"):
        if _decodes(data, encoding):
            return encoding
    raise UploadRejected(
        _("无法识别 CSV 文件的编码。请在 Excel 中另存为“CSV UTF-8（逗号分隔）”后再上传。"),
        code="upload_encoding",
    )


def _decodes(data: bytes, encoding: str) -> bool:
    """Validate in chunks so a 20 MB file is never decoded into one giant string just to check."""
    decoder = codecs.getincrementaldecoder(encoding)()
    view = memoryview(data)
    try:
        for start in range(0, len(data), DECODE_CHUNK):
            decoder.decode(view[start : start + DECODE_CHUNK], final=False)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _csv_rows(data: bytes, encoding: str) -> NumberedRows:
    """Records numbered from 1 as Excel shows them (a quoted line break does not add a row)."""
    text = io.TextIOWrapper(io.BytesIO(data), encoding=encoding, newline="")
    # strict: an unbalanced quote is an error, not the rest of the file swallowed into one cell.
    reader = csv.reader(text, strict=True)
    number = 0
    try:
        for number, record in enumerate(reader, start=1):
            yield number, list(record)
    except csv.Error:
        raise UploadRejected(
            _("CSV 文件第 %(number)s 行格式有误（引号不配对或单元格过长）。请在 Excel 中检查后另存再上传。")
            % {"number": number + 1},
            code="upload_csv_format",
            extra={"row": number + 1},
        ) from None


def _count_rows_after(rows: NumberedRows, header_row: int, max_rows: int) -> int:
    """Last record number, counting no further than needed to know the limit is exceeded."""
    stop_at = header_row + max_rows + 1
    last = 0
    for last, _record in rows:
        if last >= stop_at:
            break
    return last
