"""Content types from the first bytes of a file, never from what the client claims.

A small, dependency-free sniffer for what accounting and audit work exchanges. The
well-known pure-Python libraries (``filetype``, ``puremagic``) either stopped being
maintained or guess Office formats from the extension; here the bytes decide the family
(PDF, image, ZIP container, OLE2 container, text) and only then does the inspection go
deeper (which entries a ZIP holds, which streams an OLE2 file names). The client's file
name extension is consulted only to pick a member of a family the bytes already proved,
e.g. a CSV among plain-text files, or a legacy Word file among OLE2 files whose directory
lies beyond the sniffed window.
"""

from __future__ import annotations

import re

# How many leading bytes the upload pipeline holds back for sniffing.
SNIFF_BYTES = 64 * 1024

OCTET_STREAM = "application/octet-stream"
ZIP = "application/zip"
OLE2 = "application/x-ole-storage"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
DOC = "application/msword"
XLS = "application/vnd.ms-excel"
PPT = "application/vnd.ms-powerpoint"
MSG = "application/vnd.ms-outlook"

_SIGNATURES: tuple[tuple[int, bytes, str], ...] = (
    (0, b"%PDF-", "application/pdf"),
    (0, b"\x89PNG\r\n\x1a\n", "image/png"),
    (0, b"\xff\xd8\xff", "image/jpeg"),
    (0, b"GIF87a", "image/gif"),
    (0, b"GIF89a", "image/gif"),
    (0, b"II*\x00", "image/tiff"),
    (0, b"MM\x00*", "image/tiff"),
    (0, b"BM", "image/bmp"),
    (0, b"{\\rtf", "application/rtf"),
    (0, b"7z\xbc\xaf\x27\x1c", "application/x-7z-compressed"),
    (0, b"\x1f\x8b", "application/gzip"),
    (0, b"Rar!\x1a\x07", "application/vnd.rar"),
    (0, b"MZ", "application/vnd.microsoft.portable-executable"),
    (0, b"\x7fELF", "application/x-executable"),
    (0, b"\xca\xfe\xba\xbe", "application/x-mach-binary"),
    (0, b"\xcf\xfa\xed\xfe", "application/x-mach-binary"),
)

_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")  # a file, or an empty archive
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ODF_TYPES = {
    b"application/vnd.oasis.opendocument.text",
    b"application/vnd.oasis.opendocument.spreadsheet",
    b"application/vnd.oasis.opendocument.presentation",
}
_OOXML_DIRS = ((b"word/", DOCX), (b"xl/", XLSX), (b"ppt/", PPTX))
_OOXML_BY_EXTENSION = {
    "docx": DOCX,
    "docm": DOCX,
    "xlsx": XLSX,
    "xlsm": XLSX,
    "pptx": PPTX,
    "pptm": PPTX,
}
# OLE2 directory entries are UTF-16LE names.
_OLE2_STREAMS = (
    ("WordDocument".encode("utf-16-le"), DOC),
    ("Workbook".encode("utf-16-le"), XLS),
    ("Book".encode("utf-16-le") + b"\x00\x00", XLS),
    ("PowerPoint Document".encode("utf-16-le"), PPT),
    ("__substg1.0_".encode("utf-16-le"), MSG),
)
_OLE2_BY_EXTENSION = {"doc": DOC, "dot": DOC, "xls": XLS, "xlt": XLS, "ppt": PPT, "msg": MSG}
_MAIL_HEADER = re.compile(
    rb"^(received|return-path|from|to|subject|date|message-id|mime-version|delivered-to):",
    re.IGNORECASE,
)


def sniff(head: bytes, filename: str | None = None) -> str:
    """The content type of a file whose first bytes (up to ``SNIFF_BYTES``) are ``head``."""
    if not head:
        return OCTET_STREAM
    extension = _extension(filename)
    if head.startswith(_ZIP_MAGIC):
        return _zip_kind(head, extension)
    if head.startswith(_OLE2_MAGIC):
        return _ole2_kind(head, extension)
    if head[4:8] == b"ftyp":
        return _iso_media_kind(head)
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "image/webp"
    for offset, magic, content_type in _SIGNATURES:
        if head.startswith(magic, offset):
            return content_type
    text = _as_text(head)
    if text is not None:
        return _text_kind(text, extension)
    return OCTET_STREAM


def _extension(filename: str | None) -> str:
    if not filename or "." not in filename:
        return ""
    return filename.rsplit(".", 1)[1].lower()


def _zip_kind(head: bytes, extension: str) -> str:
    # ODF puts an uncompressed ``mimetype`` entry first (offset 30 + len("mimetype")).
    if head[30:38] == b"mimetype":
        declared = head[38 : 38 + 80].split(b"PK", 1)[0].strip()
        if declared in _ODF_TYPES:
            return declared.decode()
    names = _zip_local_names(head)
    if any(name == b"[Content_Types].xml" for name in names):
        for prefix, content_type in _OOXML_DIRS:
            if any(name.startswith(prefix) for name in names):
                return content_type
        # The part that names the kind lies beyond the window: trust a matching extension.
        if extension in _OOXML_BY_EXTENSION:
            return _OOXML_BY_EXTENSION[extension]
    return ZIP


def _zip_local_names(head: bytes) -> list[bytes]:
    """Entry names of the ZIP local file headers found in ``head``."""
    names = []
    position = head.find(b"PK\x03\x04")
    while position != -1 and position + 30 <= len(head):
        name_length = int.from_bytes(head[position + 26 : position + 28], "little")
        names.append(head[position + 30 : position + 30 + name_length])
        position = head.find(b"PK\x03\x04", position + 30 + name_length)
    return names


def _ole2_kind(head: bytes, extension: str) -> str:
    for marker, content_type in _OLE2_STREAMS:
        if marker in head:
            return content_type
    return _OLE2_BY_EXTENSION.get(extension, OLE2)


def _iso_media_kind(head: bytes) -> str:
    brand = head[8:12]
    if brand in (b"heic", b"heix", b"heim", b"heis", b"mif1", b"msf1"):
        return "image/heic"
    if brand in (b"avif", b"avis"):
        return "image/avif"
    if brand.startswith(b"qt"):
        return "video/quicktime"
    return "video/mp4"


def _as_text(head: bytes) -> str | None:
    """``head`` decoded when it is text (UTF-8 or UTF-16 with a BOM), else None."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return head[2 : len(head) - len(head) % 2].decode(
                "utf-16-le" if head[0] == 0xFF else "utf-16-be"
            )
        except UnicodeDecodeError:
            return None
    if b"\x00" in head:
        return None
    # The window may cut a multi-byte character in two: allow up to 3 trailing bytes.
    for cut in range(4):
        try:
            text = head[: len(head) - cut].decode("utf-8")
            break
        except UnicodeDecodeError:
            continue
    else:
        return None
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\n\r\f")
    if controls > max(1, len(text) // 100):
        return None
    return text.removeprefix("\ufeff")


def _text_kind(text: str, extension: str) -> str:
    stripped = text.lstrip()
    lowered = stripped[:512].lower()
    if lowered.startswith("<?xml"):
        return "image/svg+xml" if "<svg" in lowered else "application/xml"
    if lowered.startswith(("<!doctype html", "<html", "<head", "<body", "<script")):
        return "text/html"
    if lowered.startswith("<svg"):
        return "image/svg+xml"
    if stripped.startswith(("{", "[")) and extension in ("json", "") and _looks_like_json(stripped):
        return "application/json"
    first_lines = text.splitlines()[:5]
    if len(first_lines) >= 2 and all(_MAIL_HEADER.match(line.encode()) for line in first_lines[:2]):
        return "message/rfc822"
    if extension in ("csv", "tsv") or _looks_like_csv(text):
        return "text/csv"
    return "text/plain"


def _looks_like_json(text: str) -> bool:
    closing = {"{": "}", "[": "]"}[text[0]]
    return text.rstrip().endswith(closing) or len(text) >= SNIFF_BYTES - 4


def _looks_like_csv(text: str) -> bool:
    """At least three lines with the same, non-zero count of one delimiter."""
    lines = [line for line in text.splitlines()[:20] if line.strip()]
    if len(lines) < 3:
        return False
    if len(text) >= SNIFF_BYTES - 4:
        lines = lines[:-1]  # the window may cut the last line
    for delimiter in (",", ";", "\t", "|"):
        counts = {line.count(delimiter) for line in lines}
        if len(counts) == 1 and counts.pop() > 0:
            return True
    return False
