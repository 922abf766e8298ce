"""Order desk pages: contracts."""

urlpatterns: list = []
