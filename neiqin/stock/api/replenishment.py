"""Stock API: replenishment."""

from ninja import Router

router = Router(tags=["stock-replenishment"])
