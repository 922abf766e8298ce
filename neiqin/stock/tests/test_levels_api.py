"""The stock API: warehouses, levels, availability, the ledger and posting documents; bad input
is a 422/409 with a clear message and changes nothing; only CAN_MOVE_STOCK posts."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from neiqin.accounts.services import token_create
from neiqin.stock import services
from neiqin.stock.models import StockMove
from neiqin.stock.services import For
from neiqin.stock.tests.test_levels_support import make_product, make_warehouse, on_hand, receive, snapshot

D = Decimal


@pytest.fixture
def world(cast):
    cs = make_warehouse(cast, "CS", "长沙库", sort_order=1)
    zz = make_warehouse(cast, "ZZ", "郑州库", sort_order=2)
    floor = make_product(cast, "NQ-801", name="橡木强化地板", cost="61.2345")
    board = make_product(cast, "XPS-30", name="挤塑板")
    receive(cast, cs, floor, "10")
    return cs, zz, floor, board


@pytest.fixture
def api(client, cast):
    def call(user, method, path, body=None):
        _token, plain = token_create(user=user, name="t", by=user)
        payload = json.dumps(body) if body is not None else ""
        return client.generic(
            method, f"/api/v1{path}", payload, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {plain}"
        )

    return call


def test_warehouses_list(cast, api, world):
    data = api(cast.sales1, "GET", "/warehouses").json()
    assert data["count"] == 2 and [w["code"] for w in data["items"]] == ["CS", "ZZ"]
    assert set(data["items"][0]) >= {"id", "name", "allow_negative", "is_active", "keeper", "region"}


def test_levels_list_per_warehouse_and_filters(cast, api, world):
    cs, zz, floor, _board = world
    services.reserve(product=floor, warehouse=cs, quantity="4", document=For("order", 1, "SO-1"), by=cast.clerk)
    data = api(cast.warehouse, "GET", "/stock/levels?q=NQ").json()
    assert data["count"] == 1
    item = data["items"][0]
    cells = {c["warehouse_code"]: c for c in item["warehouses"]}
    assert (cells["CS"]["on_hand"], cells["CS"]["reserved"], cells["CS"]["available"]) == ("10.000", "4.000", "6.000")
    assert cells["ZZ"]["on_hand"] == "0.000"
    assert item["total"] == {"on_hand": "10.000", "reserved": "4.000", "available": "6.000"}
    assert "cost" not in json.dumps(data) and "price" not in json.dumps(data)
    assert api(cast.clerk, "GET", "/stock/levels?in_stock_only=true").json()["count"] == 1
    assert api(cast.clerk, "GET", f"/stock/levels?warehouse={zz.pk}&in_stock_only=true").json()["count"] == 0
    assert api(cast.clerk, "GET", "/stock/levels?limit=500").status_code == 422


def test_availability(cast, api, world):
    _cs, _zz, floor, _board = world
    data = api(cast.sales1, "GET", f"/stock/availability?product={floor.pk}").json()
    assert data["total"]["available"] == "10.000" and len(data["warehouses"]) == 2
    assert api(cast.sales1, "GET", "/stock/availability?product=999999").status_code == 404
    assert api(cast.sales1, "GET", "/stock/availability?product=abc").status_code == 422


def test_receipt_posts_and_returns_the_moves(cast, api, world):
    cs, _zz, floor, board = world
    response = api(
        cast.warehouse,
        "POST",
        "/stock/receipts",
        {
            "warehouse_id": cs.pk,
            "lines": [{"product_id": floor.pk, "quantity": "5"}, {"product_id": board.pk, "quantity": "2.5"}],
            "reason": "到货",
            "moved_on": "2025-05-06",
        },
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["number"] and [m["balance_after"] for m in data["moves"]] == ["15.000", "2.500"]
    assert all(m["unit_cost"] is None for m in data["moves"])  # the warehouse sees no cost
    assert (on_hand(cs, floor), on_hand(cs, board)) == (D("15"), D("2.5"))


def test_admin_receipt_with_cost_and_moves_list_shows_cost_only_to_cost_roles(cast, api, world):
    cs, _zz, floor, _board = world
    response = api(
        cast.admin,
        "POST",
        "/stock/receipts",
        {"warehouse_id": cs.pk, "lines": [{"product_id": floor.pk, "quantity": "1", "unit_cost": "58.5"}]},
    )
    assert response.json()["moves"][0]["unit_cost"] == "58.5000"
    costs = {m["unit_cost"] for m in api(cast.warehouse, "GET", "/stock/moves").json()["items"]}
    assert costs == {None}
    costs = {m["unit_cost"] for m in api(cast.finance, "GET", "/stock/moves").json()["items"]}
    assert costs == {"58.5000", "61.2345"}


def test_transfer_two_rows_one_number(cast, api, world):
    cs, zz, floor, _board = world
    response = api(
        cast.warehouse,
        "POST",
        "/stock/transfers",
        {
            "source_warehouse_id": cs.pk,
            "target_warehouse_id": zz.pk,
            "lines": [{"product_id": floor.pk, "quantity": "3"}],
        },
    )
    assert response.status_code == 201
    number = response.json()["number"]
    assert StockMove.objects.filter(document_number=number).count() == 2
    data = api(cast.clerk, "GET", f"/stock/moves?document_number={number}").json()
    assert data["count"] == 2 and {m["kind"] for m in data["items"]} == {"transfer_out", "transfer_in"}


def test_adjustment_and_shipment(cast, api, world):
    cs, _zz, floor, _board = world
    assert (
        api(
            cast.warehouse,
            "POST",
            "/stock/adjustments",
            {"warehouse_id": cs.pk, "lines": [{"product_id": floor.pk, "quantity": "-2"}], "reason": "破损"},
        ).status_code
        == 201
    )
    assert (
        api(
            cast.warehouse,
            "POST",
            "/stock/shipments",
            {"warehouse_id": cs.pk, "lines": [{"product_id": floor.pk, "quantity": "3"}], "reason": "样品"},
        ).status_code
        == 201
    )
    assert on_hand(cs, floor) == D("5")


@pytest.mark.parametrize(
    ("path", "body", "status", "field"),
    [
        (
            "/stock/receipts",
            {"warehouse_id": "{CS}", "lines": [{"product_id": "{FLOOR}", "quantity": "-1"}]},
            422,
            "lines.1.quantity",
        ),
        (
            "/stock/receipts",
            {"warehouse_id": "{CS}", "lines": [{"product_id": "{FLOOR}", "quantity": "abc"}]},
            422,
            "lines.1.quantity",
        ),
        (
            "/stock/receipts",
            {"warehouse_id": "{CS}", "lines": [{"product_id": "{FLOOR}", "quantity": "0"}]},
            422,
            "lines.1.quantity",
        ),
        ("/stock/receipts", {"warehouse_id": "{CS}", "lines": [{"product_id": "{FLOOR}", "quantity": 1.5}]}, 422, None),
        (
            "/stock/receipts",
            {"warehouse_id": "{CS}", "lines": [{"product_id": 999999, "quantity": "1"}]},
            422,
            "lines.1.product_id",
        ),
        (
            "/stock/receipts",
            {"warehouse_id": 999999, "lines": [{"product_id": "{FLOOR}", "quantity": "1"}]},
            422,
            "warehouse_id",
        ),
        ("/stock/receipts", {"warehouse_id": "{CS}", "lines": []}, 422, "lines"),
        (
            "/stock/receipts",
            {"warehouse_id": "{CS}", "lines": [{"product_id": "{FLOOR}", "quantity": "1"}], "moved_on": "2999-01-01"},
            422,
            "moved_on",
        ),
        (
            "/stock/receipts",
            {"warehouse_id": "{CS}", "lines": [{"product_id": "{FLOOR}", "quantity": "1"}], "owner": 1},
            422,
            None,
        ),
        (
            "/stock/transfers",
            {
                "source_warehouse_id": "{CS}",
                "target_warehouse_id": "{CS}",
                "lines": [{"product_id": "{FLOOR}", "quantity": "1"}],
            },
            422,
            "target_warehouse_id",
        ),
        (
            "/stock/shipments",
            {"warehouse_id": "{CS}", "lines": [{"product_id": "{FLOOR}", "quantity": "11"}], "reason": "x"},
            409,
            None,
        ),
        (
            "/stock/shipments",
            {"warehouse_id": "{CS}", "lines": [{"product_id": "{FLOOR}", "quantity": "1"}]},
            422,
            "reason",
        ),
        (
            "/stock/shipments",
            {
                "warehouse_id": "{CS}",
                "customer_id": 999999,
                "lines": [{"product_id": "{FLOOR}", "quantity": "1"}],
                "reason": "x",
            },
            422,
            "customer_id",
        ),
        (
            "/stock/adjustments",
            {"warehouse_id": "{CS}", "lines": [{"product_id": "{FLOOR}", "quantity": "-11"}], "reason": "x"},
            409,
            None,
        ),
        (
            "/stock/adjustments",
            {"warehouse_id": "{CS}", "lines": [{"product_id": "{FLOOR}", "quantity": "0"}], "reason": "x"},
            422,
            "lines.1.quantity",
        ),
    ],
)
def test_bad_input_refused_with_message_and_nothing_changed(cast, api, world, path, body, status, field):
    cs, _zz, floor, _board = world
    text = json.dumps(body).replace('"{CS}"', str(cs.pk)).replace('"{FLOOR}"', str(floor.pk))
    before = snapshot()
    response = api(cast.warehouse, "POST", path, json.loads(text))
    assert response.status_code == status, response.content
    data = response.json()
    assert data["message"]
    if field:
        assert field in data["extra"]["fields"], data
    assert snapshot() == before


def test_shortage_reports_available_figures(cast, api, world):
    cs, _zz, floor, _board = world
    services.reserve(product=floor, warehouse=cs, quantity="7", document=For("order", 1, "SO-1"), by=cast.clerk)
    response = api(
        cast.warehouse,
        "POST",
        "/stock/shipments",
        {"warehouse_id": cs.pk, "lines": [{"product_id": floor.pk, "quantity": "4"}], "reason": "样品"},
    )
    data = response.json()
    assert response.status_code == 409 and data["code"] == "insufficient_stock"
    assert (data["extra"]["available"], data["extra"]["requested"]) == ("3.000", "4.000")


def test_inactive_warehouse_refused(cast, api, world):
    _cs, zz, floor, _board = world
    services.warehouse_update(warehouse=zz, fields={"is_active": False}, by=cast.admin)
    before = snapshot()
    response = api(
        cast.warehouse,
        "POST",
        "/stock/receipts",
        {"warehouse_id": zz.pk, "lines": [{"product_id": floor.pk, "quantity": "1"}]},
    )
    assert response.status_code == 422 and "已停用" in response.json()["message"]
    assert "warehouse_id" in response.json()["extra"]["fields"]
    assert snapshot() == before


@pytest.mark.parametrize("role", ["clerk", "sales1", "finance", "gm"])
def test_only_movers_post(cast, api, world, role):
    cs, _zz, floor, _board = world
    before = snapshot()
    response = api(
        getattr(cast, role),
        "POST",
        "/stock/receipts",
        {"warehouse_id": cs.pk, "lines": [{"product_id": floor.pk, "quantity": "1"}]},
    )
    assert response.status_code == 403
    assert snapshot() == before
