import pytest
from neiqin.access_matrix import ROLES
from neiqin.access_parts import sales_approvals, sales_orders
from neiqin.tests.test_access_matrix import _allowed, _client, _fill, world  # noqa: F401

WEB = {**sales_orders.WEB, **sales_approvals.WEB}


@pytest.fixture
def so_world(world, cast):
    values = dict(world)
    values.update(sales_orders.world(cast))
    values.update(sales_approvals.world(cast))
    return values


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(WEB))
def test_web_route_access(cast, so_world, name, role):
    method, path, body, allowed = WEB[name]
    values = dict(so_world)
    client, headers = _client(cast, role, values, api_token=False)
    url = _fill(path, values)
    if method == "GET":
        response = client.get(url, **headers)
    else:
        response = client.post(url, _fill(body or {}, values), **headers)
    assert response.status_code < 500
    assert _allowed(response, name) == (role in allowed), f"{method} {url} as {role}: {response.status_code}"
