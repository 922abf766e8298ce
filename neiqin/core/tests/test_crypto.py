import logging
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.conf import settings
from django.db import connection
from django.test import override_settings

from neiqin.core import crypto

CANARY = "13912345678"


def test_round_trip_and_tokens_are_not_plain_text():
    token = crypto.encrypt("开户行账号 6222 0000")
    assert "6222" not in token
    assert crypto.decrypt(token) == "开户行账号 6222 0000"


def test_blind_index_is_deterministic_and_keyed():
    a = crypto.blind_index("13800138000", purpose="phone")
    assert a == crypto.blind_index("13800138000", purpose="phone")
    assert a != crypto.blind_index("13800138001", purpose="phone")
    assert a != crypto.blind_index("13800138000", purpose="email")
    assert crypto.blind_index("", purpose="phone") == ""
    with override_settings(NEIQIN_FIELD_KEYS=[Fernet.generate_key().decode()]):
        assert crypto.blind_index("13800138000", purpose="phone") != a


def test_rotation_new_key_first_old_rows_still_read():
    old = settings.NEIQIN_FIELD_KEYS[0]
    token = crypto.encrypt("secret")
    new = Fernet.generate_key().decode()
    with override_settings(NEIQIN_FIELD_KEYS=[new, old]):
        assert crypto.decrypt(token) == "secret"
        rotated = crypto.rotate(token)
    with override_settings(NEIQIN_FIELD_KEYS=[new]):
        assert crypto.decrypt(rotated) == "secret"
        with pytest.raises(crypto.EncryptionKeyError):
            crypto.decrypt(token)


def _make_customer_with_canary(cast):
    from neiqin.customers.services import contact_create, customer_create

    customer = customer_create(
        fields={"name": "长沙金丝雀测试有限公司", "phone": CANARY, "invoice_account": "62220000" + CANARY},
        by=cast.clerk,
    )
    contact_create(customer=customer, fields={"name": "李雀", "mobile": CANARY}, by=cast.clerk)
    logging.getLogger("neiqin").info("created customer %s", customer.pk)
    return customer


@pytest.mark.django_db(transaction=True)
def test_canary_phone_never_reaches_the_database_files_or_logs(cast):
    """The canary is stored only encrypted: not in the DB file, its WAL, a dump, or the logs."""
    customer = _make_customer_with_canary(cast)
    from neiqin.customers.selectors import find_by_phone

    assert list(find_by_phone(user=cast.clerk, phone=CANARY)) == [customer]
    if connection.vendor == "sqlite":
        db = Path(settings.DATABASES["default"]["NAME"])
        files = [p for p in (db, Path(f"{db}-wal")) if p.exists()]
        assert files, "the SQLite file must exist"
        for path in files:
            assert CANARY.encode() not in path.read_bytes(), path
    else:
        pg_dump = shutil.which("pg_dump")
        assert pg_dump, "pg_dump is installed by scripts/setup.sh --test"
        db = settings.DATABASES["default"]
        dump = subprocess.run(
            [
                pg_dump,
                "-h",
                db["HOST"] or "127.0.0.1",
                "-p",
                str(db["PORT"] or 5432),
                "-U",
                db["USER"] or "postgres",
                "-d",
                db["NAME"],
                "--data-only",
            ],
            capture_output=True,
            check=True,
        ).stdout
        assert b"core_event" in dump or b"customers_customer" in dump
        assert CANARY.encode() not in dump
    for log in Path(settings.NEIQIN_HOME).glob("*.log*"):
        assert CANARY not in log.read_text(encoding="utf-8", errors="replace"), log
