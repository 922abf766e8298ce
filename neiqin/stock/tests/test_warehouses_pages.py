"""Warehouses (INV-1): the list with totals for everybody, create and edit for the admin only."""

from __future__ import annotations

import pytest
from django.urls import reverse

from neiqin.core.models import Event
from neiqin.stock import services
from neiqin.stock.models import Warehouse
from neiqin.stock.services import Line
from neiqin.stock.tests.test_levels_support import make_product, make_warehouse, receive


@pytest.fixture
def world(cast):
    cs = make_warehouse(cast, "CS", "长沙库")
    floor = make_product(cast, "NQ-801", cost="50")
    receive(cast, cs, floor, "10")
    return cs, floor


@pytest.mark.parametrize("role", ["clerk", "warehouse", "sales1", "finance", "admin"])
def test_warehouse_list_shows_totals_and_value_only_to_cost_roles(cast, client_for, world, role):
    html = client_for(getattr(cast, role)).get(reverse("stock:warehouses")).content.decode()
    assert "长沙库" in html and "CS" in html
    assert ("库存成本金额" in html) == (role in ("finance", "admin"))
    assert ("500.00" in html) == (role in ("finance", "admin"))
    assert ("warehouses/new/" in html) == (role == "admin")


def test_admin_creates_a_warehouse(cast, client_for, world):
    response = client_for(cast.admin).post(
        reverse("stock:warehouse_create"),
        {"code": "XA", "name": "西安库", "address": "西安市", "sort_order": "3", "is_active": "on"},
    )
    assert response.status_code == 302
    warehouse = Warehouse.objects.get(code="XA")
    assert (warehouse.name, warehouse.is_active, warehouse.allow_negative) == ("西安库", True, False)
    assert Event.objects.filter(action="stock.warehouse.created").exists()


def test_duplicate_code_refused_on_the_form(cast, client_for, world):
    count = Warehouse.objects.count()
    response = client_for(cast.admin).post(
        reverse("stock:warehouse_create"), {"code": "CS", "name": "另一个库", "sort_order": "0", "is_active": "on"}
    )
    assert response.status_code == 422 and "仓库编码已存在" in response.content.decode()
    assert Warehouse.objects.count() == count


def test_admin_edits_a_warehouse(cast, client_for, world):
    cs, _floor = world
    client = client_for(cast.admin)
    assert 'value="长沙库"' in client.get(reverse("stock:warehouse_edit", args=[cs.pk])).content.decode()
    response = client.post(
        reverse("stock:warehouse_edit", args=[cs.pk]),
        {"code": "CS", "name": "长沙总库", "sort_order": "1", "allow_negative": "on", "is_active": "on"},
    )
    assert response.status_code == 302
    cs.refresh_from_db()
    assert (cs.name, cs.allow_negative) == ("长沙总库", True)
    assert cs.levels.get().allow_negative is True


def test_cannot_switch_off_negative_stock_while_negative(cast, client_for, world):
    _cs, floor = world
    site = make_warehouse(cast, "GD", "工地库", allow_negative=True)
    services.stock_ship(warehouse=site, lines=[Line(floor, "2")], by=cast.warehouse, reason="先发")
    response = client_for(cast.admin).post(
        reverse("stock:warehouse_edit", args=[site.pk]),
        {"code": "GD", "name": "工地库", "sort_order": "0", "is_active": "on"},
    )
    assert response.status_code == 422 and "负库存" in response.content.decode()
    site.refresh_from_db()
    assert site.allow_negative is True


@pytest.mark.parametrize("role", ["clerk", "warehouse", "finance", "gm"])
def test_only_admin_manages_warehouses(cast, client_for, world, role):
    cs, _floor = world
    client = client_for(getattr(cast, role))
    assert client.get(reverse("stock:warehouse_create")).status_code == 403
    assert (
        client.post(reverse("stock:warehouse_create"), {"code": "NEW", "name": "新库", "sort_order": "0"}).status_code
        == 403
    )
    assert (
        client.post(
            reverse("stock:warehouse_edit", args=[cs.pk]), {"code": "CS", "name": "改名", "sort_order": "0"}
        ).status_code
        == 403
    )
    cs.refresh_from_db()
    assert cs.name == "长沙库" and not Warehouse.objects.filter(code="NEW").exists()


def test_unknown_warehouse_is_404(cast, client_for, world):
    assert client_for(cast.admin).get(reverse("stock:warehouse_edit", args=[99999])).status_code == 404
