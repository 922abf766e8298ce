"""Opportunities through the JSON API (OPP-1, OPP-2)."""

from __future__ import annotations

import pytest

from neiqin.sales.choices import OpportunityStage as S
from neiqin.sales.models import Opportunity
from neiqin.sales.services import opportunities as services
from neiqin.sales.tests.test_api_orders import Api

pytestmark = pytest.mark.django_db


def _opp(world, title, *, customer=None, amount="0", path=(), **fields):
    opportunity = services.opportunity_create(
        customer=customer or world.acme,
        fields={"title": title, "expected_amount": amount, **fields},
        by=world.cast.clerk,
    )
    for stage in path:
        opportunity = services.opportunity_set_stage(
            opportunity=opportunity, stage=stage, by=world.cast.clerk, lost_reason="价格" if stage == S.LOST else ""
        )
    return opportunity


def test_create_returns_201_and_project_deals_get_milestones(world):
    api = Api(world.cast.sales1)
    response = api(
        "POST",
        "/opportunities",
        {"customer_id": world.acme.pk, "title": "办公楼装修", "expected_amount": "880000.50", "is_project": True},
        key="opp-1",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["stage"], body["probability"], body["expected_amount"], body["weighted_amount"]) == (
        "lead",
        10,
        "880000.50",
        "88000.05",
    )
    assert [m["kind"] for m in body["milestones"]][:3] == ["plan", "revised_plan", "final_plan"]
    assert body["owner"]["id"] == world.cast.sales1.pk and body["stage_changes"][0]["to_stage"] == "lead"
    replay = api(
        "POST",
        "/opportunities",
        {"customer_id": world.acme.pk, "title": "办公楼装修", "expected_amount": "880000.50", "is_project": True},
        key="opp-1",
    )
    assert replay.status_code == 201 and replay.headers["Idempotent-Replayed"] == "true"
    assert Opportunity.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"expected_amount": "-1"}, "expected_amount"),
        ({"expected_amount": 100}, "expected_amount"),
        ({"probability": 120}, "probability"),
        ({"title": ""}, "title"),
        ({"stage": "won"}, "stage"),
        ({"customer_id": 999999}, "customer_id"),
    ],
)
def test_bad_input_is_422_and_creates_nothing(world, body, field):
    data = {"customer_id": world.acme.pk, "title": "展厅", **body}
    response = Api(world.cast.clerk)("POST", "/opportunities", data)
    assert response.status_code == 422 and field in response.json()["extra"]["fields"], response.content
    assert not Opportunity.objects.exists()


def test_set_stage_moves_and_lost_needs_a_reason(world):
    opportunity = _opp(world, "投标")
    api = Api(world.cast.sales1)
    url = f"/opportunities/{opportunity.pk}/stage"
    moved = api("POST", url, {"stage": "proposal"})
    assert moved.status_code == 200 and (moved.json()["stage"], moved.json()["probability"]) == ("proposal", 60)
    refused = api("POST", url, {"stage": "lost"})
    assert refused.status_code == 422 and "lost_reason" in refused.json()["extra"]["fields"]
    assert api("POST", url, {"stage": "bogus"}).status_code == 422
    lost = api("POST", url, {"stage": "lost", "lost_reason": "客户预算取消"})
    assert lost.status_code == 200 and lost.json()["lost_reason"] == "客户预算取消"
    assert lost.json()["stage_targets"] == ["lead"]
    assert api("POST", url, {"stage": "won"}).status_code == 409
    assert Api(world.cast.finance)("POST", url, {"stage": "lead"}).status_code == 403
    opportunity.refresh_from_db()
    assert opportunity.stage == S.LOST


def test_list_filters_and_pipeline(world):
    _opp(world, "报价A", amount="1234.56", path=[S.PROPOSAL], expected_on="2030-03-01")
    _opp(world, "线索A", amount="2000", expected_on="2030-06-01")
    _opp(world, "乙方", customer=world.other, amount="9999")
    api = Api(world.cast.sales1)
    body = api("GET", "/opportunities").json()
    assert body["count"] == 2
    pipeline = {row["stage"]: row for row in body["pipeline"]}
    assert (pipeline["proposal"]["count"], pipeline["proposal"]["weighted_amount"]) == (1, "740.74")
    assert (pipeline["lead"]["expected_amount"], pipeline["lead"]["weighted_amount"]) == ("2000.00", "200.00")
    assert [o["title"] for o in api("GET", "/opportunities?stage=proposal").json()["items"]] == ["报价A"]
    assert [o["title"] for o in api("GET", "/opportunities?expected_to=2030-04-01").json()["items"]] == ["报价A"]
    assert [o["title"] for o in api("GET", "/opportunities?q=线索").json()["items"]] == ["线索A"]
    assert api("GET", f"/opportunities?owner={world.cast.sales2.pk}").json()["count"] == 0
    assert api("GET", "/opportunities?expected_to=tomorrow").status_code == 422
    assert Api(world.cast.warehouse)("GET", "/opportunities").status_code == 403


def test_scoping_sales2_never_sees_sales1s_opportunities(world):
    mine = _opp(world, "甲方机会", amount="100")
    api = Api(world.cast.sales2)
    assert api("GET", "/opportunities").json()["count"] == 0
    assert api("GET", f"/opportunities/{mine.pk}").status_code == 404
    assert api("POST", f"/opportunities/{mine.pk}/stage", {"stage": "won"}).status_code == 404
    create = api("POST", "/opportunities", {"customer_id": world.acme.pk, "title": "越权"})
    assert create.status_code == 422
    conversion = api("GET", "/opportunities/conversion").json()
    assert conversion["overall"]["stages"][0]["count"] == 0 and conversion["by_owner"] == []
    mine.refresh_from_db()
    assert mine.stage == S.LEAD and Opportunity.objects.count() == 1


def test_conversion_by_hand(world):
    _opp(world, "全流程", path=[S.CONTACTED, S.NEEDS_CONFIRMED, S.PROPOSAL, S.NEGOTIATION, S.WON])
    _opp(world, "跳阶段后输单", path=[S.PROPOSAL, S.LOST])
    _opp(world, "线索")
    _opp(world, "乙方赢单", customer=world.other, path=[S.WON])
    body = Api(world.cast.manager)("GET", "/opportunities/conversion").json()  # team A: sales1's only
    assert [(r["stage"], r["count"], r["next_rate"]) for r in body["overall"]["stages"]] == [
        ("lead", 3, 66.7),
        ("contacted", 2, 100.0),
        ("needs_confirmed", 2, 100.0),
        ("proposal", 2, 50.0),
        ("negotiation", 1, 100.0),
        ("won", 1, None),
    ]
    assert (body["overall"]["won"], body["overall"]["lost"], body["overall"]["win_rate"]) == (1, 1, 50.0)
    assert [row["owner"]["id"] for row in body["by_owner"]] == [world.cast.sales1.pk]
    desk = Api(world.cast.gm)("GET", "/opportunities/conversion").json()
    assert [row["owner"]["id"] for row in desk["by_owner"]] == [world.cast.sales1.pk, world.cast.sales2.pk]
    assert desk["overall"]["stages"][0]["count"] == 4 and desk["overall"]["win_rate"] == 66.7


def test_get_shows_history_and_milestones_with_overdue_flag(world):
    project = _opp(world, "酒店", amount="300000", is_project=True, path=[S.CONTACTED])
    services.milestone_update(opportunity=project, kind="plan", by=world.cast.clerk, planned_on="2020-01-01")
    body = Api(world.cast.clerk)("GET", f"/opportunities/{project.pk}").json()
    assert [(c["from_stage"], c["to_stage"]) for c in body["stage_changes"]] == [("", "lead"), ("lead", "contacted")]
    milestones = {m["kind"]: m for m in body["milestones"]}
    assert milestones["plan"]["overdue"] and not milestones["acceptance"]["overdue"]
