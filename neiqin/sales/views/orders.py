"""Order desk pages: orders."""

urlpatterns: list = []
