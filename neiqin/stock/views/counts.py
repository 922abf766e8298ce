"""Stock pages: counts."""

urlpatterns: list = []
