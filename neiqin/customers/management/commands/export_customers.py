"""Export the customer list a user sees (scoped, audited) to an .xlsx or .csv file.

manage.py export_customers --user sales1 --format xlsx -o customers.xlsx [--q 涵瑞] [--stage signed]
"""

from __future__ import annotations

import secrets
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from neiqin.accounts.models import User
from neiqin.core import context
from neiqin.core.errors import DomainError
from neiqin.customers.importer import export_customers
from neiqin.customers.selectors import CustomerFilters


class Command(BaseCommand):
    help = "Export the customers a user may see to .xlsx or .csv (recorded in the audit trail)."

    def add_arguments(self, parser):
        parser.add_argument("--user", required=True, help="username whose scope is exported (audit actor)")
        parser.add_argument("--format", dest="fmt", choices=["xlsx", "csv"], default="xlsx")
        parser.add_argument("-o", "--output", required=True, help="file to write")
        parser.add_argument("--q", default="", help="search text, as in the customer list")
        parser.add_argument("--stage", default="")
        parser.add_argument("--grade", default="")

    def handle(self, *args, user: str, fmt: str, output: str, q: str, stage: str, grade: str, **options):
        actor = User.objects.filter(username=user, is_active=True).first()
        if actor is None:
            raise CommandError(f"unknown or inactive user {user!r}")
        token = context.bind(context.RequestContext(request_id=secrets.token_hex(8), channel="cli"))
        try:
            content, filename, _type = export_customers(
                user=actor, filters=CustomerFilters(q=q, stage=stage, grade=grade), fmt=fmt
            )
        except DomainError as exc:
            raise CommandError(str(exc.message)) from exc
        finally:
            context.reset(token)
        Path(output).write_bytes(content)
        self.stdout.write(f"{output}: {len(content)} bytes ({filename})")
