"""Order import pages: upload → preview with row errors → commit (draft orders) or discard."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import URLResolver, include, path, reverse
from django.utils import timezone

from neiqin import urls as root_urls
from neiqin.core.models import ImportBatch
from neiqin.sales import urls as sales_urls
from neiqin.sales.choices import OrderStatus
from neiqin.sales.models import SalesOrder
from neiqin.sales.tests.test_imports import csv_bytes, row
from neiqin.sales.views import imports as import_views


def _urlpatterns() -> list:
    """The project's URLs with the import pages in the sales namespace (whether or not
    ``sales/urls.py`` lists them already)."""
    names = {getattr(p, "name", None) for p in sales_urls.urlpatterns}
    extra = [p for p in import_views.urlpatterns if p.name not in names]
    patterns = []
    for entry in root_urls.urlpatterns:
        if isinstance(entry, URLResolver) and entry.app_name == "sales":
            patterns.append(path("sales/", include(([*sales_urls.urlpatterns, *extra], "sales"))))
        else:
            patterns.append(entry)
    return patterns


urlpatterns = _urlpatterns()

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


def _file(world, ref: str = "HD-1", qty: str = "5") -> bytes:
    delivery = (timezone.localdate() + dt.timedelta(days=5)).isoformat()
    return csv_bytes(
        [
            row(name=world.acme.name, ref=ref, channel="传真", delivery=delivery, model="QH-1201", qty=qty),
            row(name=world.acme.name, ref=ref, channel="传真", delivery=delivery, model="SM-D01", qty="1"),
        ]
    )


def _upload(client, data: bytes, name: str = "orders.csv"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(reverse("sales:import"), {"file": SimpleUploadedFile(name, data, content_type="text/csv")})


@pytest.mark.parametrize("role", ["clerk", "admin"])
def test_the_desk_uploads_previews_and_commits_an_order_file(world, client_for, role):
    client = client_for(world.cast.by_name(role))
    page = client.get(reverse("sales:import"))
    assert page.status_code == 200 and "导入订单" in page.content.decode()
    template = client.get(reverse("sales:import_template"))
    assert template.status_code == 200 and template["Content-Type"].startswith("application/vnd.openxmlformats")

    response = _upload(client, _file(world))
    assert response.status_code == 302
    batch = ImportBatch.objects.get(kind="orders")
    assert response["Location"] == reverse("sales:import_batch", args=[batch.pk])
    preview = client.get(response["Location"])
    text = preview.content.decode()
    assert preview.status_code == 200 and world.acme.name in text and "HD-1" in text
    assert SalesOrder.objects.count() == 0

    done = client.post(reverse("sales:import_commit", args=[batch.pk]))
    assert done.status_code == 302
    order = SalesOrder.objects.get()
    assert order.status == OrderStatus.DRAFT and order.lines.count() == 2 and order.customer_reference == "HD-1"
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.COMMITTED
    again = client.post(reverse("sales:import_commit", args=[batch.pk]), follow=True)
    assert "已经导入" in again.content.decode() and SalesOrder.objects.count() == 1


def test_a_file_with_errors_shows_them_and_can_be_discarded(world, client_for):
    client = client_for(world.cast.clerk)
    response = _upload(client, _file(world, qty="-3"))
    batch = ImportBatch.objects.get(kind="orders")
    assert batch.status == ImportBatch.Status.REJECTED
    page = client.get(response["Location"]).content.decode()
    assert "数量不能为负数" in page
    client.post(reverse("sales:import_discard", args=[batch.pk]))
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.DISCARDED and SalesOrder.objects.count() == 0


def test_a_file_without_the_required_columns_is_refused_with_a_message(world, client_for):
    client = client_for(world.cast.clerk)
    response = _upload(client, csv_bytes([["x"]], header=["客户名称"]))
    assert response.status_code == 422
    assert "要求交货日期" in response.content.decode()
    assert not ImportBatch.objects.exists()


@pytest.mark.parametrize("role", ["sales1", "manager", "finance", "warehouse", "gm", "deputy"])
def test_other_roles_cannot_open_the_import(world, client_for, role):
    client = client_for(world.cast.by_name(role))
    assert client.get(reverse("sales:import")).status_code == 403
    assert client.get(reverse("sales:import_template")).status_code == 403


def test_a_clerk_does_not_see_another_users_batch(world, client_for):
    admin = client_for(world.cast.admin)
    _upload(admin, _file(world))
    batch = ImportBatch.objects.get(kind="orders")
    clerk = client_for(world.cast.clerk)
    assert clerk.get(reverse("sales:import_batch", args=[batch.pk])).status_code == 404
    assert clerk.post(reverse("sales:import_commit", args=[batch.pk])).status_code == 404
    assert SalesOrder.objects.count() == 0
