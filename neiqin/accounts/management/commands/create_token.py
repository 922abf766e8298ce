from django.core.management.base import BaseCommand, CommandError

from neiqin.accounts.models import User
from neiqin.accounts.services import token_create
from neiqin.core import context


class Command(BaseCommand):
    help = "Create a personal API token for USER; the token is printed alone on the last line."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="cli")

    def handle(self, *args, username, name, **options):
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"no active user {username!r}")
        context.bind(context.RequestContext(channel="cli"))
        token, plain = token_create(user=user, name=name, by=None)
        self.stdout.write(f"Token {token.prefix}… created for {user.username}. Use: Authorization: Bearer <token>")
        self.stdout.write(plain)
