"""Formula-injection neutralisation for every cell that leaves the system as a spreadsheet.

Excel, WPS and LibreOffice evaluate a CSV cell that starts with ``=``, ``+``, ``-`` or ``@``, and a
clerk who edits an exported XLSX cell (F2, Enter) turns such a string into a live formula too
(RELIABILITY T8, S9). OWASP and ASVS 1.2.10 prescribe prefixing a single quote; we also cover
tab, CR and NUL, the full-width forms a Chinese IME produces, and the same characters after
leading whitespace, which some importers trim.

The escape is reversible: :func:`unescape_cell` undoes it exactly, so a file exported by Neiqin and
imported again yields the original text instead of gaining a quote on every round trip.
"""

from __future__ import annotations

QUOTE = "'"

DANGEROUS_PREFIXES: tuple[str, ...] = (
    "=",
    "+",
    "-",
    "@",
    "\t",
    "\r",
    "\0",
    # Full-width variants: WPS and Excel with a Chinese IME convert them to formulas.
    "\uff1d",  # ＝
    "\uff0b",  # ＋
    "\uff0d",  # －
    "\uff20",  # ＠
)


def _starts_dangerously(text: str) -> bool:
    """True when a spreadsheet could read ``text`` as a formula."""
    return text.startswith(DANGEROUS_PREFIXES) or text.lstrip().startswith(DANGEROUS_PREFIXES)


def _needs_quote(text: str) -> bool:
    # Quotes already at the front are looked through, so that a genuine "'=x" becomes "''=x" and
    # unescape_cell can tell our quote from the user's.
    return _starts_dangerously(text.lstrip(QUOTE))


def escape_cell(value: str) -> str:
    """Return ``value`` with a leading ``'`` when a spreadsheet could treat it as a formula."""
    return QUOTE + value if _needs_quote(value) else value


def unescape_cell(value: str) -> str:
    """Undo :func:`escape_cell`: ``unescape_cell(escape_cell(s)) == s`` for every string."""
    if value.startswith(QUOTE) and _needs_quote(value[1:]):
        return value[1:]
    return value
