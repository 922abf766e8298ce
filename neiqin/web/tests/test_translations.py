"""The English catalogue (docs/decisions.md D2): complete, faithful to placeholders, compiled, used.

The .po file is parsed here in Python, so the suite needs no gettext tools.
"""

from __future__ import annotations

import ast
import re
import struct
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext, ngettext

from neiqin.accounts.roles import Role
from neiqin.customers.choices import Stage

LC_MESSAGES = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES"
PO_FILE = LC_MESSAGES / "django.po"
MO_FILE = LC_MESSAGES / "django.mo"

PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|%[sdif]|\{\w*\}")
CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")  # ideographs, CJK and full-width punctuation
NAVBAR = re.compile(r'<nav class="navbar.*?</nav>', re.S)


# ---- a small .po / .mo reader ---------------------------------------------------------------------


def _unquote(line: str) -> str:
    return ast.literal_eval(line)


def parse_po(path: Path) -> list[dict]:
    """Entries as dicts: msgctxt, msgid, msgid_plural, msgstr (list: one per plural form), flags."""
    entries: list[dict] = []
    entry: dict = {}
    key: tuple[str, int] | None = None

    def flush() -> None:
        nonlocal entry
        if "msgid" in entry:
            entries.append(entry)
        entry = {}

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            flush()
            key = None
        elif line.startswith("#,"):
            if "msgid" in entry:
                flush()
            entry.setdefault("flags", set()).update(f.strip() for f in line[2:].split(","))
        elif line.startswith("#~"):
            entry["obsolete"] = True
        elif line.startswith("#"):
            if "msgid" in entry:
                flush()
        elif line.startswith('"'):
            assert key is not None, f"continuation line without a keyword: {raw!r}"
            name, index = key
            if name == "msgstr":
                entry["msgstr"][index] += _unquote(line)
            else:
                entry[name] += _unquote(line)
        else:
            keyword, _space, value = line.partition(" ")
            match = re.fullmatch(r"msgstr\[(\d+)\]", keyword)
            if match or keyword == "msgstr":
                index = int(match.group(1)) if match else 0
                strings = entry.setdefault("msgstr", [])
                strings.extend([""] * (index + 1 - len(strings)))
                strings[index] = _unquote(value)
                key = ("msgstr", index)
            else:
                assert keyword in ("msgctxt", "msgid", "msgid_plural"), f"unexpected line: {raw!r}"
                entry[keyword] = _unquote(value)
                key = (keyword, 0)
    flush()
    for e in entries:
        e.setdefault("flags", set())
        e.setdefault("msgctxt", None)
        e.setdefault("msgid_plural", None)
    return entries


def parse_mo(path: Path) -> dict[str, str]:
    """{original: translation} of a GNU .mo file (plural forms stay NUL-joined, contexts EOT-prefixed)."""
    data = path.read_bytes()
    magic = struct.unpack("<I", data[:4])[0]
    order = "<" if magic == 0x950412DE else ">"
    _revision, count, originals, translations = struct.unpack(order + "4I", data[4:20])
    catalogue = {}
    for i in range(count):
        length, offset = struct.unpack(order + "2I", data[originals + 8 * i : originals + 8 * i + 8])
        original = data[offset : offset + length].decode()
        length, offset = struct.unpack(order + "2I", data[translations + 8 * i : translations + 8 * i + 8])
        catalogue[original] = data[offset : offset + length].decode()
    return catalogue


def _messages() -> list[dict]:
    return [e for e in parse_po(PO_FILE) if e["msgid"] and not e.get("obsolete")]


def _header() -> dict[str, str]:
    header = next(e for e in parse_po(PO_FILE) if e["msgid"] == "")
    return dict(line.split(": ", 1) for line in header["msgstr"][0].splitlines() if ": " in line)


def _label(e: dict) -> str:
    return repr(e["msgid"])


# ---- the catalogue file ---------------------------------------------------------------------------


def test_po_header_declares_english_and_its_plural_forms():
    header = _header()

    assert header["Language"] == "en"
    assert header["Plural-Forms"].replace(" ", "") == "nplurals=2;plural=(n!=1);"
    assert "charset=UTF-8" in header["Content-Type"]


def test_catalogue_is_not_trivially_small():
    assert len(_messages()) > 400


def test_every_entry_is_translated_and_none_is_fuzzy():
    messages = _messages()

    fuzzy = [_label(e) for e in messages if "fuzzy" in e["flags"]]
    untranslated = [_label(e) for e in messages if not e.get("msgstr") or not all(s.strip() for s in e["msgstr"])]
    assert fuzzy == []
    assert untranslated == []


def test_plural_entries_have_both_english_forms():
    plurals = [e for e in _messages() if e["msgid_plural"]]

    assert plurals, "the catalogue has plural entries (customer counts, unread notifications)"
    assert [_label(e) for e in plurals if len(e["msgstr"]) != 2] == []


def test_translations_keep_exactly_the_placeholders_of_the_source():
    wrong = []
    for e in _messages():
        expected = sorted(PLACEHOLDER.findall(e["msgid"]))
        for text in e["msgstr"]:
            if sorted(PLACEHOLDER.findall(text)) != expected:
                wrong.append((e["msgid"], text))

    assert wrong == []


def test_translations_have_no_chinese_left():
    leftovers = [(e["msgid"], text) for e in _messages() for text in e["msgstr"] if CJK.search(text)]

    assert leftovers == []


def test_translations_use_typographic_quotes_and_no_stray_whitespace():
    """Some strings land inside HTML attributes (hx-confirm="…"): an ASCII double quote would end them."""
    bad = [
        (e["msgid"], text)
        for e in _messages()
        for text in e["msgstr"]
        if '"' in text or text != text.strip() or "  " in text
    ]

    assert bad == []


def test_translations_add_no_markup():
    """{% translate "…" %} output is not escaped: a "<token>" in the English text would vanish as a tag."""
    bad = [
        (e["msgid"], text)
        for e in _messages()
        for text in e["msgstr"]
        if re.search(r"[<>]|&\w", text) and not re.search(r"[<>]|&\w", e["msgid"])
    ]

    assert bad == []


def test_compiled_mo_matches_the_po():
    """The .mo is committed (fresh clones need no gettext tools): it must be compiled from this .po."""
    compiled = parse_mo(MO_FILE)

    stale = []
    for e in _messages():
        key = e["msgid"] if not e["msgid_plural"] else f"{e['msgid']}\x00{e['msgid_plural']}"
        if e["msgctxt"]:
            key = f"{e['msgctxt']}\x04{key}"
        if compiled.get(key) != "\x00".join(e["msgstr"]):
            stale.append(e["msgid"])
    assert stale == []


# ---- translations at run time ----------------------------------------------------------------------


def test_key_strings_translate_to_english():
    with translation.override("en"):
        assert gettext("客户") == "Customers"
        assert gettext("公海") == "Shared pool"
        assert gettext("工作台") == "Dashboard"
        assert gettext("领取") == "Claim"
        assert gettext("退回公海") == "Return to pool"
        assert gettext("确认接收") == "Acknowledge"
        assert gettext("统一社会信用代码") == "Unified social credit code"
        assert ngettext("共 %(n)s 个客户", "共 %(n)s 个客户", 1) % {"n": 1} == "1 customer"
        assert ngettext("共 %(n)s 个客户", "共 %(n)s 个客户", 3) % {"n": 3} == "3 customers"


def test_role_labels_translate_to_english():
    with translation.override("en"):
        labels = {role.value: str(role.label) for role in Role}

    assert labels == {
        "clerk": "Sales desk clerk",
        "salesperson": "Salesperson",
        "sales_manager": "Sales manager",
        "finance": "Finance",
        "warehouse": "Warehouse",
        "deputy_gm": "Deputy general manager",
        "gm": "General manager",
        "admin": "Administrator",
    }


def test_stage_labels_translate_to_english_and_stay_chinese_by_default():
    with translation.override("en"):
        english = [str(label) for label in Stage.labels]
    with translation.override("zh-hans"):
        chinese = [str(label) for label in Stage.labels]

    assert english == ["Lead", "Prospect", "Signed", "Lost"]
    assert chinese == ["潜在客户", "意向客户", "签约客户", "流失客户"]


def test_english_import_headers_and_choice_labels_stay_unambiguous():
    """English column titles and choice labels are accepted on import, so they must not collide."""
    from neiqin.core.spreadsheets.columns import map_columns
    from neiqin.customers import importer

    aliases = importer._aliases("en")
    with translation.override("en"):
        headers = [str(title) for title, _names in importer.COLUMNS.values()]
    mapping = map_columns(headers, aliases, required=importer.REQUIRED)
    assert list(mapping) == list(importer.COLUMNS)
    for name, choices in importer.CHOICES.items():
        with translation.override("en"):
            labels = [str(label) for label in choices.labels]
        assert len(set(labels)) == len(labels), name
        lookup = importer._choice_lookup(name)
        assert [lookup[importer._fold(label)] for label in labels] == list(choices.values), name


# ---- pages --------------------------------------------------------------------------------------------


def _navbar_text(html: str) -> str:
    """The navbar's words, minus the language switch (中文 stays Chinese) and the company name."""
    navbar = NAVBAR.search(html)
    assert navbar, "no navbar on the page"
    markup = re.sub(r'<form[^>]*class="language-form.*?</form>', " ", navbar.group(0), flags=re.S)
    markup = re.sub(r'<small class="brand-company.*?</small>', " ", markup, flags=re.S)
    labels = re.findall(r'(?:aria-label|title)="([^"]*)"', markup)
    return " ".join([re.sub(r"<[^>]+>", " ", markup), *labels])


@pytest.mark.parametrize("path", ["/", "/customers/"])
def test_english_user_sees_an_english_navbar(cast, client_for, path):
    client = client_for(cast.clerk)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    response = client.get(path)

    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="en">' in html
    text = _navbar_text(html)
    for label in (
        "Neiqin",
        "Dashboard",
        "Customers",
        "Shared pool",
        "Import",
        "Notifications",
        "My account",
        "Log out",
    ):
        assert label in text
    assert CJK.findall(text) == []


def test_english_pages_show_english_headings(cast, client_for):
    client = client_for(cast.clerk)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    home = client.get("/").content.decode()
    customers = client.get("/customers/").content.decode()

    assert "<title>Dashboard - Neiqin</title>" in home
    assert "Overdue handovers" in home
    assert "<title>Customers - Neiqin</title>" in customers
    assert "More filters" in customers and "No customer files yet." in customers


def test_chinese_stays_the_default_language(cast, client_for):
    html = client_for(cast.clerk).get("/").content.decode()

    text = _navbar_text(html)
    assert "工作台" in text and "客户" in text and "公海" in text
    assert "Dashboard" not in text
