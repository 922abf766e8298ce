"""Errors raised by the spreadsheet helpers.

Both are ``DomainError``s, so the API and pages show them like any other business refusal
(``{"code", "message", "extra"}``), and ``ValueError``s, so plain callers (management commands,
background tasks) can catch them without knowing the domain hierarchy.
"""

from __future__ import annotations

from typing import Any

from neiqin.core.errors import DomainError


class SpreadsheetError(DomainError, ValueError):
    """A spreadsheet could not be accepted or produced; ``str(error)`` tells the user what to do."""

    code = "spreadsheet_error"
    status = 422

    def __init__(self, message: Any, *, code: str | None = None, extra: dict[str, Any] | None = None):
        super().__init__(message, code=code, extra=extra)

    def __str__(self) -> str:
        return str(self.message)


class UploadRejected(SpreadsheetError):
    """An uploaded file was refused before or while reading it; nothing was imported.

    ``code`` names the reason (``upload_empty``, ``zip_bomb``, ``xml_entities``…) so that tests
    and logs can tell the checks apart while users only see the translated ``message``.
    """

    code = "upload_rejected"


class ExportTooLarge(SpreadsheetError):
    """An export has more rows than the target format can hold."""

    code = "export_too_large"
