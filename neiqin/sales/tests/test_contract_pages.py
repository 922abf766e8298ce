"""Contract pages (ORD-2): drafting, editing parties and clauses, review, signing, the archived
scan and the PDF; reviewer roles; scoping (a salesperson never reaches another's contract)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from neiqin.sales.choices import ContractStatus
from neiqin.sales.models import Contract
from neiqin.sales.services import contracts, orders, quotations
from neiqin.sales.tests.conftest import line

pytestmark = pytest.mark.django_db

PDF_BYTES = b"%PDF-1.4\n% signed copy\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _home(settings, tmp_path):
    settings.NEIQIN_HOME = str(tmp_path)


def _draft(world, customer=None, by=None, quantity=100, days=365):
    return contracts.contract_create(
        customer=customer or world.acme,
        by=by or world.cast.clerk,
        title="地板购销合同",
        lines=[line(world.floor, quantity)],
        ends_on=dt.date.today() + dt.timedelta(days=days),
    )


def _reviewed(world, **kwargs):
    contract = contracts.contract_submit_review(contract=_draft(world, **kwargs), by=world.cast.clerk)
    contracts.contract_review(contract=contract, kind="legal", by=world.cast.deputy, approved=True)
    return contracts.contract_review(contract=contract, kind="finance", by=world.cast.finance, approved=True)


def _effective(world, **kwargs):
    return contracts.contract_sign(
        contract=_reviewed(world, **kwargs),
        by=world.cast.clerk,
        signed_on=dt.date.today(),
        seller_signatory="王经理",
        buyer_signatory="李总",
    )


def test_a_contract_is_drafted_from_an_issued_quotation(world, client_for):
    quote = quotations.quotation_issue(
        quotation=quotations.quotation_create(
            customer=world.acme, lines=[line(world.floor, 10, unit_price="95")], by=world.cast.sales1
        ),
        by=world.cast.sales1,
    )
    client = client_for(world.cast.sales1)
    page = client.get(reverse("sales:contract_create"), {"quotation": quote.pk})
    assert page.status_code == 200 and "长沙宏达装饰工程有限公司购销合同" in page.content.decode()
    ends = (dt.date.today() + dt.timedelta(days=180)).isoformat()
    response = client.post(
        reverse("sales:contract_create"),
        {"quotation": quote.pk, "title": "地板年度合同", "ends_on": ends, "action": "save"},
    )
    contract = Contract.objects.get()
    assert response["Location"] == reverse("sales:contract_detail", args=[contract.pk])
    assert contract.quotation == quote and contract.total == Decimal("950.00") and contract.ends_on.isoformat() == ends
    assert contract.buyer["name"] == "长沙宏达装饰工程有限公司" and len(contract.clauses) == 9


def test_a_contract_is_drafted_for_a_customer_with_typed_lines(world, client_for):
    client = client_for(world.cast.clerk)
    assert client.get(reverse("sales:contract_create"), {"customer_q": "宏达"}).status_code == 200
    data = {
        "customer": world.acme.pk,
        "title": "零星采购合同",
        "action": "save",
        "line_product": ["QH-1201", ""],
        "line_quantity": ["5", ""],
        "line_unit_price": ["", ""],
        "line_discount": ["", ""],
        "line_delivery_on": ["2026-12-01", ""],
        "line_note": ["", ""],
    }
    response = client.post(reverse("sales:contract_create"), data)
    assert response.status_code == 302
    contract = Contract.objects.get()
    assert contract.total == Decimal("500.00") and contract.lines.get().delivery_on == dt.date(2026, 12, 1)


def test_a_contract_without_title_or_with_bad_lines_is_refused(world, client_for):
    client = client_for(world.cast.clerk)
    base = {"customer": world.acme.pk, "action": "save", "line_product": ["QH-1201"], "line_quantity": ["0"]}
    response = client.post(reverse("sales:contract_create"), {**base, "title": "合同"})
    assert response.status_code == 422 and "数量" in response.content.decode()
    response = client.post(reverse("sales:contract_create"), {**base, "title": "", "line_quantity": ["2"]})
    assert response.status_code == 422
    assert not Contract.objects.exists()


def test_a_draft_quotation_cannot_become_a_contract(world, client_for):
    quote = quotations.quotation_create(customer=world.acme, lines=[line(world.floor, 1)], by=world.cast.sales1)
    response = client_for(world.cast.sales1).post(
        reverse("sales:contract_create"), {"quotation": quote.pk, "title": "合同", "action": "save"}
    )
    assert "只有已发出或客户已接受的报价单可以起草合同" in response.content.decode()
    assert not Contract.objects.exists()


def _edit_data(contract, **overrides):
    data = {
        "version": contract.version,
        "title": contract.title,
        "ends_on": contract.ends_on.isoformat() if contract.ends_on else "",
        "expiry_warning_days": "30",
        "signed_at_place": "长沙",
        "action": "save",
        "line_product": [line.product.model for line in contract.lines.select_related("product")],
        "line_quantity": [str(line.quantity) for line in contract.lines.all()],
        "clause_key": [c["key"] for c in contract.clauses],
        "clause_title": [c["title"] for c in contract.clauses],
        "clause_text": [c["text"] for c in contract.clauses],
    }
    for side in ("buyer", "seller"):
        for key, value in getattr(contract, side).items():
            data[f"{side}_{key}"] = value
    data.update(overrides)
    return data


def test_the_draft_editor_changes_parties_and_clauses(world, client_for):
    contract = _draft(world)
    client = client_for(world.cast.clerk)
    page = client.get(reverse("sales:contract_update", args=[contract.pk])).content.decode()
    assert "质量标准" in page and "textarea" in page
    titles = [c["title"] for c in contract.clauses][:-1] + ["", "保密条款"]  # drop the last, add one
    texts = [c["text"] for c in contract.clauses][:-1] + ["", "双方对本合同内容保密。"]
    keys = [c["key"] for c in contract.clauses][:-1] + ["", ""]
    data = _edit_data(
        contract,
        buyer_bank="中国银行长沙分行",
        buyer_account="6222 0000 1111",
        seller_representative="王强",
        clause_key=keys,
        clause_title=titles,
        clause_text=texts,
    )
    response = client.post(reverse("sales:contract_update", args=[contract.pk]), data)
    assert response.status_code == 302
    contract.refresh_from_db()
    assert contract.buyer["bank"] == "中国银行长沙分行" and contract.seller["representative"] == "王强"
    assert [c["title"] for c in contract.clauses][-1] == "保密条款" and len(contract.clauses) == 9
    assert "其他约定事项" not in [c["title"] for c in contract.clauses]
    assert contract.signed_at_place == "长沙"
    detail = client.get(reverse("sales:contract_detail", args=[contract.pk])).content.decode()
    assert "九、保密条款" in detail and "中国银行长沙分行" in detail


def test_a_clause_without_title_is_refused(world, client_for):
    contract = _draft(world)
    data = _edit_data(contract, clause_key=["x"], clause_title=[""], clause_text=["只有内容"])
    response = client_for(world.cast.clerk).post(reverse("sales:contract_update", args=[contract.pk]), data)
    assert response.status_code == 422 and "条款格式不对" in response.content.decode()
    contract.refresh_from_db()
    assert len(contract.clauses) == 9


def test_review_by_the_reviewer_roles_only(world, client_for):
    contract = contracts.contract_submit_review(contract=_draft(world), by=world.cast.clerk)
    url = reverse("sales:contract_review", args=[contract.pk])
    assert client_for(world.cast.sales1).post(url, {"kind": "legal", "decision": "approve"}).status_code == 403
    # finance may not do the legal review: refused, nothing changed
    assert client_for(world.cast.finance).post(url, {"kind": "legal", "decision": "approve"}).status_code == 403
    assert contract.reviews.get(kind="legal").approved is None
    page = client_for(world.cast.deputy).get(reverse("sales:contract_detail", args=[contract.pk])).content.decode()
    assert 'name="kind" value="legal"' in page and 'name="kind" value="finance"' not in page
    client_for(world.cast.deputy).post(url, {"kind": "legal", "decision": "approve", "comment": "条款无误"})
    client_for(world.cast.finance).post(url, {"kind": "finance", "decision": "approve"})
    contract.refresh_from_db()
    assert contract.status == ContractStatus.REVIEWED


def test_returning_needs_a_comment_and_sends_the_contract_back(world, client_for):
    contract = contracts.contract_submit_review(contract=_draft(world), by=world.cast.clerk)
    url = reverse("sales:contract_review", args=[contract.pk])
    client = client_for(world.cast.finance)
    response = client.post(url, {"kind": "finance", "decision": "return", "comment": ""}, follow=True)
    assert "退回时请填写意见" in response.content.decode()
    contract.refresh_from_db()
    assert contract.status == ContractStatus.IN_REVIEW
    client.post(url, {"kind": "finance", "decision": "return", "comment": "付款条件不明确"})
    contract.refresh_from_db()
    assert contract.status == ContractStatus.DRAFT


def test_signing_without_signatures_is_refused_with_a_clear_message(world, client_for):
    contract = _reviewed(world)
    client = client_for(world.cast.clerk)
    url = reverse("sales:contract_sign", args=[contract.pk])
    response = client.post(
        url, {"signed_on": dt.date.today().isoformat(), "buyer_signatory": "", "seller_signatory": ""}, follow=True
    )
    html = response.content.decode()
    assert "合同缺少编号、双方签字或签订日期，不能生效" in html and "请填写卖方签字人" in html
    contract.refresh_from_db()
    assert contract.status == ContractStatus.REVIEWED and contract.signed_on is None
    response = client.post(url, {"signed_on": "", "buyer_signatory": "李总", "seller_signatory": "王经理"}, follow=True)
    assert "请填写签订日期" in response.content.decode()
    contract.refresh_from_db()
    assert contract.status == ContractStatus.REVIEWED
    client.post(
        url,
        {
            "signed_on": dt.date.today().isoformat(),
            "buyer_signatory": "李总",
            "seller_signatory": "王经理",
            "place": "长沙",
        },
    )
    contract.refresh_from_db()
    assert contract.status == ContractStatus.EFFECTIVE and contract.signed_at_place == "长沙"


def test_a_draft_cannot_be_signed(world, client_for):
    contract = _draft(world)
    data = {"signed_on": dt.date.today().isoformat(), "buyer_signatory": "李总", "seller_signatory": "王经理"}
    client_for(world.cast.clerk).post(reverse("sales:contract_sign", args=[contract.pk]), data)
    contract.refresh_from_db()
    assert contract.status == ContractStatus.DRAFT


def test_the_scan_is_archived_encrypted_and_downloaded_by_those_who_see_the_contract(world, client_for, settings):
    from pathlib import Path

    from django.core.files.uploadedfile import SimpleUploadedFile

    contract = _effective(world)
    client = client_for(world.cast.clerk)
    upload = SimpleUploadedFile("signed.pdf", PDF_BYTES, content_type="application/pdf")
    client.post(reverse("sales:contract_attach_scan", args=[contract.pk]), {"file": upload})
    contract.refresh_from_db()
    assert contract.scan_file and contract.archived_at
    stored = (Path(settings.NEIQIN_HOME) / "files" / "contracts" / contract.scan_file).read_bytes()
    assert b"signed copy" not in stored  # encrypted at rest
    response = client_for(world.cast.sales1).get(reverse("sales:contract_scan", args=[contract.pk]))
    assert response.status_code == 200 and response.content == PDF_BYTES
    assert response["Content-Type"] == "application/pdf"
    assert client_for(world.cast.sales2).get(reverse("sales:contract_scan", args=[contract.pk])).status_code == 404
    assert client_for(world.cast.warehouse).get(reverse("sales:contract_scan", args=[contract.pk])).status_code == 403


def test_only_pdf_png_or_jpg_scans_are_accepted(world, client_for):
    from django.core.files.uploadedfile import SimpleUploadedFile

    contract = _effective(world)
    upload = SimpleUploadedFile("signed.docx", b"PK\x03\x04 not a scan", content_type="application/pdf")
    response = client_for(world.cast.clerk).post(
        reverse("sales:contract_attach_scan", args=[contract.pk]), {"file": upload}, follow=True
    )
    assert "扫描件只能是 PDF、PNG 或 JPG" in response.content.decode()
    contract.refresh_from_db()
    assert not contract.scan_file
    assert client_for(world.cast.clerk).get(reverse("sales:contract_scan", args=[contract.pk])).status_code == 404


def test_complete_and_terminate(world, client_for):
    contract = _effective(world)
    client = client_for(world.cast.clerk)
    url = reverse("sales:contract_close", args=[contract.pk])
    response = client.post(url, {"outcome": "terminate", "reason": ""}, follow=True)
    assert "请填写终止原因" in response.content.decode()
    contract.refresh_from_db()
    assert contract.status == ContractStatus.EFFECTIVE
    client.post(url, {"outcome": "complete"})
    contract.refresh_from_db()
    assert contract.status == ContractStatus.COMPLETED


def test_the_list_highlights_contracts_expiring_within_30_days(world, client_for):
    soon = _effective(world, days=10)
    later = _effective(world)
    theirs = _draft(world, customer=world.other, by=world.cast.sales2)
    client = client_for(world.cast.sales1)
    html = client.get(reverse("sales:contract_list")).content.decode()
    assert html.count("data-expiring") == 1 and "10 天后到期" in html
    assert reverse("sales:contract_detail", args=[theirs.pk]) not in html
    html = client.get(reverse("sales:contract_list"), {"expiring": "on"}).content.decode()
    assert reverse("sales:contract_detail", args=[soon.pk]) in html
    assert reverse("sales:contract_detail", args=[later.pk]) not in html
    html = client.get(reverse("sales:contract_list"), {"status": "draft"}).content.decode()
    assert reverse("sales:contract_detail", args=[soon.pk]) not in html


def test_the_detail_page_shows_execution_through_linked_orders(world, client_for):
    contract = _effective(world)
    order = orders.order_create(
        customer=world.acme, lines=[line(world.floor, 5)], by=world.cast.clerk, contract=contract
    )
    html = client_for(world.cast.sales1).get(reverse("sales:contract_detail", args=[contract.pk])).content.decode()
    assert reverse("sales:order_detail", args=[order.pk]) in html and "已生效" in html


def test_every_page_renders_for_each_role_that_sees_contracts(world, client_for):
    contract = _effective(world)
    for role in ("admin", "clerk", "sales1", "manager", "finance", "gm", "deputy"):
        client = client_for(getattr(world.cast, role))
        assert client.get(reverse("sales:contract_list")).status_code == 200, role
        assert client.get(reverse("sales:contract_detail", args=[contract.pk])).status_code == 200, role
    for role in ("sales2", "manager2"):
        assert (
            client_for(getattr(world.cast, role)).get(reverse("sales:contract_detail", args=[contract.pk])).status_code
            == 404
        )


def test_sales1_never_sees_sales2s_contracts_by_any_page_route(world, client_for, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    theirs = _effective(world, customer=world.other, by=world.cast.sales2)
    contracts.contract_attach_scan(contract=theirs, by=world.cast.sales2, data=PDF_BYTES)
    client = client_for(world.cast.sales1)
    for name in ("contract_detail", "contract_update", "contract_pdf", "contract_scan"):
        assert client.get(reverse(f"sales:{name}", args=[theirs.pk])).status_code == 404, name
    posts = {
        "contract_submit_review": {},
        "contract_sign": {"signed_on": dt.date.today().isoformat(), "buyer_signatory": "x", "seller_signatory": "y"},
        "contract_close": {"outcome": "terminate", "reason": "x"},
        "contract_attach_scan": {"file": SimpleUploadedFile("a.pdf", PDF_BYTES)},
    }
    for name, data in posts.items():
        assert client.post(reverse(f"sales:{name}", args=[theirs.pk]), data).status_code == 404, name
    assert client.get(reverse("sales:contract_create"), {"customer": world.other.pk}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == ContractStatus.EFFECTIVE


def test_the_contract_pdf_download(world, client_for):
    contract = _draft(world)
    response = client_for(world.cast.manager).get(reverse("sales:contract_pdf", args=[contract.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
