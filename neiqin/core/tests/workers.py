"""Functions executed in child processes by the concurrency tests (must be importable)."""

from __future__ import annotations

import time


def issue_numbers(worker: int, count: int, fail_every: int, start_at: float) -> dict:
    """Take ``count`` customer numbers, each in its own transaction; every ``fail_every``-th
    transaction raises after taking its number, so its number must not be consumed."""
    from django.db import transaction

    from neiqin.core.numbering import next_number

    while time.time() < start_at:
        time.sleep(0.005)
    kept, failed, errors = [], 0, []
    for i in range(count):
        try:
            with transaction.atomic():
                number = next_number(series="customer")
                if fail_every and i % fail_every == fail_every - 1:
                    raise RuntimeError("simulated failure after taking a number")
                kept.append(number)
        except RuntimeError:
            failed += 1
        except Exception as exc:  # noqa: BLE001 - report database errors to the test
            errors.append(f"{type(exc).__name__}: {exc}")
    return {"kept": kept, "failed": failed, "errors": errors}


def create_customers(username: str, prefix: str, count: int, start_at: float) -> dict:
    from neiqin.accounts.models import User
    from neiqin.customers.services import customer_create

    user = User.objects.get(username=username)
    while time.time() < start_at:
        time.sleep(0.005)
    codes, errors = [], []
    for i in range(count):
        try:
            c = customer_create(fields={"name": f"{prefix}并发测试{i}号有限公司"}, by=user)
            codes.append(c.code)
        except Exception as exc:  # noqa: BLE001 - report database errors to the test
            errors.append(f"{type(exc).__name__}: {exc}")
    return {"codes": codes, "errors": errors}
