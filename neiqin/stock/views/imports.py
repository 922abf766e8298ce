"""Stock pages: imports."""

urlpatterns: list = []
