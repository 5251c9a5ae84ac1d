"""The upload pipeline without routes: sniffing, names, limits, multipart streaming."""

from __future__ import annotations

import hashlib
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from practice_api.core.errors import (
    BadRequest,
    PayloadTooLarge,
    UnsupportedMediaType,
    ValidationFailed,
)
from practice_api.core.storage import LocalStorage
from practice_api.files import sniff as s
from practice_api.files.upload import (
    MAX_NAME_BYTES,
    UploadPolicy,
    clean_filename,
    receive_multipart_upload,
    store_upload,
)
from practice_api.settings import DEFAULT_UPLOAD_TYPES
from tests.files import samples

POLICY = UploadPolicy(max_bytes=1024 * 1024, allowed_types=DEFAULT_UPLOAD_TYPES)


@pytest.mark.parametrize(
    ("data", "name", "expected"),
    [
        (samples.PDF, "x.bin", "application/pdf"),
        (samples.PNG, "photo.jpg", "image/png"),
        (samples.JPEG, None, "image/jpeg"),
        (samples.GIF, None, "image/gif"),
        (samples.ooxml("word"), "scan.pdf", s.DOCX),
        (samples.ooxml("xl"), None, s.XLSX),
        (samples.ooxml("ppt"), None, s.PPTX),
        (samples.odf("application/vnd.oasis.opendocument.spreadsheet"), None,
         "application/vnd.oasis.opendocument.spreadsheet"),
        (samples.plain_zip(), "book.xlsx", s.ZIP),
        (samples.ole2("WordDocument"), None, s.DOC),
        (samples.ole2("Workbook"), "x.doc", s.XLS),
        (samples.ole2("PowerPoint Document"), None, s.PPT),
        (samples.ole2(None), "old.xls", s.XLS),
        (samples.ole2(None), "unknown.bin", s.OLE2),
        (samples.CSV, "ledger.txt", "text/csv"),
        (b"a,b\n", "export.csv", "text/csv"),
        (samples.TEXT, None, "text/plain"),
        (samples.XML, None, "application/xml"),
        (b'{"a": 1}', None, "application/json"),
        (samples.HTML, "innocent.pdf", "text/html"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", None, "image/svg+xml"),
        (samples.EXE, "invoice.pdf", "application/vnd.microsoft.portable-executable"),
        (b"\x00\x01\x02\x03binary", "a.txt", s.OCTET_STREAM),
        (b"Received: from x\nFrom: a@b\nSubject: hi\n\nbody", "mail.eml", "message/rfc822"),
    ],
)  # fmt: skip
def test_sniffing_trusts_the_bytes(data: bytes, name: str | None, expected: str) -> None:
    assert s.sniff(data, name) == expected


def test_sniffing_text_cut_inside_a_character() -> None:
    text = ("å" * 40_000).encode()[: s.SNIFF_BYTES - 1]  # ends in half a character
    assert s.sniff(text) == "text/plain"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("report.pdf", "report.pdf"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\eve\\..\\secret.xlsx", "secret.xlsx"),
        ("/abs/path/to/a.docx", "a.docx"),
        ("evil\x00name\r\n.pdf", "evilname.pdf"),
        ("invoice\u202efdp.exe", "invoicefdp.exe"),  # right-to-left override removed
        ("CON", "_CON"),
        ("nul.txt", "_nul.txt"),
        ('a<b>c:d"e|f?g*h.csv', "a_b_c_d_e_f_g_h.csv"),
        ("  ...hidden  ", "hidden"),
        ("", "file"),
        (None, "file"),
        ("..", "file"),
        ("Årsrapport   2026 .pdf", "Årsrapport 2026.pdf"),
        ("noextension", "noextension"),
    ],
)
def test_clean_filename(raw: str | None, expected: str) -> None:
    assert clean_filename(raw) == expected


def test_clean_filename_limits_length_and_keeps_the_extension() -> None:
    long = "æ" * 500 + ".xlsx"
    cleaned = clean_filename(long)
    assert cleaned.endswith(".xlsx")
    assert len(cleaned.encode()) <= MAX_NAME_BYTES
    assert cleaned.startswith("ææ")


async def chunks_of(data: bytes, size: int = 8192) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def stored_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


async def test_store_upload_round_trip(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)
    data = samples.PDF + os.urandom(300_000)
    received = await store_upload(
        chunks_of(data), filename="../a.pdf", storage=storage, policy=POLICY
    )
    assert (received.name, received.content_type, received.size) == (
        "a.pdf",
        "application/pdf",
        len(data),
    )
    assert received.sha256 == hashlib.sha256(data).hexdigest()
    assert storage.path(received.key).read_bytes() == data


@pytest.mark.parametrize("size", [POLICY.max_bytes + 1, 10 * POLICY.max_bytes])
async def test_too_large_stores_nothing(tmp_path: Path, size: int) -> None:
    storage = LocalStorage(tmp_path)
    data = samples.PDF + bytes(size - len(samples.PDF))
    with pytest.raises(PayloadTooLarge):
        await store_upload(chunks_of(data, 65536), filename="a.pdf", storage=storage, policy=POLICY)
    assert stored_files(tmp_path) == []


async def test_exactly_the_limit_is_accepted(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)
    data = samples.PDF + bytes(POLICY.max_bytes - len(samples.PDF))
    received = await store_upload(chunks_of(data), filename="a.pdf", storage=storage, policy=POLICY)
    assert received.size == POLICY.max_bytes


async def test_a_tiny_limit_applies_while_sniffing(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)
    policy = UploadPolicy(max_bytes=10, allowed_types=("*",))
    with pytest.raises(PayloadTooLarge):
        await store_upload(chunks_of(samples.PDF, 4), filename=None, storage=storage, policy=policy)
    assert stored_files(tmp_path) == []


async def test_disallowed_type_stores_nothing(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)
    with pytest.raises(UnsupportedMediaType) as error:
        await store_upload(chunks_of(samples.EXE), filename="a.pdf", storage=storage, policy=POLICY)
    assert error.value.extra["content_type"] == "application/vnd.microsoft.portable-executable"
    assert stored_files(tmp_path) == []


async def test_allow_list_patterns(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)
    images_only = UploadPolicy(max_bytes=1000, allowed_types=("image/*",))
    assert (
        await store_upload(
            chunks_of(samples.PNG), filename=None, storage=storage, policy=images_only
        )
    ).content_type == "image/png"
    with pytest.raises(UnsupportedMediaType):
        await store_upload(
            chunks_of(samples.PDF), filename=None, storage=storage, policy=images_only
        )


async def test_empty_files_refused_unless_allowed(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)
    with pytest.raises(ValidationFailed) as error:
        await store_upload(chunks_of(b""), filename="e.txt", storage=storage, policy=POLICY)
    assert error.value.code == "file_empty"
    assert stored_files(tmp_path) == []
    allowing = UploadPolicy(max_bytes=10, allowed_types=("application/pdf",), allow_empty=True)
    received = await store_upload(
        chunks_of(b""), filename="e.txt", storage=storage, policy=allowing
    )
    assert (received.size, received.content_type) == (0, s.OCTET_STREAM)


BOUNDARY = "----practiceboundary7MA4YWxkTrZu0gW"


def multipart(*parts: tuple[str, str | None, bytes], boundary: str = BOUNDARY) -> bytes:
    out = b""
    for field, filename, data in parts:
        disposition = f'form-data; name="{field}"'
        if filename is not None:
            disposition += f'; filename="{filename}"'
        out += f"--{boundary}\r\nContent-Disposition: {disposition}\r\n".encode()
        if filename is not None:
            out += b"Content-Type: application/octet-stream\r\n"
        out += b"\r\n" + data + b"\r\n"
    return out + f"--{boundary}--\r\n".encode()


CONTENT_TYPE = f"multipart/form-data; boundary={BOUNDARY}"
MALFORMED = "multipart_malformed"


@pytest.mark.parametrize("chunk", [1, 7, 4096, 1 << 20])
async def test_multipart_streaming_in_any_chunking(tmp_path: Path, chunk: int) -> None:
    storage = LocalStorage(tmp_path)
    # The payload contains the boundary's prefix and CRLFs to trip a naive parser.
    data = samples.PDF + b"\r\n--" + BOUNDARY[:-3].encode() + b"\r\n" + os.urandom(20_000)
    body = multipart(("note", None, b"hello"), ("file", "Års/rapport.pdf", data), ("x", None, b"y"))
    received = await receive_multipart_upload(
        chunks_of(body, chunk), CONTENT_TYPE, storage=storage, policy=POLICY
    )
    assert storage.path(received.key).read_bytes() == data
    assert received.name == "rapport.pdf"


async def test_multipart_filename_star(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)
    body = (
        (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"; '
            f"filename*=UTF-8''%C3%A5rsregnskab.pdf\r\n\r\n"
        ).encode()
        + samples.PDF
        + f"\r\n--{BOUNDARY}--\r\n".encode()
    )
    received = await receive_multipart_upload(
        chunks_of(body), CONTENT_TYPE, storage=storage, policy=POLICY
    )
    assert received.name == "årsregnskab.pdf"


@pytest.mark.parametrize(
    ("body", "content_type", "error", "code"),
    [
        (multipart(("other", "a.pdf", samples.PDF)), CONTENT_TYPE, BadRequest, MALFORMED),
        (multipart(("file", None, samples.PDF)), CONTENT_TYPE, BadRequest, MALFORMED),
        (multipart(("file", "a.pdf", samples.PDF))[:-30], CONTENT_TYPE, BadRequest, MALFORMED),
        (multipart(("file", "a.pdf", samples.PDF), ("file", "b.pdf", samples.PDF)), CONTENT_TYPE,
         BadRequest, "multipart_too_many_files"),
        (samples.PDF, "application/pdf", UnsupportedMediaType, "multipart_required"),
        (samples.PDF, None, UnsupportedMediaType, "multipart_required"),
        (b"garbage", CONTENT_TYPE, BadRequest, MALFORMED),
    ],
)  # fmt: skip
async def test_bad_multipart_stores_nothing(
    tmp_path: Path, body: bytes, content_type: str | None, error: type[Exception], code: str
) -> None:
    storage = LocalStorage(tmp_path)
    with pytest.raises(error) as raised:
        await receive_multipart_upload(
            chunks_of(body, 10), content_type, storage=storage, policy=POLICY
        )
    assert getattr(raised.value, "code", None) == code
    assert stored_files(tmp_path) == []


async def test_declared_content_length_over_the_limit_is_refused_unread(tmp_path: Path) -> None:
    async def never() -> AsyncIterator[bytes]:
        raise AssertionError("the body must not be read")
        yield b""

    with pytest.raises(PayloadTooLarge):
        await receive_multipart_upload(
            never(), CONTENT_TYPE, storage=LocalStorage(tmp_path), policy=POLICY,
            content_length=POLICY.max_bytes * 2,
        )  # fmt: skip
