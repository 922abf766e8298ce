"""Printable documents (SYS-4): Django templates rendered to PDF with WeasyPrint.

Chinese text needs a CJK font: the set-up script installs Noto CJK (OFL) from Debian and the
document CSS names it first ("Noto Serif CJK SC" / "Noto Sans CJK SC"), so the glyphs are
embedded (subset, with libharfbuzz-subset) and every reader shows them. ReportLab's built-in
STSong-Light was rejected because it is never embedded (docs/decisions.md D8).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.template.loader import render_to_string


def render_pdf(template: str, context: dict[str, Any], *, request: Any = None) -> bytes:
    from weasyprint import HTML

    html = render_to_string(template, context, request=request)
    base = str(settings.BASE_DIR)
    return HTML(string=html, base_url=base).write_pdf()
