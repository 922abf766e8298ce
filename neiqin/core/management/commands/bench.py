"""Run benchmarks and record the figures (``docs/benchmarks.md`` explains them).

    manage.py bench customers-import --rows 100000
    manage.py bench customers-search --rows 100000
    manage.py bench all --rows 100000
    manage.py bench all --rows 100000 --database-url postgres://postgres@127.0.0.1:5432/neiqin_bench
    manage.py bench list

By default a benchmark never touches your data: it creates a throwaway NEIQIN_HOME (new keys, new
SQLite file), migrates it and runs there in a child process. With --database-url (a database kept
for benchmarks, e.g. ``neiqin_bench``) the child's home, with its keys, is kept under this home's
``bench/`` folder so that later runs can read what earlier runs wrote. ``--in-place`` runs against
the configured database instead and refuses when that database holds customers the benchmark did
not create (``--force`` overrides). Results are printed as a table and saved as JSON under this
NEIQIN_HOME's ``bench/`` folder.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlparse

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from neiqin.bench import BENCHMARKS, BenchContext, customers, sales, stock  # noqa: F401 - registers the benchmarks
from neiqin.bench.registry import render, save


class Command(BaseCommand):
    help = "Run benchmarks (customers-import, customers-search, all) on a throwaway database."

    def add_arguments(self, parser):
        parser.add_argument("name", help="benchmark name, 'all' or 'list'")
        parser.add_argument("--rows", type=int, default=100_000)
        parser.add_argument("--queries", type=int, default=50, help="queries per kind (search)")
        parser.add_argument("--seed", type=int, default=20261123)
        parser.add_argument(
            "--database-url", default="", help="throwaway target (default: a new SQLite file in a temporary home)"
        )
        parser.add_argument("--in-place", action="store_true", help="use the configured database (bench data only)")
        parser.add_argument("--force", action="store_true", help="with --in-place: run even beside real customers")
        parser.add_argument("--keep", action="store_true", help="keep the throwaway home afterwards")
        parser.add_argument("--results-dir", default="", help=argparse.SUPPRESS)

    def handle(self, *args, name: str, **options):
        if name == "list":
            for key, function in sorted(BENCHMARKS.items()):
                self.stdout.write(f"{key:20} {(function.__doc__ or '').strip().splitlines()[0]}")
            return
        names = sorted(BENCHMARKS) if name == "all" else [name]
        unknown = [n for n in names if n not in BENCHMARKS]
        if unknown:
            raise CommandError(f"unknown benchmark {unknown[0]!r}; choose from: all, {', '.join(sorted(BENCHMARKS))}")
        if options["rows"] < 1 or options["queries"] < 1:
            raise CommandError("--rows and --queries must be positive")
        if options["in_place"]:
            self._run_here(names, options)
        else:
            self._run_in_throwaway_home(name, options)

    # -- in this process, against the configured database ------------------------------------------

    def _run_here(self, names: list[str], options: dict) -> None:
        customers.refuse_real_data(force=options["force"])
        results_dir = Path(options["results_dir"] or Path(settings.NEIQIN_HOME) / "bench")
        with tempfile.TemporaryDirectory(prefix="neiqin-bench-files-") as workdir:
            ctx = BenchContext(
                rows=options["rows"],
                queries=options["queries"],
                seed=options["seed"],
                workdir=Path(workdir),
                say=lambda text: self.stdout.write(text),
            )
            for key in names:
                result = BENCHMARKS[key](ctx)
                self.stdout.write(render(result))
                self.stdout.write(f"  -> {save(result, results_dir)}")

    # -- in a child process, against a fresh database ------------------------------------------------

    def _run_in_throwaway_home(self, name: str, options: dict) -> None:
        url = options["database_url"]
        if url:
            # The database outlives the run, so its keys must too: one bench home per URL.
            digest = hashlib.sha256(url.encode("utf-8")).hexdigest()[:12]
            home = Path(settings.NEIQIN_HOME) / "bench" / f"home-{digest}"
            home.mkdir(parents=True, exist_ok=True)
        else:
            home = Path(tempfile.mkdtemp(prefix="neiqin-bench-"))
        env = {k: v for k, v in os.environ.items() if not k.startswith("NEIQIN_")}
        env.update({"NEIQIN_HOME": str(home), "DJANGO_SETTINGS_MODULE": "neiqin.settings"})
        if url:
            _ensure_postgres_database(url)
            env["NEIQIN_DATABASE_URL"] = url
        manage = [sys.executable, str(Path(settings.BASE_DIR).parent / "manage.py")]
        child = [
            *manage,
            "bench",
            name,
            "--in-place",
            f"--rows={options['rows']}",
            f"--queries={options['queries']}",
            f"--seed={options['seed']}",
            f"--results-dir={Path(settings.NEIQIN_HOME) / 'bench'}",
        ]
        if options["force"]:
            child.append("--force")
        self.stdout.write(f"bench NEIQIN_HOME: {home}")
        try:
            subprocess.run([*manage, "migrate", "-v", "0"], env=env, check=True)  # noqa: S603
            subprocess.run(child, env=env, check=True)  # noqa: S603
        except subprocess.CalledProcessError as exc:
            raise CommandError(f"benchmark failed (exit {exc.returncode})") from exc
        finally:
            if options["keep"] or url:
                self.stdout.write(f"kept {home}")
            else:
                shutil.rmtree(home, ignore_errors=True)


def _ensure_postgres_database(url: str) -> None:
    """Create the throwaway PostgreSQL database if it does not exist (never drops anything)."""
    parsed = urlparse(url)
    if parsed.scheme not in {"postgres", "postgresql", "pgsql"}:
        return
    import psycopg
    from psycopg import sql

    name = parsed.path.lstrip("/")
    admin = parsed._replace(path="/postgres").geturl().replace("pgsql://", "postgresql://")
    admin = admin.replace("postgres://", "postgresql://", 1)
    with psycopg.connect(admin, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
