"""Catalogue API: prices."""

from ninja import Router

router = Router(tags=["prices"])
