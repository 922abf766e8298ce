"""Access matrix part: sales_quotations (quotation pages, API and PDF, ORD-1 / SYS-4; the order
confirmation PDF).

Everybody who sees prices reads quotations in scope (the warehouse none); the order-entry roles
act on them (finance reads only). A quotation of a customer outside the user's scope is 404.
The world: ``{QT_CUSTOMER}`` a customer of sales1, ``{QT_DRAFT}`` a draft within authority,
``{QT_DISCOUNT}`` a draft with a discount that needs a manager's approval, ``{QT_ISSUED}`` an
issued quotation, ``{QT_ORDER}`` a draft order of the customer (for the confirmation PDF).
"""

from __future__ import annotations

SEES = frozenset({"admin", "clerk", "sales1", "sales2", "manager", "manager2", "finance", "gm", "deputy"})
ENTERS = frozenset({"admin", "clerk", "sales1", "sales2", "manager", "manager2", "gm", "deputy"})
SEES_S1 = frozenset({"admin", "clerk", "sales1", "manager", "finance", "gm", "deputy"})
ACTS_S1 = frozenset({"admin", "clerk", "sales1", "manager", "gm", "deputy"})

WEB: dict[str, tuple[str, str, dict | None, frozenset[str]]] = {
    "sales:quotation_list": ("GET", "/sales/quotations/?expired=on", None, SEES),
    "sales:quotation_create": ("GET", "/sales/quotations/new/", None, ENTERS),
    "sales:quotation_detail": ("GET", "/sales/quotations/{QT_DISCOUNT}/", None, SEES_S1),
    "sales:quotation_edit": ("GET", "/sales/quotations/{QT_DRAFT}/edit/", None, ACTS_S1),
    "sales:quotation_request_approval": ("POST", "/sales/quotations/{QT_DISCOUNT}/request-approval/", {}, ACTS_S1),
    "sales:quotation_issue": ("POST", "/sales/quotations/{QT_DRAFT}/issue/", {}, ACTS_S1),
    "sales:quotation_outcome": ("POST", "/sales/quotations/{QT_ISSUED}/outcome/", {"outcome": "accepted"}, ACTS_S1),
    "sales:quotation_to_order": ("POST", "/sales/quotations/{QT_ISSUED}/to-order/", {}, ACTS_S1),
    "sales:quotation_pdf": ("GET", "/sales/quotations/{QT_ISSUED}/pdf/", None, SEES_S1),
    "sales:order_confirmation_pdf": ("GET", "/sales/orders/{QT_ORDER}/confirmation.pdf", None, SEES_S1),
}
API: dict[str, tuple[str, str, dict | None, frozenset[str]]] = {
    "quotations_list": ("GET", "/api/v1/quotations?expired=false", None, SEES),
    "quotations_create": (
        "POST",
        "/api/v1/quotations",
        {"customer_id": "{QT_CUSTOMER}", "lines": [{"model": "JZ-QT-1", "quantity": "2"}]},
        ACTS_S1,
    ),
    "quotations_get": ("GET", "/api/v1/quotations/{QT_DISCOUNT}", None, SEES_S1),
    "quotations_update": ("PATCH", "/api/v1/quotations/{QT_DRAFT}", {"version": 1, "notes": "矩阵"}, ACTS_S1),
    "quotations_request_approval": ("POST", "/api/v1/quotations/{QT_DISCOUNT}/request-approval", None, ACTS_S1),
    "quotations_issue": ("POST", "/api/v1/quotations/{QT_DRAFT}/issue", None, ACTS_S1),
}


def world(cast) -> dict:
    """Objects the paths above refer to; keys are the placeholders used in the paths."""
    from neiqin.catalog import services as catalog
    from neiqin.customers import services as customers
    from neiqin.sales.services import orders, quotations

    product = catalog.product_create(
        fields={"name": "矩阵报价地板", "model": "JZ-QT-1", "unit": "平方米", "standard_price": "100"}, by=cast.admin
    )
    customer = customers.customer_create(
        fields={"name": "矩阵报价客户有限公司", "phone": "0731-85550002", "address": "长沙市天心区 2 号"},
        by=cast.clerk,
        owner=cast.sales1,
    )

    def quote(**extra):
        line = {"product_id": product.pk, "quantity": "3", **extra}
        return quotations.quotation_create(customer=customer, lines=[line], by=cast.clerk)

    issued = quotations.quotation_issue(quotation=quote(), by=cast.clerk)
    discount = quotations.quotation_create(
        customer=customer, lines=[{"product_id": product.pk, "quantity": "3", "discount_rate": "8%"}], by=cast.sales1
    )
    order = orders.order_create(customer=customer, lines=[{"product_id": product.pk, "quantity": "1"}], by=cast.clerk)
    return {
        "QT_CUSTOMER": customer.pk,
        "QT_DRAFT": quote().pk,
        "QT_DISCOUNT": discount.pk,
        "QT_ISSUED": issued.pk,
        "QT_ORDER": order.pk,
    }
