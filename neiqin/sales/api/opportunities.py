"""Order desk API: opportunities."""

from ninja import Router

router = Router(tags=["opportunities"])
