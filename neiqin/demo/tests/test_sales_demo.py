"""The demo order desk: every state of orders, quotations, contracts and approvals, decided by
the right people, with the stock ledger still matching the levels."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal

import pytest
from django.db.models import Sum

from neiqin.demo import builder
from neiqin.demo import sales as demo_sales
from neiqin.sales.choices import ContractStatus, OpportunityStage, OrderStatus, QuotationStatus
from neiqin.sales.models import ApprovalRequest, Contract, Opportunity, OrderVersion, Quotation, SalesOrder
from neiqin.stock.models import ReplenishmentRequest, Reservation, StockLevel, StockMove


def quiet(_line: str) -> None:
    pass


@pytest.fixture
def demo(db, monkeypatch):
    steps = [step for step in builder.STEPS if step[0] != "sales"]
    after = [name for name, _step in steps].index("materials") + 1
    monkeypatch.setattr(builder, "STEPS", [*steps[:after], ("sales", demo_sales.build), *steps[after:]])
    return builder.build_demo(seed=7, scale="tiny", log=quiet)


def test_the_tiny_demo_has_orders_quotations_contracts_and_opportunities_in_every_state(demo):
    statuses = Counter(SalesOrder.objects.values_list("status", flat=True))
    assert {
        OrderStatus.DRAFT,
        OrderStatus.PENDING_APPROVAL,
        OrderStatus.APPROVED,
        OrderStatus.CONFIRMED,
        OrderStatus.CANCELLED,
    } <= set(statuses), statuses
    assert sum(statuses.values()) >= 45
    assert set(Quotation.objects.values_list("status", flat=True)) >= {
        QuotationStatus.DRAFT,
        QuotationStatus.ISSUED,
        QuotationStatus.ACCEPTED,
        QuotationStatus.DECLINED,
    }
    assert set(Contract.objects.values_list("status", flat=True)) >= {
        ContractStatus.DRAFT,
        ContractStatus.IN_REVIEW,
        ContractStatus.REVIEWED,
        ContractStatus.EFFECTIVE,
        ContractStatus.COMPLETED,
    }
    soon = demo.today + dt.timedelta(days=30)
    expiring = Contract.objects.filter(status=ContractStatus.EFFECTIVE, ends_on__gte=demo.today, ends_on__lte=soon)
    assert expiring.exists()
    assert not Contract.objects.filter(status=ContractStatus.EFFECTIVE, buyer_signatory="").exists()
    assert set(Opportunity.objects.values_list("stage", flat=True)) == set(OpportunityStage.values)
    assert Opportunity.objects.filter(is_project=True, milestones__done_on__isnull=False).exists()
    assert not Opportunity.objects.filter(stage=OpportunityStage.LOST, lost_reason="").exists()


def test_orders_show_channels_oral_orders_changes_and_stock_waits(demo):
    channels = set(SalesOrder.objects.values_list("channel", flat=True))
    assert {"fax", "phone", "email", "oral"} <= channels
    assert SalesOrder.objects.filter(channel="oral", written_record="").count() >= 2
    changed = SalesOrder.objects.filter(changed_since_confirmation=True)
    assert changed.exists() and OrderVersion.objects.filter(order__in=changed, number__gt=3).exists()
    waiting = SalesOrder.objects.filter(status=OrderStatus.CONFIRMED, waiting_for_stock=True)
    assert waiting.exists()
    for order in waiting:
        assert ReplenishmentRequest.objects.filter(demand_type="order", demand_id=str(order.pk)).exists()
    pending = SalesOrder.objects.filter(status=OrderStatus.PENDING_APPROVAL)
    rules = set(
        ApprovalRequest.objects.filter(order__in=pending, status="pending").values_list("rule__code", flat=True)
    )
    assert {"below_floor", "credit_sale", "special_product"} <= rules
    # Confirmed orders hold exactly what their reservations hold.
    for order in SalesOrder.objects.filter(status=OrderStatus.CONFIRMED).prefetch_related("lines")[:40]:
        held = Reservation.objects.filter(document_type="order", document_id=str(order.pk), status="active")
        assert sum(line.reserved_quantity for line in order.lines.all()) >= (
            held.aggregate(s=Sum("quantity"))["s"] or Decimal("0")
        )


def test_approvals_exist_in_every_state_and_were_decided_by_the_right_people(demo):
    statuses = set(ApprovalRequest.objects.values_list("status", flat=True))
    assert {"pending", "approved", "void", "rejected"} <= statuses
    decided = ApprovalRequest.objects.filter(status__in=["approved", "rejected"]).select_related("decided_by", "order")
    assert decided.count() >= 10
    for approval in decided:
        groups = set(approval.decided_by.groups.values_list("name", flat=True))
        assert approval.decided_by_id != approval.requested_by_id
        if approval.approver_role == "gm":
            assert groups == {"gm"}
        elif approval.approver_role == "deputy_gm":
            assert groups == {"deputy_gm"}
        else:
            assert groups == {"sales_manager"}
            customer = (approval.order or approval.quotation).customer
            assert approval.decided_by == customer.owner.team.manager


def test_the_stock_ledger_still_matches_the_levels_and_nothing_is_negative(demo):
    moves = {
        (row["warehouse_id"], row["product_id"]): row["s"]
        for row in StockMove.objects.values("warehouse_id", "product_id").annotate(s=Sum("quantity"))
    }
    for level in StockLevel.objects.all():
        assert level.on_hand == moves.get((level.warehouse_id, level.product_id), Decimal("0"))
        assert 0 <= level.reserved <= level.on_hand
        active = Reservation.objects.filter(
            warehouse_id=level.warehouse_id, product_id=level.product_id, status="active"
        ).aggregate(s=Sum("quantity"))["s"] or Decimal("0")
        assert level.reserved == active
    # The stock pages do not look empty: most stocked levels still have goods available.
    stocked = StockLevel.objects.filter(on_hand__gt=0)
    assert stocked.count() >= 50


def test_shipped_progress_of_demo_orders_is_what_the_ledger_shipped(demo):
    """ORD-7: the demo's shipments go through the stock ledger, and each order's shipped progress
    and line quantities are derived from them."""
    from neiqin.sales.choices import Progress
    from neiqin.sales.services.shipping import shipped_progress

    shipped = {
        int(row["document_id"]): -row["q"]
        for row in StockMove.objects.filter(kind="shipment", document_type="order")
        .values("document_id")
        .annotate(q=Sum("quantity"))
    }
    assert shipped, "the demo ships orders"
    progress = Counter()
    for order in SalesOrder.objects.prefetch_related("lines"):
        lines = list(order.lines.all())
        assert sum((ln.shipped_quantity for ln in lines), Decimal("0")) == shipped.get(order.pk, 0), order.number
        assert order.shipped == shipped_progress(lines), order.number
        progress[order.shipped] += 1
    assert progress[Progress.FULL] > 0 and progress[Progress.PARTIAL] > 0 and progress[Progress.NONE] > 0, progress
