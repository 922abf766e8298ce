"""One error hierarchy for every business refusal.

Services raise these; the API maps them to ``{"code", "message", "extra"}`` with 409/422/404/403
and pages show ``message`` next to the form. Messages are lazy translations that say what to do.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A business rule refused the request; nothing was changed."""

    code = "domain_error"
    status = 409

    def __init__(self, message: Any, *, code: str | None = None, extra: dict[str, Any] | None = None):
        super().__init__(str(message))
        self.message = message
        if code:
            self.code = code
        self.extra = extra or {}

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": str(self.message), "extra": self.extra}


class ValidationFailed(DomainError):
    """Input is malformed or incomplete. ``extra["fields"]`` maps field -> list of messages."""

    code = "validation_error"
    status = 422

    @classmethod
    def from_django(cls, error: Any, message: Any = None) -> ValidationFailed:
        from django.utils.translation import gettext as _

        fields: dict[str, list[str]] = {}
        if hasattr(error, "error_dict"):
            for field, errs in error.message_dict.items():
                fields[field] = [str(e) for e in errs]
        else:
            fields["__all__"] = [str(m) for m in getattr(error, "messages", [error])]
        first = next(iter(fields.values()))[0] if fields else ""
        return cls(message or first or _("输入有误，请检查后重试。"), extra={"fields": fields})


class NotFound(DomainError):
    """Missing or outside the user's scope: both look the same to the user."""

    code = "not_found"
    status = 404


class PermissionDenied(DomainError):
    code = "permission_denied"
    status = 403


class Conflict(DomainError):
    """The record changed meanwhile, or the action was already done."""

    code = "conflict"
    status = 409


class InvalidTransition(DomainError):
    code = "invalid_transition"
    status = 409
