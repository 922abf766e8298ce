import time

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.test import Client

from neiqin.accounts.models import ApiToken
from neiqin.accounts.roles import Role, Scope
from neiqin.accounts.scoping import customer_scope, roles
from neiqin.accounts.services import token_authenticate, token_create, token_revoke, user_create, user_set_roles
from neiqin.core.errors import ValidationFailed
from neiqin.core.models import Event

pytestmark = pytest.mark.django_db


def test_role_groups_exist_after_migrations():
    assert set(Group.objects.values_list("name", flat=True)) >= set(Role.values)


def test_scope_is_the_widest_of_a_users_roles(cast):
    assert customer_scope(cast.sales1) == Scope.OWN
    assert customer_scope(cast.manager) == Scope.TEAM
    assert customer_scope(cast.warehouse) == Scope.NONE
    user_set_roles(user=cast.sales2, role_codes=[Role.SALESPERSON, Role.CLERK], by=cast.admin)
    cast.sales2.refresh_from_db()
    assert customer_scope(cast.sales2) == Scope.ALL


def test_role_change_is_audited(cast):
    user_set_roles(user=cast.sales2, role_codes=[Role.SALES_MANAGER], by=cast.admin)
    event = Event.objects.get(action="accounts.user.roles_changed")
    assert event.changes == {"roles": [["salesperson"], ["sales_manager"]]}
    assert event.actor == cast.admin


def test_unknown_role_and_weak_password_are_refused(db):
    with pytest.raises(ValidationFailed):
        user_create(username="x", password="a-long-password-1", role_codes=["king"])
    with pytest.raises(ValidationFailed):
        user_create(username="y", password="123", role_codes=[Role.CLERK])


def test_inactive_user_has_no_roles(cast):
    cast.sales1.is_active = False
    cast.sales1.save()
    cast.sales1._neiqin_roles = None
    assert roles(cast.sales1) == frozenset()


def test_tokens_are_stored_hashed_and_revocable(cast):
    token, plain = token_create(user=cast.clerk, name="ERP 同步", by=cast.clerk)
    assert plain.startswith("nq_") and plain not in token.key_hash
    assert not ApiToken.objects.filter(key_hash__contains=plain).exists()
    assert token_authenticate(plain) == cast.clerk
    assert token_authenticate(plain + "x") is None
    token_revoke(user=cast.clerk, token_id=token.pk, by=cast.clerk)
    assert token_authenticate(plain) is None


def test_create_token_command_prints_the_token_alone_on_the_last_line(cast, capsys):
    call_command("create_token", "clerk")
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last.startswith("nq_") and " " not in last
    assert token_authenticate(last) == cast.clerk


def test_login_is_locked_after_five_failures_and_answers_fast(cast):
    """RELIABILITY S6: lock per user+IP after 5 failures; locked attempts skip password hashing."""
    client = Client()
    for _ in range(5):
        response = client.post("/login/", {"username": "clerk", "password": "wrong"})
        assert response.status_code == 200
    started = time.perf_counter()
    response = client.post("/login/", {"username": "clerk", "password": "demo1234"})
    elapsed = time.perf_counter() - started
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    assert elapsed < 0.5


def test_unknown_and_known_users_get_the_same_failure_message(cast):
    known = Client().post("/login/", {"username": "clerk", "password": "wrong"}).content.decode()
    unknown = Client().post("/login/", {"username": "nobody", "password": "wrong"}).content.decode()
    marker = "用户名或密码不正确"
    assert marker in known and marker in unknown


def test_session_ends_after_the_absolute_lifetime(cast, settings):
    client = Client()
    client.force_login(cast.clerk)
    assert client.get("/").status_code == 200
    session = client.session
    session["_neiqin_login_at"] = int(time.time()) - settings.SESSION_ABSOLUTE_SECONDS - 1
    session.save()
    response = client.get("/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_deactivated_user_is_anonymous_on_the_next_request(cast):
    client = Client()
    client.force_login(cast.sales1)
    cast.sales1.is_active = False
    cast.sales1.save()
    response = client.get("/")
    assert response.status_code == 302


def test_password_change_ends_other_sessions(cast):
    other = Client()
    other.force_login(cast.sales1)
    cast.sales1.set_password("another-password-9")
    cast.sales1.save()
    assert other.get("/").status_code == 302
