"""Access matrix part: sales_imports (order import, ORD-3 / SYS-3)."""

from __future__ import annotations

IMPORTERS = frozenset({"admin", "clerk"})

WEB: dict[str, tuple[str, str, dict | None, frozenset[str]]] = {
    "sales:import": ("GET", "/sales/orders/import/", None, IMPORTERS),
    "sales:import_template": ("GET", "/sales/orders/import/template/", None, IMPORTERS),
    "sales:import_batch": ("GET", "/sales/orders/import/{ORDER_IMPORT_BATCH}/", None, IMPORTERS),
    "sales:import_commit": ("POST", "/sales/orders/import/{ORDER_IMPORT_BATCH}/commit/", {}, IMPORTERS),
    "sales:import_discard": ("POST", "/sales/orders/import/{ORDER_IMPORT_BATCH}/discard/", {}, IMPORTERS),
}
API: dict[str, tuple[str, str, dict | None, frozenset[str]]] = {}


def world(cast) -> dict:
    """A rejected order batch uploaded by the clerk (the admin sees every batch; other roles may
    not import orders at all)."""
    from neiqin.core.models import ImportBatch

    batch = ImportBatch.objects.create(
        kind="orders",
        file_sha256="4" * 64,
        file_name="orders.csv",
        file_kind="csv",
        created_by=cast.clerk,
        row_count=1,
        error_count=1,
        status=ImportBatch.Status.REJECTED,
    )
    return {"ORDER_IMPORT_BATCH": batch.pk}
