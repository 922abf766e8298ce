"""Access matrix part: sales_rules (the approval rules as configurable data, ORD-5).

Those who approve (sales managers, the deputy GM, the GM) and the admin read the rules; only the
admin edits them. The world: ``{RULE_AMOUNT}`` the default rule ``amount_manager`` (orders above
200 000 need a sales manager).
"""

from __future__ import annotations

READERS = frozenset({"admin", "manager", "manager2", "deputy", "gm"})

WEB: dict[str, tuple[str, str, dict | None, frozenset[str]]] = {
    "sales:approval_rules": ("GET", "/sales/approval-rules/", None, READERS),
    "sales:approval_rule_edit": ("GET", "/sales/approval-rules/{RULE_AMOUNT}/edit/", None, frozenset({"admin"})),
}
API: dict[str, tuple[str, str, dict | None, frozenset[str]]] = {}


def world(cast) -> dict:
    from neiqin.sales.models import ApprovalRule
    from neiqin.sales.services.approvals import ensure_default_rules

    ensure_default_rules()
    return {"RULE_AMOUNT": ApprovalRule.objects.get(code="amount_manager").pk}
