"""Stock services: every write to stock goes through here (STYLE: services write)."""

from neiqin.core import audit

audit.register("stock.warehouse")
audit.register("stock.reservation")
audit.register("stock.replenishmentrequest")
audit.register("stock.stockcount")
audit.register("stock.promoissue")
audit.register("stock.productloan")

from neiqin.stock.services.alerts import low_stock_alert  # noqa: E402
from neiqin.stock.services.counts import (  # noqa: E402
    count_approve,
    count_cancel,
    count_create,
    count_enter,
    count_reject,
    count_reminders,
    count_submit,
)
from neiqin.stock.services.documents import (  # noqa: E402
    Line,
    Posted,
    stock_adjust,
    stock_receive,
    stock_ship,
    stock_transfer,
)
from neiqin.stock.services.ledger import (  # noqa: E402
    Document,
    InsufficientStock,
    MoveLine,
    ensure_levels,
    ledger_balance,
    lock_levels,
    post_moves,
)
from neiqin.stock.services.materials import (  # noqa: E402
    loan_approve,
    loan_cancel,
    loan_charge,
    loan_lend,
    loan_reject,
    loan_request,
    loan_return,
    loans_overdue_remind,
    promo_issue,
)
from neiqin.stock.services.replenishment import (  # noqa: E402
    replenishment_cancel,
    replenishment_for_shortage,
    replenishment_fulfil,
    replenishment_request,
    replenishment_start,
)
from neiqin.stock.services.reservations import (  # noqa: E402
    DocumentHooks,
    For,
    Want,
    register_document_hooks,
    reservation_consume,
    reservation_release,
    reservations_release_for,
    reserve,
    reserve_available,
    reserve_from,
)
from neiqin.stock.services.warehouses import (  # noqa: E402
    level_set_min_quantity,
    warehouse_create,
    warehouse_update,
)

__all__ = [
    "Document",
    "DocumentHooks",
    "For",
    "Want",
    "InsufficientStock",
    "Line",
    "MoveLine",
    "Posted",
    "count_approve",
    "count_cancel",
    "count_create",
    "count_enter",
    "count_reject",
    "count_reminders",
    "count_submit",
    "ensure_levels",
    "ledger_balance",
    "level_set_min_quantity",
    "loan_approve",
    "loan_cancel",
    "loan_charge",
    "loan_lend",
    "loan_reject",
    "loan_request",
    "loan_return",
    "loans_overdue_remind",
    "lock_levels",
    "low_stock_alert",
    "post_moves",
    "register_document_hooks",
    "promo_issue",
    "replenishment_cancel",
    "replenishment_for_shortage",
    "replenishment_fulfil",
    "replenishment_request",
    "replenishment_start",
    "reservation_consume",
    "reservation_release",
    "reservations_release_for",
    "reserve",
    "reserve_available",
    "reserve_from",
    "stock_adjust",
    "stock_receive",
    "stock_ship",
    "stock_transfer",
    "warehouse_create",
    "warehouse_update",
]
