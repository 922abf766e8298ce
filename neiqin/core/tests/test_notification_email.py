"""SYS-5 / ORD-6: the e-mail leg of notifications, and where a notification links to.

Mail goes through Django's real mail machinery: the locmem backend in the unit tests (the test
runner's ``mail.outbox``), the file backend in the four-process race (the children write real
message files that the test reads back).
"""

from __future__ import annotations

import datetime as dt
import email
import time
from pathlib import Path

import pytest
from django.core import mail
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from neiqin.accounts.services import user_set_notification_email
from neiqin.core import links
from neiqin.core.errors import PermissionDenied, ValidationFailed
from neiqin.core.models import Event, Notification
from neiqin.core.notifications import (
    EMAIL_CLAIM_STALE,
    EMAIL_MAX_AGE,
    EMAIL_MAX_ATTEMPTS,
    notifications_send_emails,
    notify,
)
from neiqin.core.testing import run_processes
from neiqin.customers.services import customer_create

BASE = "https://neiqin.example.cn"


@pytest.fixture
def customer(cast):
    return customer_create(
        fields={"name": "长沙宏达装饰工程有限公司", "phone": "0731-88886666", "address": "长沙市岳麓区 1 号"},
        by=cast.clerk,
        owner=cast.sales1,
    )


def _mail_to(user, address: str) -> None:
    user_set_notification_email(user=user, email=address, enabled=True, by=user)
    user.refresh_from_db()


@pytest.mark.django_db
@override_settings(NEIQIN_BASE_URL=BASE)
def test_one_notice_becomes_one_mail_with_the_link_to_its_object(cast, customer):
    _mail_to(cast.sales1, "sales1@example.cn")
    Notification.objects.update(read_at=timezone.now())  # the assignment notice of the fixture
    notice = notify(user=cast.sales1, title="订单 XS2026-00001 已变更", body="张三修改了订单：2 处变更。", obj=customer)
    run = notifications_send_emails()
    assert (run.mails, run.notifications, run.failed) == (1, 1, 0)
    (message,) = mail.outbox
    assert message.to == ["sales1@example.cn"]
    assert message.subject == "【内勤】订单 XS2026-00001 已变更"
    assert "张三修改了订单：2 处变更。" in message.body
    assert f"{BASE}{reverse('customers:detail', args=[customer.pk])}" in message.body
    assert f"{BASE}/profile/" in message.body  # how to turn it off
    notice.refresh_from_db()
    assert notice.emailed_at is not None and notice.email_claim == "" and notice.read_at is None
    assert notifications_send_emails().mails == 0  # sent once only
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_several_notices_of_one_user_go_out_as_one_digest_per_user(cast):
    _mail_to(cast.sales1, "sales1@example.cn")
    _mail_to(cast.manager, "manager@example.cn")
    for n in range(3):
        notify(user=cast.sales1, title=f"通知 {n}")
    notify(user=cast.manager, title="经理的通知")
    run = notifications_send_emails()
    assert (run.mails, run.notifications) == (2, 4)
    by_to = {m.to[0]: m for m in mail.outbox}
    assert by_to["sales1@example.cn"].subject == "【内勤】3 条新通知"
    assert all(f"通知 {n}" in by_to["sales1@example.cn"].body for n in range(3))
    assert by_to["manager@example.cn"].subject == "【内勤】经理的通知"


@pytest.mark.django_db
def test_who_and_what_is_not_mailed(cast):
    """Read in the app, too old, no address, e-mail turned off, inactive user: inbox only."""
    _mail_to(cast.sales1, "sales1@example.cn")
    _mail_to(cast.manager, "manager@example.cn")
    _mail_to(cast.finance, "finance@example.cn")
    user_set_notification_email(user=cast.manager, email="manager@example.cn", enabled=False, by=cast.manager)
    cast.finance.is_active = False
    cast.finance.save(update_fields=["is_active"])
    read = notify(user=cast.sales1, title="已读")
    read.read_at = timezone.now()
    read.save(update_fields=["read_at"])
    old = notify(user=cast.sales1, title="旧通知")
    Notification.objects.filter(pk=old.pk).update(created_at=timezone.now() - EMAIL_MAX_AGE - dt.timedelta(minutes=1))
    notify(user=cast.sales2, title="没有邮箱")
    notify(user=cast.manager, title="关闭了邮件")
    notify(user=cast.finance, title="已停用")
    assert notifications_send_emails().mails == 0
    assert mail.outbox == []
    assert not Notification.objects.filter(emailed_at__isnull=False).exists()


@pytest.mark.django_db
def test_a_failed_send_is_counted_retried_and_given_up_after_the_limit(cast):
    _mail_to(cast.sales1, "sales1@example.cn")
    notice = notify(user=cast.sales1, title="待发送")

    class Down:
        def send_messages(self, messages):
            raise ConnectionRefusedError("SMTP 127.0.0.1:25 refused")

    run = notifications_send_emails(connection=Down())
    assert (run.mails, run.failed) == (0, 1)
    notice.refresh_from_db()
    assert (notice.email_attempts, notice.emailed_at, notice.email_claim) == (1, None, "")
    assert "SMTP 127.0.0.1:25 refused" in notice.email_error
    assert notifications_send_emails().mails == 1  # the next pass retries and succeeds
    notice.refresh_from_db()
    assert notice.emailed_at is not None and notice.email_error == ""

    given_up = notify(user=cast.sales1, title="一直发不出去")
    assert notifications_send_emails(connection=Down()).failed == 1
    client = Client()
    client.force_login(cast.sales1)
    warning = client.get(reverse("web:profile")).content.decode()
    assert 'id="email-failure"' in warning and "已尝试 1 次" in warning and "SMTP 127.0.0.1:25 refused" in warning
    for _ in range(EMAIL_MAX_ATTEMPTS - 1):
        assert notifications_send_emails(connection=Down()).failed == 1
    assert notifications_send_emails().mails == 0  # not tried a sixth time
    given_up.refresh_from_db()
    assert given_up.email_attempts == EMAIL_MAX_ATTEMPTS and given_up.emailed_at is None


@pytest.mark.django_db
def test_a_claim_by_another_sender_is_respected_until_it_goes_stale(cast):
    _mail_to(cast.sales1, "sales1@example.cn")
    notice = notify(user=cast.sales1, title="另一个发送者正在发")
    now = timezone.now()
    Notification.objects.filter(pk=notice.pk).update(email_claim="other", email_claimed_at=now)
    assert notifications_send_emails(now=now + dt.timedelta(minutes=1)).mails == 0
    later = now + EMAIL_CLAIM_STALE + dt.timedelta(minutes=1)  # that sender died mid-way
    assert notifications_send_emails(now=later).mails == 1


@pytest.mark.django_db
def test_line_breaks_in_a_title_never_reach_the_subject_header(cast):
    _mail_to(cast.sales1, "sales1@example.cn")
    notify(user=cast.sales1, title="客户\r\nBcc: victim@example.com\n已变更")
    assert notifications_send_emails().mails == 1
    (message,) = mail.outbox
    assert "\n" not in message.subject and "\r" not in message.subject
    assert message.bcc == [] and "Bcc:" not in str(message.message()).split("\n\n", 1)[0].replace(message.subject, "")


@pytest.mark.django_db
def test_the_mail_frame_follows_the_users_language(cast):
    _mail_to(cast.sales1, "sales1@example.cn")
    cast.sales1.language = "en"
    cast.sales1.save(update_fields=["language"])
    notify(user=cast.sales1, title="A")
    notify(user=cast.sales1, title="B")
    notifications_send_emails()
    (message,) = mail.outbox
    assert message.subject == "[Neiqin] 2 new notifications"
    assert "Hello sales1," in message.body


# --- the settings: service and page ---------------------------------------------------------------


@pytest.mark.django_db
def test_notification_email_settings_are_validated_and_audited(cast):
    before = Event.objects.count()
    for address, enabled in (("not-an-address", True), ("", True), ("a@b@c.cn", False)):
        with pytest.raises(ValidationFailed) as info:
            user_set_notification_email(user=cast.sales1, email=address, enabled=enabled, by=cast.sales1)
        assert list(info.value.extra["fields"]) == ["email"]
    with pytest.raises(PermissionDenied):
        user_set_notification_email(user=cast.sales1, email="x@example.cn", enabled=True, by=cast.sales2)
    cast.sales1.refresh_from_db()
    assert (cast.sales1.email, cast.sales1.email_notifications) == ("", True)
    assert Event.objects.count() == before
    user_set_notification_email(user=cast.sales1, email=" s1@example.cn ", enabled=False, by=cast.admin)
    cast.sales1.refresh_from_db()
    assert (cast.sales1.email, cast.sales1.email_notifications) == ("s1@example.cn", False)
    event = Event.objects.get(action="accounts.user.notification_email")
    assert event.changes == {"email": ["", "s1@example.cn"], "email_notifications": [True, False]}


@pytest.mark.django_db
def test_profile_page_saves_the_settings_and_refuses_bad_input_with_nothing_changed(cast, client_for):
    client = client_for(cast.sales1)
    page = client.get(reverse("web:profile"))
    assert page.status_code == 200 and 'id="notification-email"' in page.content.decode()
    bad = client.post(reverse("web:notification_email"), {"email": "邮箱", "enabled": "on"})
    assert bad.status_code == 422 and "邮箱格式不正确。" in bad.content.decode()
    cast.sales1.refresh_from_db()
    assert cast.sales1.email == ""
    ok = client.post(reverse("web:notification_email"), {"email": "sales1@example.cn", "enabled": "on"})
    assert ok.status_code == 302
    cast.sales1.refresh_from_db()
    assert (cast.sales1.email, cast.sales1.email_notifications) == ("sales1@example.cn", True)
    client.post(reverse("web:notification_email"), {"email": "sales1@example.cn"})  # box unticked
    cast.sales1.refresh_from_db()
    assert cast.sales1.email_notifications is False


# --- links ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_every_object_type_that_is_notified_about_links_to_its_page(cast, customer, client_for):
    expected = {
        "customers.customer": "/customers/7/",
        "sales.salesorder": reverse("sales:order_detail", args=[7]),
        "sales.quotation": reverse("sales:quotation_detail", args=[7]),
        "sales.contract": reverse("sales:contract_detail", args=[7]),
        "sales.opportunity": reverse("sales:opportunity_detail", args=[7]),
        "stock.stockcount": reverse("stock:count_detail", args=[7]),
        "stock.productloan": reverse("stock:loan_detail", args=[7]),
        "stock.replenishmentrequest": reverse("stock:replenishment_detail", args=[7]),
        "stock.warehouse": reverse("stock:counts") + "?warehouse=7",
        "catalog.pricechange": reverse("catalog:price_change_detail", args=[7]),
    }
    for label, path in expected.items():
        assert links.object_path(label, "7") == path, label
    assert links.object_path("sales.approvalrequest", "999999") == ""  # gone: no link, no error
    assert links.object_path("sales.salesorder", "abc") == ""
    assert links.object_path("nobody.knows", "1") == ""
    # The inbox opens the object (and marks the notice read).
    notice = notify(user=cast.sales1, title="客户资料已更新", obj=customer)
    client = client_for(cast.sales1)
    assert 'name="open"' in client.get(reverse("web:notifications")).content.decode()
    opened = client.post(reverse("web:notifications_read"), {"ids": [notice.pk], "open": "1"})
    assert opened.status_code == 302 and opened["Location"] == reverse("customers:detail", args=[customer.pk])
    notice.refresh_from_db()
    assert notice.read_at is not None


# --- four senders at once (both engines) ---------------------------------------------------------


def send_worker(worker: int, folder: str, start_at: float) -> dict:
    from django.core.mail import get_connection as connect

    from neiqin.core.notifications import notifications_send_emails as send

    while time.time() < start_at:
        time.sleep(0.005)
    connection = connect("django.core.mail.backends.filebased.EmailBackend", file_path=folder)
    total = {"mails": 0, "notifications": 0}
    for _ in range(12):
        run = send(connection=connection, limit=10)
        total["mails"] += run.mails
        total["notifications"] += run.notifications
    return total


@pytest.mark.concurrency
@pytest.mark.django_db(transaction=True)
def test_four_senders_at_once_mail_every_notice_exactly_once(cast, tmp_path):
    users = [cast.sales1, cast.sales2, cast.manager, cast.clerk, cast.gm]
    for user in users:
        _mail_to(user, f"{user.username}@example.cn")
    titles = set()
    for n in range(120):
        title = f"通知 #{n:03d}"
        titles.add(title)
        notify(user=users[n % len(users)], title=title)
    start_at = time.time() + 3.0
    results = run_processes(send_worker, [(w, str(tmp_path / f"w{w}"), start_at) for w in range(4)])

    assert sum(r["notifications"] for r in results) == 120
    seen = []
    for path in sorted(tmp_path.rglob("*.log")):
        for raw in Path(path).read_text(encoding="utf-8").split("-" * 79):
            if raw.strip():
                assert email.message_from_string(raw.strip())["To"].endswith("@example.cn")
                seen.extend(line[2:] for line in raw.splitlines() if line.startswith("■ "))
    assert sorted(seen) == sorted(titles)  # every notice once, none twice
    assert Notification.objects.filter(emailed_at__isnull=True).count() == 0
    assert mail.outbox == []  # this process sent nothing itself
