"""docs/integrators.md: every Python example runs, in order, against a live server."""

from __future__ import annotations

import concurrent.futures
import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn

from practice_api.app import create_app
from practice_api.schema import upgrade_to_head
from practice_api.settings import Settings

DOC = Path(__file__).resolve().parent.parent / "docs" / "integrators.md"
PASSWORD = "correct horse battery staple"


def python_examples() -> list[str]:
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.S)
    return [b for b in blocks if any(line and not line.startswith("#") for line in b.splitlines())]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("integrators")
    url = f"sqlite+aiosqlite:///{folder / 'docs.db'}"
    with concurrent.futures.ThreadPoolExecutor(1) as pool:  # Alembic runs its own loop
        pool.submit(upgrade_to_head, url).result()
    settings = Settings(
        environment="test",
        database_url=url,
        data_dir=folder / "data",
        secret_key="integrators-" + "k" * 32,
        password_hash_rounds=1,
        seed_demo=False,
        run_dispatcher=False,
    )
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    live = uvicorn.Server(config)
    thread = threading.Thread(target=live.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not live.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    live.should_exit = True
    thread.join(timeout=30)


def test_the_python_examples_run(server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    email = "integrator@schmidt.example"
    signup = httpx.post(
        f"{server}/v1/firms",
        json={
            "firm_name": "Schmidt & Partner",
            "admin_name": "Ines Integrator",
            "admin_email": email,
            "admin_password": PASSWORD,
        },
    )
    assert signup.status_code == 201, signup.text
    monkeypatch.setenv("PRACTICE_API_URL", server)
    monkeypatch.setenv("PRACTICE_API_EMAIL", email)
    monkeypatch.setenv("PRACTICE_API_PASSWORD", PASSWORD)
    namespace: dict[str, object] = {"print": lambda *args, **kwargs: None}
    examples = python_examples()
    assert len(examples) >= 7
    for number, source in enumerate(examples, 1):
        try:
            exec(compile(source, f"docs/integrators.md example {number}", "exec"), namespace)
        except Exception as exc:
            pytest.fail(f"docs/integrators.md example {number} failed: {exc!r}\n\n{source}")


def test_the_generator_commands_are_the_ones_ci_runs() -> None:
    text = DOC.read_text()
    assert "--config openapi/python-client.yaml --meta none" in text
    assert "--default-non-nullable false" in text
