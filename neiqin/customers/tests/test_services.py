import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from neiqin.core.errors import Conflict, InvalidTransition, PermissionDenied, ValidationFailed
from neiqin.core.identifiers import make_uscc
from neiqin.core.models import Event, Notification
from neiqin.customers import services
from neiqin.customers.models import Assignment, Contact, Customer
from neiqin.customers.selectors import (
    CustomerFilters,
    customer_get_for_user,
    customer_list,
    find_by_phone,
    handover_overdue,
    pool_list,
)

pytestmark = pytest.mark.django_db


def make(cast, name="长沙涵瑞建筑装饰有限公司", owner=None, by=None, **fields):
    return services.customer_create(fields={"name": name, **fields}, by=by or cast.clerk, owner=owner)


def events(customer, action):
    return Event.objects.filter(object_type="customers.customer", object_id=str(customer.pk), action=action)


# ---- create ----------------------------------------------------------------------------------


def test_clerk_creates_a_numbered_customer_in_the_pool(cast):
    customer = make(cast)
    assert customer.code.startswith("KH") and customer.code.endswith("-00001")
    assert customer.owner is None and customer.pooled_at is not None
    assert events(customer, "customers.customer.created").count() == 1


def test_salesperson_owns_what_they_create_and_it_is_acknowledged(cast):
    customer = make(cast, by=cast.sales1)
    assert customer.owner == cast.sales1 and customer.team == cast.team_a
    assert customer.acknowledged_at is not None


def test_missing_name_is_refused_and_nothing_is_written(cast):
    with pytest.raises(ValidationFailed) as exc:
        services.customer_create(fields={"name": "  "}, by=cast.clerk)
    assert "客户名称" in str(exc.value.message)
    assert Customer.objects.count() == 0 and not Event.objects.filter(action__startswith="customers.").exists()


def test_bad_credit_code_names_the_problem(cast):
    good = make_uscc("91430100MA4L000001"[:17])
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    with pytest.raises(ValidationFailed) as exc:
        make(cast, credit_code=bad)
    assert "credit_code" in exc.value.extra["fields"]
    assert "校验" in exc.value.extra["fields"]["credit_code"][0]
    assert Customer.objects.count() == 0


def test_unknown_and_read_only_fields_are_refused(cast):
    with pytest.raises(ValidationFailed) as exc:
        services.customer_create(
            fields={"name": "甲公司", "owner": cast.sales1.pk, "code": "X", "version": 9}, by=cast.clerk
        )
    assert set(exc.value.extra["fields"]) == {"owner", "code", "version"}
    assert Customer.objects.count() == 0


def test_only_finance_or_gm_set_credit_terms(cast):
    with pytest.raises(PermissionDenied):
        make(cast, by=cast.sales1, credit_limit=Decimal("50000.00"))
    customer = make(cast, by=cast.gm, credit_limit=Decimal("50000.00"), payment_mode="monthly")
    assert customer.credit_limit == Decimal("50000.00")


@pytest.mark.parametrize("value", [1.5, "abc", "-1", "1e400", "NaN", "12.345", True])
def test_credit_limit_must_be_a_plain_non_negative_amount(cast, value):
    with pytest.raises(ValidationFailed):
        make(cast, by=cast.gm, credit_limit=value)
    assert Customer.objects.count() == 0


def test_assigning_to_someone_who_is_not_a_salesperson_is_refused(cast):
    with pytest.raises(ValidationFailed):
        make(cast, owner=cast.finance)
    assert Customer.objects.count() == 0


# ---- duplicates (CUS-6) ----------------------------------------------------------------------


def test_duplicate_by_normalised_name_names_the_existing_customer(cast):
    first = make(cast, name="长沙涵瑞（建筑）有限责任公司", owner=cast.sales1)
    with pytest.raises(ValidationFailed) as exc:
        make(cast, name="长沙 涵瑞(建筑)有限公司")
    assert exc.value.code == "duplicate_customer"
    assert first.code in str(exc.value.message) and "sales1" in str(exc.value.message)
    assert Customer.objects.count() == 1


def test_duplicate_by_credit_code(cast):
    code = make_uscc("91430100MA4L3C2X1")
    make(cast, name="甲公司", credit_code=code)
    with pytest.raises(ValidationFailed, match="统一社会信用代码相同"):
        make(cast, name="乙公司", credit_code=code.lower())


def test_duplicate_by_phone_of_a_contact(cast):
    first = make(cast, name="甲公司")
    services.contact_create(customer=first, fields={"name": "张伟", "mobile": "138 0013 8000"}, by=cast.clerk)
    with pytest.raises(ValidationFailed, match="电话号码相同"):
        make(cast, name="乙公司", phone="+86 13800138000")


# ---- update and optimistic locking --------------------------------------------------------------


def test_update_audits_before_and_after_and_bumps_version(cast):
    customer = make(cast, owner=cast.sales1)
    updated = services.customer_update(
        customer=customer, fields={"grade": "A", "city": "长沙"}, by=cast.clerk, expected_version=customer.version
    )
    assert updated.version == customer.version + 1
    event = events(customer, "customers.customer.updated").get()
    assert event.changes == {"grade": ["C", "A"], "city": ["", "长沙"]}


def test_stale_version_is_refused_with_who_and_when(cast):
    customer = make(cast, owner=cast.sales1)
    services.customer_update(customer=customer, fields={"city": "长沙"}, by=cast.sales1, expected_version=1)
    with pytest.raises(Conflict) as exc:
        services.customer_update(customer=customer, fields={"city": "株洲"}, by=cast.clerk, expected_version=1)
    assert "sales1" in str(exc.value.message)
    customer.refresh_from_db()
    assert customer.city == "长沙"


def test_owner_is_notified_when_someone_else_changes_the_address(cast):
    customer = make(cast, owner=cast.sales1)
    services.customer_update(customer=customer, fields={"address": "岳麓区麓谷大道 1 号"}, by=cast.clerk)
    note = Notification.objects.get(user=cast.sales1, title__contains="客户资料已更新")
    assert "详细地址" in note.body


def test_salesperson_cannot_edit_a_colleagues_customer(cast):
    customer = make(cast, owner=cast.sales2)
    with pytest.raises(PermissionDenied):
        services.customer_update(customer=customer, fields={"city": "郑州"}, by=cast.sales1)


# ---- assignment, handover, pool (CUS-3) -------------------------------------------------------------


def test_assignment_sets_a_deadline_notifies_and_is_acknowledged(cast, settings):
    settings.NEIQIN_HANDOVER_HOURS = 24
    customer = make(cast)
    customer = services.customer_assign(customer=customer, owner=cast.sales1, by=cast.clerk, reason="新客户")
    assert customer.handover_due_at - customer.assigned_at == dt.timedelta(hours=24)
    assert Notification.objects.filter(user=cast.sales1, title__contains="新分配客户").exists()
    with pytest.raises(PermissionDenied):
        services.customer_acknowledge(customer=customer, by=cast.sales2)
    customer = services.customer_acknowledge(customer=customer, by=cast.sales1)
    assert customer.acknowledged_at is not None
    assert Assignment.objects.get(customer=customer, kind="assign").acknowledged_at is not None
    with pytest.raises(Conflict):
        services.customer_acknowledge(customer=customer, by=cast.sales1)


def test_overdue_handovers_are_listed(cast, settings):
    settings.NEIQIN_HANDOVER_HOURS = 0
    customer = services.customer_assign(customer=make(cast), owner=cast.sales1, by=cast.clerk)
    assert list(handover_overdue(user=cast.clerk)) == [customer]


def test_reassignment_keeps_history_and_revokes_the_previous_owner(cast):
    customer = make(cast, owner=cast.sales1)
    assert customer_get_for_user(user=cast.sales1, pk=customer.pk) == customer
    services.customer_assign(customer=customer, owner=cast.sales2, by=cast.clerk, reason="区域调整")
    with pytest.raises(Exception, match="不存在"):
        customer_get_for_user(user=cast.sales1, pk=customer.pk)
    kinds = list(Assignment.objects.filter(customer=customer).order_by("id").values_list("kind", flat=True))
    assert kinds == ["assign", "reassign"]
    assert events(customer, "customers.customer.assigned").get().changes["owner"] == [cast.sales1.pk, cast.sales2.pk]


def test_managers_assign_only_within_their_teams(cast):
    customer = make(cast, owner=cast.sales1)
    with pytest.raises(PermissionDenied, match="本团队"):
        services.customer_assign(customer=customer, owner=cast.sales2, by=cast.manager)
    services.customer_assign(customer=customer, owner=cast.manager, by=cast.manager)
    assert Customer.objects.get(pk=customer.pk).owner == cast.manager


def test_a_salesperson_cannot_create_a_customer_for_someone_else(cast):
    with pytest.raises(PermissionDenied):
        make(cast, owner=cast.sales2, by=cast.sales1)
    assert Customer.objects.count() == 0


def test_salespeople_cannot_assign(cast):
    with pytest.raises(PermissionDenied):
        services.customer_assign(customer=make(cast), owner=cast.sales1, by=cast.sales2)


def test_claim_from_pool_first_come_first_served(cast):
    customer = make(cast)
    assert list(pool_list(user=cast.sales1)) == [customer]
    services.customer_claim(customer=customer, by=cast.sales1)
    with pytest.raises(Conflict, match="已被"):
        services.customer_claim(customer=customer, by=cast.sales2)
    assert list(pool_list(user=cast.sales2)) == []
    assert Customer.objects.get(pk=customer.pk).owner == cast.sales1


def test_finance_cannot_claim_and_warehouse_sees_no_pool(cast):
    customer = make(cast)
    with pytest.raises(PermissionDenied):
        services.customer_claim(customer=customer, by=cast.finance)
    assert list(pool_list(user=cast.warehouse)) == []


def test_release_needs_a_reason_and_returns_to_pool(cast):
    customer = make(cast, owner=cast.sales1)
    with pytest.raises(ValidationFailed):
        services.customer_release(customer=customer, by=cast.sales1, reason=" ")
    services.customer_release(customer=customer, by=cast.sales1, reason="客户无需求")
    customer.refresh_from_db()
    assert customer.owner is None and customer.pooled_at is not None


def test_auto_return_after_n_days_without_follow_up(cast):
    stale = make(cast, name="久未跟进公司", owner=cast.sales1)
    fresh = make(cast, name="刚跟进公司", owner=cast.sales1)
    signed = make(cast, name="已签约公司", owner=cast.sales1)
    services.customer_set_stage(customer=signed, stage="signed", by=cast.sales1)
    services.customer_record_contact(customer=fresh, by=cast.sales1)
    later = timezone.now() + dt.timedelta(days=91)
    Customer.objects.filter(pk=fresh.pk).update(last_contact_at=later - dt.timedelta(days=5))
    assert services.pool_auto_return(now=later, days=90) == 1
    stale.refresh_from_db()
    assert stale.owner is None
    assert Assignment.objects.filter(customer=stale, kind="auto_release").exists()
    assert Customer.objects.get(pk=fresh.pk).owner == cast.sales1
    assert Customer.objects.get(pk=signed.pk).owner == cast.sales1


# ---- stage (CUS-2, CUS-10) ------------------------------------------------------------------------


def test_lost_needs_the_reason_and_keeps_it(cast):
    customer = make(cast, owner=cast.sales1)
    with pytest.raises(ValidationFailed):
        services.customer_set_stage(customer=customer, stage="lost", by=cast.sales1)
    customer = services.customer_set_stage(customer=customer, stage="lost", by=cast.sales1, reason="价格偏高")
    assert customer.lost_reason == "价格偏高"
    with pytest.raises(InvalidTransition):
        services.customer_set_stage(customer=customer, stage="signed", by=cast.sales1)


# ---- scoping and search ---------------------------------------------------------------------------


@pytest.fixture
def world(cast):
    a = make(cast, name="长沙涵瑞建筑装饰有限公司", short_name="涵瑞", owner=cast.sales1, phone="0731-8888 1234")
    b = make(cast, name="郑州华信贸易有限公司", owner=cast.sales2, phone="13911112222")
    pool = make(cast, name="西安秦川物流有限公司")
    services.contact_create(customer=b, fields={"name": "刘洋", "mobile": "13722223333"}, by=cast.clerk)
    return a, b, pool


@pytest.mark.parametrize(
    ("user", "expected"),
    [
        ("sales1", {"a"}),
        ("sales2", {"b"}),
        ("manager", {"a"}),
        ("manager2", {"b"}),
        ("clerk", {"a", "b", "pool"}),
        ("finance", {"a", "b", "pool"}),
        ("gm", {"a", "b", "pool"}),
        ("warehouse", set()),
    ],
)
def test_list_scope_by_role(cast, world, user, expected):
    names = dict(zip(("a", "b", "pool"), world, strict=True))
    visible = set(customer_list(user=cast.by_name(user), filters=CustomerFilters()))
    assert visible == {names[k] for k in expected}


def test_explicit_grant_lets_a_colleague_read_one_file(cast, world):
    _, b, _ = world
    grant = services.access_grant(customer=b, user=cast.sales1, by=cast.gm, reason="代为拜访")
    assert customer_get_for_user(user=cast.sales1, pk=b.pk) == b
    services.access_revoke(grant=grant, by=cast.gm)
    with pytest.raises(Exception, match="不存在"):
        customer_get_for_user(user=cast.sales1, pk=b.pk)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("hrjz", "a"),
        ("hanrui", "a"),
        ("涵瑞", "a"),
        ("HRJZ", "a"),
        ("zzhx", "b"),
        ("刘洋", "b"),
        ("13722223333", "b"),
        ("0731 8888 1234", "a"),
        ("qcwl", "pool"),
    ],
)
def test_search_by_pinyin_name_contact_and_phone(cast, world, query, expected):
    names = dict(zip(("a", "b", "pool"), world, strict=True))
    assert list(customer_list(user=cast.clerk, filters=CustomerFilters(q=query))) == [names[expected]]


def test_search_never_crosses_scope(cast, world):
    assert list(customer_list(user=cast.sales1, filters=CustomerFilters(q="zzhx"))) == []
    assert list(find_by_phone(user=cast.sales1, phone="13722223333")) == []
    assert len(find_by_phone(user=cast.clerk, phone="13722223333")) == 1


def test_unknown_sort_is_a_validation_error(cast):
    with pytest.raises(ValidationFailed):
        customer_list(user=cast.clerk, filters=CustomerFilters(sort="name; DROP TABLE x"))


def test_every_kind_of_change_writes_an_audit_row(cast):
    customer = make(cast)
    services.customer_assign(customer=customer, owner=cast.sales1, by=cast.clerk)
    services.customer_acknowledge(customer=customer, by=cast.sales1)
    services.customer_update(customer=customer, fields={"grade": "B"}, by=cast.sales1)
    services.customer_set_stage(customer=customer, stage="intended", by=cast.sales1)
    contact = services.contact_create(customer=customer, fields={"name": "王芳"}, by=cast.sales1)
    services.contact_update(contact=contact, fields={"title": "采购经理"}, by=cast.sales1)
    services.key_date_add(customer=customer, kind="lease_expiry", date=dt.date(2027, 6, 30), by=cast.sales1)
    services.customer_record_contact(customer=customer, by=cast.sales1)
    services.customer_record_view(customer=customer, by=cast.clerk)
    services.customer_release(customer=customer, by=cast.sales1, reason="无需求")
    services.customer_claim(customer=customer, by=cast.sales2)
    services.contact_delete(contact=Contact.objects.get(pk=contact.pk), by=cast.sales2)
    actions = set(Event.objects.values_list("action", flat=True))
    assert {
        "customers.customer.created",
        "customers.customer.assigned",
        "customers.customer.acknowledged",
        "customers.customer.updated",
        "customers.customer.stage_changed",
        "customers.contact.created",
        "customers.contact.updated",
        "customers.key_date.added",
        "customers.customer.contacted",
        "customers.customer.viewed",
        "customers.customer.released",
        "customers.customer.claimed",
        "customers.contact.deleted",
    } <= actions
    assert all(e.actor_id for e in Event.objects.filter(action__startswith="customers."))


# ---- reminders (CUS-8) ---------------------------------------------------------------------------


def test_lease_expiry_is_reminded_months_ahead_and_birthdays_days_ahead(cast):
    from neiqin.customers.selectors import reminders_due

    today = dt.date(2026, 11, 23)
    lease = make(cast, name="租约公司", owner=cast.sales1)
    services.key_date_add(
        customer=lease, kind="lease_expiry", date=dt.date(2027, 4, 1), by=cast.sales1, note="写字楼租约"
    )  # 129 days ahead, lead 150
    far = make(cast, name="远期公司", owner=cast.sales1)
    services.key_date_add(customer=far, kind="lease_expiry", date=dt.date(2027, 9, 1), by=cast.sales1)
    other = make(cast, name="别人的公司", owner=cast.sales2)
    services.contact_create(customer=other, fields={"name": "周敏", "birthday": dt.date(1980, 11, 25)}, by=cast.clerk)
    services.contact_create(customer=lease, fields={"name": "吴刚", "birthday": dt.date(1975, 11, 24)}, by=cast.clerk)
    services.contact_create(customer=lease, fields={"name": "郑洁", "birthday": dt.date(1975, 12, 24)}, by=cast.clerk)
    mine = reminders_due(user=cast.sales1, today=today)
    assert [(r.customer.name, r.on, r.days_left, r.note) for r in mine] == [
        ("租约公司", dt.date(2026, 11, 24), 1, "吴刚"),
        ("租约公司", dt.date(2027, 4, 1), 129, "写字楼租约"),
    ]
    assert {r.note for r in reminders_due(user=cast.clerk, today=today)} == {"吴刚", "写字楼租约", "周敏"}


def test_yearly_key_dates_recur_and_29_february_falls_on_the_28th(cast):
    from neiqin.customers.selectors import reminders_due

    customer = make(cast, name="周年公司", owner=cast.sales1)
    services.key_date_add(
        customer=customer,
        kind="founding",
        date=dt.date(2012, 2, 29),
        by=cast.sales1,
        recurring=True,
        remind_days_before=10,
    )
    [reminder] = reminders_due(user=cast.sales1, today=dt.date(2027, 2, 20))
    assert reminder.on == dt.date(2027, 2, 28)
