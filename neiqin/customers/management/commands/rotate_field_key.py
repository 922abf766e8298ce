"""Re-encrypt every encrypted value under the newest field key (key rotation, RELIABILITY S11).

Procedure: set NEIQIN_FIELD_KEY="new,old" (new first) and run this command. Old rows still decrypt
during the run. Then remove the old key. Blind indexes derive from the first key, so they are
recomputed here too; until the command finishes, exact phone lookups miss rows not yet rotated.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.db import transaction

from neiqin.core import audit, context, crypto
from neiqin.core.models import Event
from neiqin.customers.models import Contact, Customer
from neiqin.customers.services import contact_indexes
from neiqin.customers.services.customers import apply_search_fields  # noqa: I001

CUSTOMER_FIELDS = ["phone", "fax", "email", "id_number", "invoice_address_phone", "invoice_account"]
CONTACT_FIELDS = ["mobile", "phone", "email", "wechat"]
BATCH = 500


def _rotate_changes(changes: dict) -> tuple[dict, bool]:
    rotated, touched = {}, False
    for field, pair in changes.items():
        new_pair = []
        for value in pair:
            if isinstance(value, dict) and "enc" in value:
                value = {"enc": crypto.rotate(value["enc"])}
                touched = True
            new_pair.append(value)
        rotated[field] = new_pair
    return rotated, touched


class Command(BaseCommand):
    help = "Re-encrypt customer and contact data and audit values under the newest NEIQIN_FIELD_KEY."

    def handle(self, *args, **options):
        context.bind(context.RequestContext(channel="cli", request_id="rotate_field_key"))
        counts = {"customers": 0, "contacts": 0, "events": 0}
        for pk_batch in self._batches(Customer.objects.order_by("pk").values_list("pk", flat=True)):
            with transaction.atomic():
                for customer in Customer.objects.select_for_update().filter(pk__in=pk_batch):
                    apply_search_fields(customer)  # recomputes the phone blind index
                    customer.save(update_fields=[*CUSTOMER_FIELDS, "phone_index"])  # re-encrypts on save
                    counts["customers"] += 1
        for pk_batch in self._batches(Contact.objects.order_by("pk").values_list("pk", flat=True)):
            with transaction.atomic():
                for contact in Contact.objects.select_for_update().filter(pk__in=pk_batch):
                    contact_indexes(contact)
                    contact.save(update_fields=[*CONTACT_FIELDS, "mobile_index", "phone_index"])
                    counts["contacts"] += 1
        events = Event.objects.filter(changes__icontains='"enc"').order_by("pk").values_list("pk", flat=True)
        for pk_batch in self._batches(events):
            with audit.maintenance():
                for event in Event.objects.filter(pk__in=pk_batch):
                    event.changes, touched = _rotate_changes(event.changes)
                    if touched:
                        event.save(update_fields=["changes"])
                        counts["events"] += 1
        with transaction.atomic():
            audit.record_collection(action="core.field_key.rotated", model=Customer, by=None, data=counts)
        self.stdout.write(
            f"re-encrypted {counts['customers']} customers, {counts['contacts']} contacts, "
            f"{counts['events']} audit events under the newest key"
        )

    @staticmethod
    def _batches(ids):
        batch = []
        for pk in ids.iterator():
            batch.append(pk)
            if len(batch) == BATCH:
                yield batch
                batch = []
        if batch:
            yield batch
