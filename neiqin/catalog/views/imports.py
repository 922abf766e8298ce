"""Catalogue imports (products, price lists)."""

urlpatterns: list = []
