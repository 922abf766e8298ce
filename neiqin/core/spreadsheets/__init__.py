"""Spreadsheet import and export: inspect uploads, read tables, write XLSX/CSV safely.

The flow for an import is ``inspect_upload`` (refuses bombs and disguised files before parsing,
returns the kind and a SHA-256 that keys the import batch) -> ``read_table`` -> ``map_columns``.
Exports describe their columns once and call ``write_xlsx`` or ``write_csv``/``iter_csv``; both
neutralise formula injection with ``escape_cell``.
"""

from neiqin.core.spreadsheets.columns import column_letter, map_columns, normalize_header
from neiqin.core.spreadsheets.errors import ExportTooLarge, SpreadsheetError, UploadRejected
from neiqin.core.spreadsheets.escaping import DANGEROUS_PREFIXES, escape_cell, unescape_cell
from neiqin.core.spreadsheets.reading import Row, Table, clean_cell, read_table
from neiqin.core.spreadsheets.upload import UploadInfo, assert_defused, inspect_upload
from neiqin.core.spreadsheets.writing import Column, iter_csv, safe_sheet_title, write_csv, write_xlsx

__all__ = [
    "DANGEROUS_PREFIXES",
    "Column",
    "ExportTooLarge",
    "Row",
    "SpreadsheetError",
    "Table",
    "UploadInfo",
    "UploadRejected",
    "assert_defused",
    "clean_cell",
    "column_letter",
    "escape_cell",
    "inspect_upload",
    "iter_csv",
    "map_columns",
    "normalize_header",
    "read_table",
    "safe_sheet_title",
    "unescape_cell",
    "write_csv",
    "write_xlsx",
]
