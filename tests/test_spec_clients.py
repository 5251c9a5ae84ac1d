"""Clients generated from openapi/openapi.json work: Python end to end, TypeScript type-checks.

* Python: openapi-python-client (settings in openapi/python-client.yaml) generates a
  package, and a short integrator's story runs through it against the real app: sign up
  and sign in, create an entity with an owner, page a list to the end, upload and
  download a file (whole and a range), and a 412 on a stale If-Match.
* TypeScript: openapi-typescript generates the types and ``tsc --noEmit --strict`` checks
  openapi/typescript/example.ts, a small program using openapi-fetch.
"""

from __future__ import annotations

import concurrent.futures
import importlib
import io
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

from practice_api.app import create_app
from practice_api.schema import upgrade_to_head
from practice_api.settings import Settings
from tests.spec_tools import SPEC_DIR, SPEC_FILE, run, tool

PACKAGE = "practice_api_client"
PASSWORD = "correct horse battery staple"


def generate_python_client(target: Path) -> Path:
    """Generate the client package into ``target``; return the folder to put on sys.path."""
    generator = Path(sys.executable).parent / "openapi-python-client"
    output = target / PACKAGE
    result = subprocess.run(
        [
            str(generator),
            "generate",
            "--path",
            str(SPEC_FILE),
            "--config",
            str(SPEC_DIR / "python-client.yaml"),
            "--meta",
            "none",
            "--output-path",
            str(output),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Warning" not in result.stdout, "openapi-python-client warned:\n" + result.stdout
    return target


@pytest.fixture(scope="module")
def client_package(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    root = generate_python_client(tmp_path_factory.mktemp("pyclient"))
    sys.path.insert(0, str(root))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(root))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
            del sys.modules[name]


def _api(name: str) -> Any:
    return importlib.import_module(f"{PACKAGE}.api.{name}")


async def test_python_client_story(client_package: ModuleType, tmp_path: Path) -> None:
    models = importlib.import_module(f"{PACKAGE}.models")
    types = importlib.import_module(f"{PACKAGE}.types")
    url = f"sqlite+aiosqlite:///{tmp_path / 'client.db'}"
    with concurrent.futures.ThreadPoolExecutor(1) as pool:  # Alembic runs its own loop
        pool.submit(upgrade_to_head, url).result()
    settings = Settings(
        environment="test",
        database_url=url,
        data_dir=tmp_path / "data",
        secret_key="client-story-" + "k" * 32,
        password_hash_rounds=1,
        seed_demo=False,
        run_dispatcher=False,
    )
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    base = "http://testserver"
    public = client_package.Client(base_url=base, httpx_args={"transport": transport})

    signup = await _api("firms.firms_sign_up").asyncio_detailed(
        client=public,
        body=models.FirmSignup(
            firm_name="Schmidt & Partner",
            admin_name="Anna Schmidt",
            admin_email="anna@schmidt.example",
            admin_password=PASSWORD,
        ),
    )
    assert signup.status_code == 201, signup.content
    tokens = await _api("auth.auth_token").asyncio(
        client=public, body=models.AuthTokenForm(username="anna@schmidt.example", password=PASSWORD)
    )
    assert isinstance(tokens, models.TokenPair), tokens
    staff = client_package.AuthenticatedClient(
        base_url=base, token=tokens.access_token, httpx_args={"transport": transport}
    )

    owner = await _api("owners.owners_create").asyncio(
        client=staff, body=models.OwnerCreate(name="Jonas Weber")
    )
    assert isinstance(owner, models.OwnerRead), owner
    created = await _api("entities.entities_create").asyncio_detailed(
        client=staff, body=models.EntityCreate(name="Müller Bau GmbH", owner_id=owner.id)
    )
    assert created.status_code == 201 and created.parsed.owner.id == owner.id
    entity, etag = created.parsed, created.headers["etag"]
    for number in range(4):
        more = await _api("entities.entities_create").asyncio_detailed(
            client=staff, body=models.EntityCreate(name=f"Client {number}")
        )
        assert more.status_code == 201

    names: list[str] = []
    cursor: Any = types.UNSET
    while True:
        page = await _api("entities.entities_list").asyncio(
            client=staff, limit=2, cursor=cursor, order_by=models.EntitiesListOrderBy.NAME_DESC
        )
        names += [item.name for item in page.items]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert names == sorted(names, reverse=True) and len(names) == 5

    content = b"Opening balance 2026: 12,400.00 EUR\n" * 20
    upload = await _api("files.files_upload").asyncio_detailed(
        entity.id,
        client=staff,
        body=models.FilesUploadBody(
            file=types.File(
                payload=io.BytesIO(content), file_name="balance.txt", mime_type="text/plain"
            )
        ),
    )
    assert upload.status_code == 201, upload.content
    whole = await _api("files.files_download").asyncio_detailed(upload.parsed.id, client=staff)
    assert whole.status_code == 200 and whole.parsed.payload.read() == content
    part = await _api("files.files_download").asyncio_detailed(
        upload.parsed.id, client=staff, range_="bytes=0-6"
    )
    assert part.status_code == 206 and part.parsed.payload.read() == content[:7]

    fresh = await _api("entities.entities_update").asyncio_detailed(
        entity.id, client=staff, body=models.EntityUpdate(phone="+49 30 1234567"), if_match=etag
    )
    assert fresh.status_code == 200 and fresh.headers["etag"] != etag
    stale = await _api("entities.entities_update").asyncio_detailed(
        entity.id, client=staff, body=models.EntityUpdate(phone="+49 30 7654321"), if_match=etag
    )
    assert stale.status_code == 412 and stale.parsed.code == "stale_etag"
    await app.state.runtime.engine.dispose()


def test_typescript_client_type_checks() -> None:
    """openapi-typescript types + openapi-fetch; tsc --noEmit --strict on example.ts."""
    generator, tsc = tool("openapi-typescript"), tool("tsc")
    work = SPEC_DIR / "typescript"
    generated = work / "schema.d.ts"
    # Fields with a default are optional in requests (the flag keeps them so).
    result = run(generator, SPEC_FILE, "--default-non-nullable", "false", "--output", generated)
    assert result.returncode == 0, result.stdout + result.stderr
    checked = run(tsc, "--project", work / "tsconfig.json")
    assert checked.returncode == 0, "tsc --strict:\n" + checked.stdout + checked.stderr
