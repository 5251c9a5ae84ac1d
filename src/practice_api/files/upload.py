"""The upload pipeline, independent of routes: a byte stream in, a stored object out.

``store_upload`` holds back the first bytes to sniff the content type, refuses what the
policy does not allow (415), empty files (422) and anything past the size limit (413),
and streams the rest into storage while it arrives. Nothing is stored when it refuses:
the type is decided before storage sees a byte, and a size overrun aborts the write.

``MultipartUpload`` reads a ``multipart/form-data`` request body with python-multipart's
push parser, straight from ``request.stream()``. FastAPI's ``UploadFile`` would spool the
whole file to a temporary file first (no size limit applies until it is complete, and
the bytes are written twice); this reads each chunk once, as it comes.

File names from clients are cleaned by ``clean_filename`` and only ever shown back as
metadata; storage keys are random ids.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import re
import unicodedata
from collections import deque
from collections.abc import AsyncIterable, AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

import anyio
from python_multipart.multipart import MultipartParser, parse_options_header

from practice_api.core.errors import (
    BadRequest,
    PayloadTooLarge,
    UnsupportedMediaType,
    ValidationFailed,
    ValidationIssue,
)
from practice_api.core.storage import ObjectStorage
from practice_api.files.sniff import OCTET_STREAM, SNIFF_BYTES, sniff
from practice_api.settings import Settings

MAX_NAME_BYTES = 200  # UTF-8 bytes: fits every file system and a Content-Disposition header
MAX_EXTENSION_CHARS = 16
FALLBACK_NAME = "file"
# Allowance for the multipart envelope (boundaries, part headers, small form fields).
MULTIPART_OVERHEAD = 64 * 1024
# Small text form fields next to the file (e.g. ``shared_with_contacts``) are kept, capped.
MAX_FORM_FIELDS = 20
MAX_FORM_VALUE_BYTES = 1024


@dataclass(frozen=True)
class UploadPolicy:
    max_bytes: int
    allowed_types: tuple[str, ...]
    allow_empty: bool = False

    @classmethod
    def from_settings(cls, settings: Settings) -> UploadPolicy:
        return cls(
            max_bytes=settings.max_upload_bytes,
            allowed_types=tuple(t.strip().lower() for t in settings.upload_allowed_types),
            allow_empty=settings.upload_allow_empty,
        )

    def allows(self, content_type: str) -> bool:
        return any(fnmatch.fnmatchcase(content_type, pattern) for pattern in self.allowed_types)


@dataclass(frozen=True)
class ReceivedFile:
    """A file now in storage, with its metadata (name cleaned, type sniffed)."""

    key: str
    name: str
    content_type: str
    size: int
    sha256: str
    form: Mapping[str, str] = field(default_factory=dict)  # the text form fields


def too_large(policy: UploadPolicy) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"The file is larger than the limit of {policy.max_bytes} bytes.",
        code="file_too_large",
        extra={"max_bytes": policy.max_bytes},
    )


async def store_upload(
    chunks: AsyncIterable[bytes],
    *,
    filename: str | None,
    storage: ObjectStorage,
    policy: UploadPolicy,
) -> ReceivedFile:
    """Check and store one file; raises 413 / 415 / 422 with nothing stored."""
    name = clean_filename(filename)
    source = aiter(chunks)
    head = bytearray()
    exhausted = False
    while len(head) < SNIFF_BYTES:
        try:
            chunk = await anext(source)
        except StopAsyncIteration:
            exhausted = True
            break
        head += chunk
        if len(head) > policy.max_bytes:
            raise too_large(policy)

    if not head:
        if not policy.allow_empty:
            raise ValidationFailed(
                "The file is empty.",
                code="file_empty",
                errors=[ValidationIssue(loc=["body", "file"], msg="empty file", type="empty")],
            )
        content_type = OCTET_STREAM
    else:
        content_type = sniff(bytes(head[:SNIFF_BYTES]), name)
        if not policy.allows(content_type):
            raise UnsupportedMediaType(
                f"Files of type {content_type} are not accepted.",
                code="file_type_not_allowed",
                extra={"content_type": content_type},
            )

    async def body() -> AsyncIterator[bytes]:
        size = len(head)
        yield bytes(head)
        if exhausted:
            return
        async for chunk in source:
            size += len(chunk)
            if size > policy.max_bytes:
                raise too_large(policy)
            yield chunk

    stored = await storage.put(body())
    return ReceivedFile(
        key=stored.key, name=name, content_type=content_type, size=stored.size, sha256=stored.sha256
    )


# --- file names --------------------------------------------------------------------------

_WINDOWS_RESERVED = re.compile(r"^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\..*)?$", re.IGNORECASE)
_FORBIDDEN = set('<>:"/\\|?*')


def clean_filename(raw: str | None, *, fallback: str = FALLBACK_NAME) -> str:
    """A name safe to show and to offer for saving: no path, no control or bidi characters,
    no reserved device name, at most ``MAX_NAME_BYTES`` UTF-8 bytes, extension kept."""
    name = unicodedata.normalize("NFC", raw or "")
    name = re.split(r"[/\\]", name)[-1]  # a path's last part (both separators)
    name = "".join(
        "_" if ch in _FORBIDDEN else ch
        for ch in name
        if unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp")
    )
    name = re.sub(r"\s+", " ", name).strip(" .")
    if not name:
        return fallback
    if _WINDOWS_RESERVED.match(name):
        name = "_" + name
    stem, dot, extension = name.rpartition(".")
    if not dot or not stem or len(extension) > MAX_EXTENSION_CHARS or " " in extension:
        stem, extension = name, ""
    suffix = "." + extension if extension else ""
    budget = MAX_NAME_BYTES - len(suffix.encode())
    stem = _truncate_utf8(stem, budget).rstrip(" .") or fallback
    return stem + suffix


def _truncate_utf8(text: str, limit: int) -> str:
    encoded = text.encode()
    if len(encoded) <= limit:
        return text
    return encoded[:limit].decode(errors="ignore")


# --- multipart ---------------------------------------------------------------------------


@dataclass(frozen=True)
class FilePart:
    field: str
    filename: str | None
    declared_type: str | None


class MultipartUpload:
    """The one file part of a ``multipart/form-data`` body, read as the body arrives.

    Call ``next_file()`` to reach the file part's headers, iterate ``chunks()`` for its
    bytes, then ``finish()`` to check the rest of the body (which must hold no other file).
    Small text form fields (before or after the file) are kept in ``form``: at most
    ``MAX_FORM_FIELDS`` of ``MAX_FORM_VALUE_BYTES`` each, or the body is refused (400).
    """

    def __init__(
        self, body: AsyncIterable[bytes], content_type: str | None, *, field: str = "file"
    ) -> None:
        media_type, options = parse_options_header(content_type or "")
        boundary = options.get(b"boundary")
        if media_type != b"multipart/form-data" or not boundary:
            raise UnsupportedMediaType(
                "Send the file as multipart/form-data with a `file` field.",
                code="multipart_required",
            )
        self.field = field
        self._body = aiter(body)
        self._events: deque[tuple[str, Any]] = deque()
        self._headers: dict[bytes, bytes] = {}
        self._header_field = bytearray()
        self._header_value = bytearray()
        self._ended = False
        self._body_done = False
        self._file: FilePart | None = None
        self.form: dict[str, str] = {}
        self._text_field: str | None = None  # the text part being read, if any
        self._text_value = bytearray()
        self._parser = MultipartParser(
            boundary,
            {
                "on_part_begin": self._on_part_begin,
                "on_header_field": self._on_header_field,
                "on_header_value": self._on_header_value,
                "on_header_end": self._on_header_end,
                "on_headers_finished": self._on_headers_finished,
                "on_part_data": self._on_part_data,
                "on_part_end": self._on_part_end,
                "on_end": self._on_end,
            },
        )

    # parser callbacks (synchronous): they only queue events
    def _on_part_begin(self) -> None:
        self._headers = {}

    def _on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_field += data[start:end]

    def _on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _on_header_end(self) -> None:
        self._headers[bytes(self._header_field).lower()] = bytes(self._header_value)
        self._header_field.clear()
        self._header_value.clear()

    def _on_headers_finished(self) -> None:
        self._text_field = _text_field(self._headers)
        self._text_value.clear()
        if self._text_field is not None and len(self.form) >= MAX_FORM_FIELDS:
            raise ValueError("too many form fields")
        self._events.append(("part", self._headers))

    def _on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._text_field is None:
            self._events.append(("data", bytes(data[start:end])))
            return
        self._text_value += data[start:end]
        if len(self._text_value) > MAX_FORM_VALUE_BYTES:
            raise ValueError("form field too long")

    def _on_part_end(self) -> None:
        if self._text_field is not None:
            self.form[self._text_field] = _decode(bytes(self._text_value))
            self._text_field = None
        self._events.append(("part_end", None))

    def _on_end(self) -> None:
        self._ended = True
        self._events.append(("end", None))

    async def _next_event(self) -> tuple[str, Any]:
        while not self._events:
            if self._body_done:
                raise _malformed("The multipart body ended early.")
            try:
                chunk = await anext(self._body)
            except StopAsyncIteration:
                self._body_done = True
                self._finalize()
                continue
            if chunk:
                self._write(chunk)
        return self._events.popleft()

    def _write(self, chunk: bytes) -> None:
        try:
            self._parser.write(chunk)
        except Exception as exc:  # python-multipart raises its own parse errors
            raise _malformed("The multipart body is malformed.") from exc

    def _finalize(self) -> None:
        try:
            self._parser.finalize()
        except Exception as exc:
            raise _malformed("The multipart body is malformed.") from exc

    async def next_file(self) -> FilePart:
        """Skip to the file part; 400 when the body ends without one."""
        while True:
            kind, value = await self._next_event()
            if kind == "end":
                raise _malformed(f"The multipart body has no `{self.field}` file field.")
            if kind != "part":
                continue
            part = _file_part(value)
            if part is None:
                continue
            if part.field != self.field:
                # A file in another field would be dropped without a word: refuse it.
                raise _malformed(
                    f"Unexpected file field `{part.field}`: send one file, as `{self.field}`."
                )
            self._file = part
            return part

    async def chunks(self) -> AsyncIterator[bytes]:
        if self._file is None:
            raise RuntimeError("call next_file() first")
        while True:
            kind, value = await self._next_event()
            if kind == "data":
                yield value
            elif kind == "part_end":
                return
            else:
                raise _malformed("The multipart body is malformed.")

    async def finish(self) -> None:
        """Read the rest of the body; 400 if it holds another file or is cut short."""
        while not self._ended:
            kind, value = await self._next_event()
            if kind == "part" and _file_part(value) is not None:
                raise _malformed("Send one file per request.", code="multipart_too_many_files")


def _file_part(headers: dict[bytes, bytes]) -> FilePart | None:
    """The part's field name and file name, or None for a plain form field."""
    disposition = headers.get(b"content-disposition", b"")
    kind, options = parse_options_header(disposition)
    if kind != b"form-data":
        return None
    filename = _filename_from(disposition, options)
    if filename is None:
        return None
    declared = headers.get(b"content-type")
    return FilePart(
        field=_decode(options.get(b"name", b"")),
        filename=filename,
        declared_type=_decode(declared) if declared else None,
    )


def _text_field(headers: dict[bytes, bytes]) -> str | None:
    """The name of a plain (non-file) form field, or None for a file part."""
    disposition = headers.get(b"content-disposition", b"")
    kind, options = parse_options_header(disposition)
    if kind != b"form-data" or _filename_from(disposition, options) is not None:
        return None
    return _decode(options.get(b"name", b""))


_FILENAME_STAR = re.compile(rb"filename\*\s*=\s*([\w!#$&+.^`|~-]+)'[^']*'([^;\s]+)", re.IGNORECASE)


def _filename_from(disposition: bytes, options: dict[bytes, bytes]) -> str | None:
    star = _FILENAME_STAR.search(disposition)
    if star:  # RFC 5987 / 6266: charset''percent-encoded
        charset = star.group(1).decode("ascii").lower()
        try:
            return unquote(star.group(2).decode("ascii"), encoding=charset, errors="replace")
        except LookupError:
            pass
    if b"filename" in options:
        return _decode(options[b"filename"])
    return None


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")  # what browsers send in practice
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _malformed(detail: str, *, code: str = "multipart_malformed") -> BadRequest:
    return BadRequest(detail, code=code)


async def receive_multipart_upload(
    body: AsyncIterable[bytes],
    content_type: str | None,
    *,
    storage: ObjectStorage,
    policy: UploadPolicy,
    content_length: int | None = None,
) -> ReceivedFile:
    """Parse, check and store the ``file`` field of a multipart body.

    Any failure after the object was stored (a second file, a body cut short) deletes it
    again, so the caller sees either a stored file or an error with nothing stored.
    """
    if content_length is not None and content_length > policy.max_bytes + MULTIPART_OVERHEAD:
        raise too_large(policy)  # refused before reading a byte
    upload = MultipartUpload(body, content_type)
    part = await upload.next_file()
    received = await store_upload(
        upload.chunks(), filename=part.filename, storage=storage, policy=policy
    )
    try:
        await upload.finish()
    except BaseException:
        await _forget(storage, received.key)
        raise
    return dataclasses.replace(received, form=dict(upload.form))


async def _forget(storage: ObjectStorage, key: str) -> None:
    with anyio.CancelScope(shield=True):
        await storage.delete(key)
