"""Order desk API: approvals."""

from ninja import Router

router = Router(tags=["approvals"])
