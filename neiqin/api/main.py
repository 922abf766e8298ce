"""The JSON API: /api/v1/…, OpenAPI at /api/openapi.json, docs at /api/docs (staff only).

Authentication: the session cookie (with CSRF on unsafe methods) or a personal token sent as
``Authorization: Bearer nq_…``. Every business refusal has one shape: {"code","message","extra"}.
"""

from __future__ import annotations

import logging
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from neiqin.accounts.services import token_authenticate
from neiqin.api.system import router as system_router
from neiqin.catalog.api import prices as catalog_prices_api
from neiqin.catalog.api import products as catalog_products_api
from neiqin.core import context
from neiqin.core.errors import DomainError, PermissionDenied
from neiqin.customers.api import router as customers_router
from neiqin.sales.api import approvals as sales_approvals_api
from neiqin.sales.api import contracts as sales_contracts_api
from neiqin.sales.api import opportunities as sales_opportunities_api
from neiqin.sales.api import orders as sales_orders_api
from neiqin.sales.api import quotations as sales_quotations_api
from neiqin.stock.api import counts as stock_counts_api
from neiqin.stock.api import levels as stock_levels_api
from neiqin.stock.api import materials as stock_materials_api
from neiqin.stock.api import replenishment as stock_replenishment_api

logger = logging.getLogger("django.request")

# Operations that answer without authentication (operation ids). Anything else must carry the
# default auth; neiqin/api/tests/test_security.py fails when an operation without security
# is missing here (RELIABILITY S4).
PUBLIC_OPERATIONS: frozenset[str] = frozenset({"system_health"})


def staff_only(view):
    """Docs and schema for staff, by session or bearer token (so tools can fetch the schema).
    Django's ``staff_member_required`` redirects to the admin login, which is not installed."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any):
        user = request.user
        scheme, _sep, token = request.headers.get("Authorization", "").partition(" ")
        if not user.is_authenticated and scheme.lower() == "bearer" and token:
            user = token_authenticate(token.strip()) or user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not (user.is_active and user.is_staff):
            raise DjangoPermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = token_authenticate(token)
        if user is not None:
            request.user = user
        return user


class SessionWithCsrf(APIKeyCookie):
    """Django session cookie; ninja enforces CSRF for cookie auth on unsafe methods."""

    param_name = "sessionid"

    def _get_key(self, request: HttpRequest) -> str | None:
        # No session cookie: this scheme does not apply, so a client that sent a bad bearer
        # token gets 401, not a CSRF refusal. With the cookie, unsafe methods need the token.
        key = request.COOKIES.get(self.param_name)
        if key is None:
            return None
        if self.csrf and not getattr(request, "_ninja_csrf_exempt", False) and check_csrf(request):
            raise PermissionDenied(
                _("CSRF 校验失败：请刷新页面后重试，或改用 Authorization 头中的令牌。"), code="csrf_failed"
            )
        return key

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
    docs_decorator=staff_only,
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


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404):
    return _error(request, 404, "not_found", _("请求的对象不存在或无权查看。"))


@api.exception_handler(Exception)
def on_unexpected_error(request: HttpRequest, exc: Exception):
    """A bug: log it like Django does and answer in the API's error shape with the request id."""
    logger.error(
        "Internal Server Error: %s", request.path, exc_info=exc, extra={"status_code": 500, "request": request}
    )
    return _error(
        request,
        500,
        "server_error",
        _("服务器内部错误，请稍后重试；如果问题持续，请把请求编号告诉管理员。"),
        {"request_id": context.current().request_id},
    )


api.add_router("/v1/", system_router)
api.add_router("/v1/", customers_router)
api.add_router("/v1/", catalog_products_api.router)
api.add_router("/v1/", catalog_prices_api.router)
api.add_router("/v1/", stock_levels_api.router)
api.add_router("/v1/", stock_counts_api.router)
api.add_router("/v1/", stock_replenishment_api.router)
api.add_router("/v1/", stock_materials_api.router)
api.add_router("/v1/", sales_orders_api.router)
api.add_router("/v1/", sales_approvals_api.router)
api.add_router("/v1/", sales_quotations_api.router)
api.add_router("/v1/", sales_contracts_api.router)
api.add_router("/v1/", sales_opportunities_api.router)
