"""Helpers shared by the API tests: JSON calls, the error-shape assertion, the OpenAPI walk."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.test import Client

from neiqin.api.main import api

API = "/api/v1"
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def call(client: Client, method: str, path: str, body: Any = None, *, token: str | None = None, **headers: str):
    """One JSON request; ``path`` is relative to /api/v1 unless it starts with /api/."""
    url = path if path.startswith("/api/") else API + path
    if token:
        headers["Authorization"] = f"Bearer {token}"
    kwargs: dict[str, Any] = {"headers": headers}
    if body is not None:
        kwargs.update(data=json.dumps(body), content_type="application/json")
    return client.generic(method.upper(), url, **kwargs)


def assert_error(response, status: int, code: str | None = None) -> dict[str, Any]:
    """Every refusal has exactly the keys code, message, extra."""
    assert response.status_code == status, response.content.decode()
    body = response.json()
    assert set(body) == {"code", "message", "extra"}, body
    assert isinstance(body["code"], str) and isinstance(body["message"], str) and body["message"]
    assert isinstance(body["extra"], dict)
    if code is not None:
        assert body["code"] == code, body
    return body


@dataclass(frozen=True)
class Operation:
    method: str
    path: str  # OpenAPI template, e.g. /api/v1/customers/{customer_id}
    operation_id: str
    spec: dict[str, Any]

    @property
    def has_body(self) -> bool:
        return "requestBody" in self.spec

    @property
    def is_public(self) -> bool:
        return not self.spec.get("security")

    def url(self, **params: Any) -> str:
        """Fill the path; ids not given (products, orders, …) default to 1."""
        import re

        names = re.findall(r"{(\w+)}", self.path)
        return self.path.format(**{name: params.get(name, 1) for name in names})


def operations() -> Iterator[Operation]:
    schema = api.get_openapi_schema(path_prefix="/api/")
    for path, methods in schema["paths"].items():
        for method, spec in methods.items():
            yield Operation(method.upper(), path, spec["operationId"], spec)
