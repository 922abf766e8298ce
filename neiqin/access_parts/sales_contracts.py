"""Access matrix part: sales_contracts (contract pages, API, PDF and archived scan, ORD-2 / SYS-4).

Everybody who sees prices reads contracts in scope (the warehouse none); the order-entry roles
draft, submit, sign, archive and close them; the legal review is for the deputy GM, the GM and
the admin, the finance review for finance (the drafter never reviews). A contract of a customer
outside the user's scope is 404, its PDF and scan included. The world (drafted by the clerk for
sales1's customer ``{CT_CUSTOMER}``): ``{CT_DRAFT}`` a draft, ``{CT_REVIEW}`` in review,
``{CT_REVIEWED}`` reviewed and ready to sign, ``{CT_EFFECTIVE}`` signed with its scan archived.
"""

from __future__ import annotations

SEES = frozenset({"admin", "clerk", "sales1", "sales2", "manager", "manager2", "finance", "gm", "deputy"})
ENTERS = frozenset({"admin", "clerk", "sales1", "sales2", "manager", "manager2", "gm", "deputy"})
SEES_S1 = frozenset({"admin", "clerk", "sales1", "manager", "finance", "gm", "deputy"})
ACTS_S1 = frozenset({"admin", "clerk", "sales1", "manager", "gm", "deputy"})
LEGAL = frozenset({"admin", "deputy", "gm"})
SIGN = {"signed_on": "2025-01-02", "buyer_signatory": "李总", "seller_signatory": "王经理", "place": "长沙"}

WEB: dict[str, tuple[str, str, dict | None, frozenset[str]]] = {
    "sales:contract_list": ("GET", "/sales/contracts/?expiring=on", None, SEES),
    "sales:contract_create": ("GET", "/sales/contracts/new/?customer={CT_CUSTOMER}", None, ACTS_S1),
    "sales:contract_detail": ("GET", "/sales/contracts/{CT_EFFECTIVE}/", None, SEES_S1),
    "sales:contract_update": ("GET", "/sales/contracts/{CT_DRAFT}/edit/", None, ACTS_S1),
    "sales:contract_submit_review": ("POST", "/sales/contracts/{CT_DRAFT}/submit-review/", {}, ACTS_S1),
    "sales:contract_review": (
        "POST",
        "/sales/contracts/{CT_REVIEW}/review/",
        {"kind": "legal", "decision": "approve", "comment": "同意"},
        LEGAL,
    ),
    "sales:contract_sign": ("POST", "/sales/contracts/{CT_REVIEWED}/sign/", SIGN, ACTS_S1),
    "sales:contract_attach_scan": ("POST", "/sales/contracts/{CT_EFFECTIVE}/scan/upload/", {}, ACTS_S1),
    "sales:contract_close": ("POST", "/sales/contracts/{CT_EFFECTIVE}/close/", {"outcome": "complete"}, ACTS_S1),
    "sales:contract_pdf": ("GET", "/sales/contracts/{CT_DRAFT}/pdf/", None, SEES_S1),
    "sales:contract_scan": ("GET", "/sales/contracts/{CT_EFFECTIVE}/scan/", None, SEES_S1),
}
API: dict[str, tuple[str, str, dict | None, frozenset[str]]] = {
    "contracts_list": ("GET", "/api/v1/contracts?expiring=true", None, SEES),
    "contracts_create": (
        "POST",
        "/api/v1/contracts",
        {"customer_id": "{CT_CUSTOMER}", "title": "矩阵合同", "lines": [{"model": "JZ-CT-1", "quantity": "2"}]},
        ACTS_S1,
    ),
    "contracts_get": ("GET", "/api/v1/contracts/{CT_EFFECTIVE}", None, SEES_S1),
    "contracts_submit_review": ("POST", "/api/v1/contracts/{CT_DRAFT}/submit-review", None, ACTS_S1),
    "contracts_review": ("POST", "/api/v1/contracts/{CT_REVIEW}/review", {"kind": "legal", "approved": True}, LEGAL),
    "contracts_sign": ("POST", "/api/v1/contracts/{CT_REVIEWED}/sign", SIGN, ACTS_S1),
}


def world(cast) -> dict:
    """Objects the paths above refer to; keys are the placeholders used in the paths."""
    import datetime as dt

    from neiqin.catalog import services as catalog
    from neiqin.customers import services as customers
    from neiqin.sales.services import contracts

    product = catalog.product_create(
        fields={"name": "矩阵合同地板", "model": "JZ-CT-1", "unit": "平方米", "standard_price": "100"}, by=cast.admin
    )
    customer = customers.customer_create(
        fields={"name": "矩阵合同客户有限公司", "phone": "0731-85550003", "address": "长沙市雨花区 3 号"},
        by=cast.clerk,
        owner=cast.sales1,
    )

    def draft():
        line = {"product_id": product.pk, "quantity": "10"}
        return contracts.contract_create(customer=customer, by=cast.clerk, title="矩阵购销合同", lines=[line])

    def in_review():
        return contracts.contract_submit_review(contract=draft(), by=cast.clerk)

    def reviewed():
        contract = in_review()
        contracts.contract_review(contract=contract, kind="legal", by=cast.deputy, approved=True)
        return contracts.contract_review(contract=contract, kind="finance", by=cast.finance, approved=True)

    effective = contracts.contract_sign(
        contract=reviewed(), by=cast.clerk, signed_on=dt.date(2025, 1, 2), seller_signatory="王", buyer_signatory="李"
    )
    contracts.contract_attach_scan(contract=effective, by=cast.clerk, data=b"%PDF-1.4\n%matrix scan\n%%EOF\n")
    return {
        "CT_CUSTOMER": customer.pk,
        "CT_DRAFT": draft().pk,
        "CT_REVIEW": in_review().pk,
        "CT_REVIEWED": reviewed().pk,
        "CT_EFFECTIVE": effective.pk,
    }
