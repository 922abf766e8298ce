"""Catalogue pages: prices."""

urlpatterns: list = []
