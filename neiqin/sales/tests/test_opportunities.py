"""Opportunities (OPP-1) and project deals (OPP-2): stage flow, conversion, pipeline, pages."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from neiqin.core.errors import InvalidTransition, ValidationFailed
from neiqin.sales import selectors
from neiqin.sales.choices import OpportunityStage as S
from neiqin.sales.models import Opportunity, ProjectMilestone
from neiqin.sales.services import opportunities as services

pytestmark = pytest.mark.django_db

TODAY = dt.date.today()


def _opp(world, title, *, customer=None, by=None, amount="0", path=(), lost_reason="定价过高", **fields):
    opportunity = services.opportunity_create(
        customer=customer or world.acme,
        fields={"title": title, "expected_amount": amount, **fields},
        by=by or world.cast.clerk,
    )
    for stage in path:
        opportunity = services.opportunity_set_stage(
            opportunity=opportunity,
            stage=stage,
            by=by or world.cast.clerk,
            lost_reason=lost_reason if stage == S.LOST else "",
        )
    return opportunity


@pytest.fixture
def funnel(world):
    """sales1's customer: four opportunities; sales2's customer: one won outright."""
    return {
        "o1": _opp(world, "全流程赢单", path=[S.CONTACTED, S.NEEDS_CONFIRMED, S.PROPOSAL, S.NEGOTIATION, S.WON]),
        "o2": _opp(world, "跳到报价后输单", path=[S.PROPOSAL, S.LOST]),
        "o3": _opp(world, "还在线索"),
        "o4": _opp(world, "接洽后输单", path=[S.CONTACTED, S.LOST]),
        "o5": _opp(world, "乙方直接赢单", customer=world.other, path=[S.WON]),
    }


# ---- services and selectors ------------------------------------------------------------------


def test_stage_flow_sets_probability_closing_date_and_history(world):
    opportunity = _opp(world, "门店改造", amount="50000")
    assert (opportunity.stage, opportunity.probability, opportunity.owner) == (S.LEAD, 10, world.cast.sales1)
    opportunity = services.opportunity_set_stage(opportunity=opportunity, stage=S.NEGOTIATION, by=world.cast.sales1)
    assert opportunity.probability == 80 and opportunity.closed_on is None
    opportunity = services.opportunity_set_stage(opportunity=opportunity, stage=S.WON, by=world.cast.sales1)
    assert opportunity.probability == 100 and opportunity.closed_on == TODAY
    assert [(c.from_stage, c.to_stage) for c in opportunity.stage_changes.all()] == [
        ("", S.LEAD),
        (S.LEAD, S.NEGOTIATION),
        (S.NEGOTIATION, S.WON),
    ]
    with pytest.raises(InvalidTransition):
        services.opportunity_set_stage(opportunity=opportunity, stage=S.LEAD, by=world.cast.sales1)


def test_lost_needs_a_reason_and_changes_nothing_without_one(world):
    opportunity = _opp(world, "投标项目", path=[S.PROPOSAL])
    with pytest.raises(ValidationFailed) as exc:
        services.opportunity_set_stage(opportunity=opportunity, stage=S.LOST, by=world.cast.clerk, lost_reason="  ")
    assert "lost_reason" in exc.value.extra["fields"]
    opportunity.refresh_from_db()
    assert opportunity.stage == S.PROPOSAL and opportunity.stage_changes.count() == 2
    lost = services.opportunity_set_stage(
        opportunity=opportunity, stage=S.LOST, by=world.cast.clerk, lost_reason="竞争对手低价"
    )
    assert (lost.lost_reason, lost.probability, lost.closed_on) == ("竞争对手低价", 0, TODAY)
    reopened = services.opportunity_set_stage(opportunity=lost, stage=S.LEAD, by=world.cast.clerk)
    assert reopened.lost_reason == "" and reopened.closed_on is None


def test_conversion_figures_by_hand_for_sales1(world, funnel):
    report = selectors.opportunity_conversion(user=world.cast.sales1)
    counts = {row["stage"]: (row["count"], row["next_rate"]) for row in report["stages"]}
    # Reached at least: lead o1-o4; contacted o1, o2 (skipped it), o4; needs/proposal o1, o2;
    # negotiation and won o1.
    assert counts == {
        S.LEAD: (4, 75.0),
        S.CONTACTED: (3, 66.7),
        S.NEEDS_CONFIRMED: (2, 100.0),
        S.PROPOSAL: (2, 50.0),
        S.NEGOTIATION: (1, 100.0),
        S.WON: (1, None),
    }
    assert (report["won"], report["lost"], report["win_rate"], report["total"]) == (1, 2, 33.3, 4)


def test_conversion_for_the_desk_covers_everyone_and_splits_per_salesperson(world, funnel):
    overall = selectors.opportunity_conversion(user=world.cast.clerk)
    assert [row["count"] for row in overall["stages"]] == [5, 4, 3, 3, 2, 2]
    assert (overall["won"], overall["lost"], overall["win_rate"]) == (2, 2, 50.0)
    per_owner = {row["owner"].username: row for row in selectors.opportunity_conversion_by_owner(user=world.cast.clerk)}
    assert set(per_owner) == {"sales1", "sales2"}
    assert [row["count"] for row in per_owner["sales2"]["stages"]] == [1, 1, 1, 1, 1, 1]
    assert per_owner["sales2"]["win_rate"] == 100.0 and per_owner["sales1"]["win_rate"] == 33.3
    # A salesperson sees only their own.
    assert [r["owner"].username for r in selectors.opportunity_conversion_by_owner(user=world.cast.sales2)] == [
        "sales2"
    ]


def test_pipeline_totals_count_amount_and_weighted_amount(world):
    _opp(world, "线索A", amount="2000")
    _opp(world, "报价A", amount="1234.56", path=[S.PROPOSAL])
    _opp(world, "报价B", amount="999.99", path=[S.PROPOSAL])
    _opp(world, "输单A", amount="3000", path=[S.LOST])
    rows = {row["stage"]: row for row in selectors.opportunity_pipeline(Opportunity.objects.all())}
    assert (rows[S.LEAD]["count"], rows[S.LEAD]["expected_amount"], rows[S.LEAD]["weighted_amount"]) == (
        1,
        Decimal("2000.00"),
        Decimal("200.00"),
    )
    # 1234.56 × 60 % + 999.99 × 60 % = 740.736 + 599.994 = 1340.73
    assert (rows[S.PROPOSAL]["count"], rows[S.PROPOSAL]["expected_amount"], rows[S.PROPOSAL]["weighted_amount"]) == (
        2,
        Decimal("2234.55"),
        Decimal("1340.73"),
    )
    assert rows[S.LOST]["weighted_amount"] == Decimal("0.00") and rows[S.WON]["count"] == 0


def test_a_project_deal_gets_its_milestones_and_refuses_bad_amounts(world):
    project = _opp(world, "办公楼装修", amount="800000", is_project=True)
    assert project.milestones.count() == 8
    with pytest.raises(ValidationFailed):
        services.milestone_update(opportunity=project, kind="prepayment", by=world.cast.clerk, collection_amount="-5")
    with pytest.raises(ValidationFailed):
        services.milestone_update(
            opportunity=project, kind="prepayment", by=world.cast.clerk, collection_amount="100", collected_amount="200"
        )
    milestone = ProjectMilestone.objects.get(opportunity=project, kind="prepayment")
    assert milestone.collection_amount == Decimal("0.00") and milestone.collected_amount == Decimal("0.00")


# ---- scoping ---------------------------------------------------------------------------------


def test_sales2_never_sees_sales1s_opportunities(world, funnel, client_for):
    assert set(selectors.opportunity_queryset(user=world.cast.sales2)) == {funnel["o5"]}
    client = client_for(world.cast.sales2)
    listed = client.get(reverse("sales:opportunity_list"))
    assert list(listed.context["page"].object_list) == [funnel["o5"]]
    o1 = funnel["o1"].pk
    assert client.get(reverse("sales:opportunity_detail", args=[o1])).status_code == 404
    assert client.get(reverse("sales:opportunity_edit", args=[o1])).status_code == 404
    assert client.post(reverse("sales:opportunity_stage", args=[funnel["o3"].pk]), {"stage": "won"}).status_code == 404
    assert (
        client.post(reverse("sales:milestone_update", args=[o1, "plan"]), {"planned_on": "2026-01-01"}).status_code
        == 404
    )
    conversion = client.get(reverse("sales:opportunity_conversion"))
    assert [row["owner"] for row in conversion.context["by_owner"]] == [world.cast.sales2]
    assert [r["count"] for r in conversion.context["overall"]["stages"]] == [1, 1, 1, 1, 1, 1]
    funnel["o3"].refresh_from_db()
    assert funnel["o3"].stage == S.LEAD


# ---- pages -----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["admin", "clerk", "sales1", "manager", "finance", "gm", "deputy"])
def test_pages_render_for_the_roles(world, funnel, client_for, role):
    project = _opp(world, "写字楼项目", amount="300000", is_project=True)
    services.milestone_update(
        opportunity=project,
        kind="plan",
        by=world.cast.clerk,
        planned_on=(TODAY - dt.timedelta(days=3)).isoformat(),
        collection_amount="10000",
    )
    client = client_for(world.cast.by_name(role))
    pages = [
        reverse("sales:opportunity_list"),
        reverse("sales:opportunity_list") + "?stage=lost&expected_from=2020-01-01",
        reverse("sales:opportunity_detail", args=[funnel["o2"].pk]),
        reverse("sales:opportunity_detail", args=[project.pk]),
        reverse("sales:opportunity_conversion"),
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
    detail = client.get(reverse("sales:opportunity_detail", args=[project.pk])).content.decode()
    assert 'id="milestone-plan"' in detail and "逾期 3 天" in detail
    edits = role != "finance"
    assert client.get(reverse("sales:opportunity_create")).status_code == (200 if edits else 403)
    assert client.get(reverse("sales:opportunity_edit", args=[project.pk])).status_code == (200 if edits else 403)
    assert ('name="planned_on"' in detail) == edits


def test_the_warehouse_opens_no_opportunity_page(world, funnel, client_for):
    client = client_for(world.cast.warehouse)
    assert client.get(reverse("sales:opportunity_list")).status_code == 403
    assert client.get(reverse("sales:opportunity_conversion")).status_code == 403
    assert client.get(reverse("sales:opportunity_detail", args=[funnel["o1"].pk])).status_code == 403


def test_list_shows_pipeline_totals_and_filters(world, client_for):
    _opp(world, "报价A", amount="1234.56", path=[S.PROPOSAL], expected_on=(TODAY + dt.timedelta(days=10)).isoformat())
    _opp(world, "线索A", amount="2000", expected_on=(TODAY + dt.timedelta(days=40)).isoformat())
    client = client_for(world.cast.sales1)
    response = client.get(reverse("sales:opportunity_list"))
    pipeline = response.context["pipeline"]
    assert (pipeline["open_count"], pipeline["open_amount"], pipeline["open_weighted"]) == (
        2,
        Decimal("3234.56"),
        Decimal("940.74"),
    )
    soon = client.get(reverse("sales:opportunity_list"), {"expected_to": (TODAY + dt.timedelta(days=20)).isoformat()})
    assert [o.title for o in soon.context["page"].object_list] == ["报价A"]
    assert soon.context["pipeline"]["open_count"] == 1
    staged = client.get(
        reverse("sales:opportunity_list"),
        {"stage": "lead"},
        headers={"HX-Request": "true", "HX-Target": "opportunity-table"},
    )
    assert [o.title for o in staged.context["page"].object_list] == ["线索A"]
    assert "<html" not in staged.content.decode()


def test_create_and_edit_through_the_pages(world, client_for):
    client = client_for(world.cast.sales1)
    bad = client.post(
        reverse("sales:opportunity_create"), {"customer": world.acme.pk, "title": "展厅", "expected_amount": "-1"}
    )
    assert bad.status_code == 422 and "预计金额" in bad.content.decode()
    foreign = client.post(reverse("sales:opportunity_create"), {"customer": world.other.pk, "title": "越权"})
    assert foreign.status_code == 422
    assert not Opportunity.objects.exists()
    created = client.post(
        reverse("sales:opportunity_create"),
        {"customer": world.acme.pk, "title": "展厅", "expected_amount": "12000", "is_project": "on"},
    )
    opportunity = Opportunity.objects.get()
    assert created.status_code == 302 and opportunity.is_project and opportunity.milestones.count() == 8
    edit_url = reverse("sales:opportunity_edit", args=[opportunity.pk])
    saved = client.post(edit_url, {"title": "展厅二期", "expected_amount": "15000", "probability": "30", "version": 1})
    assert saved.status_code == 302
    stale = client.post(edit_url, {"title": "旧标题", "expected_amount": "1", "version": 1})
    assert stale.status_code == 422 and "已被他人修改" in stale.content.decode()
    opportunity.refresh_from_db()
    assert (opportunity.title, opportunity.expected_amount, opportunity.probability) == (
        "展厅二期",
        Decimal("15000.00"),
        30,
    )


def test_stage_change_page_requires_the_lost_reason(world, client_for):
    opportunity = _opp(world, "投标", path=[S.PROPOSAL])
    client = client_for(world.cast.sales1)
    url = reverse("sales:opportunity_stage", args=[opportunity.pk])
    refused = client.post(url, {"stage": "lost", "lost_reason": ""})
    assert refused.status_code == 422 and "输单请填写原因" in refused.content.decode()
    opportunity.refresh_from_db()
    assert opportunity.stage == S.PROPOSAL
    assert client.post(url, {"stage": "lost", "lost_reason": "预算取消"}).status_code == 302
    opportunity.refresh_from_db()
    assert (opportunity.stage, opportunity.lost_reason) == (S.LOST, "预算取消")
    assert client.post(url, {"stage": "won"}).status_code == 409
    assert client_for(world.cast.finance).post(url, {"stage": "lead"}).status_code == 403
    opportunity.refresh_from_db()
    assert opportunity.stage == S.LOST


def test_milestones_flag_overdue_and_collections_lagging_progress(world, client_for):
    project = _opp(world, "酒店装修", amount="500000", is_project=True)
    client = client_for(world.cast.sales1)
    url = reverse("sales:milestone_update", args=[project.pk, "prepayment"])
    done = client.post(
        url,
        {
            "planned_on": (TODAY - dt.timedelta(days=10)).isoformat(),
            "done_on": (TODAY - dt.timedelta(days=2)).isoformat(),
            "collection_amount": "150000",
            "collected_amount": "50000",
            "note": "预付 30%",
        },
    )
    assert done.status_code == 302
    late = reverse("sales:milestone_update", args=[project.pk, "delivery"])
    assert client.post(late, {"planned_on": (TODAY - dt.timedelta(days=1)).isoformat()}).status_code == 302
    page = client.get(reverse("sales:opportunity_detail", args=[project.pk]))
    plan = page.context["plan"]
    rows = {row["kind"]: row for row in plan["rows"]}
    assert rows["delivery"]["overdue"] and not rows["prepayment"]["overdue"]
    assert rows["prepayment"]["collection_lagging"] and rows["prepayment"]["outstanding"] == Decimal("100000.00")
    assert (
        plan["lagging"] and plan["due_by_progress"] == Decimal("150000.00") and plan["collected"] == Decimal("50000.00")
    )
    html = page.content.decode()
    assert 'id="collection-lagging"' in html and 'id="milestones-overdue"' in html
    bad = client.post(url, {"collection_amount": "abc"})
    assert bad.status_code == 422 and 'id="milestone-error"' in bad.content.decode()
    assert client.post(url, {"collected_amount": "200000"}).status_code == 422
    milestone = ProjectMilestone.objects.get(opportunity=project, kind="prepayment")
    assert (milestone.collection_amount, milestone.collected_amount) == (Decimal("150000.00"), Decimal("50000.00"))
