"""Shared fixtures: the cast of users from the issue (one per role, two sales teams)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import settings as hypothesis_settings

from neiqin.accounts.models import Region, Team, User
from neiqin.accounts.roles import Role
from neiqin.accounts.services import user_create
from neiqin.core import audit

# Property tests check behaviour, not speed: no per-example deadline on a loaded 2-core CI box.
hypothesis_settings.register_profile("neiqin", deadline=None, print_blob=True)
hypothesis_settings.load_profile("neiqin")


@dataclass
class Cast:
    admin: User
    clerk: User
    sales1: User
    sales2: User
    manager: User
    manager2: User
    finance: User
    warehouse: User
    gm: User
    deputy: User
    team_a: Team
    team_b: Team

    def by_name(self, name: str) -> User:
        return getattr(self, name)


ROLE_USERS = ["admin", "clerk", "sales1", "sales2", "manager", "manager2", "finance", "warehouse", "gm", "deputy"]


def build_cast() -> Cast:
    audit.ensure_armed()
    region = Region.objects.create(code="HZ", name="华中", provinces=["湖南", "湖北", "河南"])
    team_a = Team.objects.create(name="长沙一组", region=region)
    team_b = Team.objects.create(name="郑州二组", region=region)

    def make(username: str, role: str, team: Team | None = None) -> User:
        return user_create(
            username=username,
            password="demo1234",
            display_name=username,
            role_codes=[role],
            team=team,
            by=None,
            check_password=False,
        )

    cast = Cast(
        admin=make("admin", Role.ADMIN),
        clerk=make("clerk", Role.CLERK),
        sales1=make("sales1", Role.SALESPERSON, team_a),
        sales2=make("sales2", Role.SALESPERSON, team_b),
        manager=make("manager", Role.SALES_MANAGER, team_a),
        manager2=make("manager2", Role.SALES_MANAGER, team_b),
        finance=make("finance", Role.FINANCE),
        warehouse=make("warehouse", Role.WAREHOUSE),
        gm=make("gm", Role.GM),
        deputy=make("deputy", Role.DEPUTY_GM),
        team_a=team_a,
        team_b=team_b,
    )
    team_a.manager = cast.manager
    team_a.save()
    team_b.manager = cast.manager2
    team_b.save()
    return cast


@pytest.fixture(autouse=True)
def _default_language():
    """Every test starts in the product's default language (zh-hans). A request with the English
    cookie leaves English active in the thread (LocaleMiddleware does not reset it), which would
    otherwise leak into the next test on the same worker."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _audit_guard_for_flush(request):
    """Transactional tests end with a flush (DELETE FROM every table on SQLite), which the
    append-only audit triggers refuse: disarm them just before that flush."""
    marker = request.node.get_closest_marker("django_db")
    transactional = bool(marker and (marker.kwargs.get("transaction") or (marker.args and marker.args[0])))
    if not transactional and "transactional_db" not in request.fixturenames:
        yield
        return
    request.getfixturevalue("transactional_db")
    audit.ensure_armed()
    yield
    from django.db import connection

    from neiqin.core.models import AuditGuard

    if connection.vendor == "sqlite":
        AuditGuard.objects.all().delete()


@pytest.fixture
def cast(db) -> Cast:
    return build_cast()


@pytest.fixture
def client_for(client):
    """Log the Django test client in as a user of the cast: ``client_for(cast.sales1)``."""

    def login(user: User):
        client.force_login(user)
        return client

    return login
