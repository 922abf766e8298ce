"""Access matrix part: sales_opportunities (opportunity pages and API, OPP-1/OPP-2) and the order
desk JSON API (orders, approvals; ORD-3 … ORD-8).

Opportunities and orders carry amounts: the warehouse opens none of them. Everybody else reads
within the customer scope (finance reads only); entering and acting is for the clerk,
salespeople, managers, the deputy GM, the GM and the admin. Objects of customers outside the
user's scope are 404. A body naming a customer outside the scope is a 422 (unknown customer).

World: ``{OPP_CUSTOMER}`` a customer of sales1 with ``{OPP}`` a project opportunity
(negotiation); for the API ``{API_CUSTOMER}`` another customer of sales1 with ``{API_PRODUCT}``
in stock, orders ``{API_DRAFT}`` (draft, version 1), ``{API_READY}`` (submitted, ready to
confirm), ``{API_PENDING}`` (waiting for a sales manager's approval ``{API_APPROVAL}``,
requested by the clerk) and ``{API_OPP}`` an opportunity of sales1's customer.
"""

from __future__ import annotations

SEES = frozenset({"admin", "clerk", "sales1", "sales2", "manager", "manager2", "finance", "gm", "deputy"})
ENTERS = SEES - {"finance"}
SEES_SALES1 = frozenset({"admin", "clerk", "sales1", "manager", "finance", "gm", "deputy"})
ACTS_SALES1 = SEES_SALES1 - {"finance"}
APPROVERS = frozenset({"manager", "manager2", "deputy", "gm"})
# The special-product rule needs a sales manager or higher who sees the customer.
DECIDES_SALES1 = frozenset({"manager", "deputy", "gm"})

WEB: dict[str, tuple[str, str, dict | None, frozenset[str]]] = {
    "sales:opportunity_list": ("GET", "/sales/opportunities/?stage=negotiation", None, SEES),
    "sales:opportunity_create": ("GET", "/sales/opportunities/new/", None, ENTERS),
    "sales:opportunity_conversion": ("GET", "/sales/opportunities/conversion/", None, SEES),
    "sales:opportunity_detail": ("GET", "/sales/opportunities/{OPP}/", None, SEES_SALES1),
    "sales:opportunity_edit": ("GET", "/sales/opportunities/{OPP}/edit/", None, ACTS_SALES1),
    "sales:opportunity_stage": (
        "POST",
        "/sales/opportunities/{OPP}/stage/",
        {"stage": "lost", "lost_reason": "矩阵"},
        ACTS_SALES1,
    ),
    "sales:milestone_update": (
        "POST",
        "/sales/opportunities/{OPP}/milestones/plan/",
        {"planned_on": "2026-01-31", "collection_amount": "100"},
        ACTS_SALES1,
    ),
}
API: dict[str, tuple[str, str, dict | None, frozenset[str]]] = {
    "orders_list": ("GET", "/api/v1/orders?status=draft", None, SEES),
    "orders_create": (
        "POST",
        "/api/v1/orders",
        {
            "customer_id": "{API_CUSTOMER}",
            "delivery_on": "2030-01-31",
            # The matrix fills placeholders in top-level strings only: a literal product id (an
            # unknown one is a 422 from the service, after the role check).
            "lines": [{"product_id": 1, "quantity": "2"}],
        },
        ENTERS,
    ),
    "orders_get": ("GET", "/api/v1/orders/{API_PENDING}", None, SEES_SALES1),
    "orders_update": ("PATCH", "/api/v1/orders/{API_DRAFT}", {"version": 1, "notes": "矩阵"}, ACTS_SALES1),
    "orders_submit": ("POST", "/api/v1/orders/{API_DRAFT}/submit", None, ACTS_SALES1),
    "orders_confirm": ("POST", "/api/v1/orders/{API_READY}/confirm", {}, ACTS_SALES1),
    "orders_cancel": ("POST", "/api/v1/orders/{API_READY}/cancel", {"reason": "矩阵"}, ACTS_SALES1),
    "orders_copy": ("POST", "/api/v1/orders/{API_READY}/copy", None, ACTS_SALES1),
    "approvals_list": ("GET", "/api/v1/approvals", None, APPROVERS),
    "approvals_decide": (
        "POST",
        "/api/v1/approvals/{API_APPROVAL}/decide",
        {"decision": "approve", "comment": "同意"},
        DECIDES_SALES1,
    ),
    "opportunities_list": ("GET", "/api/v1/opportunities?stage=lead", None, SEES),
    "opportunities_create": (
        "POST",
        "/api/v1/opportunities",
        {"customer_id": "{API_CUSTOMER}", "title": "矩阵机会", "expected_amount": "1000.00"},
        ENTERS,
    ),
    "opportunities_conversion": ("GET", "/api/v1/opportunities/conversion", None, SEES),
    "opportunities_get": ("GET", "/api/v1/opportunities/{API_OPP}", None, SEES_SALES1),
    "opportunities_set_stage": (
        "POST",
        "/api/v1/opportunities/{API_OPP}/stage",
        {"stage": "contacted"},
        ACTS_SALES1,
    ),
}


def world(cast) -> dict:
    """Objects the paths above refer to; keys are the placeholders used in the paths."""
    import datetime as dt

    from neiqin.catalog import services as catalog
    from neiqin.customers import services as customers
    from neiqin.sales.services import approvals, opportunities, orders
    from neiqin.stock import services as stock

    approvals.ensure_default_rules()
    opp_customer = customers.customer_create(
        fields={"name": "矩阵机会客户有限公司", "phone": "0731-85550101", "address": "长沙市天心区 3 号"},
        by=cast.clerk,
        owner=cast.sales1,
    )
    project = opportunities.opportunity_create(
        customer=opp_customer,
        fields={"title": "矩阵装修项目", "expected_amount": "100000", "is_project": True},
        by=cast.clerk,
    )
    project = opportunities.opportunity_set_stage(opportunity=project, stage="negotiation", by=cast.clerk)

    product = catalog.product_create(
        fields={"name": "矩阵接口地板", "model": "JZ-API-1", "unit": "平方米", "standard_price": "100"}, by=cast.admin
    )
    special = catalog.product_create(
        fields={
            "name": "矩阵接口定制地板",
            "model": "JZ-API-2",
            "unit": "平方米",
            "standard_price": "300",
            "is_special": True,
        },
        by=cast.admin,
    )
    warehouse = stock.warehouse_create(fields={"code": "JZAPI", "name": "矩阵接口库"}, by=cast.admin)
    stock.stock_receive(warehouse=warehouse, lines=[stock.Line(product, "50")], by=cast.warehouse)
    customer = customers.customer_create(
        fields={"name": "矩阵接口客户有限公司", "phone": "0731-85550102", "address": "长沙市雨花区 5 号"},
        by=cast.clerk,
        owner=cast.sales1,
    )
    fields = {"delivery_on": (dt.date.today() + dt.timedelta(days=7)).isoformat()}

    def draft(item, quantity):
        line = {"product_id": item.pk, "quantity": quantity}
        return orders.order_create(customer=customer, lines=[line], by=cast.clerk, fields=fields)

    ready, _checks = orders.order_submit(order=draft(product, "2"), by=cast.clerk)
    pending, _checks = orders.order_submit(order=draft(special, "1"), by=cast.clerk)
    api_opportunity = opportunities.opportunity_create(
        customer=customer, fields={"title": "矩阵接口机会", "expected_amount": "5000"}, by=cast.clerk
    )
    return {
        "OPP_CUSTOMER": opp_customer.pk,
        "OPP": project.pk,
        "API_CUSTOMER": customer.pk,
        "API_PRODUCT": product.pk,
        "API_DRAFT": draft(product, "3").pk,
        "API_READY": ready.pk,
        "API_PENDING": pending.pk,
        "API_APPROVAL": pending.approvals.get(status="pending").pk,
        "API_OPP": api_opportunity.pk,
    }
