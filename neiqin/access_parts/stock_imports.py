"""Access matrix part: stock_imports (opening stock import, SYS-3)."""

from __future__ import annotations

IMPORTERS = frozenset({"admin", "warehouse"})

WEB: dict[str, tuple[str, str, dict | None, frozenset[str]]] = {
    "stock:import": ("GET", "/stock/import/", None, IMPORTERS),
    "stock:import_template": ("GET", "/stock/import/template/", None, IMPORTERS),
    "stock:import_batch": ("GET", "/stock/import/{OPENING_IMPORT_BATCH}/", None, IMPORTERS),
    "stock:import_commit": ("POST", "/stock/import/{OPENING_IMPORT_BATCH}/commit/", {}, IMPORTERS),
    "stock:import_discard": ("POST", "/stock/import/{OPENING_IMPORT_BATCH}/discard/", {}, IMPORTERS),
}
API: dict[str, tuple[str, str, dict | None, frozenset[str]]] = {}


def world(cast) -> dict:
    """A rejected opening stock batch uploaded by the warehouse (the admin sees every batch)."""
    from neiqin.core.models import ImportBatch

    batch = ImportBatch.objects.create(
        kind="opening_stock",
        file_sha256="3" * 64,
        file_name="opening.csv",
        file_kind="csv",
        created_by=cast.warehouse,
        row_count=1,
        error_count=1,
        status=ImportBatch.Status.REJECTED,
    )
    return {"OPENING_IMPORT_BATCH": batch.pk}
