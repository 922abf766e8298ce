"""Access matrix part: catalog_imports (product and price imports, SYS-3)."""

from __future__ import annotations

IMPORTERS = frozenset({"admin", "clerk"})

WEB: dict[str, tuple[str, str, dict | None, frozenset[str]]] = {
    "catalog:import": ("GET", "/catalog/import/", None, IMPORTERS),
    "catalog:import_template": ("GET", "/catalog/import/template/", None, IMPORTERS),
    "catalog:import_batch": ("GET", "/catalog/import/{PRODUCT_IMPORT_BATCH}/", None, IMPORTERS),
    "catalog:import_commit": ("POST", "/catalog/import/{PRODUCT_IMPORT_BATCH}/commit/", {}, IMPORTERS),
    "catalog:import_discard": ("POST", "/catalog/import/{PRODUCT_IMPORT_BATCH}/discard/", {}, IMPORTERS),
    "catalog:prices_import": ("GET", "/catalog/prices/import/", None, IMPORTERS),
    "catalog:prices_import_template": ("GET", "/catalog/prices/import/template/", None, IMPORTERS),
    "catalog:prices_import_batch": ("GET", "/catalog/prices/import/{PRICE_IMPORT_BATCH}/", None, IMPORTERS),
    "catalog:prices_import_commit": ("POST", "/catalog/prices/import/{PRICE_IMPORT_BATCH}/commit/", {}, IMPORTERS),
    "catalog:prices_import_discard": ("POST", "/catalog/prices/import/{PRICE_IMPORT_BATCH}/discard/", {}, IMPORTERS),
}
API: dict[str, tuple[str, str, dict | None, frozenset[str]]] = {}


def world(cast) -> dict:
    """A rejected product batch and a rejected price batch, both uploaded by the clerk (the admin
    sees every batch; other roles may not import the catalogue at all)."""
    from neiqin.core.models import ImportBatch

    def batch(kind: str, digit: str) -> int:
        return ImportBatch.objects.create(
            kind=kind,
            file_sha256=digit * 64,
            file_name=f"{kind}.csv",
            file_kind="csv",
            created_by=cast.clerk,
            row_count=1,
            error_count=1,
            status=ImportBatch.Status.REJECTED,
        ).pk

    return {"PRODUCT_IMPORT_BATCH": batch("products", "1"), "PRICE_IMPORT_BATCH": batch("prices", "2")}
