"""Import products from a spreadsheet (see ``catalog.importers``); ``--check`` only checks."""

from neiqin.catalog.importers import PRODUCT_IMPORTER
from neiqin.catalog.management.commands._importing import ImportCommand


class Command(ImportCommand):
    help = "Import products from an .xlsx/.xls/.csv file (all rows or none)."
    importer = PRODUCT_IMPORTER
    noun = "个产品"
