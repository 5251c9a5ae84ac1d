"""Object storage for file contents: one small async interface, two backends.

Keys are random ids generated here, never derived from a file name, so no client input
ever reaches a path or an object name. ``put`` consumes a stream and either stores all of
it or nothing: the local backend writes a temporary file and renames it into place; the
S3 backend sends one ``PutObject`` for small files and a multipart upload (aborted on
failure) for large ones, so memory stays at one part whatever the file size.

Configuration (``PRACTICE_STORAGE_URL``):

* unset: the ``files`` folder inside ``PRACTICE_DATA_DIR`` (the embedded default);
* ``file:///absolute/path``: another local folder;
* ``s3://bucket[/prefix]?endpoint=http://host:port&region=eu-west-1&addressing=path``:
  any S3-compatible store. ``endpoint`` is omitted for AWS itself; ``addressing`` is
  ``path`` (the default when an endpoint is given, as MinIO, SeaweedFS and Garage expect)
  or ``virtual``. Credentials come from ``PRACTICE_STORAGE_ACCESS_KEY`` and
  ``PRACTICE_STORAGE_SECRET_KEY``, or, when unset, from the AWS default chain
  (``AWS_ACCESS_KEY_ID``..., instance roles). They never go in the URL.

The S3 backend uses boto3 (the AWS SDK, which every S3-compatible store is tested
against) from worker threads; a boto3 client is thread-safe.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import secrets
import tempfile
from abc import ABC, abstractmethod
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import anyio
import anyio.to_thread

CHUNK_SIZE = 64 * 1024
S3_PART_SIZE = 8 * 1024 * 1024  # S3's minimum is 5 MiB for all parts but the last
_KEY = re.compile(r"^[0-9a-f]{32}$")


class ObjectNotFound(Exception):
    """No object under that key."""


@dataclass(frozen=True)
class StoredObject:
    key: str
    size: int
    sha256: str


def new_key() -> str:
    return secrets.token_hex(16)


def _checked(key: str) -> str:
    if not _KEY.match(key):
        raise ValueError("not a storage key")
    return key


class ObjectStorage(ABC):
    """Where file contents live. Every method is safe to call concurrently."""

    @abstractmethod
    async def put(self, chunks: AsyncIterable[bytes]) -> StoredObject:
        """Store the stream under a new key; on any error (or cancellation) store nothing."""

    @abstractmethod
    async def open(
        self, key: str, offset: int = 0, length: int | None = None
    ) -> AsyncIterator[bytes]:
        """The bytes ``offset .. offset+length`` (to the end when ``length`` is None).

        Raises ObjectNotFound before any byte is produced, so a caller can still answer
        an error instead of a truncated response.
        """

    @abstractmethod
    async def delete(self, key: str) -> None:
        """Remove the object; removing a missing object is not an error."""

    @abstractmethod
    async def exists(self, key: str) -> bool: ...


class LocalStorage(ObjectStorage):
    """A folder: ``objects/<2 hex>/<key>``, with uploads in progress under ``tmp/``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._objects = root / "objects"
        self._tmp = root / "tmp"

    def path(self, key: str) -> Path:
        key = _checked(key)
        return self._objects / key[:2] / key

    async def put(self, chunks: AsyncIterable[bytes]) -> StoredObject:
        key = new_key()
        final = self.path(key)
        await anyio.to_thread.run_sync(partial(self._tmp.mkdir, parents=True, exist_ok=True))
        fd, tmp_name = await anyio.to_thread.run_sync(
            partial(tempfile.mkstemp, dir=self._tmp, prefix="upload-", suffix=".part")
        )
        tmp = Path(tmp_name)
        digest = hashlib.sha256()
        size = 0
        try:
            async with anyio.wrap_file(os.fdopen(fd, "wb")) as out:
                async for chunk in chunks:
                    digest.update(chunk)
                    size += len(chunk)
                    await out.write(chunk)
                await out.flush()
                await anyio.to_thread.run_sync(os.fsync, out.wrapped.fileno())
            await anyio.to_thread.run_sync(self._move_into_place, tmp, final)
        except BaseException:
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(partial(tmp.unlink, missing_ok=True))
            raise
        return StoredObject(key=key, size=size, sha256=digest.hexdigest())

    @staticmethod
    def _move_into_place(tmp: Path, final: Path) -> None:
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp, final)  # atomic on one filesystem: readers see all or nothing

    async def open(
        self, key: str, offset: int = 0, length: int | None = None
    ) -> AsyncIterator[bytes]:
        try:
            handle = await anyio.open_file(self.path(key), "rb")
        except FileNotFoundError:
            raise ObjectNotFound(key) from None
        try:
            await handle.seek(offset)
        except BaseException:
            await handle.aclose()
            raise
        return self._read(handle, length)

    @staticmethod
    async def _read(handle: anyio.AsyncFile[bytes], length: int | None) -> AsyncIterator[bytes]:
        remaining = length
        try:
            while remaining is None or remaining > 0:
                want = CHUNK_SIZE if remaining is None else min(CHUNK_SIZE, remaining)
                chunk = await handle.read(want)
                if not chunk:
                    break
                if remaining is not None:
                    remaining -= len(chunk)
                yield chunk
        finally:
            with anyio.CancelScope(shield=True):
                await handle.aclose()

    async def delete(self, key: str) -> None:
        await anyio.to_thread.run_sync(partial(self.path(key).unlink, missing_ok=True))

    async def exists(self, key: str) -> bool:
        return await anyio.to_thread.run_sync(self.path(key).is_file)


class S3Storage(ObjectStorage):
    """Any S3-compatible store, through boto3 in worker threads."""

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        endpoint_url: str | None = None,
        region: str | None = None,
        access_key: str | None = None,
        secret_key: str | None = None,
        addressing_style: str | None = None,
        part_size: int = S3_PART_SIZE,
    ) -> None:
        import boto3
        from botocore.config import Config

        if part_size < 5 * 1024 * 1024:
            raise ValueError("S3 parts must be at least 5 MiB")
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.part_size = part_size
        style = addressing_style or ("path" if endpoint_url else "auto")
        config = Config(
            s3={"addressing_style": style},
            # Checksums only where S3 demands them: many S3-compatible stores reject
            # the newer default trailing checksums. Integrity is our own SHA-256.
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
            retries={"mode": "standard", "max_attempts": 3},
            max_pool_connections=20,
        )
        self._client: Any = boto3.session.Session().client(
            "s3",
            endpoint_url=endpoint_url,
            region_name=region or "us-east-1",
            aws_access_key_id=access_key,
            aws_secret_access_key=secret_key,
            config=config,
        )

    def _name(self, key: str) -> str:
        return self.prefix + _checked(key)

    async def _call(self, method: str, **kwargs: Any) -> Any:
        return await anyio.to_thread.run_sync(partial(getattr(self._client, method), **kwargs))

    async def put(self, chunks: AsyncIterable[bytes]) -> StoredObject:
        key = new_key()
        name = self._name(key)
        digest = hashlib.sha256()
        size = 0
        buffer = bytearray()
        upload_id: str | None = None
        parts: list[dict[str, Any]] = []
        stored = False

        async def send_part(data: bytearray) -> None:
            nonlocal upload_id
            if upload_id is None:
                created = await self._call("create_multipart_upload", Bucket=self.bucket, Key=name)
                upload_id = created["UploadId"]
            number = len(parts) + 1
            answer = await self._call(
                "upload_part",
                Bucket=self.bucket,
                Key=name,
                UploadId=upload_id,
                PartNumber=number,
                Body=data,
            )
            parts.append({"PartNumber": number, "ETag": answer["ETag"]})

        try:
            async for chunk in chunks:
                digest.update(chunk)
                size += len(chunk)
                buffer += chunk
                if len(buffer) >= self.part_size:
                    # The part buffer itself goes out (no copy); the next part gets a new one.
                    part, buffer = buffer, bytearray()
                    await send_part(part)
                    del part
            if upload_id is None:
                await self._call("put_object", Bucket=self.bucket, Key=name, Body=buffer)
            else:
                if buffer:
                    await send_part(buffer)
                buffer = bytearray()
                await self._call(
                    "complete_multipart_upload",
                    Bucket=self.bucket,
                    Key=name,
                    UploadId=upload_id,
                    MultipartUpload={"Parts": parts},
                )
            stored = True
        except BaseException:
            with anyio.CancelScope(shield=True):
                if stored:
                    await self.delete(key)
                elif upload_id is not None:
                    await self._abort(name, upload_id)
            raise
        return StoredObject(key=key, size=size, sha256=digest.hexdigest())

    async def _abort(self, name: str, upload_id: str) -> None:
        # On failure the store's lifecycle rules expire the abandoned upload.
        with contextlib.suppress(Exception):
            await self._call(
                "abort_multipart_upload", Bucket=self.bucket, Key=name, UploadId=upload_id
            )

    async def open(
        self, key: str, offset: int = 0, length: int | None = None
    ) -> AsyncIterator[bytes]:
        from botocore.exceptions import ClientError

        arguments: dict[str, Any] = {"Bucket": self.bucket, "Key": self._name(key)}
        if length == 0:
            if not await self.exists(key):
                raise ObjectNotFound(key)
            return _empty()
        if offset or length is not None:
            last = "" if length is None else str(offset + length - 1)
            arguments["Range"] = f"bytes={offset}-{last}"
        try:
            answer = await self._call("get_object", **arguments)
        except ClientError as error:
            if _is_missing(error):
                raise ObjectNotFound(key) from None
            raise
        return self._read(answer["Body"])

    @staticmethod
    async def _read(body: Any) -> AsyncIterator[bytes]:
        try:
            while chunk := await anyio.to_thread.run_sync(body.read, CHUNK_SIZE):
                yield chunk
        finally:
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(body.close)

    async def delete(self, key: str) -> None:
        await self._call("delete_object", Bucket=self.bucket, Key=self._name(key))

    async def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            await self._call("head_object", Bucket=self.bucket, Key=self._name(key))
        except ClientError as error:
            if _is_missing(error):
                return False
            raise
        return True


async def _empty() -> AsyncIterator[bytes]:
    return
    yield b""  # pragma: no cover - makes this an async generator


def _is_missing(error: Any) -> bool:
    code = str(error.response.get("Error", {}).get("Code", ""))
    return code in ("NoSuchKey", "404", "NotFound")


def storage_from_url(
    url: str | None,
    *,
    data_dir: Path,
    access_key: str | None = None,
    secret_key: str | None = None,
) -> ObjectStorage:
    if not url:
        return LocalStorage(data_dir / "files")
    parts = urlsplit(url)
    if parts.scheme == "file":
        if parts.netloc not in ("", "localhost"):
            raise ValueError("a file: storage URL names a local folder: file:///absolute/path")
        return LocalStorage(Path(unquote(parts.path)))
    if parts.scheme == "s3":
        if "@" in parts.netloc:
            raise ValueError(
                "put S3 credentials in PRACTICE_STORAGE_ACCESS_KEY / _SECRET_KEY, not the URL"
            )
        if not parts.netloc:
            raise ValueError("the S3 storage URL needs a bucket: s3://bucket")
        query = {name: values[-1] for name, values in parse_qs(parts.query).items()}
        unknown = set(query) - {"endpoint", "region", "addressing"}
        if unknown:
            raise ValueError(f"unknown S3 storage URL option(s): {', '.join(sorted(unknown))}")
        addressing = query.get("addressing")
        if addressing not in (None, "path", "virtual"):
            raise ValueError("addressing must be path or virtual")
        return S3Storage(
            parts.netloc,
            unquote(parts.path),
            endpoint_url=query.get("endpoint"),
            region=query.get("region"),
            access_key=access_key,
            secret_key=secret_key,
            addressing_style=addressing,
        )
    raise ValueError("PRACTICE_STORAGE_URL must start with file:// or s3://")
