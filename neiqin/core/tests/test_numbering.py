import time

import pytest
from django.db import IntegrityError, connection, transaction

from neiqin.core.models import NumberCounter, NumberSeries
from neiqin.core.numbering import next_number
from neiqin.core.testing import run_processes
from neiqin.core.tests.workers import create_customers, issue_numbers


def _seq(number: str) -> int:
    return int(number.rsplit("-", 1)[1])


@pytest.mark.django_db
def test_numbers_are_consecutive_per_series_and_year():
    with transaction.atomic():
        first = next_number(series="contract")
        second = next_number(series="contract")
        other = next_number(series="order")
    year = first[2:6]
    assert first == f"HT{year}-00001"
    assert second == f"HT{year}-00002"
    assert other == f"XS{year}-00001"


@pytest.mark.django_db
def test_a_rolled_back_transaction_consumes_no_number():
    with pytest.raises(RuntimeError), transaction.atomic():
        next_number(series="contract")
        raise RuntimeError("boom")
    with transaction.atomic():
        assert _seq(next_number(series="contract")) == 1


@pytest.mark.django_db(transaction=True)
def test_numbering_refuses_to_run_outside_a_transaction():
    with pytest.raises(RuntimeError, match="inside the transaction"):
        next_number(series="contract")


@pytest.mark.django_db
def test_admin_configured_prefix_is_used():
    NumberSeries.objects.create(code="contract", name="合同", prefix="NQHT", padding=4)
    with transaction.atomic():
        assert next_number(series="contract").startswith("NQHT")
        assert next_number(series="contract").endswith("-0002")


@pytest.mark.django_db
def test_counter_rows_are_unique_per_series_and_year():
    NumberCounter.objects.create(series="x", year=2026)
    with pytest.raises(IntegrityError), transaction.atomic():
        NumberCounter.objects.create(series="x", year=2026)


@pytest.mark.django_db
def test_customer_code_column_is_unique():
    from neiqin.customers.models import Customer

    assert Customer._meta.get_field("code").unique


@pytest.mark.concurrency
@pytest.mark.django_db(transaction=True)
def test_eight_processes_get_gap_free_unique_numbers_with_failures():
    """RELIABILITY R2: 8 processes x 40 issues, 10 % of transactions fail after taking a number."""
    start_at = time.time() + 2.0
    results = run_processes(issue_numbers, [(w, 40, 10, start_at) for w in range(8)])
    errors = [e for r in results for e in r["errors"]]
    kept = [n for r in results for n in r["kept"]]
    assert errors == []
    assert sum(r["failed"] for r in results) == 8 * 4
    sequence = sorted(_seq(n) for n in kept)
    assert len(kept) == 8 * 36
    assert len(set(kept)) == len(kept), "duplicate numbers"
    assert sequence == list(range(1, len(kept) + 1)), "gap in the numbers"
    assert NumberCounter.objects.get(series="customer").last_value == len(kept)


@pytest.mark.concurrency
@pytest.mark.django_db(transaction=True)
def test_concurrent_customer_creation_gives_distinct_codes(cast):
    start_at = time.time() + 2.0
    users = ["clerk", "sales1", "sales2", "manager"] * 2
    results = run_processes(
        create_customers, [(u, f"{connection.vendor}{i}", 10, start_at) for i, u in enumerate(users)]
    )
    codes = [c for r in results for c in r["codes"]]
    assert [e for r in results for e in r["errors"]] == []
    assert len(codes) == 80
    assert sorted(_seq(c) for c in codes) == list(range(1, 81))
