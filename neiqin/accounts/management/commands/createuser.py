import getpass

from django.core.management.base import BaseCommand, CommandError

from neiqin.accounts.models import Team
from neiqin.accounts.roles import Role
from neiqin.accounts.services import user_create
from neiqin.core.errors import DomainError


class Command(BaseCommand):
    help = "Create a user with roles. Roles: " + ", ".join(Role.values)

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", action="append", default=[], choices=Role.values)
        parser.add_argument("--name", default="")
        parser.add_argument("--team", default="")
        parser.add_argument("--email", default="")
        parser.add_argument("--password", default=None, help="omit to be prompted")

    def handle(self, *args, username, role, name, team, email, password, **options):
        team_obj = None
        if team:
            team_obj = Team.objects.filter(name=team).first()
            if team_obj is None:
                raise CommandError(f"unknown team {team!r}")
        if password is None:
            password = getpass.getpass("Password: ")
        try:
            user = user_create(
                username=username,
                password=password,
                display_name=name,
                role_codes=role,
                team=team_obj,
                email=email,
                by=None,
            )
        except DomainError as exc:
            raise CommandError(str(exc.message)) from exc
        self.stdout.write(f"created {user.username} ({', '.join(role) or 'no role'})")
