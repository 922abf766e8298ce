"""Import opening stock from a spreadsheet (see ``stock.importers``); ``--check`` only checks."""

from neiqin.catalog.management.commands._importing import ImportCommand
from neiqin.stock.importers import OPENING_STOCK_IMPORTER


class Command(ImportCommand):
    help = "Import opening stock per warehouse from an .xlsx/.xls/.csv file (all rows or none)."
    importer = OPENING_STOCK_IMPORTER
    noun = "行期初库存"
