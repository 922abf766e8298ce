from neiqin.stock.views import counts, imports, levels, materials, replenishment

app_name = "stock"
urlpatterns = [
    *levels.urlpatterns,
    *counts.urlpatterns,
    *replenishment.urlpatterns,
    *materials.urlpatterns,
    *imports.urlpatterns,
]
