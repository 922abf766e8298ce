"""Stock pages: replenishment."""

urlpatterns: list = []
