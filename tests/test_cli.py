"""The `practice-api` command line: create-admin and openapi, on a temporary SQLite folder."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from practice_api import cli
from practice_api.app import create_app
from tests.conftest import make_settings


def run_cli(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("PRACTICE_") and key != "CI"
    }
    env.update(
        PRACTICE_DATA_DIR=str(data_dir),
        PRACTICE_PASSWORD_HASH_ROUNDS="1",
        PRACTICE_SEED_DEMO="false",
    )
    return subprocess.run(
        [sys.executable, "-m", "practice_api.cli", *args],
        cwd=data_dir.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def cli_main(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Iterator[Callable[..., tuple[int, str, str]]]:
    """``practice-api ARGS`` in this process (faster than a subprocess): code, out, err."""
    for key in [k for k in os.environ if k.startswith("PRACTICE_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("PRACTICE_DATA_DIR", str(data_dir))
    monkeypatch.setenv("PRACTICE_PASSWORD_HASH_ROUNDS", "1")
    monkeypatch.chdir(data_dir.parent)
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level

    def run(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = cli.main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    yield run
    root.handlers[:] = handlers
    root.setLevel(level)


def sqlite_url(data_dir: Path) -> str:
    return f"sqlite+aiosqlite:///{(data_dir / 'practice.db').resolve()}"


async def test_create_admin_then_sign_in(data_dir: Path) -> None:
    result = run_cli(
        data_dir,
        "create-admin",
        "--firm",
        "Cli & Co",
        "--name",
        "Cleo Cli",
        "--email",
        "Cleo@Cli.example.com",
        "--password",
        "long enough password",
    )
    assert result.returncode == 0, result.stderr
    assert "created firm Cli & Co" in result.stdout
    assert "cleo@cli.example.com" in result.stdout
    assert "long enough password" not in result.stdout + result.stderr

    app = create_app(make_settings(sqlite_url(data_dir), data_dir))
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            token = await client.post(
                "/v1/auth/token",
                data={"username": "cleo@cli.example.com", "password": "long enough password"},
            )
            assert token.status_code == 200, token.text
            headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
            me = (await client.get("/v1/me", headers=headers)).json()
            firm = (await client.get("/v1/firm", headers=headers)).json()
    finally:
        await app.state.runtime.engine.dispose()
    assert me["role"] == "admin" and me["name"] == "Cleo Cli"
    assert firm["name"] == "Cli & Co"


def test_create_admin_refuses_a_taken_email(cli_main: Callable[..., tuple[int, str, str]]) -> None:
    args = ["create-admin", "--firm", "F", "--name", "N", "--password", "long enough"]
    assert cli_main(*args, "--email", "dup@example.com")[0] == 0

    code, _, err = cli_main(*args, "--email", "DUP@example.com")

    assert code == 1
    assert "already exists" in err


def test_create_admin_refuses_bad_input(
    cli_main: Callable[..., tuple[int, str, str]], data_dir: Path
) -> None:
    for firm, name, email, password, complaint in (
        ("F", "N", "a@example.com", "short", "--password: String should have at least 8"),
        ("F", "N", "not-an-email", "long enough", "--email: "),
        ("", "N", "b@example.com", "long enough", "--firm: "),
        ("F", "  ", "b@example.com", "long enough", "--name: "),
    ):
        code, out, err = cli_main(
            "create-admin", "--firm", firm, "--name", name, "--email", email,
            "--password", password,
        )  # fmt: skip
        assert code == 2, (firm, name, email, out, err)
        assert complaint in err
        assert password not in err
    assert not (data_dir / "practice.db").exists()  # refused before touching the database


def test_openapi_prints_and_writes_the_app_spec(
    cli_main: Callable[..., tuple[int, str, str]], data_dir: Path, tmp_path: Path
) -> None:
    code, out, _ = cli_main("openapi")
    assert code == 0
    spec = json.loads(out)
    expected = create_app(make_settings("sqlite+aiosqlite://", data_dir)).openapi()
    assert spec == expected
    assert spec["info"]["title"] == "practice-api"

    target = tmp_path / "openapi.json"
    assert cli_main("openapi", "--output", str(target))[0] == 0
    assert json.loads(target.read_text()) == expected
