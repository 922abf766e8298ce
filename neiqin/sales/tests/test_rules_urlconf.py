"""A test urlconf: the project's routes plus the approval-rule and export pages of the order desk,
for tests that run before (or after) those pages are wired into ``neiqin/sales/urls.py``.
Use with ``@pytest.mark.urls("neiqin.sales.tests.test_rules_urlconf")``. (No tests here.)"""

from django.urls import URLResolver, include, path

from neiqin import urls as root
from neiqin.sales import urls as sales_urls
from neiqin.sales.views import exports, rules


def _sales_patterns() -> list:
    present = {getattr(p, "name", None) for p in sales_urls.urlpatterns}
    extra = [p for p in (*rules.urlpatterns, *exports.urlpatterns) if p.name not in present]
    # the export routes first: ``orders/export/`` must not be taken for anything else
    return [*extra, *sales_urls.urlpatterns]


urlpatterns = [
    path("sales/", include((_sales_patterns(), "sales"))),
    *[p for p in root.urlpatterns if not (isinstance(p, URLResolver) and p.namespace == "sales")],
]
