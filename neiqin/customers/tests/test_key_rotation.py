import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.test import override_settings

from neiqin.core import audit, crypto
from neiqin.core.models import Event
from neiqin.customers import services
from neiqin.customers.models import Contact, Customer
from neiqin.customers.selectors import find_by_phone


@pytest.mark.django_db(transaction=True)
def test_rotation_new_key_first_then_old_key_removed(cast, settings):
    """S11: add the new key first, rotate, drop the old key: every value and lookup still works."""
    old = settings.NEIQIN_FIELD_KEYS[0]
    customer = services.customer_create(
        fields={"name": "轮换测试有限公司", "phone": "13900001111", "invoice_account": "6222000011112222"},
        by=cast.clerk,
    )
    services.contact_create(customer=customer, fields={"name": "孙丽", "mobile": "13700002222"}, by=cast.clerk)
    new = Fernet.generate_key().decode()

    with override_settings(NEIQIN_FIELD_KEYS=[new, old]):
        call_command("rotate_field_key", verbosity=0)

    with override_settings(NEIQIN_FIELD_KEYS=[new]):
        stored = Customer.objects.get(pk=customer.pk)
        assert stored.phone == "13900001111" and stored.invoice_account == "6222000011112222"
        assert Contact.objects.get(customer=customer).mobile == "13700002222"
        assert list(find_by_phone(user=cast.clerk, phone="13700002222")) == [stored]
        assert list(find_by_phone(user=cast.clerk, phone="13900001111")) == [stored]
        created = Event.objects.get(action="customers.customer.created", object_id=str(customer.pk))
        assert audit.display_changes(created)["phone"] == [None, "13900001111"]
        assert Event.objects.filter(action="core.field_key.rotated").count() == 1

    with override_settings(NEIQIN_FIELD_KEYS=[old]), pytest.raises(crypto.EncryptionKeyError):
        Customer.objects.get(pk=customer.pk)
