"""The JSON API: /api/v1/…, OpenAPI at /api/openapi.json, docs at /api/docs (staff only).

Authentication: the session cookie (with CSRF on unsafe methods) or a personal token sent as
``Authorization: Bearer nq_…``. Every business refusal has one shape: {"code","message","extra"}.
"""

from __future__ import annotations

from typing import Any

from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import APIKeyCookie, HttpBearer

from neiqin.accounts.services import token_authenticate
from neiqin.core.errors import DomainError


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = token_authenticate(token)
        if user is not None:
            request.user = user
        return user


class SessionWithCsrf(APIKeyCookie):
    """Django session cookie; ninja enforces CSRF for cookie auth on unsafe methods."""

    param_name = "sessionid"

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_active:
            return user
        return None


api = NinjaAPI(
    title="Neiqin API",
    version="1.0.0",
    description="销售内勤系统 JSON API. Money is sent as strings with two decimals.",
    urls_namespace="api",
    auth=[BearerToken(), SessionWithCsrf(csrf=True)],
    docs_decorator=staff_member_required,
    openapi_url="/openapi.json",
    docs_url="/docs",
)


def _error(request: HttpRequest, status: int, code: str, message: str, extra: dict[str, Any] | None = None):
    return api.create_response(request, {"code": code, "message": message, "extra": extra or {}}, status=status)


@api.exception_handler(DomainError)
def on_domain_error(request: HttpRequest, exc: DomainError):
    return _error(request, exc.status, exc.code, str(exc.message), exc.extra)


@api.exception_handler(NinjaValidationError)
def on_validation_error(request: HttpRequest, exc: NinjaValidationError):
    fields: dict[str, list[str]] = {}
    for err in exc.errors:
        loc = [str(p) for p in err.get("loc", []) if p not in ("body", "query", "path", "payload", "filters")]
        fields.setdefault(".".join(loc) or "__all__", []).append(str(err.get("msg", "")))
    return _error(request, 422, "validation_error", _("请求数据格式有误，请检查字段。"), {"fields": fields})


@api.exception_handler(DjangoValidationError)
def on_django_validation_error(request: HttpRequest, exc: DjangoValidationError):
    return _error(request, 422, "validation_error", "; ".join(exc.messages))


@api.exception_handler(AuthenticationError)
def on_auth_error(request: HttpRequest, exc: AuthenticationError):
    return _error(request, 401, "unauthenticated", _("请先登录，或在 Authorization 头中提供有效令牌。"))


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError):
    return _error(request, exc.status_code, "http_error", str(exc))


def _register_routers() -> None:
    from neiqin.api.system import router as system_router

    api.add_router("/v1/", system_router)
    try:
        from neiqin.customers.api import router as customers_router
    except ImportError:  # the customers API module is added in its own commit
        return
    api.add_router("/v1/", customers_router)


_register_routers()
