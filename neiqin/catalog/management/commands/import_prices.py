"""Import price list items from a spreadsheet (see ``catalog.importers``); ``--check`` only checks."""

from neiqin.catalog.importers import PRICE_IMPORTER
from neiqin.catalog.management.commands._importing import ImportCommand


class Command(ImportCommand):
    help = "Import prices (company, grade and customer lists) from an .xlsx/.xls/.csv file (all rows or none)."
    importer = PRICE_IMPORTER
    noun = "条价格"
