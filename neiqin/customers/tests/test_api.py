"""The customer API: scoping (S1), no mass assignment and strict types (S3), auth and CSRF (S4),
duplicates, optimistic locking, and the error shape {"code","message","extra"}."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.forms.models import model_to_dict
from django.test import Client

from neiqin.accounts.services import token_create, token_revoke
from neiqin.api.tests.tools import assert_error, call, operations
from neiqin.core.models import Event
from neiqin.customers import services
from neiqin.customers.models import Contact, Customer

pytestmark = pytest.mark.django_db

PHONE_OWN = "13800138001"
PHONE_OTHER = "13900139002"
MOBILE_OTHER_CONTACT = "13700137003"


@dataclass
class Files:
    own: Customer  # sales1's (team A)
    other: Customer  # sales2's (team B)
    pooled: Customer  # in the pool
    other_contact: Contact


@pytest.fixture
def files(cast) -> Files:
    own = services.customer_create(fields={"name": "长沙甲建材有限公司", "phone": PHONE_OWN}, by=cast.sales1)
    other = services.customer_create(fields={"name": "郑州乙装饰有限公司", "phone": PHONE_OTHER}, by=cast.sales2)
    pooled = services.customer_create(fields={"name": "武汉丙酒店管理有限公司"}, by=cast.clerk)
    contact = services.contact_create(
        customer=other, fields={"name": "王经理", "mobile": MOBILE_OTHER_CONTACT}, by=cast.sales2
    )
    return Files(own=own, other=other, pooled=pooled, other_contact=contact)


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content.decode()
    return {row["id"] for row in response.json()["items"]}


def state(customer: Customer) -> dict:
    """Every stored value of the file, to prove a refused request changed nothing."""
    fresh = Customer.objects.get(pk=customer.pk)
    data = model_to_dict(fresh)
    data.update(version=fresh.version, code=fresh.code, updated_at=fresh.updated_at, phone_index=fresh.phone_index)
    return data


# ---- scoping (RELIABILITY S1) ----------------------------------------------------------------

# A valid body for every operation that takes one, so that a 404 below comes from the scope
# check and not from validation. A new operation with a body must be added here.
VALID_BODIES = {
    "customers_update": lambda f, cast: {"version": f.other.version, "notes": "改一下"},
    "customers_assign": lambda f, cast: {"owner_id": cast.sales1.pk, "reason": "调岗"},
    "customers_release": lambda f, cast: {"reason": "无意向"},
    "customers_set_stage": lambda f, cast: {"stage": "intended"},
    "customers_contacts_create": lambda f, cast: {"name": "李四"},
    "contacts_update": lambda f, cast: {"name": "改名"},
}


@pytest.mark.parametrize("intruder", ["sales1", "manager", "warehouse"])
def test_every_operation_on_an_object_outside_scope_answers_404_and_changes_nothing(cast, files, client_for, intruder):
    # given sales2's customer and contact, and a user who must not see them
    before = state(files.other)
    contacts_before = list(Contact.objects.filter(customer=files.other).values())
    events_before = Event.objects.count()
    client = client_for(cast.by_name(intruder))
    checked = []
    # when every operation that names a customer or contact is called on them
    for op in operations():
        if "{customer_id}" not in op.path and "{contact_id}" not in op.path:
            continue
        body = VALID_BODIES[op.operation_id](files, cast) if op.has_body else None
        url = op.url(customer_id=files.other.pk, contact_id=files.other_contact.pk)
        response = call(client, op.method, url, body)
        # then each answers 404 in the error shape, as for a missing object
        assert_error(response, 404, "not_found")
        checked.append(op.operation_id)
    assert {"customers_get", "customers_update", "customers_claim", "customers_assign", "customers_history"} <= set(
        checked
    )
    assert {"customers_contacts_list", "customers_contacts_create", "contacts_update", "contacts_delete"} <= set(
        checked
    )
    # and nothing changed or was logged as seen
    assert state(files.other) == before
    assert list(Contact.objects.filter(customer=files.other).values()) == contacts_before
    assert Event.objects.count() == events_before


def test_salesperson_lists_only_own_customers(cast, files, client_for):
    client = client_for(cast.sales1)
    assert ids(call(client, "GET", "/customers")) == {files.own.pk}
    # filters cannot widen the scope
    assert ids(call(client, "GET", f"/customers?owner={cast.sales2.pk}")) == set()
    assert ids(call(client, "GET", f"/customers?team={cast.team_b.pk}")) == set()
    assert ids(call(client, "GET", "/customers?q=郑州")) == set()


def test_phone_lookup_does_not_reveal_customers_outside_scope(cast, files, client_for):
    client = client_for(cast.sales1)
    for number in (PHONE_OTHER, MOBILE_OTHER_CONTACT, "139-0013-9002"):
        response = call(client, "GET", f"/customers/lookup/phone?number={number}")
        assert response.json() == {"count": 0, "items": []}
    assert ids(call(client, "GET", f"/customers/lookup/phone?number={PHONE_OWN}")) == {files.own.pk}


def test_phone_lookup_finds_a_contacts_mobile_for_the_desk(cast, files, client_for):
    client = client_for(cast.clerk)
    assert ids(call(client, "GET", f"/customers/lookup/phone?number=+86 {MOBILE_OTHER_CONTACT}")) == {files.other.pk}


@pytest.mark.parametrize("number", ["abc", "---", "12"])
def test_phone_lookup_refuses_what_is_not_a_phone_number(cast, files, client_for, number):
    response = call(client_for(cast.clerk), "GET", f"/customers/lookup/phone?number={number}")
    body = assert_error(response, 422, "validation_error")
    assert "number" in body["extra"]["fields"]


def test_manager_sees_the_team(cast, files, client_for):
    client = client_for(cast.manager)
    assert ids(call(client, "GET", "/customers")) == {files.own.pk}
    assert call(client, "GET", f"/customers/{files.own.pk}").status_code == 200


def test_clerk_sees_all(cast, files, client_for):
    client = client_for(cast.clerk)
    assert ids(call(client, "GET", "/customers")) == {files.own.pk, files.other.pk, files.pooled.pk}
    assert ids(call(client, "GET", "/customers?pool=true")) == {files.pooled.pk}
    assert call(client, "GET", f"/customers/{files.other.pk}").status_code == 200


def test_warehouse_sees_nothing(cast, files, client_for):
    client = client_for(cast.warehouse)
    assert call(client, "GET", "/customers").json() == {"count": 0, "items": []}
    assert call(client, "GET", "/pool").json() == {"count": 0, "items": []}
    assert_error(call(client, "GET", f"/customers/{files.own.pk}"), 404, "not_found")
    assert_error(call(client, "POST", "/customers", {"name": "仓库新建公司"}), 403, "permission_denied")


def test_reassignment_revokes_the_previous_owner_on_the_next_request(cast, files, client_for):
    client = Client()
    client.force_login(cast.sales1)
    assert call(client, "GET", f"/customers/{files.own.pk}").status_code == 200
    services.customer_assign(customer=files.own, owner=cast.sales2, by=cast.clerk, reason="调岗")
    assert_error(call(client, "GET", f"/customers/{files.own.pk}"), 404)
    assert ids(call(client, "GET", "/customers")) == set()


# ---- authentication (RELIABILITY S4) ---------------------------------------------------------


def test_bearer_token_authenticates_without_a_session_or_csrf(cast, files):
    _token, plain = token_create(user=cast.clerk, name="script", by=cast.clerk)
    client = Client(enforce_csrf_checks=True)
    assert len(ids(call(client, "GET", "/customers", token=plain))) == 3
    response = call(client, "POST", "/customers", {"name": "令牌新建有限公司"}, token=plain)
    assert response.status_code == 201, response.content.decode()
    assert Customer.objects.get(pk=response.json()["id"]).created_by == cast.clerk


def test_revoked_token_is_refused_with_401(cast, files):
    token, plain = token_create(user=cast.clerk, name="script", by=cast.clerk)
    token_revoke(user=cast.clerk, token_id=token.pk, by=cast.clerk)
    client = Client(enforce_csrf_checks=True)
    assert_error(call(client, "GET", "/customers", token=plain), 401, "unauthenticated")
    count = Customer.objects.count()
    assert_error(call(client, "POST", "/customers", {"name": "撤销令牌公司"}, token=plain), 401, "unauthenticated")
    assert Customer.objects.count() == count


def test_anonymous_is_refused_with_401(files):
    assert_error(call(Client(), "GET", "/customers"), 401, "unauthenticated")
    assert_error(call(Client(), "GET", f"/customers/{files.own.pk}"), 401, "unauthenticated")


def test_session_post_without_csrf_token_is_refused(cast, files):
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.sales1)
    count = Customer.objects.count()
    response = call(client, "POST", "/customers", {"name": "跨站请求有限公司"})
    assert_error(response, 403, "csrf_failed")
    before = state(files.own)
    response = call(client, "PATCH", f"/customers/{files.own.pk}", {"version": files.own.version, "notes": "x"})
    assert_error(response, 403, "csrf_failed")
    assert Customer.objects.count() == count and state(files.own) == before


def test_session_post_with_csrf_token_is_accepted(cast, files):
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.sales1)
    secret = "a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6"
    client.cookies["csrftoken"] = secret
    response = call(client, "POST", "/customers", {"name": "带令牌有限公司"}, **{"X-CSRFToken": secret})
    assert response.status_code == 201, response.content.decode()


# ---- mass assignment and strict types (RELIABILITY S3) ---------------------------------------


@pytest.mark.parametrize(
    "key, value",
    [
        ("status", "signed"),
        ("stage", "signed"),
        ("owner", "sales2"),
        ("team", "team_b"),
        ("code", "KH2099-99999"),
        ("version", 99),
        ("approved_by", "admin"),
        ("created_by", "admin"),
        ("phone_index", "x"),
        ("id", 12345),
    ],
)
def test_create_refuses_keys_that_are_not_inputs(cast, files, client_for, key, value):
    value = getattr(cast, value).pk if isinstance(value, str) and hasattr(cast, value) else value
    count = Customer.objects.count()
    response = call(client_for(cast.clerk), "POST", "/customers", {"name": "多字段有限公司", key: value})
    body = assert_error(response, 422, "validation_error")
    assert key in body["extra"]["fields"]
    assert Customer.objects.count() == count


@pytest.mark.parametrize(
    "key, value",
    [
        ("status", "signed"),
        ("stage", "signed"),
        ("owner", "sales2"),
        ("owner_id", "sales2"),
        ("team", "team_b"),
        ("code", "KH2099-99999"),
        ("approved_by", "admin"),
        ("acknowledged_at", "2026-01-01T00:00:00Z"),
        ("contacts", []),
        ("id", 12345),
    ],
)
def test_update_refuses_keys_that_are_not_inputs(cast, files, client_for, key, value):
    value = getattr(cast, value).pk if isinstance(value, str) and hasattr(cast, value) else value
    before = state(files.own)
    body = {"version": files.own.version, "notes": "顺便改备注", key: value}
    response = call(client_for(cast.sales1), "PATCH", f"/customers/{files.own.pk}", body)
    assert_error(response, 422, "validation_error")
    assert state(files.own) == before


@pytest.mark.parametrize(
    "fields", [{"credit_limit": "100000.00"}, {"payment_mode": "monthly"}, {"payment_term_days": 30}]
)
def test_salesperson_cannot_set_credit_terms(cast, files, client_for, fields):
    client = client_for(cast.sales1)
    count = Customer.objects.count()
    assert_error(call(client, "POST", "/customers", {"name": "赊账有限公司", **fields}), 403, "permission_denied")
    assert Customer.objects.count() == count
    before = state(files.own)
    response = call(client, "PATCH", f"/customers/{files.own.pk}", {"version": files.own.version, **fields})
    assert_error(response, 403, "permission_denied")
    assert state(files.own) == before


def test_finance_sets_the_credit_limit_as_a_decimal_string(cast, files, client_for):
    response = call(
        client_for(cast.finance),
        "PATCH",
        f"/customers/{files.own.pk}",
        {"version": files.own.version, "credit_limit": "50000", "payment_mode": "term", "payment_term_days": 60},
    )
    assert response.status_code == 200, response.content.decode()
    assert response.json()["credit_limit"] == "50000.00"
    assert Customer.objects.get(pk=files.own.pk).credit_limit == Decimal("50000.00")


@pytest.mark.parametrize(
    "fields",
    [
        {"payment_term_days": False},
        {"payment_term_days": True},
        {"payment_term_days": 1.5},
        {"payment_term_days": 30.0},
        {"payment_term_days": "30"},
        {"payment_term_days": -1},
        {"payment_term_days": 366},
        {"credit_limit": "1e9"},
        {"credit_limit": "NaN"},
        {"credit_limit": "Infinity"},
        {"credit_limit": "-0"},
        {"credit_limit": "-1.00"},
        {"credit_limit": "12345678901234567890"},
        {"credit_limit": "1.005"},
        {"credit_limit": "1,000.00"},
        {"credit_limit": " 100"},
        {"credit_limit": "１００"},
        {"credit_limit": "100\n"},
        {"credit_limit": 1.5},
        {"credit_limit": 100},
        {"credit_limit": False},
        {"is_vip": 1},
        {"is_vip": "true"},
        {"next_contact_on": 1767225600},
        {"next_contact_on": "2026-13-01"},
        {"next_contact_on": "2026-01-01T00:00:00"},
        {"region_id": False},
        {"region_id": 10**20},
        {"grade": "S"},
        {"name": None},
        {"name": ""},
        {"notes": "空\x00字节"},
        {"name": 123},
    ],
)
def test_type_tricks_are_refused_and_change_nothing(cast, files, client_for, fields):
    # gm may edit credit, so only the type check can refuse these
    client = client_for(cast.gm)
    before = state(files.own)
    response = call(client, "PATCH", f"/customers/{files.own.pk}", {"version": files.own.version, **fields})
    assert_error(response, 422, "validation_error")
    assert state(files.own) == before
    count = Customer.objects.count()
    response = call(client, "POST", "/customers", {"name": "类型测试有限公司", **fields})
    assert_error(response, 422, "validation_error")
    assert Customer.objects.count() == count


@pytest.mark.parametrize("version", [False, "1", 1.0, 0, None])
def test_version_must_be_a_positive_integer(cast, files, client_for, version):
    before = state(files.own)
    response = call(client_for(cast.sales1), "PATCH", f"/customers/{files.own.pk}", {"version": version, "notes": "x"})
    assert_error(response, 422, "validation_error")
    assert state(files.own) == before


def test_update_without_version_is_refused(cast, files, client_for):
    response = call(client_for(cast.sales1), "PATCH", f"/customers/{files.own.pk}", {"notes": "x"})
    body = assert_error(response, 422, "validation_error")
    assert "version" in body["extra"]["fields"]


@pytest.mark.parametrize("body", [[], "name", [{"name": "x"}], 5, None])
def test_a_body_that_is_not_an_object_is_refused(cast, files, client_for, body):
    count = Customer.objects.count()
    assert_error(call(client_for(cast.clerk), "POST", "/customers", body), 422, "validation_error")
    assert Customer.objects.count() == count


def test_malformed_json_is_a_400_in_the_error_shape(cast, client_for):
    client = client_for(cast.clerk)
    response = client.post("/api/v1/customers", data="{not json", content_type="application/json")
    assert_error(response, 400)


def test_non_numeric_id_is_a_422_in_the_error_shape(cast, client_for):
    assert_error(call(client_for(cast.clerk), "GET", "/customers/abc"), 422, "validation_error")
    assert_error(call(client_for(cast.clerk), "GET", f"/customers/{2**64}"), 422, "validation_error")


# ---- create ----------------------------------------------------------------------------------


def test_salesperson_creates_and_owns_a_customer_with_contacts(cast, client_for):
    body = {
        "name": "岳阳丁科技有限公司",
        "industry": "it",
        "grade": "A",
        "is_vip": True,
        "phone": "0730-8888 1234",
        "next_contact_on": "2027-01-15",
        "contacts": [{"name": "赵总", "mobile": "13600136000", "is_primary": True, "birthday": "1980-05-01"}],
    }
    response = call(client_for(cast.sales1), "POST", "/customers", body)
    assert response.status_code == 201, response.content.decode()
    data = response.json()
    assert data["owner"] == {"id": cast.sales1.pk, "display_name": "sales1"}
    assert data["team"]["id"] == cast.team_a.pk and data["in_pool"] is False
    assert data["phone"] == "073088881234" and data["credit_limit"] == "0.00"
    assert data["next_contact_on"] == "2027-01-15" and data["version"] == 1
    assert data["permissions"]["edit"] is True and data["permissions"]["edit_credit"] is False
    contact = Contact.objects.get(customer_id=data["id"])
    assert contact.name == "赵总" and contact.is_primary and contact.mobile == "13600136000"


def test_clerk_creates_for_an_owner_who_must_acknowledge(cast, client_for):
    response = call(
        client_for(cast.clerk), "POST", "/customers", {"name": "株洲戊有限公司", "owner_id": cast.sales1.pk}
    )
    assert response.status_code == 201, response.content.decode()
    data = response.json()
    assert data["owner"]["id"] == cast.sales1.pk and data["acknowledged"] is False
    assert data["handover_due_at"] is not None


def test_unknown_owner_is_a_field_error(cast, client_for):
    count = Customer.objects.count()
    response = call(client_for(cast.clerk), "POST", "/customers", {"name": "无主有限公司", "owner_id": 987654})
    body = assert_error(response, 422, "validation_error")
    assert "owner_id" in body["extra"]["fields"]
    assert Customer.objects.count() == count


def test_owner_must_be_a_salesperson(cast, client_for):
    response = call(
        client_for(cast.clerk), "POST", "/customers", {"name": "财务负责有限公司", "owner_id": cast.finance.pk}
    )
    body = assert_error(response, 422, "validation_error")
    assert "owner_id" in body["extra"]["fields"]


def test_salesperson_cannot_create_for_a_colleague(cast, client_for):
    count = Customer.objects.count()
    response = call(client_for(cast.sales1), "POST", "/customers", {"name": "代建有限公司", "owner_id": cast.sales2.pk})
    assert_error(response, 403, "permission_denied")
    assert Customer.objects.count() == count


def test_contact_errors_name_the_contact(cast, client_for):
    count = Customer.objects.count()
    body = {"name": "联系人错有限公司", "contacts": [{"name": "甲"}, {"name": "乙", "mobile": "abc"}]}
    response = call(client_for(cast.clerk), "POST", "/customers", body)
    body = assert_error(response, 422, "validation_error")
    assert "contacts.1.mobile" in body["extra"]["fields"]
    assert Customer.objects.count() == count


def test_contact_extra_keys_are_refused(cast, client_for):
    body = {"name": "联系人多字段有限公司", "contacts": [{"name": "甲", "customer_id": 1}]}
    assert_error(call(client_for(cast.clerk), "POST", "/customers", body), 422, "validation_error")


def test_duplicate_customer_is_refused_naming_the_existing_one(cast, files, client_for):
    count = Customer.objects.count()
    response = call(client_for(cast.sales1), "POST", "/customers", {"name": "郑州 乙装饰有限责任公司"})
    body = assert_error(response, 422, "duplicate_customer")
    assert files.other.code in body["message"] and files.other.name in body["message"]
    assert body["extra"]["duplicates"][0]["code"] == files.other.code
    assert Customer.objects.count() == count


def test_duplicate_phone_is_refused(cast, files, client_for):
    response = call(client_for(cast.sales1), "POST", "/customers", {"name": "另一家有限公司", "phone": PHONE_OTHER})
    body = assert_error(response, 422, "duplicate_customer")
    assert files.other.code in body["message"]


def test_duplicate_of_a_pool_customer_is_refused(cast, files, client_for):
    response = call(client_for(cast.sales1), "POST", "/customers", {"name": files.pooled.name})
    body = assert_error(response, 422, "duplicate_customer")
    assert files.pooled.code in body["message"]


def test_a_name_that_grows_under_nfkc_is_not_a_server_error(cast, client_for):
    response = call(client_for(cast.clerk), "POST", "/customers", {"name": "ﷺ" * 10})
    assert response.status_code in (201, 422), response.content.decode()


# ---- read and update -------------------------------------------------------------------------


def test_detail_is_audited_and_shows_the_decrypted_phone(cast, files, client_for):
    response = call(client_for(cast.sales1), "GET", f"/customers/{files.own.pk}")
    assert response.status_code == 200
    data = response.json()
    assert data["phone"] == PHONE_OWN and data["code"] == files.own.code
    assert data["credit_limit"] == "0.00" and data["version"] == files.own.version
    assert Event.objects.filter(
        action="customers.customer.viewed", object_id=str(files.own.pk), actor=cast.sales1
    ).exists()


def test_lists_carry_no_sensitive_fields(cast, files, client_for):
    client = client_for(cast.clerk)
    rows = call(client, "GET", "/customers").json()["items"] + call(client, "GET", "/pool").json()["items"]
    for row in rows:
        assert not set(row) & set(services.SENSITIVE)
    assert not Event.objects.filter(action="customers.customer.viewed").exists()


def test_list_filters_sort_and_paginate(cast, files, client_for):
    client = client_for(cast.clerk)
    page = call(client, "GET", "/customers?limit=1&offset=0&sort=name").json()
    assert page["count"] == 3 and len(page["items"]) == 1
    assert ids(call(client, "GET", "/customers?q=郑州")) == {files.other.pk}
    assert ids(call(client, "GET", f"/customers?owner={cast.sales2.pk}")) == {files.other.pk}
    assert ids(call(client, "GET", "/customers?stage=signed")) == set()


@pytest.mark.parametrize("query", ["limit=201", "limit=0", "offset=-1", "sort=password", "stage=vip", "is_vip=maybe"])
def test_bad_list_parameters_are_refused(cast, client_for, query):
    assert_error(call(client_for(cast.clerk), "GET", f"/customers?{query}"), 422, "validation_error")


def test_stale_version_is_a_conflict(cast, files, client_for):
    client = client_for(cast.sales1)
    version = call(client, "GET", f"/customers/{files.own.pk}").json()["version"]
    first = call(client, "PATCH", f"/customers/{files.own.pk}", {"version": version, "notes": "第一次"})
    assert first.status_code == 200 and first.json()["version"] == version + 1
    second = call(client, "PATCH", f"/customers/{files.own.pk}", {"version": version, "notes": "第二次"})
    assert_error(second, 409, "conflict")
    assert Customer.objects.get(pk=files.own.pk).notes == "第一次"


def test_update_changes_only_the_keys_sent(cast, files, client_for):
    response = call(
        client_for(cast.sales1),
        "PATCH",
        f"/customers/{files.own.pk}",
        {"version": files.own.version, "city": "长沙", "next_contact_on": None},
    )
    assert response.status_code == 200, response.content.decode()
    fresh = Customer.objects.get(pk=files.own.pk)
    assert fresh.city == "长沙" and fresh.next_contact_on is None
    assert fresh.name == files.own.name and fresh.phone == PHONE_OWN


def test_unknown_region_is_a_field_error(cast, files, client_for):
    response = call(
        client_for(cast.sales1), "PATCH", f"/customers/{files.own.pk}", {"version": files.own.version, "region_id": 999}
    )
    body = assert_error(response, 422, "validation_error")
    assert "region_id" in body["extra"]["fields"]


def test_history_shows_decrypted_changes_to_users_in_scope(cast, files, client_for):
    client = client_for(cast.sales1)
    call(client, "PATCH", f"/customers/{files.own.pk}", {"version": files.own.version, "phone": "13800138999"})
    page = call(client, "GET", f"/customers/{files.own.pk}/history").json()
    update = next(e for e in page["items"] if e["action"] == "customers.customer.updated")
    assert update["changes"]["phone"] == [PHONE_OWN, "13800138999"]
    assert update["actor"]["id"] == cast.sales1.pk
    stored = Event.objects.get(pk=update["id"]).changes["phone"]
    assert "13800138999" not in str(stored)


# ---- assignment, pool, stage -----------------------------------------------------------------


def test_claim_from_the_pool_is_first_come_first_served(cast, files, client_for):
    response = call(client_for(cast.sales1), "POST", f"/customers/{files.pooled.pk}/claim")
    assert response.status_code == 200, response.content.decode()
    assert response.json()["owner"]["id"] == cast.sales1.pk and response.json()["in_pool"] is False
    assert_error(call(client_for(cast.sales2), "POST", f"/customers/{files.pooled.pk}/claim"), 404, "not_found")
    assert Customer.objects.get(pk=files.pooled.pk).owner == cast.sales1


def test_desk_cannot_claim(cast, files, client_for):
    assert_error(call(client_for(cast.clerk), "POST", f"/customers/{files.pooled.pk}/claim"), 403)
    assert Customer.objects.get(pk=files.pooled.pk).owner is None


def test_assign_then_acknowledge(cast, files, client_for):
    response = call(
        client_for(cast.clerk), "POST", f"/customers/{files.pooled.pk}/assign", {"owner_id": cast.sales1.pk}
    )
    assert response.status_code == 200, response.content.decode()
    assert response.json()["acknowledged"] is False
    client = client_for(cast.sales1)
    response = call(client, "POST", f"/customers/{files.pooled.pk}/acknowledge")
    assert response.status_code == 200 and response.json()["acknowledged"] is True
    assert_error(call(client, "POST", f"/customers/{files.pooled.pk}/acknowledge"), 409, "already_acknowledged")


def test_salesperson_cannot_assign_even_own_customer(cast, files, client_for):
    before = state(files.own)
    response = call(client_for(cast.sales1), "POST", f"/customers/{files.own.pk}/assign", {"owner_id": cast.sales2.pk})
    assert_error(response, 403, "permission_denied")
    assert state(files.own) == before


def test_assign_to_an_unknown_user_is_a_field_error(cast, files, client_for):
    response = call(client_for(cast.clerk), "POST", f"/customers/{files.own.pk}/assign", {"owner_id": 987654})
    assert "owner_id" in assert_error(response, 422, "validation_error")["extra"]["fields"]


def test_release_needs_a_reason_and_ends_access(cast, files, client_for):
    client = client_for(cast.sales1)
    assert_error(call(client, "POST", f"/customers/{files.own.pk}/release", {"reason": ""}), 422)
    assert_error(call(client, "POST", f"/customers/{files.own.pk}/release", {}), 422)
    response = call(client, "POST", f"/customers/{files.own.pk}/release", {"reason": "客户无意向"})
    assert response.status_code == 200 and response.json()["in_pool"] is True
    assert_error(call(client, "GET", f"/customers/{files.own.pk}"), 404)
    assert files.own.pk in ids(call(client, "GET", "/pool"))


def test_stage_moves_and_lost_needs_a_reason(cast, files, client_for):
    client = client_for(cast.sales1)
    url = f"/customers/{files.own.pk}/stage"
    assert_error(call(client, "POST", url, {"stage": "lost"}), 422, "validation_error")
    assert call(client, "POST", url, {"stage": "signed"}).json()["stage"] == "signed"
    assert_error(call(client, "POST", url, {"stage": "potential"}), 409, "invalid_transition")
    assert_error(call(client, "POST", url, {"stage": "signed"}), 409, "already_in_state")
    assert_error(call(client, "POST", url, {"stage": "won"}), 422, "validation_error")


# ---- contacts --------------------------------------------------------------------------------


def test_contacts_create_list_update_delete(cast, files, client_for):
    client = client_for(cast.sales1)
    response = call(
        client, "POST", f"/customers/{files.own.pk}/contacts", {"name": "钱主任", "mobile": "136 0013 6001"}
    )
    assert response.status_code == 201, response.content.decode()
    contact_id = response.json()["id"]
    assert response.json()["mobile"] == "13600136001"
    listed = call(client, "GET", f"/customers/{files.own.pk}/contacts").json()
    assert [c["id"] for c in listed] == [contact_id]
    response = call(client, "PATCH", f"/contacts/{contact_id}", {"title": "采购主任", "is_primary": True})
    assert response.status_code == 200 and response.json()["title"] == "采购主任"
    assert_error(call(client, "PATCH", f"/contacts/{contact_id}", {"name": None}), 422)
    assert_error(call(client, "PATCH", f"/contacts/{contact_id}", {"customer_id": files.other.pk}), 422)
    assert Contact.objects.get(pk=contact_id).customer_id == files.own.pk
    assert call(client, "DELETE", f"/contacts/{contact_id}").status_code == 204
    assert not Contact.objects.filter(pk=contact_id).exists()
    assert_error(call(client, "DELETE", f"/contacts/{contact_id}"), 404, "not_found")


def test_pool_is_listed_for_salespeople_with_search(cast, files, client_for):
    client = client_for(cast.sales2)
    assert ids(call(client, "GET", "/pool")) == {files.pooled.pk}
    assert ids(call(client, "GET", "/pool?q=武汉")) == {files.pooled.pk}
    assert ids(call(client, "GET", "/pool?q=长沙")) == set()
