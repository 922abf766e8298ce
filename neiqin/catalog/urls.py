from neiqin.catalog.views import imports, prices, products

app_name = "catalog"
urlpatterns = [*products.urlpatterns, *prices.urlpatterns, *imports.urlpatterns]
