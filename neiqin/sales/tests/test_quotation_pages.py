"""Quotation pages (ORD-1): list, entry, the quotation page and its actions, the PDF; scoping."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from neiqin.sales.choices import ApprovalStatus, QuotationStatus
from neiqin.sales.models import Quotation
from neiqin.sales.services import approvals, quotations
from neiqin.sales.tests.conftest import line

pytestmark = pytest.mark.django_db


def _quote(world, customer=None, by=None, **extra):
    return quotations.quotation_create(
        customer=customer or world.acme, lines=[line(world.floor, 10, **extra)], by=by or world.cast.sales1
    )


def _post_lines(rows):
    data = {
        "line_product": [],
        "line_quantity": [],
        "line_unit_price": [],
        "line_discount": [],
        "line_delivery_on": [],
        "line_note": [],
    }
    for row in rows:
        for key in data:
            data[key].append(row.get(key[5:], ""))
    return data


def test_the_list_shows_own_quotations_and_flags_expired_ones(world, client_for):
    fresh = _quote(world)
    old = _quote(world)
    quotations.quotation_update(
        quotation=old,
        by=world.cast.sales1,
        version=old.version,
        fields={
            "quoted_on": dt.date.today() - dt.timedelta(days=40),
            "valid_until": dt.date.today() - dt.timedelta(days=1),
        },
    )
    theirs = _quote(world, customer=world.other, by=world.cast.sales2)
    response = client_for(world.cast.sales1).get(reverse("sales:quotation_list"))
    assert response.status_code == 200
    html = response.content.decode()
    assert reverse("sales:quotation_detail", args=[fresh.pk]) in html
    assert reverse("sales:quotation_detail", args=[theirs.pk]) not in html
    assert html.count("data-expired") == 1
    response = client_for(world.cast.sales1).get(reverse("sales:quotation_list"), {"expired": "on"})
    assert reverse("sales:quotation_detail", args=[old.pk]) in response.content.decode()
    assert reverse("sales:quotation_detail", args=[fresh.pk]) not in response.content.decode()


def test_the_list_filters_by_status_and_customer_and_swaps_the_table(world, client_for):
    draft = _quote(world)
    issued = quotations.quotation_issue(quotation=_quote(world, customer=world.monthly), by=world.cast.sales1)
    client = client_for(world.cast.clerk)
    html = client.get(reverse("sales:quotation_list"), {"status": "issued"}).content.decode()
    assert issued.number in html and reverse("sales:quotation_detail", args=[draft.pk]) not in html
    html = client.get(reverse("sales:quotation_list"), {"customer": world.acme.pk}).content.decode()
    assert reverse("sales:quotation_detail", args=[draft.pk]) in html and issued.number not in html
    fragment = client.get(
        reverse("sales:quotation_list"), {"q": issued.number}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="quotation-table"
    )
    assert "<html" not in fragment.content.decode() and issued.number in fragment.content.decode()


def test_a_quotation_is_entered_by_model_and_priced_from_the_price_list(world, client_for):
    client = client_for(world.cast.sales1)
    page = client.get(reverse("sales:quotation_create"), {"customer": world.acme.pk})
    assert page.status_code == 200 and "长沙宏达装饰工程有限公司" in page.content.decode()
    today = dt.date.today()
    data = {
        "customer": world.acme.pk,
        "quoted_on": today.isoformat(),
        "valid_until": (today + dt.timedelta(days=10)).isoformat(),
        "contact_name": "张采购",
        "payment_terms": "款到发货",
        **_post_lines([{"product": "QH-1201", "quantity": "12"}, {}]),
    }
    preview = client.post(reverse("sales:quotation_create"), {**data, "action": "preview"})
    assert preview.status_code == 200 and "¥1,200.00" in preview.content.decode()
    assert not Quotation.objects.exists()
    response = client.post(reverse("sales:quotation_create"), {**data, "action": "save"})
    quote = Quotation.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("sales:quotation_detail", args=[quote.pk])
    assert quote.total == Decimal("1200.00") and quote.contact_name == "张采购" and quote.owner == world.cast.sales1


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"product": "NOPE-1", "quantity": "1"}, "找不到型号为 NOPE-1 的产品"),
        ({"product": "QH-1201", "quantity": "-2"}, "数量"),
        ({"product": "QH-1201", "quantity": "abc"}, "数量"),
        ({"product": "QH-1201", "quantity": "1", "discount": "150%"}, "折扣"),
    ],
)
def test_bad_lines_are_refused_on_their_row_and_nothing_is_saved(world, client_for, row, message):
    today = dt.date.today()
    data = {
        "customer": world.acme.pk,
        "quoted_on": today.isoformat(),
        "valid_until": today.isoformat(),
        "action": "save",
        **_post_lines([row]),
    }
    response = client_for(world.cast.sales1).post(reverse("sales:quotation_create"), data)
    assert response.status_code == 422 and message in response.content.decode()
    assert not Quotation.objects.exists()


def test_validity_before_the_quote_date_is_refused(world, client_for):
    today = dt.date.today()
    data = {
        "customer": world.acme.pk,
        "quoted_on": today.isoformat(),
        "valid_until": (today - dt.timedelta(days=1)).isoformat(),
        "action": "save",
        **_post_lines([{"product": "QH-1201", "quantity": "1"}]),
    }
    response = client_for(world.cast.sales1).post(reverse("sales:quotation_create"), data)
    assert response.status_code == 422 and "有效期不能早于报价日期" in response.content.decode()
    assert not Quotation.objects.exists()


def test_a_salesperson_cannot_quote_for_another_salespersons_customer(world, client_for):
    client = client_for(world.cast.sales1)
    assert client.get(reverse("sales:quotation_create"), {"customer": world.other.pk}).status_code == 404
    today = dt.date.today().isoformat()
    data = {"customer": world.other.pk, "quoted_on": today, "valid_until": today, "action": "save"}
    data.update(_post_lines([{"product": "QH-1201", "quantity": "1"}]))
    assert client.post(reverse("sales:quotation_create"), data).status_code == 404
    assert not Quotation.objects.exists()


def test_the_detail_page_requests_approval_and_issue_is_refused_until_approved(world, client_for):
    quote = _quote(world, discount_rate="8%")
    client = client_for(world.cast.sales1)
    page = client.get(reverse("sales:quotation_detail", args=[quote.pk])).content.decode()
    assert "折扣" in page and reverse("sales:quotation_request_approval", args=[quote.pk]) in page
    response = client.post(reverse("sales:quotation_issue", args=[quote.pk]), follow=True)
    assert "需要先审批" in response.content.decode()
    quote.refresh_from_db()
    assert quote.status == QuotationStatus.DRAFT and quote.number is None
    client.post(reverse("sales:quotation_request_approval", args=[quote.pk]))
    request = quote.approvals.get(status=ApprovalStatus.PENDING)
    manager_page = client_for(world.cast.manager).get(reverse("sales:quotation_detail", args=[quote.pk]))
    assert reverse("sales:approval_decide", args=[request.pk]) in manager_page.content.decode()
    approvals.approval_decide(approval=request, by=world.cast.manager, approve=True, comment="同意")
    client = client_for(world.cast.sales1)  # the test client is shared: log sales1 in again
    client.post(reverse("sales:quotation_issue", args=[quote.pk]))
    quote.refresh_from_db()
    assert quote.status == QuotationStatus.ISSUED and quote.number


def test_editing_an_approved_draft_on_the_page_voids_the_approval(world, client_for):
    quote = _quote(world, discount_rate="8%")
    (request,) = quotations.quotation_request_approval(quotation=quote, by=world.cast.sales1)
    approvals.approval_decide(approval=request, by=world.cast.manager, approve=True, comment="同意")
    client = client_for(world.cast.sales1)
    form = client.get(reverse("sales:quotation_edit", args=[quote.pk])).content.decode()
    assert "QH-1201" in form and 'value="8%"' in form
    data = {
        "version": quote.version,
        "quoted_on": quote.quoted_on.isoformat(),
        "valid_until": quote.valid_until.isoformat(),
        "action": "save",
        **_post_lines([{"product": "QH-1201", "quantity": "20", "discount": "8%"}]),
    }
    response = client.post(reverse("sales:quotation_edit", args=[quote.pk]), data, follow=True)
    assert "原审批已失效" in response.content.decode()
    request.refresh_from_db()
    assert request.status == ApprovalStatus.VOID
    quote.refresh_from_db()
    assert quote.total == Decimal("1840.00")
    client.post(reverse("sales:quotation_issue", args=[quote.pk]))
    quote.refresh_from_db()
    assert quote.status == QuotationStatus.DRAFT


def test_a_stale_edit_is_refused_and_keeps_the_quotation(world, client_for):
    quote = _quote(world)
    data = {
        "version": quote.version - 1 if quote.version > 1 else 999,
        "quoted_on": quote.quoted_on.isoformat(),
        "valid_until": quote.valid_until.isoformat(),
        "action": "save",
        **_post_lines([{"product": "QH-1201", "quantity": "99"}]),
    }
    response = client_for(world.cast.sales1).post(reverse("sales:quotation_edit", args=[quote.pk]), data)
    assert response.status_code == 409 and "已被他人修改" in response.content.decode()
    quote.refresh_from_db()
    assert quote.total == Decimal("1000.00")


def test_an_issued_quotation_cannot_be_edited(world, client_for):
    quote = quotations.quotation_issue(quotation=_quote(world), by=world.cast.sales1)
    response = client_for(world.cast.sales1).get(reverse("sales:quotation_edit", args=[quote.pk]))
    assert response.status_code == 302


def test_outcome_and_conversion_to_an_order(world, client_for):
    quote = quotations.quotation_issue(quotation=_quote(world, unit_price="95"), by=world.cast.sales1)
    client = client_for(world.cast.sales1)
    client.post(reverse("sales:quotation_outcome", args=[quote.pk]), {"outcome": "accepted"})
    quote.refresh_from_db()
    assert quote.status == QuotationStatus.ACCEPTED
    response = client.post(reverse("sales:quotation_to_order", args=[quote.pk]))
    order = quote.orders.get()
    assert response.status_code == 302 and response["Location"] == f"/sales/orders/{order.pk}/"
    assert order.lines.get().unit_price == Decimal("95")


def test_an_expired_quotation_is_not_turned_into_an_order(world, client_for):
    quote = _quote(world)
    quotations.quotation_update(
        quotation=quote,
        by=world.cast.sales1,
        version=quote.version,
        fields={
            "quoted_on": dt.date.today() - dt.timedelta(days=30),
            "valid_until": dt.date.today() - dt.timedelta(days=2),
        },
    )
    quote = quotations.quotation_issue(quotation=quote, by=world.cast.sales1)
    response = client_for(world.cast.sales1).post(reverse("sales:quotation_to_order", args=[quote.pk]), follow=True)
    assert "已过有效期" in response.content.decode() and not quote.orders.exists()


def test_finance_reads_but_does_not_act_and_the_warehouse_sees_nothing(world, client_for):
    quote = _quote(world)
    finance = client_for(world.cast.finance)
    assert finance.get(reverse("sales:quotation_detail", args=[quote.pk])).status_code == 200
    assert finance.post(reverse("sales:quotation_issue", args=[quote.pk])).status_code == 403
    warehouse = client_for(world.cast.warehouse)
    assert warehouse.get(reverse("sales:quotation_list")).status_code == 403
    assert warehouse.get(reverse("sales:quotation_pdf", args=[quote.pk])).status_code == 403
    quote.refresh_from_db()
    assert quote.status == QuotationStatus.DRAFT


def test_sales1_never_sees_sales2s_quotations_by_any_page_route(world, client_for):
    theirs = quotations.quotation_issue(
        quotation=_quote(world, customer=world.other, by=world.cast.sales2), by=world.cast.sales2
    )
    client = client_for(world.cast.sales1)
    for name in ("quotation_detail", "quotation_edit", "quotation_pdf"):
        assert client.get(reverse(f"sales:{name}", args=[theirs.pk])).status_code == 404, name
    for name in ("quotation_issue", "quotation_request_approval", "quotation_to_order"):
        assert client.post(reverse(f"sales:{name}", args=[theirs.pk])).status_code == 404, name
    assert client.post(reverse("sales:quotation_outcome", args=[theirs.pk]), {"outcome": "accepted"}).status_code == 404
    listed = client.get(reverse("sales:quotation_list"), {"q": theirs.number}).content.decode()
    assert reverse("sales:quotation_detail", args=[theirs.pk]) not in listed and "共 0 张报价单" in listed
    theirs.refresh_from_db()
    assert theirs.status == QuotationStatus.ISSUED and not theirs.orders.exists()


def test_the_quotation_pdf_is_a_download(world, client_for):
    quote = _quote(world)
    response = client_for(world.cast.sales1).get(reverse("sales:quotation_pdf", args=[quote.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF") and "attachment" in response["Content-Disposition"]


def test_the_order_confirmation_pdf_is_scoped(world, client_for):
    from neiqin.sales.services import orders

    order = orders.order_create(customer=world.other, lines=[line(world.floor, 1)], by=world.cast.sales2)
    url = reverse("sales:order_confirmation_pdf", args=[order.pk])
    assert url == f"/sales/orders/{order.pk}/confirmation.pdf"
    assert client_for(world.cast.sales1).get(url).status_code == 404
    response = client_for(world.cast.sales2).get(url)
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
