"""Import customers from a spreadsheet: stage (check every row), then commit with --commit.

    manage.py import_customers customers.xlsx --user clerk            # check only, show errors
    manage.py import_customers customers.xlsx --user clerk --commit   # import if there are no errors

Exit status: 0 done, 1 rows with errors (nothing imported), 2 file refused, 3 already imported or
refused for another business reason.

For crash tests, ``NEIQIN_IMPORT_PAUSE_AT=<point>[:<n>]`` makes the command print
``NEIQIN-IMPORT-PAUSED <point>`` and sleep (``NEIQIN_IMPORT_PAUSE_SECONDS``, default 300) at a
pipeline point: ``staged`` (batch saved), ``commit`` (all rows inserted, transaction still
open), ``commit.insert:<percent>`` (part of the rows inserted), ``stage.validate:<rows>`` /
``commit.validate:<rows>`` (while checking rows).
"""

from __future__ import annotations

import os
import secrets
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from neiqin.accounts.models import User
from neiqin.core import context
from neiqin.core.errors import Conflict, DomainError, ValidationFailed
from neiqin.core.imports import Hook
from neiqin.core.spreadsheets import UploadRejected
from neiqin.customers.importer import commit_customer_import, stage_customer_import

PAUSE_ENV = "NEIQIN_IMPORT_PAUSE_AT"
PAUSE_SECONDS_ENV = "NEIQIN_IMPORT_PAUSE_SECONDS"
MARKER = "NEIQIN-IMPORT-PAUSED"
POINT_ALIASES = {"commit": "commit.inserted", "stage": "staged"}
EXIT_ROWS, EXIT_FILE, EXIT_REFUSED = 1, 2, 3


def pause_hook(spec: str, *, seconds: float) -> Hook:
    """A hook that stops once at ``spec`` ("point" or "point:n"; n is a percentage when the
    total is known, else a row count), announcing it on stdout for the supervising test."""
    point, _sep, amount = spec.partition(":")
    point = POINT_ALIASES.get(point, point)
    threshold = float(amount) if amount else None
    fired = False

    def hook(name: str, info: Mapping[str, Any]) -> None:
        nonlocal fired
        if fired or name != point:
            return
        if threshold is not None:
            done, total = info.get("done", 0), info.get("total")
            reached = done * 100 >= threshold * total if total else done >= threshold
            if not reached:
                return
        fired = True
        sys.stdout.write(f"{MARKER} {name} {dict(info)}\n")
        sys.stdout.flush()
        time.sleep(seconds)

    return hook


class Command(BaseCommand):
    help = "Import customers from an .xlsx/.xls/.csv file (all rows or none)."

    def add_arguments(self, parser):
        parser.add_argument("path", help="spreadsheet to import")
        parser.add_argument("--user", required=True, help="username of the importing clerk (audit actor)")
        parser.add_argument("--commit", action="store_true", help="import when no row has errors")
        parser.add_argument("--max-errors", type=int, default=50, help="errors to print (default 50)")

    def handle(self, *args, path: str, user: str, commit: bool, max_errors: int, **options):
        actor = User.objects.filter(username=user, is_active=True).first()
        if actor is None:
            raise CommandError(f"unknown or inactive user {user!r}")
        data = _read_bounded(Path(path))
        spec = os.environ.get(PAUSE_ENV, "")
        hook = pause_hook(spec, seconds=float(os.environ.get(PAUSE_SECONDS_ENV, "300"))) if spec else None
        token = context.bind(context.RequestContext(request_id=secrets.token_hex(8), channel="cli"))
        try:
            self._run(actor, Path(path).name, data, commit=commit, max_errors=max_errors, hook=hook)
        finally:
            context.reset(token)

    def _run(self, actor: User, name: str, data: bytes, *, commit: bool, max_errors: int, hook: Hook | None):
        try:
            batch = stage_customer_import(name=name, data=data, by=actor, hook=hook)
        except UploadRejected as exc:
            raise CommandError(str(exc.message), returncode=EXIT_FILE) from exc
        except DomainError as exc:
            raise CommandError(str(exc.message), returncode=EXIT_REFUSED) from exc
        status = batch.get_status_display()
        self.stdout.write(f"批次 {batch.pk}：共 {batch.row_count} 行，{batch.error_count} 行有错误（状态：{status}）")
        if batch.error_count:
            self._print_errors(batch.errors, batch.error_count, max_errors)
            raise CommandError("有错误，未导入任何数据。请修改文件后重新导入。", returncode=EXIT_ROWS)
        if not commit:
            self.stdout.write("检查通过。加上 --commit 参数即可导入。")
            return
        try:
            batch = commit_customer_import(batch_id=batch.pk, by=actor, hook=hook)
        except ValidationFailed as exc:
            self._print_errors(exc.extra.get("errors", []), len(exc.extra.get("errors", [])), max_errors)
            raise CommandError(str(exc.message), returncode=EXIT_ROWS) from exc
        except (Conflict, DomainError) as exc:
            raise CommandError(str(exc.message), returncode=EXIT_REFUSED) from exc
        self.stdout.write(self.style.SUCCESS(f"已导入 {batch.row_count} 个客户（批次 {batch.pk}）。"))

    def _print_errors(self, errors: list[dict[str, Any]], count: int, limit: int) -> None:
        for error in errors[:limit]:
            column = f"[{error['column']}] " if error.get("column") else ""
            self.stderr.write(f"第 {error['row']} 行 {column}{error['message']}")
        if len(errors) > limit or count > len(errors[:limit]):
            self.stderr.write(f"……共 {count} 行有错误，只显示前 {min(limit, len(errors))} 条。")


def _read_bounded(path: Path) -> bytes:
    """Read at most one byte more than the upload limit; the pipeline refuses oversized files."""
    try:
        with path.open("rb") as handle:
            return handle.read(settings.NEIQIN_MAX_UPLOAD_BYTES + 1)
    except OSError as exc:
        raise CommandError(f"cannot read {path}: {exc.strerror}") from exc
