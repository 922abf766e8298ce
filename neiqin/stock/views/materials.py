"""Stock pages: materials."""

urlpatterns: list = []
