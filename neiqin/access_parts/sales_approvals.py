"""Access matrix part: sales_approvals (the approver's queue and decisions, ORD-5).

The queue is for those who approve: sales managers, the deputy GM and the GM. A decision needs
the rule's role or a higher one and a customer in scope; the requester never decides. The world
(from ``sales_orders``): ``{SO_APPROVAL}`` a pending "special product" approval (sales manager)
of an order of sales1's customer, requested by the clerk.
"""

from __future__ import annotations

APPROVERS = frozenset({"manager", "manager2", "deputy", "gm"})

WEB: dict[str, tuple[str, str, dict | None, frozenset[str]]] = {
    "sales:approval_queue": ("GET", "/sales/approvals/", None, APPROVERS),
    "sales:approval_decide": (
        "POST",
        "/sales/approvals/{SO_APPROVAL}/decide/",
        {"decision": "approve", "comment": "同意"},
        frozenset({"manager", "deputy", "gm"}),
    ),
}
API: dict[str, tuple[str, str, dict | None, frozenset[str]]] = {}


def world(cast) -> dict:
    """The approval lives in the ``sales_orders`` world (one world per probe)."""
    return {}
