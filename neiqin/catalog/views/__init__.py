"""Catalogue pages, one module per area (each has its own ``urlpatterns``)."""
