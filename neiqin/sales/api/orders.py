"""Order desk API: orders."""

from ninja import Router

router = Router(tags=["orders"])
