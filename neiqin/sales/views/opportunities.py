"""Order desk pages: opportunities."""

urlpatterns: list = []
