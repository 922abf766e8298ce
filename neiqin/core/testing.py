"""Helpers for tests that need several real processes against the test database.

SQLite serialises writers and would hide lost updates, so contention tests run on PostgreSQL
too; each child process is a fresh interpreter (``spawn``) connected to the same test database.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from typing import Any

from django.conf import settings
from django.db import connection


def database_url() -> str:
    """The URL of the database the current test is using (the test database, not the real one)."""
    db = settings.DATABASES["default"]
    if connection.vendor == "sqlite":
        name = db["NAME"]
        if "memory" in str(name):
            raise RuntimeError("multi-process tests need a file database")
        return f"sqlite:///{name}"
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


def child_environment() -> dict[str, str]:
    return {
        "NEIQIN_DATABASE_URL": database_url(),
        "NEIQIN_HOME": str(settings.NEIQIN_HOME),
        "NEIQIN_FIELD_KEY": ",".join(settings.NEIQIN_FIELD_KEYS),
        "NEIQIN_SECRET_KEY": settings.SECRET_KEY,
        "DJANGO_SETTINGS_MODULE": "neiqin.settings",
    }


def _init(env: dict[str, str]) -> None:
    os.environ.update(env)
    import django

    django.setup()


def run_processes(target: Callable[..., Any], args_list: Sequence[tuple[Any, ...]]) -> list[Any]:
    """Run ``target(*args)`` once per args tuple, each in its own process, all at once."""
    connection.close()  # children must not inherit an open connection
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(len(args_list), initializer=_init, initargs=(child_environment(),)) as pool:
        return pool.starmap(target, args_list)
