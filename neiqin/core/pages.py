"""Shared by every app's pages: domain refusals as error pages, permission checks, service
field errors on forms, safe redirects, htmx fragment detection and file downloads."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header, url_has_allowed_host_and_scheme

from neiqin.core.errors import NotFound, PermissionDenied, ValidationFailed


def _error_page(request: HttpRequest, message: Any, status: int) -> HttpResponse:
    return render(request, "web/error.html", {"status": status, "message": message}, status=status)


def domain_errors(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """NotFound -> the 404 page, PermissionDenied -> the 403 page (other errors are handled in views)."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except NotFound as exc:
            return _error_page(request, exc.message, 404)
        except PermissionDenied as exc:
            return _error_page(request, exc.message, 403)

    return wrapper


def require(allowed: bool, message: Any) -> None:
    if not allowed:
        raise PermissionDenied(message)


def apply_errors(form: Any, exc: ValidationFailed) -> Any:
    """Put the service's field errors on the form; return a form-level message, if any is left."""
    placed = False
    for field, errors in (exc.extra.get("fields") or {}).items():
        for error in errors:
            if field in form.fields:
                form.add_error(field, error)
                placed = True
    return None if placed else exc.message


def redirect_next(request: HttpRequest, fallback: str) -> HttpResponse:
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return redirect(target)
    return redirect(fallback)


def is_fragment(request: HttpRequest, target: str) -> bool:
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request and htmx.target == target


def attachment(data: bytes, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response
