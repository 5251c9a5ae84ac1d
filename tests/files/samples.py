"""Small files of each kind, made in code (no binary fixtures in the repository)."""

from __future__ import annotations

import io
import zipfile

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(17)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(32)
GIF = b"GIF89a" + bytes(16)
EXE = b"MZ\x90\x00" + bytes(60)
CSV = b"date;account;amount\n2026-01-01;1000;12.50\n2026-01-02;1100;-3.00\n2026-01-03;1200;7\n"
TEXT = "Bilag til årsregnskab, se vedlagte kontoudtog.\n".encode()
XML = b'<?xml version="1.0" encoding="UTF-8"?>\n<Invoice><ID>42</ID></Invoice>\n'
HTML = b"<!DOCTYPE html><html><script>alert(1)</script></html>"


def ooxml(kind: str) -> bytes:
    """A minimal .docx / .xlsx / .pptx container (``word`` / ``xl`` / ``ppt``)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        archive.writestr("_rels/.rels", '<?xml version="1.0"?><Relationships/>')
        archive.writestr(f"{kind}/document.xml", '<?xml version="1.0"?><document/>')
    return out.getvalue()


def odf(mimetype: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), mimetype, compress_type=zipfile.ZIP_STORED)
        archive.writestr("content.xml", "<office:document-content/>")
    return out.getvalue()


def plain_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("notes.txt", "hello")
    return out.getvalue()


def ole2(stream_name: str | None) -> bytes:
    """An OLE2 compound file header, with a directory entry name when given."""
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)
    directory = (stream_name or "").encode("utf-16-le") + b"\x00\x00" if stream_name else b""
    return header + directory.ljust(512, b"\x00")
