"""Customer pages: scope, audit of views, forms with service errors, pool, htmx fragments."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from neiqin.accounts.services import user_create
from neiqin.core.identifiers import make_uscc
from neiqin.core.models import Event
from neiqin.customers import services
from neiqin.customers.choices import Stage
from neiqin.customers.models import Contact, Customer

LIST = reverse("customers:list")


def _customer(cast, name: str, owner=None, **fields):
    return services.customer_create(fields={"name": name, **fields}, by=cast.clerk, owner=owner)


def _table(response) -> str:
    """The customer table of the list page (the navbar shows the company name, which may look alike)."""
    return response.content.decode().split('id="customer-table"', 1)[-1]


def _detail(customer: Customer) -> str:
    return reverse("customers:detail", args=[customer.pk])


@pytest.fixture
def two_files(cast):
    mine = _customer(cast, "涵瑞建筑装饰有限公司", owner=cast.sales1, short_name="涵瑞")
    theirs = _customer(cast, "郑州华达贸易有限公司", owner=cast.sales2)
    return mine, theirs


# ---- list ---------------------------------------------------------------------------------------


def test_salesperson_list_shows_own_customers_only(cast, client_for, two_files):
    mine, theirs = two_files

    response = client_for(cast.sales1).get(LIST)

    table = _table(response)
    assert response.status_code == 200
    assert "<title>客户 - 内勤</title>" in response.content.decode()
    assert mine.name in table
    assert theirs.name not in table


def test_list_search_by_pinyin_initials(cast, client_for, two_files):
    mine, theirs = two_files

    table = _table(client_for(cast.clerk).get(LIST, {"q": "hrjz"}))

    assert mine.name in table
    assert theirs.name not in table


def test_list_filters_by_stage(cast, client_for, two_files):
    mine, theirs = two_files
    services.customer_set_stage(customer=theirs, stage=Stage.INTENDED, by=cast.clerk)

    table = _table(client_for(cast.clerk).get(LIST, {"stage": "intended"}))

    assert theirs.name in table
    assert mine.name not in table


def test_invalid_filter_value_is_ignored_not_an_error(cast, client_for, two_files):
    response = client_for(cast.clerk).get(LIST, {"grade": "Z", "page_size": "abc"})

    assert response.status_code == 200
    assert "部分筛选条件无效" in response.content.decode()


def test_htmx_list_request_returns_only_the_table_fragment(cast, client_for, two_files):
    mine, _theirs = two_files

    response = client_for(cast.clerk).get(LIST, {"q": "涵瑞"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="customer-table")

    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body and 'customer-filters"' in body
    assert mine.name in body
    assert "<table" in body
    assert "HX-Request" in response["Vary"]


def test_bad_sort_parameter_shows_the_error_instead_of_failing(cast, client_for, two_files):
    mine, _theirs = two_files

    response = client_for(cast.clerk).get(LIST, {"sort": "password"})

    body = response.content.decode()
    assert response.status_code == 200
    assert "不支持的排序方式" in body
    assert mine.name in body


def test_sorting_by_name(cast, client_for, two_files):
    table = _table(client_for(cast.clerk).get(LIST, {"sort": "-name"}))

    assert table.index("郑州华达") < table.index("涵瑞建筑")


def test_page_size_is_capped_at_200(cast, client_for, two_files):
    response = client_for(cast.clerk).get(LIST, {"page_size": "5000"})

    assert response.context["page"].paginator.per_page == 200


@pytest.mark.parametrize(("viewer", "budget", "rows"), [("clerk", 13, 50), ("manager", 16, 30), ("sales1", 13, 30)])
def test_list_query_count_does_not_grow_with_rows(
    cast, client_for, django_assert_max_num_queries, viewer, budget, rows
):
    for number in range(60):
        owner = cast.sales1 if number % 2 else cast.sales2
        _customer(cast, f"测试客户{number:02d}有限公司", owner=owner, province="湖南", city="长沙")
    client = client_for(cast.by_name(viewer))

    # session, user, roles, unread badge, provinces, regions, teams, owners, count, rows, and the
    # session save (savepoint, update, release); a manager adds the team lookup, a salesperson
    # has no team/owner filters; managers and salespeople also look up their explicit grants (list
    # and filter options). None of them per row.
    with django_assert_max_num_queries(budget):
        response = client.get(LIST, {"q": "测试", "sort": "name"})

    assert response.status_code == 200
    assert len(response.context["page"].object_list) == rows


def test_empty_list_shows_the_empty_state(cast, client_for):
    body = client_for(cast.clerk).get(LIST).content.decode()

    assert "还没有客户档案" in body


# ---- detail -------------------------------------------------------------------------------------------


def test_detail_outside_scope_is_404(cast, client_for, two_files):
    _mine, theirs = two_files

    response = client_for(cast.sales1).get(_detail(theirs))

    assert response.status_code == 404
    assert theirs.name not in response.content.decode()


@pytest.mark.parametrize("viewer", ["manager2", "clerk"])
def test_detail_inside_scope_renders(cast, client_for, two_files, viewer):
    _mine, theirs = two_files

    response = client_for(cast.by_name(viewer)).get(_detail(theirs))

    assert response.status_code == 200
    assert theirs.name in response.content.decode()


def test_detail_view_is_audited(cast, client_for, two_files):
    mine, _theirs = two_files

    client_for(cast.sales1).get(_detail(mine))

    event = Event.objects.get(action="customers.customer.viewed", object_id=str(mine.pk))
    assert event.actor == cast.sales1
    assert event.channel == "web"


def test_detail_history_shows_field_names_and_before_after(cast, client_for, two_files):
    mine, _theirs = two_files
    services.customer_update(customer=mine, fields={"phone": "0731-8888 1234"}, by=cast.clerk)

    body = client_for(cast.clerk).get(_detail(mine)).content.decode()

    assert "修改资料" in body
    assert "电话" in body
    assert "073188881234" in body


def test_detail_buttons_follow_the_rules(cast, client_for, two_files):
    mine, _theirs = two_files

    sales_body = client_for(cast.sales1).get(_detail(mine)).content.decode()

    assert reverse("customers:acknowledge", args=[mine.pk]) in sales_body
    assert reverse("customers:assign", args=[mine.pk]) not in sales_body
    assert reverse("customers:edit", args=[mine.pk]) in sales_body


def test_warehouse_sees_no_customer_file(cast, client_for, two_files):
    mine, _theirs = two_files

    assert client_for(cast.warehouse).get(_detail(mine)).status_code == 404


# ---- create and edit ------------------------------------------------------------------------------------


def test_create_via_form_creates_the_customer(cast, client_for):
    response = client_for(cast.clerk).post(
        reverse("customers:create"),
        {
            "name": "长沙新材料科技有限公司",
            "kind": "enterprise",
            "industry": "manufacturing",
            "grade": "B",
            "credit_code": make_uscc("91430100MA4L12345"),
            "phone": "0731-8888 1234",
            "owner": cast.sales1.pk,
        },
    )

    customer = Customer.objects.get(name="长沙新材料科技有限公司")
    assert response.status_code == 302
    assert response.url == _detail(customer)
    assert customer.owner == cast.sales1
    assert customer.grade == "B"
    assert customer.phone == "073188881234"


def test_salesperson_creating_a_customer_owns_it(cast, client_for):
    client_for(cast.sales1).post(reverse("customers:create"), {"name": "岳麓装饰工程有限公司"})

    assert Customer.objects.get(name="岳麓装饰工程有限公司").owner == cast.sales1


def test_invalid_credit_code_rerenders_with_the_chinese_field_error(cast, client_for):
    response = client_for(cast.clerk).post(
        reverse("customers:create"),
        {
            "name": "长沙新材料科技有限公司",
            "kind": "enterprise",
            "industry": "other",
            "grade": "C",
            "credit_code": "91430100MA4L123450",
        },
    )

    body = response.content.decode()
    assert response.status_code == 422
    assert "统一社会信用代码校验位错误" in body
    assert 'value="长沙新材料科技有限公司"' in body
    assert not Customer.objects.exists()


def test_duplicate_name_is_a_form_level_error(cast, client_for, two_files):
    response = client_for(cast.clerk).post(
        reverse("customers:create"),
        {"name": "涵瑞建筑装饰有限责任公司", "kind": "enterprise", "industry": "other", "grade": "C"},
    )

    assert response.status_code == 422
    assert "重复" in response.content.decode()
    assert Customer.objects.count() == 2


def test_credit_fields_only_for_roles_that_may_set_credit(cast, client_for):
    clerk_form = client_for(cast.clerk).get(reverse("customers:create")).content.decode()
    gm_form = client_for(cast.gm).get(reverse("customers:create")).content.decode()

    assert 'name="credit_limit"' not in clerk_form
    assert 'name="credit_limit"' in gm_form


def test_credit_fields_posted_by_a_clerk_are_ignored(cast, client_for):
    client_for(cast.clerk).post(
        reverse("customers:create"),
        {
            "name": "长沙新材料科技有限公司",
            "kind": "enterprise",
            "industry": "other",
            "grade": "C",
            "credit_limit": "900000",
            "payment_mode": "monthly",
        },
    )

    customer = Customer.objects.get()
    assert str(customer.credit_limit) == "0.00"
    assert customer.payment_mode == "prepay"


def test_edit_saves_changes(cast, client_for, two_files):
    mine, _theirs = two_files
    client = client_for(cast.sales1)
    form = client.get(reverse("customers:edit", args=[mine.pk])).context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None and k != "is_vip"}
    data.update(city="长沙", grade="A")

    response = client.post(reverse("customers:edit", args=[mine.pk]), data)

    assert response.status_code == 302
    mine.refresh_from_db()
    assert (mine.city, mine.grade, mine.version) == ("长沙", "A", 2)


def test_edit_with_stale_version_shows_conflict_and_changes_nothing(cast, client_for, two_files):
    mine, _theirs = two_files
    stale_version = mine.version
    services.customer_update(customer=mine, fields={"city": "株洲"}, by=cast.clerk)

    response = client_for(cast.sales1).post(
        reverse("customers:edit", args=[mine.pk]),
        {
            "version": stale_version,
            "name": mine.name,
            "kind": "enterprise",
            "industry": "other",
            "grade": "C",
            "city": "长沙",
        },
    )

    body = response.content.decode()
    assert response.status_code == 409
    assert "已被 clerk" in body and "修改" in body
    mine.refresh_from_db()
    assert mine.city == "株洲"
    assert mine.version == stale_version + 1


def test_edit_outside_scope_is_404(cast, client_for, two_files):
    _mine, theirs = two_files

    response = client_for(cast.sales1).post(reverse("customers:edit", args=[theirs.pk]), {"name": "x"})

    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.name == "郑州华达贸易有限公司"


def test_finance_may_not_create_customers(cast, client_for):
    response = client_for(cast.finance).get(reverse("customers:create"))

    assert response.status_code == 403


# ---- actions -------------------------------------------------------------------------------------------


def test_assign_by_clerk(cast, client_for):
    pooled = _customer(cast, "长沙公海客户有限公司")

    response = client_for(cast.clerk).post(
        reverse("customers:assign", args=[pooled.pk]), {"owner": cast.sales2.pk, "reason": "就近"}
    )

    assert response.status_code == 302
    pooled.refresh_from_db()
    assert pooled.owner == cast.sales2


def test_release_without_reason_is_refused(cast, client_for, two_files):
    mine, _theirs = two_files
    client = client_for(cast.sales1)

    response = client.post(reverse("customers:release", args=[mine.pk]), {"reason": " "}, follow=True)

    assert "请填写退回公海的原因" in response.content.decode()
    mine.refresh_from_db()
    assert mine.owner == cast.sales1


def test_release_with_reason_goes_back_to_the_list(cast, client_for, two_files):
    mine, _theirs = two_files

    response = client_for(cast.sales1).post(reverse("customers:release", args=[mine.pk]), {"reason": "无需求"})

    assert response.url == LIST
    mine.refresh_from_db()
    assert mine.owner is None


def test_stage_lost_needs_a_reason(cast, client_for, two_files):
    mine, _theirs = two_files
    client = client_for(cast.sales1)

    response = client.post(reverse("customers:stage", args=[mine.pk]), {"stage": "lost"}, follow=True)

    assert "请填写未成交或流失的原因" in response.content.decode()
    mine.refresh_from_db()
    assert mine.stage == Stage.POTENTIAL

    client.post(reverse("customers:stage", args=[mine.pk]), {"stage": "lost", "reason": "价格太高"})

    mine.refresh_from_db()
    assert (mine.stage, mine.lost_reason) == (Stage.LOST, "价格太高")


def test_record_follow_up(cast, client_for, two_files):
    mine, _theirs = two_files

    client_for(cast.sales1).post(reverse("customers:follow_up", args=[mine.pk]), {"next_contact_on": "2031-05-06"})

    mine.refresh_from_db()
    assert mine.last_contact_at is not None
    assert str(mine.next_contact_on) == "2031-05-06"


def test_key_date_add(cast, client_for, two_files):
    mine, _theirs = two_files

    client_for(cast.sales1).post(
        reverse("customers:key_date_add", args=[mine.pk]),
        {"kind": "lease_expiry", "date": "2031-03-31", "note": "办公室租约"},
    )

    key_date = mine.key_dates.get()
    assert key_date.remind_days_before == 150


def test_actions_are_post_only(cast, client_for, two_files):
    mine, _theirs = two_files

    response = client_for(cast.sales1).get(reverse("customers:acknowledge", args=[mine.pk]))

    assert response.status_code == 405


# ---- contacts ---------------------------------------------------------------------------------------------


def test_contact_add_by_htmx_returns_the_contacts_table(cast, client_for, two_files):
    mine, _theirs = two_files

    response = client_for(cast.sales1).post(
        reverse("customers:contact_create", args=[mine.pk]),
        {"name": "王经理", "mobile": "138 0013 8000", "is_primary": "on"},
        HTTP_HX_REQUEST="true",
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#contacts"
    assert response["HX-Trigger"] == "neiqin:modal-close"
    assert 'id="contacts"' in body and "138 0013 8000" in body
    assert mine.contacts.get().is_primary is True


def test_contact_with_bad_phone_rerenders_the_form_with_422(cast, client_for, two_files):
    mine, _theirs = two_files

    response = client_for(cast.sales1).post(
        reverse("customers:contact_create", args=[mine.pk]),
        {"name": "王经理", "mobile": "abc"},
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 422
    assert "电话号码" in response.content.decode()
    assert not Contact.objects.exists()


def test_contact_edit_and_delete_without_htmx(cast, client_for, two_files):
    mine, _theirs = two_files
    contact = services.contact_create(customer=mine, fields={"name": "王经理"}, by=cast.sales1)
    client = client_for(cast.sales1)

    client.post(reverse("customers:contact_edit", args=[mine.pk, contact.pk]), {"name": "王总", "title": "总经理"})
    contact.refresh_from_db()
    assert (contact.name, contact.title) == ("王总", "总经理")

    response = client.post(reverse("customers:contact_delete", args=[mine.pk, contact.pk]))
    assert response.url == _detail(mine)
    assert not Contact.objects.exists()


def test_contact_of_another_customer_is_404(cast, client_for, two_files):
    mine, theirs = two_files
    contact = services.contact_create(customer=theirs, fields={"name": "李经理"}, by=cast.sales2)

    response = client_for(cast.sales1).post(reverse("customers:contact_delete", args=[mine.pk, contact.pk]))

    assert response.status_code == 404
    assert Contact.objects.filter(pk=contact.pk).exists()


# ---- pool -------------------------------------------------------------------------------------------------


def test_pool_claim_and_a_second_claim_gets_the_conflict_message(cast, client_for):
    pooled = _customer(cast, "长沙公海客户有限公司")
    claim = reverse("customers:claim", args=[pooled.pk])

    assert pooled.name in client_for(cast.sales1).get(reverse("customers:pool")).content.decode()
    first = client_for(cast.sales1).post(claim)
    second = client_for(cast.sales2).post(claim, follow=True)

    assert first.url == _detail(pooled)
    assert "已被" in second.content.decode()
    pooled.refresh_from_db()
    assert pooled.owner == cast.sales1


def test_pool_search_fragment(cast, client_for):
    _customer(cast, "长沙公海客户有限公司")
    _customer(cast, "郑州其他客户有限公司")

    response = client_for(cast.sales1).get(
        reverse("customers:pool"), {"q": "长沙"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="pool-table"
    )

    body = response.content.decode()
    assert "<html" not in body
    assert "长沙公海客户" in body and "郑州其他客户" not in body


# ---- import and export ------------------------------------------------------------------------------------


def test_import_is_for_clerks_and_admins_only(cast, client_for):
    assert client_for(cast.sales1).get(reverse("customers:import")).status_code == 403


def test_export_is_refused_to_finance(cast, client_for):
    assert client_for(cast.finance).get(reverse("customers:export"), {"fmt": "csv"}).status_code == 403


def test_export_returns_an_attachment_of_the_users_scope_and_is_audited(cast, client_for, two_files):
    mine, theirs = two_files

    response = client_for(cast.sales1).get(reverse("customers:export"), {"fmt": "csv", "q": "涵瑞"})

    text = response.content.decode("utf-8-sig")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert mine.name in text and theirs.name not in text
    event = Event.objects.get(action="customers.customer.exported")
    assert event.actor == cast.sales1


def test_export_with_unknown_format_goes_back_with_a_message(cast, client_for, two_files):
    response = client_for(cast.clerk).get(reverse("customers:export"), {"fmt": "pdf"}, follow=True)

    assert "不支持的导出格式" in response.content.decode()
    assert not Event.objects.filter(action="customers.customer.exported").exists()


def _upload(name: str, text: str):
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


GOOD_CSV = (
    "客户名称,客户等级,省份,城市,电话\n"
    "株洲天元机电有限公司,B,湖南,株洲,0731-2255 0101\n"
    "衡阳雁城商贸有限公司,C,湖南,衡阳,0734-8255 0102\n"
)
BAD_CSV = "客户名称,客户等级,电话\n错误客户一,Z,abc\n正确客户二,C,0731-8555 0004\n"


def test_import_preview_then_commit(cast, client_for):
    client = client_for(cast.clerk)

    response = client.post(reverse("customers:import"), {"file": _upload("客户.csv", GOOD_CSV)})
    preview = client.get(response.url)

    body = preview.content.decode()
    assert response.status_code == 302
    assert "株洲天元机电有限公司" in body and "确认导入" in body
    assert not Customer.objects.exists()

    batch_id = preview.context["batch"].pk
    client.post(reverse("customers:import_commit", args=[batch_id]))

    assert set(Customer.objects.values_list("name", flat=True)) == {"株洲天元机电有限公司", "衡阳雁城商贸有限公司"}


def test_import_with_row_errors_lists_them_and_offers_no_commit(cast, client_for):
    client = client_for(cast.clerk)

    response = client.post(reverse("customers:import"), {"file": _upload("客户.csv", BAD_CSV)}, follow=True)

    body = response.content.decode()
    errors = response.context["errors"]
    assert {(e["row"], e["column"]) for e in errors} >= {(2, "客户等级"), (2, "电话")}
    assert "错误明细" in body
    assert "确认导入" not in body
    assert not Customer.objects.exists()


def test_import_discard_writes_nothing(cast, client_for):
    client = client_for(cast.clerk)
    staged = client.get(client.post(reverse("customers:import"), {"file": _upload("a.csv", GOOD_CSV)}).url)
    batch = staged.context["batch"]

    response = client.post(reverse("customers:import_discard", args=[batch.pk]))

    assert response.url == reverse("customers:import")
    batch.refresh_from_db()
    assert batch.status == "discarded"
    assert not Customer.objects.exists()


def test_import_rejects_a_file_that_is_not_a_table(cast, client_for):
    response = client_for(cast.clerk).post(
        reverse("customers:import"), {"file": _upload("x.csv", "<html><body>hi</body></html>")}
    )

    assert response.status_code == 422
    assert 'id="import-error"' in response.content.decode()


def test_import_template_download(cast, client_for):
    response = client_for(cast.clerk).get(reverse("customers:import_template"))

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response.content[:2] == b"PK"


def test_batches_of_other_users_are_404(cast, client_for):
    client = client_for(cast.clerk)
    staged = client.get(client.post(reverse("customers:import"), {"file": _upload("a.csv", GOOD_CSV)}).url)
    batch = staged.context["batch"]
    other_clerk = user_create(
        username="clerk2", password="demo1234", role_codes=["clerk"], by=None, check_password=False
    )

    assert client_for(other_clerk).get(reverse("customers:import_batch", args=[batch.pk])).status_code == 404


def test_gm_sets_credit_terms_through_the_edit_form(cast, client_for, two_files):
    mine, _theirs = two_files
    client = client_for(cast.gm)
    form = client.get(reverse("customers:edit", args=[mine.pk])).context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None and k != "is_vip"}
    data.update(credit_limit="200,000.00", payment_mode="monthly", payment_term_days="30")

    response = client.post(reverse("customers:edit", args=[mine.pk]), data)

    assert response.status_code == 302
    mine.refresh_from_db()
    assert (str(mine.credit_limit), mine.payment_mode, mine.payment_term_days) == ("200000.00", "monthly", 30)
