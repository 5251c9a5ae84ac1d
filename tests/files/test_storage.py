"""The storage contract: the same tests against the local folder and a real S3 server."""

from __future__ import annotations

import hashlib
import os
from collections.abc import AsyncIterator

import pytest

from practice_api.core.storage import (
    LocalStorage,
    ObjectNotFound,
    ObjectStorage,
    S3Storage,
    storage_from_url,
)


async def stream(data: bytes, chunk: int = 64 * 1024) -> AsyncIterator[bytes]:
    for start in range(0, len(data), chunk):
        yield data[start : start + chunk]


async def read_all(
    storage: ObjectStorage, key: str, offset: int = 0, length: int | None = None
) -> bytes:
    return b"".join([chunk async for chunk in await storage.open(key, offset, length)])


async def leftovers(storage: ObjectStorage) -> list[str]:
    """Everything the backend holds: files under the folder, or objects (and unfinished
    multipart uploads) under the prefix."""
    if isinstance(storage, LocalStorage):
        return sorted(
            str(p.relative_to(storage.root)) for p in storage.root.rglob("*") if p.is_file()
        )
    assert isinstance(storage, S3Storage)
    client = storage._client
    objects = client.list_objects_v2(Bucket=storage.bucket, Prefix=storage.prefix)
    uploads = client.list_multipart_uploads(Bucket=storage.bucket, Prefix=storage.prefix)
    return [o["Key"] for o in objects.get("Contents", [])] + [
        "upload:" + u["Key"] for u in uploads.get("Uploads", [])
    ]


@pytest.mark.parametrize("size", [0, 1, 100_000, 9 * 1024 * 1024 + 17])
async def test_round_trip_is_byte_exact_with_its_sha256(storage: ObjectStorage, size: int) -> None:
    # 9 MiB crosses the S3 part size: a multipart upload of two parts.
    data = os.urandom(size)
    stored = await storage.put(stream(data))
    assert stored.size == size
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert await storage.exists(stored.key)
    assert await read_all(storage, stored.key) == data
    assert len(await leftovers(storage)) == 1


async def test_keys_are_fresh_random_ids(storage: ObjectStorage) -> None:
    first = await storage.put(stream(b"same"))
    second = await storage.put(stream(b"same"))
    assert first.key != second.key
    assert len(first.key) == 32 and int(first.key, 16) >= 0


async def test_byte_ranges(storage: ObjectStorage) -> None:
    data = bytes(range(256)) * 1000
    key = (await storage.put(stream(data))).key
    assert await read_all(storage, key, 0, 1) == data[:1]
    assert await read_all(storage, key, 1000, 5000) == data[1000:6000]
    assert await read_all(storage, key, len(data) - 10) == data[-10:]
    assert await read_all(storage, key, 70_000, 200_000) == data[70_000:270_000]
    assert await read_all(storage, key, 5, 0) == b""


async def test_delete_removes_and_is_idempotent(storage: ObjectStorage) -> None:
    key = (await storage.put(stream(b"to be removed"))).key
    await storage.delete(key)
    assert not await storage.exists(key)
    await storage.delete(key)
    assert await leftovers(storage) == []


async def test_missing_key(storage: ObjectStorage) -> None:
    missing = "0" * 32
    assert not await storage.exists(missing)
    with pytest.raises(ObjectNotFound):
        await storage.open(missing)
    with pytest.raises(ObjectNotFound):
        await storage.open(missing, 10, 5)


@pytest.mark.parametrize("fail_after", [0, 3, 200])
async def test_interrupted_write_leaves_no_object(storage: ObjectStorage, fail_after: int) -> None:
    # 200 chunks of 64 KiB = 12.5 MiB: the S3 backend has already sent a part.
    class Interrupted(Exception):
        pass

    async def failing() -> AsyncIterator[bytes]:
        for _ in range(fail_after):
            yield os.urandom(64 * 1024)
        raise Interrupted

    with pytest.raises(Interrupted):
        await storage.put(failing())
    assert await leftovers(storage) == []


async def test_keys_cannot_name_paths(storage: ObjectStorage) -> None:
    for hostile in ("../../etc/passwd", "a" * 31 + "/", "", "A" * 32):
        with pytest.raises(ValueError):
            await storage.open(hostile)
        with pytest.raises(ValueError):
            await storage.delete(hostile)


def test_storage_urls(tmp_path: object) -> None:
    from pathlib import Path

    data_dir = Path("/srv/data")
    default = storage_from_url(None, data_dir=data_dir)
    assert isinstance(default, LocalStorage) and default.root == data_dir / "files"
    folder = storage_from_url("file:///mnt/files%20x", data_dir=data_dir)
    assert isinstance(folder, LocalStorage) and folder.root == Path("/mnt/files x")
    s3 = storage_from_url(
        "s3://bucket/some/prefix?endpoint=http://127.0.0.1:9000&region=eu-west-1",
        data_dir=data_dir,
        access_key="k",
        secret_key="s",
    )
    assert isinstance(s3, S3Storage)
    assert (s3.bucket, s3.prefix) == ("bucket", "some/prefix/")
    assert s3._client.meta.region_name == "eu-west-1"
    for bad in ("s3://key:secret@bucket", "s3://", "ftp://x", "s3://b?endpont=x", "file://host/x"):
        with pytest.raises(ValueError):
            storage_from_url(bad, data_dir=data_dir)
