from neiqin.sales.views import approvals, contracts, exports, imports, opportunities, orders, quotations, rules

app_name = "sales"
urlpatterns = [
    *orders.urlpatterns,
    *approvals.urlpatterns,
    *quotations.urlpatterns,
    *contracts.urlpatterns,
    *opportunities.urlpatterns,
    *imports.urlpatterns,
    *rules.urlpatterns,
    *exports.urlpatterns,
]
