from django.urls import include, path

from neiqin.api.main import api

urlpatterns = [
    path("api/", api.urls),
    path("customers/", include("neiqin.customers.urls")),
    path("catalog/", include("neiqin.catalog.urls")),
    path("stock/", include("neiqin.stock.urls")),
    path("sales/", include("neiqin.sales.urls")),
    path("", include("neiqin.web.urls")),
]
