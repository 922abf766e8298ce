"""Stock API: levels."""

from ninja import Router

router = Router(tags=["stock-levels"])
