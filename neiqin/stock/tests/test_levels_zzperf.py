import time
from decimal import Decimal
from django.db import connection
from django.test.utils import CaptureQueriesContext
from neiqin.catalog.models import Product
from neiqin.stock.models import StockLevel
from neiqin.stock.selectors.levels import LevelFilters, level_page
from neiqin.stock.tests.test_levels_support import make_warehouse
def test_perf(cast):
    ws = [make_warehouse(cast, f"W{i}", f"W{i}库") for i in range(3)]
    Product.objects.bulk_create([Product(code=f"P{i:05d}", name=f"产品{i}", model=f"M-{i:05d}", model_normalized=f"M-{i:05d}", unit="箱") for i in range(10000)])
    ids = list(Product.objects.values_list("id", flat=True))
    StockLevel.objects.bulk_create([StockLevel(warehouse=w, product_id=p, on_hand=Decimal(p % 50), min_quantity=Decimal(10)) for w in ws for p in ids])
    with connection.cursor() as c:
        if connection.vendor == "postgresql": c.execute("ANALYZE")
    for f in (LevelFilters(), LevelFilters(low_only=True), LevelFilters(q="M-09"), LevelFilters(sort="-available")):
        t=time.perf_counter()
        with CaptureQueriesContext(connection) as q:
            rows, total = level_page(filters=f, page=3)
        print(f.low_only, f.q, f.sort, total, len(q), round((time.perf_counter()-t)*1000), "ms", rows[0]["on_hand"], rows[0]["cells"][0]["available"])
