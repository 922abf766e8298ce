"""Access matrix part: stock_materials (促销品发放 and 产品借用, INV-6).

Everybody may open the lists (rows are scoped). Loans are requested by the desk and sales,
approved by the deputy GM / GM (never one's own request), lent and taken back by the
warehouse, charged by the clerk or finance. The probe world: a warehouse ``{LOAN_WAREHOUSE}``
with a goods product ``{LOAN_PRODUCT}`` and a promotional material ``{PROMO_PRODUCT}`` in stock,
a customer of sales1, and three loans requested by sales1 for that customer: ``{LOAN_REQ}``
(waiting for approval), ``{LOAN_APPROVED}`` (approved by the GM) and ``{LOAN_LENT}`` (lent out).
"""

from __future__ import annotations

EVERYONE = frozenset(
    {"admin", "clerk", "sales1", "sales2", "manager", "manager2", "finance", "warehouse", "gm", "deputy"}
)
SEES_LOAN = frozenset({"admin", "clerk", "finance", "warehouse", "gm", "deputy", "sales1", "manager"})
REQUESTS = frozenset({"admin", "clerk", "sales1", "sales2", "manager", "manager2"})
APPROVES = frozenset({"admin", "gm", "deputy"})
CANCELS = APPROVES | {"sales1"}
HANDLES = frozenset({"admin", "warehouse"})
CHARGES = frozenset({"admin", "clerk", "finance"})
ISSUES = frozenset({"admin", "clerk", "warehouse"})

WEB: dict[str, tuple[str, str, dict | None, frozenset[str]]] = {
    "stock:promo_issues": ("GET", "/stock/promo/", None, EVERYONE),
    "stock:promo_issue_create": ("GET", "/stock/promo/new/", None, ISSUES),
    "stock:loans": ("GET", "/stock/loans/?status=lent", None, EVERYONE),
    "stock:loan_create": ("GET", "/stock/loans/new/", None, REQUESTS),
    "stock:loan_detail": ("GET", "/stock/loans/{LOAN_REQ}/", None, SEES_LOAN),
    "stock:loan_approve": ("POST", "/stock/loans/{LOAN_REQ}/approve/", {"comment": "同意"}, APPROVES),
    "stock:loan_reject": ("POST", "/stock/loans/{LOAN_REQ}/reject/", {"comment": "展会取消"}, APPROVES),
    "stock:loan_cancel": ("POST", "/stock/loans/{LOAN_REQ}/cancel/", {}, CANCELS),
    "stock:loan_lend": ("POST", "/stock/loans/{LOAN_APPROVED}/lend/", {}, HANDLES),
    "stock:loan_return": ("POST", "/stock/loans/{LOAN_LENT}/return/", {"quantity": "1.5"}, HANDLES),
    "stock:loan_charge": ("POST", "/stock/loans/{LOAN_LENT}/charge/", {"quantity": "1.5"}, CHARGES),
}
API: dict[str, tuple[str, str, dict | None, frozenset[str]]] = {
    "stock_loans_list": ("GET", "/api/v1/stock/loans?status=overdue", None, EVERYONE),
    "stock_loans_create": (
        "POST",
        "/api/v1/stock/loans",
        {
            "product_id": "{LOAN_PRODUCT}",
            "warehouse_id": "{LOAN_WAREHOUSE}",
            "quantity": "1.5",
            "purpose": "展会展示",
            "due_on": "2099-12-31",
        },
        REQUESTS,
    ),
    "stock_loans_get": ("GET", "/api/v1/stock/loans/{LOAN_REQ}", None, SEES_LOAN),
    "stock_loans_approve": ("POST", "/api/v1/stock/loans/{LOAN_REQ}/approve", {"comment": "同意"}, APPROVES),
    "stock_loans_reject": ("POST", "/api/v1/stock/loans/{LOAN_REQ}/reject", {"comment": "展会取消"}, APPROVES),
    "stock_loans_cancel": ("POST", "/api/v1/stock/loans/{LOAN_REQ}/cancel", None, CANCELS),
    "stock_loans_lend": ("POST", "/api/v1/stock/loans/{LOAN_APPROVED}/lend", {}, HANDLES),
    "stock_loans_return": ("POST", "/api/v1/stock/loans/{LOAN_LENT}/return", {"quantity": "1.5"}, HANDLES),
    "stock_loans_charge": ("POST", "/api/v1/stock/loans/{LOAN_LENT}/charge", {"quantity": "1.5"}, CHARGES),
    "stock_promo_issues_list": ("GET", "/api/v1/stock/promo-issues", None, EVERYONE),
    "stock_promo_issues_create": (
        "POST",
        "/api/v1/stock/promo-issues",
        {"product_id": "{PROMO_PRODUCT}", "warehouse_id": "{LOAN_WAREHOUSE}", "quantity": "1.5", "recipient": "王五"},
        ISSUES,
    ),
}


def world(cast) -> dict:
    """Objects the paths above refer to; keys are the placeholders used in the paths."""
    import datetime as dt

    from django.utils import timezone

    from neiqin.catalog.services import product_create
    from neiqin.customers.services import customer_create
    from neiqin.stock.services import Line, stock_receive, warehouse_create
    from neiqin.stock.services.materials import loan_approve, loan_lend, loan_request

    warehouse = warehouse_create(fields={"code": "MATX", "name": "借用矩阵库"}, by=None)
    goods = product_create(
        fields={"name": "矩阵借用地板", "model": "MAT-G1", "unit": "箱", "standard_price": "100"}, by=None
    )
    promo = product_create(
        fields={"name": "矩阵样品册", "model": "MAT-P1", "unit": "本", "kind": "promo", "standard_price": "0"}, by=None
    )
    stock_receive(warehouse=warehouse, lines=[Line(goods, "20"), Line(promo, "50")], by=cast.warehouse)
    customer = customer_create(fields={"name": "借用矩阵客户有限公司"}, by=cast.clerk, owner=cast.sales1)
    due = timezone.localdate() + dt.timedelta(days=30)

    def request():
        return loan_request(
            product=goods,
            warehouse=warehouse,
            quantity="2",
            customer=customer,
            purpose="客户试铺",
            due_on=due,
            by=cast.sales1,
        )

    pending = request()
    approved = loan_approve(loan=request(), by=cast.gm)
    lent = loan_lend(loan=loan_approve(loan=request(), by=cast.gm), by=cast.warehouse)
    return {
        "LOAN_WAREHOUSE": warehouse.pk,
        "LOAN_PRODUCT": goods.pk,
        "PROMO_PRODUCT": promo.pk,
        "LOAN_REQ": pending.pk,
        "LOAN_APPROVED": approved.pk,
        "LOAN_LENT": lent.pk,
    }
