"""Order desk pages: approvals."""

urlpatterns: list = []
