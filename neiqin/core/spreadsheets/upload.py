"""Inspect an uploaded spreadsheet before any parser touches it (RELIABILITY R14, S10).

Everything here is cheap and bounded: the size is checked before a byte is read, the type comes
from magic bytes (never from the name, which is only compared with the content), a ZIP's
central directory is sized from its end record before ``zipfile`` builds one object per entry,
decompression bombs are refused from the declared sizes without inflating anything, and XML
members are scanned only up to their root element for DTDs (billion laughs, external entities).
The file name is never used to build a path.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import os
import struct
import zipfile
import zlib
from dataclasses import dataclass
from typing import IO, Literal, Protocol

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from neiqin.core.spreadsheets.errors import UploadRejected

Kind = Literal["xlsx", "xls", "csv"]

MiB = 1024 * 1024
MAX_UPLOAD_BYTES = 20 * MiB
MAX_UNCOMPRESSED_BYTES = 200 * MiB
MAX_COMPRESSION_RATIO = 100
# Members smaller than this cannot hurt whatever their ratio; small, repetitive parts (styles,
# empty sheets) legitimately compress better than 100:1.
RATIO_CHECK_MIN_BYTES = 1 * MiB
MAX_ZIP_MEMBERS = 10_000
# zipfile walks the central directory by its size, not by the declared entry count.
MAX_ZIP_DIRECTORY_BYTES = 1 * MiB
SNIFF_BYTES = 64 * 1024
XML_PROLOG_LIMIT = 64 * 1024
HASH_CHUNK = 1 * MiB

ZIP_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
XLSX_REQUIRED_MEMBERS = frozenset({"[Content_Types].xml", "xl/workbook.xml"})
EXTENSION_KINDS: dict[str, Kind] = {"xlsx": "xlsx", "xls": "xls", "csv": "csv"}
# Text that is not a table even though it decodes: markup (HTML, SVG, XML), PDF, RTF.
NON_TABLE_TEXT_PREFIXES = ("<", "%PDF", "{\\rtf")
XML_MEMBER_SUFFIXES = (".xml", ".rels", ".vml")
KIND_LABELS = {"xlsx": ".xlsx", "xls": ".xls", "csv": ".csv"}

_EOCD_SIGNATURE = b"PK\x05\x06"
_EOCD_SIZE = 22
_ZIP64_MARKER_16 = 0xFFFF
_ZIP64_MARKER_32 = 0xFFFFFFFF


class UploadedFileLike(Protocol):
    """What Django's ``UploadedFile`` offers; ``size`` is known before anything is read."""

    size: int | None

    def read(self, size: int = -1, /) -> bytes: ...

    def seek(self, offset: int, whence: int = 0, /) -> int: ...


@dataclass(frozen=True, slots=True)
class UploadInfo:
    """What the importer needs to know: the parser to use, and a hash that keys the batch (R7)."""

    kind: Kind
    size: int
    sha256: str


def inspect_upload(*, name: str, data: bytes | UploadedFileLike, max_bytes: int = MAX_UPLOAD_BYTES) -> UploadInfo:
    """Accept or refuse an upload before parsing it.

    Raises :class:`UploadRejected` for empty or oversized files, content that is not an XLSX, XLS
    or CSV table, an extension that disagrees with the content, decompression bombs and XML with
    a DTD. A file object is left rewound to its start for the parser.
    """
    stream, size = _open(data, max_bytes=max_bytes)
    _check_size(size, max_bytes=max_bytes)
    expected = _kind_from_name(name)
    kind = _detect_kind(stream, size)
    if kind != expected:
        raise _mismatch(expected, kind)
    stream.seek(0)
    digest, size = _sha256(stream, max_bytes=max_bytes)
    _check_size(size, max_bytes=max_bytes)
    stream.seek(0)
    return UploadInfo(kind=kind, size=size, sha256=digest)


def assert_defused() -> None:
    """Fail loudly unless openpyxl parses XML through defusedxml.

    openpyxl is still used to fill styled templates; with the standard library parser a crafted
    workbook expands entities (billion laughs). openpyxl decides once, at import time, so the
    environment switch is forced before the first import and the result is checked after it.
    """
    import sys

    if "openpyxl" not in sys.modules:
        os.environ["OPENPYXL_DEFUSEDXML"] = "True"
    import openpyxl.xml
    import openpyxl.xml.functions

    parser_module = getattr(openpyxl.xml.functions.iterparse, "__module__", "")
    if openpyxl.xml.DEFUSEDXML is not True or not parser_module.startswith("defusedxml"):
        raise ImproperlyConfigured(
            "openpyxl does not use defusedxml: install defusedxml and do not set OPENPYXL_DEFUSEDXML=False."
        )


# --- size and source ---------------------------------------------------------------------------


def _open(data: bytes | UploadedFileLike, *, max_bytes: int) -> tuple[IO[bytes], int]:
    """Return a seekable binary stream and its real size.

    A declared ``.size`` is checked before anything is read; the real size then comes from seeking
    to the end, because the ZIP checks must look at the same end of file that ``zipfile`` reads.
    """
    if isinstance(data, bytes | bytearray | memoryview):
        return io.BytesIO(data), len(data)
    declared = getattr(data, "size", None)
    if declared is not None:
        _check_size(int(declared), max_bytes=max_bytes)
    if not hasattr(data, "tell"):
        # zipfile needs tell(); reading one byte past the limit keeps this copy bounded.
        data.seek(0)
        copy = data.read(max_bytes + 1)
        return io.BytesIO(copy), len(copy)
    data.seek(0, os.SEEK_END)
    size = data.tell()  # type: ignore[attr-defined]
    data.seek(0)
    return data, size  # type: ignore[return-value]


def _check_size(size: int, *, max_bytes: int) -> None:
    if size <= 0:
        raise UploadRejected(_("文件是空的（0 字节）。请检查后重新选择文件。"), code="upload_empty")
    if size > max_bytes:
        raise UploadRejected(
            _("文件太大（%(size)s），最多 %(limit)s。请拆分成几个文件后分别上传。")
            % {"size": _human_size(size), "limit": _human_size(max_bytes)},
            code="upload_too_large",
            extra={"size": size, "max_bytes": max_bytes},
        )


def _human_size(size: int) -> str:
    if size >= MiB:
        return f"{size / MiB:.1f} MB"
    if size >= 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size} B"


def _sha256(stream: IO[bytes], *, max_bytes: int) -> tuple[str, int]:
    """Hash in chunks, trusting the bytes read rather than a declared size that could lie."""
    digest = hashlib.sha256()
    total = 0
    while chunk := stream.read(HASH_CHUNK):
        total += len(chunk)
        if total > max_bytes:
            break
        digest.update(chunk)
    return digest.hexdigest(), total


# --- type detection ----------------------------------------------------------------------------


def _kind_from_name(name: str) -> Kind:
    """Map the extension to the kind it promises; the name is only ever compared, never opened."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1].strip().rstrip(". ")
    stem, dot, extension = base.rpartition(".")
    kind = EXTENSION_KINDS.get(extension.lower()) if dot and stem else None
    if kind is None:
        raise UploadRejected(
            _("只支持 .xlsx、.xls 和 .csv 文件。请在 Excel 中另存为 .xlsx 后再上传。"),
            code="upload_extension",
        )
    return kind


def _detect_kind(stream: IO[bytes], size: int) -> Kind:
    """Classify by magic bytes; a ZIP counts as XLSX only once its members passed every check."""
    head = stream.read(SNIFF_BYTES)
    if head.startswith(ZIP_MAGIC):
        _check_xlsx(stream, size)
        return "xlsx"
    if head.startswith(OLE2_MAGIC):
        _check_ole2_header(head)
        return "xls"
    if _is_table_text(head, complete=len(head) >= size):
        return "csv"
    raise UploadRejected(
        _("文件内容不是 Excel 或 CSV 表格（可能是改了扩展名的其他文件）。请用 Excel 打开后另存为 .xlsx 再上传。"),
        code="upload_not_a_table",
    )


def _is_table_text(head: bytes, *, complete: bool) -> bool:
    if b"\0" in head:
        return False
    text = _decode_head(head, complete=complete)
    if text is None:
        return False
    return not text.lstrip("\ufeff \t\r\n").startswith(NON_TABLE_TEXT_PREFIXES)


def _decode_head(head: bytes, *, complete: bool) -> str | None:
    """Decode the sniffed bytes; a multi-byte character cut at the sniff limit is not an error."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return codecs.getincrementaldecoder(encoding)().decode(head, final=complete)
        except UnicodeDecodeError:
            continue
    return None


def _mismatch(expected: Kind, actual: Kind) -> UploadRejected:
    if expected == "xlsx" and actual == "xls":
        message = _(
            "文件扩展名是 .xlsx，但内容是旧版 .xls 或设置了打开密码的工作簿。"
            "请取消密码，或在 Excel 中打开后另存为 .xlsx 再上传。"
        )
    else:
        message = _(
            "文件扩展名是 %(expected)s，但内容是 %(actual)s 格式。请把扩展名改成 %(actual)s，"
            "或在 Excel 中打开后另存为 .xlsx 再上传。"
        ) % {"expected": KIND_LABELS[expected], "actual": KIND_LABELS[actual]}
    return UploadRejected(message, code="upload_type_mismatch", extra={"extension": expected, "content": actual})


def _check_ole2_header(head: bytes) -> None:
    # Byte-order mark of the compound file header; anything else is not a real OLE2 file.
    if head[28:30] != b"\xfe\xff":
        raise _damaged()


def _damaged() -> UploadRejected:
    return UploadRejected(
        _("文件已损坏或不是有效的 Excel 文件。请在 Excel 中打开并另存为 .xlsx 后再上传。"),
        code="upload_damaged",
    )


# --- XLSX (ZIP) checks -------------------------------------------------------------------------


def _check_xlsx(stream: IO[bytes], size: int) -> None:
    """Refuse non-workbook ZIPs, bombs and DTDs without inflating more than a prolog per member."""
    _check_zip_directory(stream, size)
    try:
        archive = zipfile.ZipFile(stream)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, struct.error):
        raise _damaged() from None
    with archive:
        members = archive.infolist()
        _check_members(members)
        _check_expansion(members)
        for member in members:
            if member.filename.lower().endswith(XML_MEMBER_SUFFIXES):
                _check_xml_member(archive, member)


def _check_zip_directory(stream: IO[bytes], size: int) -> None:
    """Read the entry count from the end record, before ``zipfile`` allocates one object per entry.

    A 20 MB upload can declare ~250 000 empty entries, which costs ``zipfile`` seconds and
    hundreds of MB. Real workbooks have a few dozen entries and never need ZIP64.
    """
    tail_size = min(size, _EOCD_SIZE + 0xFFFF)
    stream.seek(size - tail_size)
    tail = stream.read(tail_size)
    position = tail.rfind(_EOCD_SIGNATURE)
    if position < 0 or len(tail) - position < _EOCD_SIZE:
        raise _damaged()
    entries, directory_size = struct.unpack_from("<HI", tail, position + 10)
    if entries == _ZIP64_MARKER_16 or directory_size == _ZIP64_MARKER_32:
        raise _bomb(extra={"entries": entries})
    if entries > MAX_ZIP_MEMBERS or directory_size > MAX_ZIP_DIRECTORY_BYTES:
        raise _bomb(extra={"entries": entries, "directory_bytes": directory_size})
    stream.seek(0)


def _check_members(members: list[zipfile.ZipInfo]) -> None:
    if len(members) > MAX_ZIP_MEMBERS:
        raise _bomb(extra={"entries": len(members)})
    names = [member.filename for member in members]
    if len(names) != len(set(names)):
        # Two members with one name read differently in different parsers.
        raise _damaged()
    if not XLSX_REQUIRED_MEMBERS <= set(names):
        raise UploadRejected(
            _("这个压缩文件不是 Excel 工作簿（.xlsx）。请在 Excel 中打开表格后另存为 .xlsx 再上传。"),
            code="upload_not_a_workbook",
        )
    for member in members:
        if member.flag_bits & 0x1:
            raise UploadRejected(_("文件设置了密码。请在 Excel 中取消密码并另存后再上传。"), code="upload_encrypted")
        if member.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise _damaged()


def _check_expansion(members: list[zipfile.ZipInfo]) -> None:
    """Decide from the declared sizes alone; nothing is decompressed here."""
    total = sum(member.file_size for member in members)
    if total > MAX_UNCOMPRESSED_BYTES:
        raise _bomb(extra={"uncompressed": total})
    for member in members:
        if member.file_size < RATIO_CHECK_MIN_BYTES:
            continue
        ratio = member.file_size / max(member.compress_size, 1)
        if ratio > MAX_COMPRESSION_RATIO:
            raise _bomb(extra={"member_ratio": round(ratio)})


def _bomb(*, extra: dict[str, int]) -> UploadRejected:
    return UploadRejected(
        _("文件解压后异常巨大或结构异常，已拒绝。请在 Excel 中打开并另存为 .xlsx 后再上传。"),
        code="zip_bomb",
        extra=extra,
    )


def _check_xml_member(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> None:
    """Refuse DTDs: entity expansion and external entities need one, workbooks never have one."""
    try:
        with archive.open(member) as handle:
            raw = handle.read(XML_PROLOG_LIMIT)
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, NotImplementedError, RuntimeError):
        raise _damaged() from None
    text = _decode_xml(raw)
    complete = member.file_size <= len(raw)
    upper = text.upper()
    if "<!DOCTYPE" in upper or "<!ENTITY" in upper or _prolog_is_suspicious(text, complete=complete):
        raise UploadRejected(
            _("文件里含有不允许的 XML 声明（DOCTYPE/ENTITY），已拒绝。请在 Excel 中另存为新的 .xlsx 后再上传。"),
            code="xml_entities",
            extra={"member": member.filename[:200]},
        )


def _decode_xml(raw: bytes) -> str:
    """Decode enough to search for markup: XML parsers also accept UTF-16, so must this scan."""
    if raw.startswith((b"\xff\xfe", b"<\x00")):
        return raw.decode("utf-16-le", errors="replace")
    if raw.startswith((b"\xfe\xff", b"\x00<")):
        return raw.decode("utf-16-be", errors="replace")
    return raw.decode("utf-8", errors="replace")


def _prolog_is_suspicious(text: str, *, complete: bool) -> bool:
    """Walk the prolog (declaration, PIs, comments) to the root element.

    A declaration other than a comment there is a DTD in disguise; a prolog that does not end
    within the scan limit could hide one beyond it, so it is refused too.
    """
    position = text.find("<")
    while position >= 0:
        if text.startswith("<?", position):
            end, width = text.find("?>", position + 2), 2
        elif text.startswith("<!--", position):
            end, width = text.find("-->", position + 4), 3
        elif text.startswith("<!", position):
            return True
        else:
            return False  # the root element: the prolog is over
        if end < 0:
            return not complete
        position = text.find("<", end + width)
    return not complete
