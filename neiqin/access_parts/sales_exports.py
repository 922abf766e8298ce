"""Access matrix part: sales_exports (Excel/CSV exports of the order desk lists, SYS-3).

Whoever opens a list may export it, scoped like the list (a salesperson's file holds only own
customers' documents); the warehouse, which never sees prices or amounts, exports none. The
paths need no objects of their own.
"""

from __future__ import annotations

SEES = frozenset({"admin", "clerk", "sales1", "sales2", "manager", "manager2", "finance", "gm", "deputy"})

WEB: dict[str, tuple[str, str, dict | None, frozenset[str]]] = {
    "sales:order_export": ("GET", "/sales/orders/export/?format=xlsx&box=drafts&status=draft", None, SEES),
    "sales:quotation_export": ("GET", "/sales/quotations/export/?format=csv&lines=1", None, SEES),
    "sales:contract_export": ("GET", "/sales/contracts/export/?format=xlsx&expiring=on", None, SEES),
    "sales:opportunity_export": ("GET", "/sales/opportunities/export/?format=csv&stage=lead", None, SEES),
}
API: dict[str, tuple[str, str, dict | None, frozenset[str]]] = {}


def world(cast) -> dict:
    return {}
