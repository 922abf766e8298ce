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
