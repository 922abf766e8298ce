"""Access matrix part: sales_orders (the order desk pages, ORD-3 … ORD-8).

Everybody who sees prices opens the order pages (the warehouse does not); entering and acting on
orders is for the clerk, salespeople, managers, the deputy GM, the GM and the admin (finance
reads). Orders of customers outside the user's scope are 404. The world: ``{SO_CUSTOMER}`` a
customer of sales1; orders of it in each state: ``{SO_DRAFT}`` a draft ready to submit,
``{SO_READY}`` submitted and approved (待确认), ``{SO_PENDING}`` waiting for a manager's approval;
``{SO_PRODUCT}`` the product on them.
"""

from __future__ import annotations

SEES_ORDERS = frozenset({"admin", "clerk", "sales1", "sales2", "manager", "manager2", "finance", "gm", "deputy"})
ENTERS_ORDERS = frozenset({"admin", "clerk", "sales1", "sales2", "manager", "manager2", "gm", "deputy"})
SEES_SALES1 = frozenset({"admin", "clerk", "sales1", "manager", "finance", "gm", "deputy"})
ACTS_SALES1 = frozenset({"admin", "clerk", "sales1", "manager", "gm", "deputy"})

WEB: dict[str, tuple[str, str, dict | None, frozenset[str]]] = {
    "sales:order_inbox": ("GET", "/sales/orders/?q=%E7%9F%A9%E9%98%B5", None, SEES_ORDERS),
    "sales:order_create": ("GET", "/sales/orders/new/", None, ENTERS_ORDERS),
    "sales:customer_search": ("GET", "/sales/orders/customers/?pick={SO_CUSTOMER}", None, ACTS_SALES1),
    "sales:product_search": ("GET", "/sales/orders/products/?q=JZ-SO", None, ENTERS_ORDERS),
    "sales:line_price": (
        "GET",
        "/sales/orders/line-price/?customer={SO_CUSTOMER}&line_product=JZ-SO-1&line_quantity=2",
        None,
        ACTS_SALES1,
    ),
    "sales:line_row": ("GET", "/sales/orders/line-row/?index=6", None, ENTERS_ORDERS),
    "sales:order_detail": ("GET", "/sales/orders/{SO_PENDING}/", None, SEES_SALES1),
    "sales:order_edit": ("GET", "/sales/orders/{SO_DRAFT}/edit/", None, ACTS_SALES1),
    "sales:order_submit": ("POST", "/sales/orders/{SO_DRAFT}/submit/", {}, ACTS_SALES1),
    "sales:order_confirm": ("POST", "/sales/orders/{SO_READY}/confirm/", {"promised_on": ""}, ACTS_SALES1),
    "sales:order_cancel": ("POST", "/sales/orders/{SO_READY}/cancel/", {"reason": "客户取消"}, ACTS_SALES1),
    "sales:order_copy": ("POST", "/sales/orders/{SO_READY}/copy/", {}, ACTS_SALES1),
    "sales:order_confirmation": ("GET", "/sales/orders/{SO_READY}/confirmation/", None, SEES_SALES1),
}
API: dict[str, tuple[str, str, dict | None, frozenset[str]]] = {}


def world(cast) -> dict:
    """Objects the paths above refer to; keys are the placeholders used in the paths."""
    import datetime as dt

    from neiqin.catalog import services as catalog
    from neiqin.customers import services as customers
    from neiqin.sales.services import orders
    from neiqin.stock import services as stock

    product = catalog.product_create(
        fields={"name": "矩阵订单地板", "model": "JZ-SO-1", "unit": "平方米", "standard_price": "100"}, by=cast.admin
    )
    special = catalog.product_create(
        fields={
            "name": "矩阵定制地板",
            "model": "JZ-SO-2",
            "unit": "平方米",
            "standard_price": "300",
            "is_special": True,
        },
        by=cast.admin,
    )
    warehouse = stock.warehouse_create(fields={"code": "JZSO", "name": "矩阵订单库"}, by=cast.admin)
    stock.stock_receive(warehouse=warehouse, lines=[stock.Line(product, "50")], by=cast.warehouse)
    customer = customers.customer_create(
        fields={"name": "矩阵订单客户有限公司", "phone": "0731-85550001", "address": "长沙市开福区 1 号"},
        by=cast.clerk,
        owner=cast.sales1,
    )
    fields = {"delivery_on": (dt.date.today() + dt.timedelta(days=7)).isoformat()}

    def draft(product, quantity):
        line = {"product_id": product.pk, "quantity": quantity}
        return orders.order_create(customer=customer, lines=[line], by=cast.clerk, fields=fields)

    ready, _checks = orders.order_submit(order=draft(product, "2"), by=cast.clerk)
    pending, _checks = orders.order_submit(order=draft(special, "1"), by=cast.clerk)
    return {
        "SO_CUSTOMER": customer.pk,
        "SO_PRODUCT": product.pk,
        "SO_DRAFT": draft(product, "3").pk,
        "SO_READY": ready.pk,
        "SO_PENDING": pending.pk,
        "SO_APPROVAL": pending.approvals.get(status="pending").pk,
    }
