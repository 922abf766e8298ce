"""Per-request context (request id, client IP, acting user) for audit rows and logs."""

from __future__ import annotations

import contextvars
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    request_id: str = ""
    ip: str | None = None
    channel: str = "system"  # web, api, cli, job, import


_DEFAULT = RequestContext()
_current: contextvars.ContextVar[RequestContext] = contextvars.ContextVar("neiqin_request_context")


def current() -> RequestContext:
    return _current.get(_DEFAULT)


def bind(ctx: RequestContext) -> contextvars.Token[RequestContext]:
    return _current.set(ctx)


def reset(token: contextvars.Token[RequestContext]) -> None:
    _current.reset(token)
