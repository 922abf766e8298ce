"""Order desk pages: the inbox, entry with live prices, the order page, its actions and the
confirmation text (ORD-3 … ORD-8), through the Django test client."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from neiqin.sales.choices import ApprovalStatus, OrderStatus
from neiqin.sales.models import ApprovalRequest, SalesOrder
from neiqin.sales.services import approvals, orders
from neiqin.sales.tests.conftest import line
from neiqin.stock.models import StockLevel

pytestmark = pytest.mark.django_db

SOON = (dt.date.today() + dt.timedelta(days=7)).isoformat()
TODAY = dt.date.today().isoformat()


def _order(world, customer=None, lines=None, by=None, **fields):
    return orders.order_create(
        customer=customer or world.acme,
        lines=lines or [line(world.floor, 10)],
        by=by or world.cast.clerk,
        fields={"delivery_on": SOON, **fields},
    )


def _ready(world, **kwargs):
    order, _checks = orders.order_submit(order=_order(world, **kwargs), by=world.cast.clerk)
    return order


def _post_data(customer, rows, **header):
    data = {
        "customer": customer.pk if customer else "",
        "channel": "phone",
        "ordered_on": TODAY,
        "delivery_on": SOON,
        "payment_mode": "",
        "payment_term_days": "",
        "delivery_address": "",
        "receiver": "王工",
        "receiver_phone": "13900001111",
        "warehouse": "",
        "customer_reference": "PO-001",
        "written_record": "",
        "notes": "",
        "idempotency_key": "k-" + str(len(rows)),
        "line_product": [r[0] for r in rows],
        "line_quantity": [r[1] for r in rows],
        "line_unit_price": [r[2] if len(r) > 2 else "" for r in rows],
        "line_discount": [r[3] if len(r) > 3 else "" for r in rows],
        "line_delivery_on": ["" for _r in rows],
        "line_note": ["" for _r in rows],
    }
    data.update(header)
    return data


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


# ---- entry -------------------------------------------------------------------------------------


def test_the_entry_form_renders_blank_rows_and_a_fresh_idempotency_key(world, client_for):
    client = client_for(world.cast.clerk)
    first = client.get(reverse("sales:order_create"))
    second = client.get(reverse("sales:order_create"))
    assert first.status_code == 200
    keys = [re.search(rb'name="idempotency_key" value="([0-9a-f]{32})"', r.content).group(1) for r in (first, second)]
    assert keys[0] != keys[1]
    assert first.content.count(b'name="line_product"') == 5
    assert b'id="id_customer_q"' in first.content


def test_customer_search_offers_only_customers_in_scope(world, client_for):
    url = reverse("sales:customer_search")
    assert "郑州恒通建设有限公司" in client_for(world.cast.clerk).get(url, {"q": "郑州恒通"}).content.decode()
    mine = client_for(world.cast.sales1).get(url, {"q": "有限公司"}).content.decode()
    assert "长沙宏达装饰工程有限公司" in mine and "郑州恒通建设有限公司" not in mine


def test_picking_a_customer_fills_its_terms_and_refreshes_the_prices(world, client_for):
    response = client_for(world.cast.sales1).get(reverse("sales:customer_search"), {"pick": world.monthly.pk})
    body = response.content.decode()
    assert response["HX-Trigger"] == "customer-picked"
    assert f'name="customer" id="id_customer" value="{world.monthly.pk}"' in body
    assert 'id="field-payment_mode" hx-swap-oob="true"' in body
    assert re.search(r'<option value="monthly" selected>', body)
    assert 'value="30"' in body and "株洲市天元区 8 号" in body


def test_picking_a_customer_outside_the_scope_is_not_found(world, client_for):
    response = client_for(world.cast.sales1).get(reverse("sales:customer_search"), {"pick": world.other.pk})
    assert response.status_code == 404


def test_product_search_offers_sellable_products_by_model(world, client_for):
    body = client_for(world.cast.clerk).get(reverse("sales:product_search"), {"line_product": "qh-12"}).content.decode()
    assert '<option value="QH-1201">' in body and "SM-D01" not in body


def test_the_line_price_fragment_shows_price_source_and_amount(world, client_for):
    params = {"customer": world.acme.pk, "line_product": "QH-1201", "line_quantity": "10"}
    body = client_for(world.cast.clerk).get(reverse("sales:line_price"), params).content.decode()
    assert "¥100.00" in body and "¥1,000.00" in body
    assert "data-price-source" in body and "底价" not in body


def test_the_line_price_fragment_warns_below_the_floor(world, client_for):
    params = {"customer": world.acme.pk, "line_product": "QH-1201", "line_quantity": "5", "line_unit_price": "75"}
    body = client_for(world.cast.sales1).get(reverse("sales:line_price"), params).content.decode()
    assert "低于底价 ¥80.00" in body and "¥375.00" in body and "手工单价" in body


def test_the_line_price_fragment_applies_a_discount(world, client_for):
    params = {"line_product": "QH-1201", "line_quantity": "2", "line_discount": "5%"}
    body = client_for(world.cast.clerk).get(reverse("sales:line_price"), params).content.decode()
    assert "¥95.00" in body and "-5%" in body and "¥190.00" in body


@pytest.mark.parametrize(
    ("product", "quantity", "message"),
    [("QH-1201", "-1", "data-price-error"), ("QH-1201", "abc", "data-price-error"), ("NOPE-1", "1", "找不到型号")],
)
def test_the_line_price_fragment_reports_bad_input(world, client_for, product, quantity, message):
    params = {"line_product": product, "line_quantity": quantity}
    response = client_for(world.cast.clerk).get(reverse("sales:line_price"), params)
    assert response.status_code == 200 and message in response.content.decode()
    assert "data-amount" not in response.content.decode()


def test_the_line_price_fragment_for_a_customer_outside_the_scope_is_not_found(world, client_for):
    params = {"customer": world.other.pk, "line_product": "QH-1201", "line_quantity": "1"}
    assert client_for(world.cast.sales1).get(reverse("sales:line_price"), params).status_code == 404


def test_add_line_returns_a_row_and_renumbers_the_button(world, client_for):
    body = client_for(world.cast.clerk).get(reverse("sales:line_row"), {"index": "6"}).content.decode()
    assert body.count('name="line_product"') == 1 and '<td class="text-secondary small">6</td>' in body
    assert 'hx-swap-oob="true"' in body and "index=7" in body


def test_saving_the_entry_form_creates_a_draft_with_terms_from_the_customer(world, client_for):
    data = _post_data(world.monthly, [("QH-1201", "10"), ("sm-d01", "1", "480"), ("", "")])
    response = client_for(world.cast.clerk).post(reverse("sales:order_create"), data)
    order = SalesOrder.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("sales:order_detail", args=[order.pk])
    assert (order.status, order.payment_mode, order.payment_term_days) == (OrderStatus.DRAFT, "monthly", 30)
    assert order.delivery_address == "株洲市天元区 8 号" and order.customer_reference == "PO-001"
    assert [(ln.product.model, ln.quantity, ln.unit_price) for ln in order.lines.order_by("position")] == [
        ("QH-1201", Decimal("10.000"), Decimal("100.0000")),
        ("SM-D01", Decimal("1.000"), Decimal("480.0000")),
    ]
    assert order.total == Decimal("1480.00") and order.owner == world.cast.sales1


def test_entry_errors_are_shown_inline_and_nothing_is_saved(world, client_for):
    data = _post_data(world.acme, [("NOPE-9", "1"), ("QH-1201", "-3"), ("QH-1201", "2", "", "150%")])
    response = client_for(world.cast.clerk).post(reverse("sales:order_create"), data)
    body = response.content.decode()
    assert response.status_code == 422 and SalesOrder.objects.count() == 0
    assert "找不到型号为 NOPE-9 的产品" in body
    assert body.count("is-invalid") >= 1 and 'value="-3"' in body


def test_service_line_errors_land_on_their_row(world, client_for):
    data = _post_data(world.acme, [("QH-1201", "2"), ("", ""), ("QH-1201", "abc")])
    response = client_for(world.cast.clerk).post(reverse("sales:order_create"), data)
    body = response.content.decode()
    assert response.status_code == 422 and SalesOrder.objects.count() == 0
    rows = body.split("data-line-row")
    assert "invalid-feedback" in rows[3] and "invalid-feedback" not in rows[1]


def test_entry_without_a_customer_is_refused(world, client_for):
    response = client_for(world.cast.clerk).post(reverse("sales:order_create"), _post_data(None, [("QH-1201", "1")]))
    assert response.status_code == 422 and "请选择客户" in response.content.decode()
    assert SalesOrder.objects.count() == 0


def test_a_salesperson_cannot_enter_an_order_for_another_salespersons_customer(world, client_for):
    response = client_for(world.cast.sales1).post(
        reverse("sales:order_create"), _post_data(world.other, [("QH-1201", "1")])
    )
    assert response.status_code == 422 and SalesOrder.objects.count() == 0


def test_a_double_submit_with_the_same_key_creates_one_order(world, client_for):
    client = client_for(world.cast.clerk)
    data = _post_data(world.acme, [("QH-1201", "4")], idempotency_key="same-key-1")
    first = client.post(reverse("sales:order_create"), data)
    second = client.post(reverse("sales:order_create"), data, follow=True)
    order = SalesOrder.objects.get()
    assert first["Location"] == second.redirect_chain[0][0] == reverse("sales:order_detail", args=[order.pk])
    assert any("重复提交没有再次创建" in m for m in _messages(second))


def test_the_same_key_with_other_content_is_refused_without_a_second_order(world, client_for):
    client = client_for(world.cast.clerk)
    client.post(reverse("sales:order_create"), _post_data(world.acme, [("QH-1201", "4")], idempotency_key="k1"))
    response = client.post(
        reverse("sales:order_create"), _post_data(world.acme, [("QH-1201", "5")], idempotency_key="k1")
    )
    assert response.status_code == 422 and "已经保存过一次" in response.content.decode()
    assert SalesOrder.objects.count() == 1
    assert 'name="idempotency_key" value="k1"' not in response.content.decode()


def test_a_refused_entry_frees_its_key_for_the_corrected_form(world, client_for):
    client = client_for(world.cast.clerk)
    bad = client.post(
        reverse("sales:order_create"),
        _post_data(world.acme, [("QH-1201", "1")], ordered_on="2026-13-01", idempotency_key="k2"),
    )
    assert bad.status_code == 422
    good = client.post(reverse("sales:order_create"), _post_data(world.acme, [("QH-1201", "1")], idempotency_key="k2"))
    assert good.status_code == 302 and SalesOrder.objects.count() == 1


# ---- the flow through the pages --------------------------------------------------------------------


def test_create_submit_approve_confirm_through_the_pages(world, client_for):
    clerk = client_for(world.cast.clerk)  # one test client: log in again before each switch
    data = _post_data(world.acme, [("QH-1201", "5", "75")])
    clerk.post(reverse("sales:order_create"), data)
    order = SalesOrder.objects.get()
    detail = reverse("sales:order_detail", args=[order.pk])
    response = clerk.post(reverse("sales:order_submit", args=[order.pk]), follow=True)
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING_APPROVAL and order.number
    body = response.content.decode()
    assert "低于底价" in body and "data-below-floor" in body and "副总" in body
    assert 'name="decision" value="approve"' not in body  # the clerk may not decide
    deputy = client_for(world.cast.deputy)
    queue = deputy.get(reverse("sales:approval_queue")).content.decode()
    pending = list(ApprovalRequest.objects.filter(order=order, status=ApprovalStatus.PENDING))
    assert len(pending) == 3 and all(f'id="approval-{a.pk}"' in queue for a in pending)
    assert "单价 ¥75.00，底价 ¥80.00" in queue
    for approval in pending:
        deputy.post(
            reverse("sales:approval_decide", args=[approval.pk]),
            {"decision": "approve", "comment": "同意", "next": detail},
        )
    order.refresh_from_db()
    assert order.status == OrderStatus.APPROVED
    clerk = client_for(world.cast.clerk)
    promised = (dt.date.today() + dt.timedelta(days=10)).isoformat()
    response = clerk.post(reverse("sales:order_confirm", args=[order.pk]), {"promised_on": promised}, follow=True)
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED and order.promised_on.isoformat() == promised
    assert StockLevel.objects.get(product=world.floor, warehouse=world.cs).reserved == Decimal("5")
    assert "订单已确认" in " ".join(_messages(response))
    text = clerk.get(reverse("sales:order_confirmation", args=[order.pk])).content.decode()
    assert (
        order.number in text and f"承诺交货日期：{promised}" in text and "¥375.00" in text and "叁佰柒拾伍元整" in text
    )


def test_confirming_twice_shows_the_services_message_and_changes_nothing(world, client_for):
    order = _ready(world)
    client = client_for(world.cast.clerk)
    client.post(reverse("sales:order_confirm", args=[order.pk]), {"promised_on": ""})
    order.refresh_from_db()
    version = order.version
    response = client.post(reverse("sales:order_confirm", args=[order.pk]), {"promised_on": ""}, follow=True)
    order.refresh_from_db()
    assert any("无需重复确认" in m for m in _messages(response))
    assert order.version == version and order.lines.get().reserved_quantity == Decimal("10")


def test_confirming_with_a_bad_date_is_refused(world, client_for):
    order = _ready(world)
    response = client_for(world.cast.clerk).post(
        reverse("sales:order_confirm", args=[order.pk]), {"promised_on": "next week"}, follow=True
    )
    order.refresh_from_db()
    assert order.status == OrderStatus.APPROVED and any("格式" in m for m in _messages(response))


def test_submitting_an_incomplete_order_shows_the_failing_checks(world, client_for):
    order = _order(world, delivery_address="")
    response = client_for(world.cast.clerk).post(reverse("sales:order_submit", args=[order.pk]), follow=True)
    order.refresh_from_db()
    assert order.status == OrderStatus.DRAFT and order.number is None
    assert any("收货地址" in m for m in _messages(response))


def test_confirmation_without_a_promised_date_says_to_be_determined(world, client_for):
    order = orders.order_confirm(order=_ready(world), by=world.cast.clerk)
    body = client_for(world.cast.sales1).get(reverse("sales:order_confirmation", args=[order.pk])).content.decode()
    assert "交期待定" in body and "QH-1201" in body and "¥1,000.00" in body and "壹仟元整" in body


def test_cancel_needs_a_reason_and_releases_the_stock(world, client_for):
    order = orders.order_confirm(order=_ready(world), by=world.cast.clerk, promised_on=dt.date.today())
    client = client_for(world.cast.clerk)
    refused = client.post(reverse("sales:order_cancel", args=[order.pk]), {"reason": " "}, follow=True)
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED and any("取消原因" in m for m in _messages(refused))
    client.post(reverse("sales:order_cancel", args=[order.pk]), {"reason": "客户撤单"})
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED and order.cancel_reason == "客户撤单"
    assert StockLevel.objects.get(product=world.floor, warehouse=world.cs).reserved == Decimal("0")


def test_copy_makes_a_new_draft_without_approvals(world, client_for):
    order = _ready(world, lines=[line(world.special, 1)])
    response = client_for(world.cast.clerk).post(reverse("sales:order_copy", args=[order.pk]))
    copy = SalesOrder.objects.exclude(pk=order.pk).get()
    assert response["Location"] == reverse("sales:order_detail", args=[copy.pk])
    assert copy.status == OrderStatus.DRAFT and copy.copied_from == order and not copy.approvals.exists()


# ---- edit and versions ---------------------------------------------------------------------------


def _edit_data(order, rows, **header):
    data = _post_data(order.customer, rows, **header)
    data.pop("customer")
    data.pop("idempotency_key")
    data["version"] = order.version
    data["payment_mode"] = order.payment_mode
    data["payment_term_days"] = order.payment_term_days
    data["delivery_address"] = order.delivery_address
    data["reason"] = "客户加量"
    return data


def test_the_edit_form_keeps_the_saved_prices(world, client_for):
    order = _order(world, lines=[line(world.floor, 5, unit_price="75"), line(world.floor, 2, discount_rate="0.05")])
    body = client_for(world.cast.clerk).get(reverse("sales:order_edit", args=[order.pk])).content.decode()
    assert 'name="line_unit_price" value="75"' in body and 'name="line_discount" value="5%"' in body
    assert f'name="version" value="{order.version}"' in body


def test_a_stale_edit_is_refused_with_who_changed_it_when(world, client_for):
    order = _order(world)
    client = client_for(world.cast.clerk)
    data = _edit_data(order, [("QH-1201", "12")])
    orders.order_update(order=order, by=world.cast.sales1, version=order.version, fields={"notes": "改了"})
    response = client.post(reverse("sales:order_edit", args=[order.pk]), data)
    body = response.content.decode()
    assert response.status_code == 409
    assert re.search(r"订单已被 sales1 于 \d{4}-\d\d-\d\d \d\d:\d\d 修改", body)
    assert 'value="12"' in body  # what was typed is still there
    order.refresh_from_db()
    assert order.lines.get().quantity == Decimal("10.000")


def test_an_edit_after_submission_makes_a_version_with_its_diff(world, client_for):
    order = _ready(world)
    client = client_for(world.cast.clerk)
    response = client.post(reverse("sales:order_edit", args=[order.pk]), _edit_data(order, [("QH-1201", "12")]))
    assert response.status_code == 302
    body = client.get(reverse("sales:order_detail", args=[order.pk])).content.decode()
    assert "v3" in body and "客户加量" in body
    assert "QH-1201 × 10.000" in body and "QH-1201 × 12.000" in body


def test_a_cancelled_order_cannot_be_edited(world, client_for):
    order = orders.order_cancel(order=_order(world), by=world.cast.clerk, reason="重复")
    response = client_for(world.cast.clerk).get(reverse("sales:order_edit", args=[order.pk]), follow=True)
    assert any("已取消，不能修改" in m for m in _messages(response))


# ---- the inbox ---------------------------------------------------------------------------------------


def test_the_inbox_counts_boxes_and_filters_the_list(world, client_for):
    draft = _order(world)
    ready = _ready(world)
    _order(world, channel="oral")
    client = client_for(world.cast.clerk)
    body = client.get(reverse("sales:order_inbox")).content.decode()
    assert body.count("order-status-") == 3
    assert re.search(r'data-box="drafts">.*?<div class="fs-4[^"]*">2</div>', body, re.S)
    ready_only = client.get(reverse("sales:order_inbox"), {"status": "approved"}).content.decode()
    assert ready.number in ready_only and f'/sales/orders/{draft.pk}/"' not in ready_only
    by_number = client.get(
        reverse("sales:order_inbox"), {"q": ready.number}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="order-table"
    )
    assert "<html" not in by_number.content.decode() and ready.number in by_number.content.decode()
    oral = client.get(reverse("sales:order_inbox"), {"box": "oral"}).content.decode()
    assert oral.count("order-status-") == 1
    future = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    assert client.get(reverse("sales:order_inbox"), {"date_from": future}).content.decode().count("order-status-") == 0


def test_the_inbox_finds_orders_by_customer_name(world, client_for):
    _order(world, customer=world.monthly)
    body = client_for(world.cast.clerk).get(reverse("sales:order_inbox"), {"q": "华源"}).content.decode()
    assert body.count("order-status-") == 1


# ---- scope and roles ----------------------------------------------------------------------------------


def test_sales1_never_reaches_sales2s_orders(world, client_for):
    theirs = _ready(world, customer=world.other, by=world.cast.sales2)
    client = client_for(world.cast.sales1)
    for name in ("order_detail", "order_edit", "order_confirmation"):
        assert client.get(reverse(f"sales:{name}", args=[theirs.pk])).status_code == 404, name
    for name, body in (
        ("order_submit", {}),
        ("order_confirm", {"promised_on": ""}),
        ("order_cancel", {"reason": "x"}),
        ("order_copy", {}),
        ("order_edit", {"version": theirs.version}),
    ):
        assert client.post(reverse(f"sales:{name}", args=[theirs.pk]), body).status_code == 404, name
    listing = client.get(reverse("sales:order_inbox"), {"q": theirs.number}).content.decode()
    assert f"/sales/orders/{theirs.pk}/" not in listing and "order-status-" not in listing
    theirs.refresh_from_db()
    assert theirs.status == OrderStatus.APPROVED and SalesOrder.objects.count() == 1


def test_the_warehouse_cannot_reach_the_order_pages(world, client_for):
    order = _ready(world)
    client = client_for(world.cast.warehouse)
    for url in (
        reverse("sales:order_inbox"),
        reverse("sales:order_create"),
        reverse("sales:order_detail", args=[order.pk]),
        reverse("sales:order_confirmation", args=[order.pk]),
        reverse("sales:line_price") + "?line_product=QH-1201&line_quantity=1",
    ):
        assert client.get(url).status_code == 403, url
    assert client.post(reverse("sales:order_confirm", args=[order.pk])).status_code == 403


def test_finance_reads_orders_but_does_not_act(world, client_for):
    order = _ready(world)
    client = client_for(world.cast.finance)
    body = client.get(reverse("sales:order_detail", args=[order.pk])).content.decode()
    assert order.number in body and "sales:order_confirm" not in body and "/confirm/" not in body
    assert client.get(reverse("sales:order_create")).status_code == 403
    assert client.post(reverse("sales:order_confirm", args=[order.pk])).status_code == 403


@pytest.mark.parametrize("role", ["clerk", "sales1", "manager", "deputy", "gm"])
def test_every_order_page_renders_with_real_data(world, client_for, role):
    draft = _order(world, channel="oral")
    confirmed = orders.order_confirm(order=_ready(world, lines=[line(world.floor, 200)]), by=world.cast.clerk)
    orders.order_update(
        order=confirmed, by=world.cast.clerk, version=confirmed.version, fields={"notes": "改"}, reason="备注"
    )
    pending = _ready(world, lines=[line(world.floor, 5, unit_price="75")])
    approval = pending.approvals.filter(status="pending").first()
    approvals.approval_decide(approval=approval, by=world.cast.gm, approve=True, comment="可以")
    orders.order_update(
        order=pending, by=world.cast.clerk, version=pending.version + 0, lines=[line(world.floor, 6, unit_price="75")]
    )
    client = client_for(getattr(world.cast, role))
    pages = [
        reverse("sales:order_inbox"),
        reverse("sales:order_inbox") + "?box=waiting_stock",
        reverse("sales:order_create") + f"?customer={world.acme.pk}",
    ]
    for order in (draft, confirmed, pending):
        pages += [
            reverse("sales:order_detail", args=[order.pk]),
            reverse("sales:order_edit", args=[order.pk]),
            reverse("sales:order_confirmation", args=[order.pk]),
        ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
    detail = client.get(reverse("sales:order_detail", args=[pending.pk])).content.decode()
    assert "<del" in detail and "单据内容已变更" in detail
    assert "已确认" in client.get(reverse("sales:order_detail", args=[confirmed.pk])).content.decode()
