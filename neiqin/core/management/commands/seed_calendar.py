"""``seed_calendar``: load official holidays and make-up workdays from chinesecalendar."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from neiqin.core import calendar


class Command(BaseCommand):
    help = (
        "Load the State Council's holidays and make-up workdays (chinesecalendar) into the editable "
        "calendar table. Years already loaded are kept unless --refresh."
    )

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, action="append", help="only this year (repeatable)")
        parser.add_argument("--refresh", action="store_true", help="reload years already loaded (drops manual edits)")

    def handle(self, *args, year, refresh, **options):
        result = calendar.seed_years(years=year, refresh=refresh)
        package = calendar.package_years()
        if result.seeded and options["verbosity"] >= 1:
            self.stdout.write(f"loaded {len(result.seeded)} year(s): {_span(result.seeded)}")
        if result.kept and options["verbosity"] >= 2:
            self.stdout.write(f"already loaded, kept: {_span(result.kept)}")
        if result.unknown:
            self.stderr.write(
                f"chinesecalendar knows {package[0]}-{package[-1]} only; not loaded: {_span(result.unknown)}. "
                "Enter those holidays by hand or upgrade chinesecalendar."
            )


def _span(years: list[int]) -> str:
    return (
        f"{years[0]}-{years[-1]}"
        if len(years) > 2 and years[-1] - years[0] == len(years) - 1
        else ", ".join(map(str, years))
    )
