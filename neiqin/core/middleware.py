from __future__ import annotations

import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from neiqin.core import context


def client_ip(request: HttpRequest) -> str | None:
    """REMOTE_ADDR only: X-Forwarded-For is trusted only behind a configured proxy (nginx sets
    REMOTE_ADDR through the real-ip module), so a client cannot spoof its address."""
    return request.META.get("REMOTE_ADDR") or None


class RequestContextMiddleware:
    """Gives every request an id (echoed as X-Request-ID) and binds it for audit rows."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = uuid.uuid4().hex
        channel = "api" if request.path.startswith("/api/") else "web"
        token = context.bind(context.RequestContext(request_id=request_id, ip=client_ip(request), channel=channel))
        try:
            response = self.get_response(request)
        finally:
            context.reset(token)
        response["X-Request-ID"] = request_id
        return response


class ChosenLanguageMiddleware:
    """Chinese unless the user chose otherwise (ARCHITECTURE: "Chinese by default, English by
    setting or user choice"). Django's LocaleMiddleware would also follow the browser's
    Accept-Language, so a clerk on an English-language Windows would get English unasked.

    Order: the language cookie set by the switch, then the user's saved language, then LANGUAGE_CODE.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from django.conf import settings
        from django.utils import translation

        supported = {code for code, _name in settings.LANGUAGES}
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        if chosen not in supported:
            user = getattr(request, "user", None)
            saved = getattr(user, "language", "") if user is not None and user.is_authenticated else ""
            chosen = saved if saved in supported else settings.LANGUAGE_CODE
        translation.activate(chosen)
        request.LANGUAGE_CODE = chosen
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", chosen)
        return response
