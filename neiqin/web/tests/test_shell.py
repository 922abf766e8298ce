"""The shell pages: login, home by role, profile, notifications, language switch."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from conftest import ROLE_USERS
from neiqin.accounts.models import ApiToken
from neiqin.core.models import Notification
from neiqin.core.notifications import notify
from neiqin.customers import services


def _customer(cast, name: str, owner=None):
    return services.customer_create(fields={"name": name}, by=cast.clerk, owner=owner)


def test_login_page_renders(client):
    response = client.get(reverse("web:login"))

    assert response.status_code == 200
    body = response.content.decode()
    assert "用户名" in body and "密码" in body
    assert "<title>登录 - 内勤</title>" in body


def test_login_with_good_password_goes_to_home(cast, client):
    response = client.post(reverse("web:login"), {"username": "sales1", "password": "demo1234"})

    assert response.status_code == 302
    assert response.url == reverse("web:home")


def test_login_with_bad_password_shows_chinese_error(cast, client):
    response = client.post(reverse("web:login"), {"username": "sales1", "password": "wrong-password"})

    assert response.status_code == 200
    assert "用户名或密码不正确" in response.content.decode()


def test_five_failures_lock_the_account_with_the_lockout_page(cast, client):
    for _ in range(4):
        client.post(reverse("web:login"), {"username": "sales1", "password": "wrong-password"})
    fifth = client.post(reverse("web:login"), {"username": "sales1", "password": "wrong-password"})

    response = client.post(reverse("web:login"), {"username": "sales1", "password": "demo1234"})

    assert fifth.status_code == 200
    assert "账号已锁定 15 分钟" in fifth.content.decode()
    assert response.status_code == 429
    assert "锁定 15 分钟" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_pages_require_login(client):
    for name in ("web:home", "web:profile", "web:notifications", "customers:list"):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response.url.startswith(reverse("web:login"))


@pytest.mark.parametrize("role_user", ROLE_USERS)
def test_home_renders_for_every_role(cast, client_for, role_user):
    _customer(cast, "涵瑞建筑装饰有限公司", owner=cast.sales1)
    _customer(cast, "郑州华达贸易有限公司", owner=cast.sales2)
    _customer(cast, "长沙公海客户有限公司")

    response = client_for(cast.by_name(role_user)).get(reverse("web:home"))

    assert response.status_code == 200
    assert "<title>工作台 - 内勤</title>" in response.content.decode()


def test_salesperson_home_lists_customers_awaiting_acknowledgement(cast, client_for):
    customer = _customer(cast, "涵瑞建筑装饰有限公司", owner=cast.sales1)

    body = client_for(cast.sales1).get(reverse("web:home")).content.decode()

    assert "待确认接收的客户" in body
    assert customer.name in body
    assert reverse("customers:acknowledge", args=[customer.pk]) in body


def test_acknowledge_from_home_returns_to_home(cast, client_for):
    customer = _customer(cast, "涵瑞建筑装饰有限公司", owner=cast.sales1)

    response = client_for(cast.sales1).post(
        reverse("customers:acknowledge", args=[customer.pk]), {"next": reverse("web:home")}
    )

    assert response.status_code == 302
    assert response.url == reverse("web:home")
    customer.refresh_from_db()
    assert customer.acknowledged_at is not None


def test_clerk_home_shows_recent_customers(cast, client_for):
    customer = _customer(cast, "涵瑞建筑装饰有限公司", owner=cast.sales1)

    body = client_for(cast.clerk).get(reverse("web:home")).content.decode()

    assert "最近新建的客户" in body
    assert customer.code in body


def test_manager_home_has_chart_data_as_json_and_no_inline_script(cast, client_for):
    _customer(cast, "涵瑞建筑装饰有限公司", owner=cast.sales1)

    response = client_for(cast.manager).get(reverse("web:home"))

    body = response.content.decode()
    assert '<script id="stage-chart-data" type="application/json">' in body
    scripts = re.findall(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", body)
    assert scripts == []
    assert "script-src 'self'" in response["Content-Security-Policy"]


def test_body_carries_csrf_header_for_htmx(cast, client_for):
    body = client_for(cast.clerk).get(reverse("web:home")).content.decode()

    assert 'hx-headers=\'{"X-CSRFToken": "' in body


def test_language_switch_sets_the_language_cookie(cast, client_for):
    client = client_for(cast.clerk)

    response = client.post(reverse("web:set_language"), {"language": "en", "next": reverse("web:home")})

    assert response.status_code == 302
    assert response.cookies["django_language"].value == "en"


def test_logout_needs_post(cast, client_for):
    client = client_for(cast.clerk)

    assert client.get(reverse("web:logout")).status_code == 405
    response = client.post(reverse("web:logout"))

    assert response.status_code == 302
    assert client.get(reverse("web:home")).status_code == 302


def test_token_is_shown_once_and_listed_by_prefix(cast, client_for):
    client = client_for(cast.sales1)

    response = client.post(reverse("web:token_create"), {"name": "报表脚本"})

    token = ApiToken.objects.get(user=cast.sales1)
    body = response.content.decode()
    assert response.status_code == 200
    shown = re.search(r'value="(nq_[A-Za-z0-9_\-]+)"', body)
    assert shown is not None and shown.group(1).startswith(token.prefix)
    assert "no-store" in response["Cache-Control"]
    later = client.get(reverse("web:profile")).content.decode()
    assert token.prefix in later
    assert "报表脚本" in later
    assert not re.search(r'value="nq_[A-Za-z0-9_\-]+"', later)


def test_token_revoke(cast, client_for):
    client = client_for(cast.sales1)
    client.post(reverse("web:token_create"), {"name": "旧脚本"})
    token = ApiToken.objects.get(user=cast.sales1)

    response = client.post(reverse("web:token_revoke", args=[token.pk]))

    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_cannot_revoke_someone_elses_token(cast, client_for):
    client_for(cast.sales2).post(reverse("web:token_create"), {"name": "sales2"})
    token = ApiToken.objects.get(user=cast.sales2)

    client_for(cast.sales1).post(reverse("web:token_revoke", args=[token.pk]))

    token.refresh_from_db()
    assert token.revoked_at is None


def test_password_change_keeps_the_session(cast, client_for):
    client = client_for(cast.sales1)

    response = client.post(
        reverse("web:password_change"),
        {"old_password": "demo1234", "new_password1": "Xq7!pLm29zz", "new_password2": "Xq7!pLm29zz"},
    )

    assert response.status_code == 302
    assert client.get(reverse("web:home")).status_code == 200
    cast.sales1.refresh_from_db()
    assert cast.sales1.check_password("Xq7!pLm29zz")


def test_password_change_with_wrong_old_password_is_refused(cast, client_for):
    response = client_for(cast.sales1).post(
        reverse("web:password_change"),
        {"old_password": "nope", "new_password1": "Xq7!pLm29zz", "new_password2": "Xq7!pLm29zz"},
    )

    assert response.status_code == 422
    assert "原密码不正确" in response.content.decode()
    cast.sales1.refresh_from_db()
    assert cast.sales1.check_password("demo1234")


def test_notifications_inbox_links_to_the_customer_and_marks_read(cast, client_for):
    customer = _customer(cast, "涵瑞建筑装饰有限公司", owner=cast.sales1)
    note = Notification.objects.filter(user=cast.sales1).get()
    client = client_for(cast.sales1)

    body = client.get(reverse("web:notifications")).content.decode()
    assert note.title in body
    assert 'id="unread-badge">1<' in body

    response = client.post(reverse("web:notifications_read"), {"ids": [note.pk], "open": "1"})

    assert response.url == reverse("customers:detail", args=[customer.pk])
    note.refresh_from_db()
    assert note.read_at is not None


def test_mark_all_read_only_touches_own_notifications(cast, client_for):
    notify(user=cast.sales1, title="一")
    notify(user=cast.sales2, title="二")

    client_for(cast.sales1).post(reverse("web:notifications_read"), {"all": "1"})

    assert Notification.objects.get(user=cast.sales1).read_at is not None
    assert Notification.objects.get(user=cast.sales2).read_at is None


def test_healthz_still_answers(client, db):
    response = client.get(reverse("web:healthz"))

    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_chinese_by_default_even_for_an_english_browser(cast, client_for):
    """ARCHITECTURE: Chinese by default; English only by the switch or the user's setting."""
    client = client_for(cast.clerk)
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response["Content-Language"] == "zh-hans"
    assert "工作台" in response.content.decode()
    client.cookies["django_language"] = "en"
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="zh-CN")
    assert response["Content-Language"] == "en"
    assert "Dashboard" in response.content.decode()


def test_a_users_saved_language_applies_without_the_cookie(cast, client_for):
    cast.clerk.language = "en"
    cast.clerk.save(update_fields=["language"])
    response = client_for(cast.clerk).get("/")
    assert response["Content-Language"] == "en"
