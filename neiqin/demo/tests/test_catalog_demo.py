import time

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from neiqin.demo import builder
from neiqin.demo.builder import build_demo


@pytest.mark.django_db
def test_time(monkeypatch):
    steps = [s for s in builder.STEPS if s[0] in ("organisation", "customers")]
    monkeypatch.setattr(builder, "STEPS", steps)
    ctx = build_demo(seed=7, scale="tiny", log=print)
    from neiqin.demo import catalog
    t = time.monotonic()
    with transaction.atomic(), CaptureQueriesContext(connection) as q:
        catalog.build(ctx)
    print("catalog", time.monotonic() - t, len(q.captured_queries))
    from collections import Counter
    c = Counter(x["sql"][:60] for x in q.captured_queries)
    for k, v in c.most_common(15):
        print(v, k)
