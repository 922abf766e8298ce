"""The ``sales_opportunities`` part of the access matrix, probed role by role (RELIABILITY S1).

Same rules as ``neiqin/tests/test_access_matrix.py`` (allowed = any status but 401/403/404/429
or a redirect to the login page), but one world per route: each role's probe runs in a
savepoint that is rolled back, so every role meets the same state.
"""

from __future__ import annotations

import json

import pytest
from django.db import transaction
from django.test import Client

from neiqin.access_matrix import ROLES
from neiqin.access_parts import sales_opportunities as part
from neiqin.accounts.services import token_create

pytestmark = pytest.mark.django_db


def _fill(template, values):
    """Exactly as the matrix test fills: top-level strings and dict values, not lists."""
    if isinstance(template, str):
        for key, value in values.items():
            template = template.replace("{" + key + "}", str(value))
        return int(template) if template.isdigit() and template[0] != "0" else template
    if isinstance(template, dict):
        return {k: _fill(v, values) for k, v in template.items()}
    return template


def _allowed(response) -> bool:
    if response.status_code in (401, 403, 404, 429):
        return False
    return not (response.status_code == 302 and "/login/" in response.get("Location", ""))


def _probe(cast, role, method, url, body, *, api):
    client = Client()
    headers = {}
    if role != "anonymous":
        user = cast.by_name(role)
        if api:
            _token, plain = token_create(user=user, name="matrix", by=user)
            headers["Authorization"] = f"Bearer {plain}"
        else:
            client.force_login(user)
    if api:
        payload = json.dumps(body) if body is not None else ""
        return client.generic(method, url, payload, content_type="application/json", headers=headers)
    if method == "GET":
        return client.get(url)
    return client.post(url, body or {})


@pytest.mark.parametrize("name", sorted(part.WEB) + sorted(part.API))
def test_route_access_by_role(cast, name):
    api = name in part.API
    method, path, body, allowed = (part.API if api else part.WEB)[name]
    values = part.world(cast)
    url = _fill(path, values)
    outcomes = {}
    for role in ROLES:
        with transaction.atomic():
            response = _probe(cast, role, method, url, _fill(body, values), api=api)
            transaction.set_rollback(True)
        assert response.status_code < 500, (role, response.status_code, response.content[:300])
        outcomes[role] = _allowed(response)
        if api and not outcomes[role] and role != "anonymous":
            assert set(response.json()) == {"code", "message", "extra"}
    assert {role for role, ok in outcomes.items() if ok} == set(allowed), f"{method} {url}"
