from neiqin.sales.views import approvals, contracts, imports, opportunities, orders, quotations

app_name = "sales"
urlpatterns = [
    *orders.urlpatterns,
    *approvals.urlpatterns,
    *quotations.urlpatterns,
    *contracts.urlpatterns,
    *opportunities.urlpatterns,
    *imports.urlpatterns,
]
