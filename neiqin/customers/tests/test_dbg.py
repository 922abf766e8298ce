from django.urls import reverse
from django.db import connection
from django.test.utils import CaptureQueriesContext
from neiqin.customers import services

def test_dbg(cast, client_for):
    for n in range(3):
        services.customer_create(fields={"name": f"测试{n}公司", "province": "湖南"}, by=cast.clerk, owner=cast.sales1)
    c = client_for(cast.clerk)
    r = c.get(reverse("web:customers:list"), {"page_size": "5000"})
    print("ERRORS", r.context["form"].errors, r.context["form"].cleaned_data)
    with CaptureQueriesContext(connection) as ctx:
        c.get(reverse("web:customers:list"))
    for q in ctx.captured_queries:
        print(q["sql"][:300])
