"""Stock services: every write to stock goes through here (STYLE: services write)."""

from neiqin.core import audit

audit.register("stock.warehouse")
audit.register("stock.reservation")
audit.register("stock.replenishmentrequest")
audit.register("stock.stockcount")
audit.register("stock.promoissue")
audit.register("stock.productloan")

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
from neiqin.stock.services.reservations import (  # noqa: E402
    For,
    reservation_consume,
    reservation_release,
    reservations_release_for,
    reserve,
    reserve_from,
)
from neiqin.stock.services.warehouses import (  # noqa: E402
    level_set_min_quantity,
    warehouse_create,
    warehouse_update,
)

__all__ = [
    "Document",
    "For",
    "InsufficientStock",
    "Line",
    "MoveLine",
    "Posted",
    "ensure_levels",
    "ledger_balance",
    "level_set_min_quantity",
    "lock_levels",
    "post_moves",
    "reservation_consume",
    "reservation_release",
    "reservations_release_for",
    "reserve",
    "reserve_from",
    "stock_adjust",
    "stock_receive",
    "stock_ship",
    "stock_transfer",
    "warehouse_create",
    "warehouse_update",
]
