"""Quotations (ORD-1), contracts (ORD-2) and opportunities (OPP-1, OPP-2) through the services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from neiqin.core.errors import Conflict, InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from neiqin.sales.choices import ContractStatus, OpportunityStage, OrderStatus, QuotationStatus
from neiqin.sales.models import Contract
from neiqin.sales.selectors import opportunity_conversion
from neiqin.sales.services import approvals, contracts, opportunities, quotations
from neiqin.sales.tests.conftest import line

pytestmark = pytest.mark.django_db


def test_a_quotation_within_authority_is_issued_with_a_number(world):
    quote = quotations.quotation_create(customer=world.acme, lines=[line(world.floor, 10)], by=world.cast.sales1)
    assert quote.valid_until == quote.quoted_on + dt.timedelta(days=15)
    issued = quotations.quotation_issue(quotation=quote, by=world.cast.sales1)
    assert issued.status == QuotationStatus.ISSUED and issued.number.startswith("BJ")


def test_a_discount_beyond_the_salespersons_authority_needs_approval_before_issue(world):
    quote = quotations.quotation_create(
        customer=world.acme, lines=[line(world.floor, 10, discount_rate="8%")], by=world.cast.sales1
    )
    with pytest.raises(Conflict) as exc:
        quotations.quotation_issue(quotation=quote, by=world.cast.sales1)
    assert exc.value.code == "approval_missing" and quote.number is None
    (request,) = quotations.quotation_request_approval(quotation=quote, by=world.cast.sales1)
    approvals.approval_decide(approval=request, by=world.cast.manager, approve=True, comment="老客户")
    assert quotations.quotation_issue(quotation=quote, by=world.cast.sales1).status == QuotationStatus.ISSUED


def test_the_same_discount_is_within_a_managers_authority(world):
    quote = quotations.quotation_create(
        customer=world.acme, lines=[line(world.floor, 10, discount_rate="8%")], by=world.cast.manager
    )
    assert quotations.quotation_issue(quotation=quote, by=world.cast.manager).status == QuotationStatus.ISSUED


def test_changing_an_approved_quotation_voids_its_approval(world):
    quote = quotations.quotation_create(
        customer=world.acme, lines=[line(world.floor, 10, discount_rate="8%")], by=world.cast.sales1
    )
    (request,) = quotations.quotation_request_approval(quotation=quote, by=world.cast.sales1)
    approvals.approval_decide(approval=request, by=world.cast.manager, approve=True, comment="同意")
    quote = quotations.quotation_update(
        quotation=quote, by=world.cast.sales1, version=quote.version, lines=[line(world.floor, 20, discount_rate="8%")]
    )
    with pytest.raises(Conflict):
        quotations.quotation_issue(quotation=quote, by=world.cast.sales1)


def test_an_issued_quotation_becomes_an_order_at_the_quoted_prices(world):
    quote = quotations.quotation_create(
        customer=world.acme, lines=[line(world.floor, 10, unit_price="95")], by=world.cast.manager
    )
    quotations.quotation_issue(quotation=quote, by=world.cast.manager)
    order = quotations.quotation_to_order(quotation=quote, by=world.cast.clerk, fields={"delivery_on": dt.date.today()})
    assert order.quotation_id == quote.pk and order.lines.get().unit_price == Decimal("95")
    assert order.status == OrderStatus.DRAFT


def test_a_salesperson_cannot_quote_another_salespersons_customer(world):
    with pytest.raises(NotFound):
        quotations.quotation_create(customer=world.other, lines=[line(world.floor, 1)], by=world.cast.sales1)


def _contract(world):
    return contracts.contract_create(
        customer=world.acme, by=world.cast.clerk, title="地板购销合同", lines=[line(world.floor, 100)]
    )


def test_a_contract_is_drafted_with_parties_clauses_and_total(world):
    contract = _contract(world)
    assert contract.total == Decimal("10000.00") and contract.number is None
    assert contract.buyer["name"] == world.acme.name and contract.seller["name"]
    assert [c["key"] for c in contract.clauses][:3] == ["quality", "delivery", "transport"] and len(
        contract.clauses
    ) == 9


def test_a_contract_goes_through_legal_and_finance_review_then_signing(world):
    contract = contracts.contract_submit_review(contract=_contract(world), by=world.cast.clerk)
    assert contract.number.startswith("HT")
    with pytest.raises(PermissionDenied):
        contracts.contract_review(contract=contract, kind="finance", by=world.cast.clerk, approved=True)
    contracts.contract_review(contract=contract, kind="legal", by=world.cast.deputy, approved=True)
    contract = contracts.contract_review(contract=contract, kind="finance", by=world.cast.finance, approved=True)
    assert contract.status == ContractStatus.REVIEWED
    with pytest.raises(ValidationFailed) as exc:
        contracts.contract_sign(
            contract=contract, by=world.cast.clerk, signed_on="", seller_signatory="张三", buyer_signatory=""
        )
    assert exc.value.code == "contract_incomplete"
    assert Contract.objects.get(pk=contract.pk).status == ContractStatus.REVIEWED
    contract = contracts.contract_sign(
        contract=contract,
        by=world.cast.clerk,
        signed_on=dt.date.today(),
        seller_signatory="张三",
        buyer_signatory="李四",
    )
    assert contract.status == ContractStatus.EFFECTIVE


def test_the_database_refuses_an_effective_contract_without_signatures(world):
    from django.db import IntegrityError, transaction

    contract = _contract(world)
    with pytest.raises(IntegrityError), transaction.atomic():
        Contract.objects.filter(pk=contract.pk).update(status=ContractStatus.EFFECTIVE)  # noqa: NQ001 (the test of the CHECK)


def test_a_rejected_review_sends_the_contract_back_to_draft_with_a_comment(world):
    contract = contracts.contract_submit_review(contract=_contract(world), by=world.cast.clerk)
    with pytest.raises(ValidationFailed):
        contracts.contract_review(contract=contract, kind="legal", by=world.cast.deputy, approved=False)
    contract = contracts.contract_review(
        contract=contract, kind="legal", by=world.cast.deputy, approved=False, comment="违约条款需修改"
    )
    assert contract.status == ContractStatus.DRAFT


def test_the_scanned_copy_is_only_accepted_as_pdf_or_image_after_signing(world):
    contract = _contract(world)
    with pytest.raises(Conflict):
        contracts.contract_attach_scan(contract=contract, by=world.cast.clerk, data=b"%PDF-1.4 x")
    with pytest.raises(ValidationFailed):
        contracts.contract_attach_scan(contract=contract, by=world.cast.clerk, data=b"MZ\x90\x00")


def test_expiry_warning_goes_to_the_owner(world):
    contract = contracts.contract_submit_review(contract=_contract(world), by=world.cast.clerk)
    contracts.contract_review(contract=contract, kind="legal", by=world.cast.deputy, approved=True)
    contracts.contract_review(contract=contract, kind="finance", by=world.cast.finance, approved=True)
    contracts.contract_sign(
        contract=contract, by=world.cast.clerk, signed_on=dt.date.today(), seller_signatory="张", buyer_signatory="李"
    )
    Contract.objects.filter(pk=contract.pk).update(ends_on=dt.date.today() + dt.timedelta(days=30))  # noqa: NQ001
    assert contracts.contracts_expiry_remind() == 1
    assert world.cast.sales1.notifications.filter(title__contains="到期").exists()


def test_opportunity_stages_and_conversion(world):
    first = opportunities.opportunity_create(
        customer=world.acme, fields={"title": "办公楼地板", "expected_amount": "50000"}, by=world.cast.sales1
    )
    second = opportunities.opportunity_create(customer=world.acme, fields={"title": "仓库保温"}, by=world.cast.sales1)
    opportunities.opportunity_set_stage(opportunity=first, stage=OpportunityStage.CONTACTED, by=world.cast.sales1)
    opportunities.opportunity_set_stage(opportunity=first, stage=OpportunityStage.WON, by=world.cast.sales1)
    with pytest.raises(ValidationFailed):
        opportunities.opportunity_set_stage(opportunity=second, stage=OpportunityStage.LOST, by=world.cast.sales1)
    opportunities.opportunity_set_stage(
        opportunity=second, stage=OpportunityStage.LOST, by=world.cast.sales1, lost_reason="价格高"
    )
    with pytest.raises(InvalidTransition):
        opportunities.opportunity_set_stage(opportunity=first, stage=OpportunityStage.LEAD, by=world.cast.sales1)
    stats = opportunity_conversion(user=world.cast.clerk)
    lead = stats["stages"][0]
    assert lead["count"] == 2 and stats["won"] == 1 and stats["lost"] == 1 and stats["win_rate"] == 50.0


def test_project_deals_get_milestones(world):
    deal = opportunities.opportunity_create(
        customer=world.acme, fields={"title": "总部装修", "is_project": True}, by=world.cast.sales1
    )
    assert deal.milestones.count() == 8
    milestone = opportunities.milestone_update(
        opportunity=deal, kind="prepayment", by=world.cast.sales1, collection_amount="30000", collected_amount="10000"
    )
    assert milestone.collected_amount == Decimal("10000.00")
    with pytest.raises(ValidationFailed):
        opportunities.milestone_update(
            opportunity=deal, kind="prepayment", by=world.cast.sales1, collected_amount="40000"
        )
