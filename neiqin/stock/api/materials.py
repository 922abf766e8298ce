"""Stock API: materials."""

from ninja import Router

router = Router(tags=["stock-materials"])
