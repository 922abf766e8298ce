"""Shared by the import commands of the catalogue and stock apps: stage a spreadsheet, print
every row error, and commit when there is none (all rows or none, like the web pages).

    manage.py import_products products.xlsx --user clerk            # check and import
    manage.py import_products products.xlsx --user clerk --check    # check only

Exit status: 0 done, 1 rows with errors (nothing imported), 2 file refused, 3 already imported or
refused for another business reason.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from neiqin.accounts.models import User
from neiqin.core import context, imports
from neiqin.core.errors import DomainError, ValidationFailed
from neiqin.core.spreadsheets import UploadRejected

EXIT_ROWS, EXIT_FILE, EXIT_REFUSED = 1, 2, 3


class ImportCommand(BaseCommand):
    """Subclasses set ``importer`` and ``noun`` (what one row is, e.g. "个产品")."""

    importer: imports.Importer
    noun = "行"

    def add_arguments(self, parser):
        parser.add_argument("path", help="spreadsheet to import (.xlsx, .xls or .csv)")
        parser.add_argument("--user", default="admin", help="username of the importing user (audit actor)")
        parser.add_argument("--check", action="store_true", help="only check the rows, import nothing")
        parser.add_argument("--max-errors", type=int, default=50, help="errors to print (default 50)")

    def handle(self, *args, path: str, user: str, check: bool, max_errors: int, **options):
        actor = User.objects.filter(username=user, is_active=True).first()
        if actor is None:
            raise CommandError(f"unknown or inactive user {user!r}")
        data = _read_bounded(Path(path))
        token = context.bind(context.RequestContext(request_id=secrets.token_hex(8), channel="cli"))
        try:
            self._run(actor, Path(path).name, data, check=check, max_errors=max_errors)
        finally:
            context.reset(token)

    def _run(self, actor: User, name: str, data: bytes, *, check: bool, max_errors: int) -> None:
        try:
            batch = imports.stage(self.importer, name=name, data=data, by=actor)
        except UploadRejected as exc:
            raise CommandError(str(exc.message), returncode=EXIT_FILE) from exc
        except DomainError as exc:
            raise CommandError(str(exc.message), returncode=EXIT_REFUSED) from exc
        status = batch.get_status_display()
        self.stdout.write(f"批次 {batch.pk}：共 {batch.row_count} 行，{batch.error_count} 行有错误（状态：{status}）")
        if batch.error_count:
            self._print_errors(batch.errors, batch.error_count, max_errors)
            raise CommandError("有错误，未导入任何数据。请修改文件后重新导入。", returncode=EXIT_ROWS)
        if check:
            self.stdout.write("检查通过。去掉 --check 参数即可导入。")
            return
        try:
            batch = imports.commit(self.importer, batch_id=batch.pk, by=actor)
        except ValidationFailed as exc:
            errors = exc.extra.get("errors", [])
            self._print_errors(errors, len(errors), max_errors)
            raise CommandError(str(exc.message), returncode=EXIT_ROWS) from exc
        except DomainError as exc:
            raise CommandError(str(exc.message), returncode=EXIT_REFUSED) from exc
        self.stdout.write(self.style.SUCCESS(f"已导入 {batch.row_count} {self.noun}（批次 {batch.pk}）。"))

    def _print_errors(self, errors: list[dict[str, Any]], count: int, limit: int) -> None:
        for error in errors[:limit]:
            column = f"[{error['column']}] " if error.get("column") else ""
            self.stderr.write(f"第 {error['row']} 行 {column}{error['message']}")
        if count > min(limit, len(errors)):
            self.stderr.write(f"……共 {count} 行有错误，只显示前 {min(limit, len(errors))} 条。")


def _read_bounded(path: Path) -> bytes:
    """Read at most one byte more than the upload limit; the pipeline refuses oversized files."""
    try:
        with path.open("rb") as handle:
            return handle.read(settings.NEIQIN_MAX_UPLOAD_BYTES + 1)
    except OSError as exc:
        raise CommandError(f"cannot read {path}: {exc.strerror}") from exc
