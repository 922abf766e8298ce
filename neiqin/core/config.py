"""Settings helpers: database URL parsing and generated secrets under NEIQIN_HOME."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse


def ensure_secret_file(path: Path, kind: str) -> str:
    """Return the secret stored at ``path``, creating it (mode 0600) on first use.

    Used for the demo and single-machine installs; production passes keys by environment.
    """
    if path.exists():
        return path.read_text(encoding="ascii").strip()
    if kind == "fernet":
        from cryptography.fernet import Fernet

        value = Fernet.generate_key().decode("ascii")
    else:
        value = secrets.token_urlsafe(50)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(value)
    return value


def database_from_url(url: str | None, home: Path) -> dict[str, Any]:
    """Translate NEIQIN_DATABASE_URL into a Django DATABASES entry.

    SQLite (the embedded default) runs in WAL mode with synchronous=FULL, a busy timeout and
    IMMEDIATE write transactions: Django ignores select_for_update on SQLite, so writers must
    take the lock at BEGIN or read-then-write transactions fail with "database is locked".
    """
    if not url or url.startswith("sqlite"):
        name = str(home / "neiqin.sqlite3")
        if url and url.startswith("sqlite:///"):
            name = url.removeprefix("sqlite:///") or name
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": name,
            "OPTIONS": {
                "timeout": 20,
                "transaction_mode": "IMMEDIATE",
                "init_command": (
                    "PRAGMA journal_mode=WAL;PRAGMA synchronous=FULL;PRAGMA foreign_keys=ON;PRAGMA busy_timeout=20000;"
                ),
            },
            "TEST": {"NAME": os.environ.get("NEIQIN_TEST_SQLITE_NAME") or str(home / "test.sqlite3")},
        }
    parsed = urlparse(url)
    if parsed.scheme not in {"postgres", "postgresql", "pgsql"}:
        raise ValueError(f"Unsupported NEIQIN_DATABASE_URL scheme: {parsed.scheme!r}")
    query = parse_qs(parsed.query)
    options: dict[str, Any] = {}
    if "sslmode" in query:
        options["sslmode"] = query["sslmode"][0]
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": unquote(parsed.path.lstrip("/")) or "neiqin",
        "USER": unquote(parsed.username or ""),
        "PASSWORD": unquote(parsed.password or ""),
        "HOST": parsed.hostname or "",
        "PORT": str(parsed.port or ""),
        "CONN_MAX_AGE": 0,
        "CONN_HEALTH_CHECKS": True,
        "OPTIONS": options,
    }
