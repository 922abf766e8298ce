"""RELIABILITY S1: every route × every role against the matrix in neiqin/access_matrix.py."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from neiqin.access_matrix import API, ROLES, WEB
from neiqin.accounts.services import token_create
from neiqin.api.main import api
from neiqin.customers import services


def _web_route_names(patterns=None, prefix: str = "") -> set[str]:
    names: set[str] = set()
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(pattern, URLResolver):
            ns = f"{prefix}{pattern.namespace}:" if pattern.namespace else prefix
            names |= _web_route_names(pattern.url_patterns, ns)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.add(f"{prefix}{pattern.name}")
    return names


def _api_operations() -> set[str]:
    schema = api.get_openapi_schema()
    return {op["operationId"] for ops in schema["paths"].values() for op in ops.values()}


def test_every_web_route_has_a_matrix_entry():
    api_ops = {name for name in _web_route_names() if name.startswith("api:") and name not in WEB}
    web = _web_route_names() - api_ops
    assert sorted(web - set(WEB)) == [], "add these routes to neiqin/access_matrix.py WEB"
    assert sorted(set(WEB) - web) == [], "stale entries in neiqin/access_matrix.py WEB"


def test_every_api_operation_has_a_matrix_entry():
    ops = _api_operations()
    assert sorted(ops - set(API)) == [], "add these operations to neiqin/access_matrix.py API"
    assert sorted(set(API) - ops) == [], "stale entries in neiqin/access_matrix.py API"


@pytest.fixture
def world(cast):
    from neiqin.core.models import ImportBatch

    a = services.customer_create(
        fields={"name": "矩阵甲有限公司", "phone": "13800138000"}, by=cast.clerk, owner=cast.sales1
    )
    b = services.customer_create(fields={"name": "矩阵乙有限公司"}, by=cast.clerk, owner=cast.sales2)
    p = services.customer_create(fields={"name": "矩阵公海有限公司"}, by=cast.clerk)
    ca = services.contact_create(customer=a, fields={"name": "赵六"}, by=cast.clerk)
    batch = ImportBatch.objects.create(
        kind="customers",
        file_sha256="0" * 64,
        file_name="x.csv",
        file_kind="csv",
        created_by=cast.clerk,
        row_count=0,
        error_count=1,
        status=ImportBatch.Status.REJECTED,
    )
    values = {"A": a.pk, "B": b.pk, "P": p.pk, "CA": ca.pk, "BATCH": batch.pk, "manager_id": cast.manager.pk}
    import importlib

    from neiqin.access_parts import PARTS

    for part in PARTS:
        values.update(importlib.import_module(f"neiqin.access_parts.{part}").world(cast))
    return values


def _fill(template, values):
    if isinstance(template, str):
        for key, value in values.items():
            template = template.replace("{" + key + "}", str(value))
        return int(template) if template.isdigit() and template != "" and template[0] != "0" else template
    if isinstance(template, dict):
        return {k: _fill(v, values) for k, v in template.items()}
    return template


def _allowed(response, name: str = "") -> bool:
    if response.status_code in (401, 403, 404, 429):
        return False
    if name == "web:logout":  # logging out always ends on the login page
        return True
    return not (response.status_code == 302 and "/login/" in response.get("Location", ""))


def _client(cast, role, values, *, api_token: bool):
    client = Client()
    if role == "anonymous":
        return client, {}
    user = cast.by_name(role)
    token, plain = token_create(user=user, name="matrix", by=user)
    values["TOKEN"] = token.pk
    if api_token:
        return client, {"HTTP_AUTHORIZATION": f"Bearer {plain}"}
    client.force_login(user)
    return client, {}


# Routes are probed in chunks: the probe world (objects of every module) is built once per chunk,
# and each role's request runs in a savepoint that is rolled back, so every role meets the same
# state (a delete by one role does not turn into a 404 for the next).
CHUNK = 6


def _chunks(names):
    names = sorted(names)
    return [names[i : i + CHUNK] for i in range(0, len(names), CHUNK)]


def _probe(cast, world, role, method, path, body, *, api):
    from django.db import transaction

    sid = transaction.savepoint()
    try:
        values = dict(world)
        client, headers = _client(cast, role, values, api_token=api)
        url = _fill(path, values)
        if api:
            payload = json.dumps(_fill(body, values)) if body is not None else None
            return url, client.generic(method, url, payload or "", content_type="application/json", **headers)
        if method == "GET":
            return url, client.get(url, **headers)
        return url, client.post(url, _fill(body or {}, values), **headers)
    finally:
        transaction.savepoint_rollback(sid)


@pytest.mark.parametrize("names", _chunks(WEB), ids=lambda names: names[0])
def test_web_route_access(cast, world, names):
    wrong = []
    for name in names:
        method, path, body, allowed = WEB[name]
        for role in ROLES:
            url, response = _probe(cast, world, role, method, path, body, api=False)
            if response.status_code >= 500 or _allowed(response, name) != (role in allowed):
                wrong.append(f"{name}: {method} {url} as {role}: {response.status_code}")
    assert wrong == []


@pytest.mark.parametrize("names", _chunks(API), ids=lambda names: names[0])
def test_api_operation_access(cast, world, names):
    wrong = []
    for name in names:
        method, path, body, allowed = API[name]
        for role in ROLES:
            url, response = _probe(cast, world, role, method, path, body, api=True)
            ok = response.status_code < 500 and _allowed(response) == (role in allowed)
            if ok and not _allowed(response) and role != "anonymous":
                ok = set(response.json()) == {"code", "message", "extra"}
            if not ok:
                wrong.append(f"{name}: {method} {url} as {role}: {response.status_code}")
    assert wrong == []
