"""Stock pages: levels."""

urlpatterns: list = []
