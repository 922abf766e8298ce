"""Match a file's header row to import fields by their Chinese or English names.

Clerks rename, reorder and decorate template columns ("客户名称*", "客户名称（必填）", "Phone "),
and files from other systems use English names. Matching is therefore by normalised alias, and
every problem with the header row is reported at once, so the clerk fixes the file in one go.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Mapping, Sequence

from django.utils.translation import gettext_lazy as _

from neiqin.core.spreadsheets.errors import UploadRejected

_WHITESPACE = re.compile(r"\s+")
# After NFKC, "（必填）" is "(必填)" and "＊" is "*".
_REQUIRED_MARKERS = re.compile(r"^\*+|\*+$|\((必填|选填|required|optional)\)$")
_LIST_SEPARATOR = "、"


def normalize_header(text: str) -> str:
    """Fold width, case and spaces, and drop required markers: ``" 客户名称＊ "`` -> ``"客户名称"``."""
    folded = _WHITESPACE.sub("", unicodedata.normalize("NFKC", text)).casefold()
    return _REQUIRED_MARKERS.sub("", folded)


def column_letter(index: int) -> str:
    """0-based column index to the letters Excel shows (0 -> A, 27 -> AB)."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def map_columns(
    headers: Sequence[str],
    aliases: Mapping[str, Sequence[str]],
    *,
    required: Collection[str] = (),
    ignore_unknown: bool = False,
) -> dict[str, int]:
    """Return ``{field: column index}`` for the fields found in ``headers``.

    ``aliases`` maps each field to the names it may appear under; the first alias is the name
    shown to users. The field key itself also matches. Raises :class:`UploadRejected` listing
    missing required columns, duplicated columns and (unless ``ignore_unknown``) unknown ones.
    Blank header cells are ignored.
    """
    lookup = _alias_lookup(aliases)
    unknown_fields = set(required) - set(aliases)
    if unknown_fields:
        raise ValueError(f"required fields without aliases: {sorted(unknown_fields)}")
    mapping: dict[str, int] = {}
    unknown: list[int] = []
    duplicates: list[int] = []
    for index, header in enumerate(headers):
        key = normalize_header(header)
        if not key:
            continue
        field = lookup.get(key)
        if field is None:
            unknown.append(index)
        elif field in mapping:
            duplicates.append(index)
        else:
            mapping[field] = index
    missing = [field for field in required if field not in mapping]
    _raise_problems(headers, aliases, missing=missing, duplicates=duplicates, unknown=[] if ignore_unknown else unknown)
    return mapping


def _alias_lookup(aliases: Mapping[str, Sequence[str]]) -> dict[str, str]:
    lookup: dict[str, str] = {}
    for field, names in aliases.items():
        for name in (field, *names):
            key = normalize_header(name)
            if lookup.setdefault(key, field) != field:
                raise ValueError(f"alias {name!r} is used by both {lookup[key]!r} and {field!r}")
    return lookup


def _raise_problems(
    headers: Sequence[str],
    aliases: Mapping[str, Sequence[str]],
    *,
    missing: list[str],
    duplicates: list[int],
    unknown: list[int],
) -> None:
    """One message listing every header problem, each part saying what to do."""
    parts: list[str] = []
    if missing:
        names = _LIST_SEPARATOR.join(f"“{_display_name(field, aliases)}”" for field in missing)
        parts.append(_("缺少必填列：%(names)s。请按导入模板添加这些列。") % {"names": names})
    if duplicates:
        parts.append(
            _("列名重复：%(columns)s。请删除重复的列，每个字段只保留一列。")
            % {"columns": _describe(headers, duplicates)}
        )
    if unknown:
        parts.append(
            _("无法识别的列：%(columns)s。请删除这些列，或把列名改成导入模板里的名称。")
            % {"columns": _describe(headers, unknown)}
        )
    if parts:
        raise UploadRejected(
            "".join(parts),
            code="upload_columns",
            extra={
                "missing": missing,
                "duplicates": [column_letter(index) for index in duplicates],
                "unknown": [column_letter(index) for index in unknown],
            },
        )


def _display_name(field: str, aliases: Mapping[str, Sequence[str]]) -> str:
    names = aliases.get(field) or [field]
    return names[0]


def _describe(headers: Sequence[str], indexes: list[int]) -> str:
    return _LIST_SEPARATOR.join(
        _("%(letter)s 列“%(header)s”") % {"letter": column_letter(index), "header": headers[index]} for index in indexes
    )
