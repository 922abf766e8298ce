"""The access-matrix entries of the ``sales_rules`` and ``sales_exports`` parts, probed for every
role like ``neiqin/tests/test_access_matrix.py`` does, on a urlconf that has these pages even
before they are wired into ``neiqin/sales/urls.py``."""

from __future__ import annotations

import pytest

from neiqin.access_matrix import ROLES
from neiqin.access_parts import sales_exports, sales_rules
from neiqin.tests.test_access_matrix import _allowed, _client, _fill

pytestmark = [pytest.mark.django_db, pytest.mark.urls("neiqin.sales.tests.test_rules_urlconf")]

ENTRIES = {**sales_rules.WEB, **sales_exports.WEB}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(ENTRIES))
def test_part_route_access(cast, name, role):
    values = {**sales_rules.world(cast), **sales_exports.world(cast)}
    method, path, body, allowed = ENTRIES[name]
    client, headers = _client(cast, role, values, api_token=False)
    url = _fill(path, values)
    response = client.get(url, **headers) if method == "GET" else client.post(url, _fill(body or {}, values), **headers)
    assert response.status_code < 500
    assert _allowed(response, name) == (role in allowed), f"{method} {url} as {role}: {response.status_code}"


def test_the_entries_name_the_routes_of_the_views():
    from neiqin.sales.views import exports, rules

    names = {f"sales:{p.name}" for p in (*rules.urlpatterns, *exports.urlpatterns)}
    assert names == set(ENTRIES)
