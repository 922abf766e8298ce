"""Catalogue pages: products."""

urlpatterns: list = []
