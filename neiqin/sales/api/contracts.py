"""Order desk API: contracts."""

from ninja import Router

router = Router(tags=["contracts"])
