"""Order desk API: quotations."""

from ninja import Router

router = Router(tags=["quotations"])
