"""Order desk pages: quotations."""

urlpatterns: list = []
