import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from neiqin.core.config import database_from_url

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.django_db
def test_database_connection_runs_with_durable_settings():
    """RELIABILITY R10. SQLite: WAL, synchronous=FULL, foreign keys, busy timeout, IMMEDIATE
    transactions. PostgreSQL: synchronous commit and fsync on, READ COMMITTED (row locks where needed)."""
    with connection.cursor() as cur:
        if connection.vendor == "sqlite":
            values = {}
            for pragma in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout"):
                cur.execute(f"PRAGMA {pragma}")
                values[pragma] = cur.fetchone()[0]
            assert values == {"journal_mode": "wal", "synchronous": 2, "foreign_keys": 1, "busy_timeout": 20000}
            assert connection.settings_dict["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
        else:
            settings_seen = {}
            for name in ("synchronous_commit", "fsync", "transaction_isolation", "server_encoding"):
                cur.execute(f"SHOW {name}")
                settings_seen[name] = cur.fetchone()[0]
            assert settings_seen == {
                "synchronous_commit": "on",
                "fsync": "on",
                "transaction_isolation": "read committed",
                "server_encoding": "UTF8",
            }


def test_database_url_parsing(tmp_path):
    pg = database_from_url("postgres://u:p%40ss@db.example:6432/neiqin?sslmode=require", tmp_path)
    assert (pg["ENGINE"], pg["USER"], pg["PASSWORD"], pg["HOST"], pg["PORT"], pg["NAME"]) == (
        "django.db.backends.postgresql",
        "u",
        "p@ss",
        "db.example",
        "6432",
        "neiqin",
    )
    assert pg["OPTIONS"] == {"sslmode": "require"}
    lite = database_from_url(None, tmp_path)
    assert lite["NAME"] == str(tmp_path / "neiqin.sqlite3")
    with pytest.raises(ValueError):
        database_from_url("mysql://x/y", tmp_path)


def test_production_settings_pass_the_deploy_check(tmp_path):
    """RELIABILITY S13: `check --deploy --fail-level WARNING` with production settings."""
    env = {
        **os.environ,
        "NEIQIN_PRODUCTION": "1",
        "NEIQIN_HOME": str(tmp_path),
        "NEIQIN_SECRET_KEY": "x" * 20 + "-production-secret-key-with-enough-entropy-0123456789abcdef",
        "NEIQIN_ALLOWED_HOSTS": "neiqin.example.com",
        "DJANGO_SETTINGS_MODULE": "neiqin.settings",
    }
    env.pop("NEIQIN_DATABASE_URL", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.django_db
def test_healthz_reports_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["database"] == "ok"
    assert response["X-Request-ID"]


@pytest.mark.django_db
def test_security_headers_on_pages(client):
    response = client.get("/healthz")
    csp = response["Content-Security-Policy"]
    assert "object-src 'none'" in csp and "base-uri 'none'" in csp and "frame-ancestors 'none'" in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
