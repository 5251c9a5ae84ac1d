"""Finding 8: webhook signing secrets are encrypted at rest (Fernet, key derived from the
secret key); migration 0012 encrypts the ones stored before; keys can rotate."""

from __future__ import annotations

import concurrent.futures
import uuid
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import create_engine, select, text

from practice_api.core.secretbox import PREFIX, SecretBox
from practice_api.schema import alembic_config
from practice_api.webhooks.models import WebhookEndpoint
from tests.helpers import Api

KEY = "test-secret-key-" + "x" * 32  # tests.conftest.make_settings


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"webhook_allow_private_targets": True}


async def _stored(app: Any, endpoint_id: str) -> WebhookEndpoint:
    async with app.state.runtime.sessionmaker() as session:
        endpoint = await session.get(WebhookEndpoint, uuid.UUID(endpoint_id))
        assert endpoint is not None
        return endpoint


async def test_secrets_are_stored_encrypted(api: Api, app: Any) -> None:
    admin = await api.sign_up_firm()
    created = await api.client.post(
        "/v1/webhook-endpoints",
        json={"url": "https://hooks.example.com/in", "event_types": ["entity.created"]},
        headers=admin.headers,
    )
    assert created.status_code == 201, created.text
    secret = created.json()["secret"]
    stored = await _stored(app, created.json()["id"])
    assert stored.secret.startswith(PREFIX) and secret not in stored.secret
    assert SecretBox(KEY).open(stored.secret) == secret

    rotated = await api.client.post(
        f"/v1/webhook-endpoints/{created.json()['id']}/rotate-secret", headers=admin.headers
    )
    assert rotated.status_code == 200, rotated.text
    stored = await _stored(app, created.json()["id"])
    assert stored.previous_secret is not None and stored.previous_secret.startswith(PREFIX)
    assert SecretBox(KEY).open(stored.previous_secret) == secret
    assert SecretBox(KEY).open(stored.secret) == rotated.json()["secret"]


def test_key_rotation_keeps_old_secrets_readable() -> None:
    old = SecretBox("old key " + "o" * 40)
    sealed = old.seal("whsec_abc")
    rotated = SecretBox("new key " + "n" * 40, ["old key " + "o" * 40])
    assert rotated.open(sealed) == "whsec_abc"
    resealed = rotated.reseal(sealed)
    assert SecretBox("new key " + "n" * 40).open(resealed) == "whsec_abc"
    with pytest.raises(ValueError):
        SecretBox("new key " + "n" * 40).open(sealed)


def test_migration_0012_encrypts_existing_secrets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PRACTICE_SECRET_KEY", KEY)
    url = f"sqlite+aiosqlite:///{tmp_path / 'm.db'}"
    config = alembic_config(url)

    def run(target: str) -> None:
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            pool.submit(command.upgrade, config, target).result()

    run("0010")
    sync = create_engine(f"sqlite:///{tmp_path / 'm.db'}")
    firm, endpoint = uuid.uuid4().hex, uuid.uuid4().hex
    with sync.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO firms (id, name, client_ownership_enabled, "
                "detailed_notifications_enabled, created_at, updated_at, version, time_zone) "
                "VALUES (:id, 'F', 0, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00', 1, 'UTC')"
            ),
            {"id": firm},
        )
        connection.execute(
            text(
                "INSERT INTO webhook_endpoints (id, firm_id, url, description, event_types, "
                "active, secret, previous_secret, created_at, updated_at, version) VALUES "
                "(:id, :firm, 'https://x.example.com', '', '[]', 1, 'whsec_plain', "
                "'whsec_older', '2026-01-01 00:00:00', '2026-01-01 00:00:00', 1)"
            ),
            {"id": endpoint, "firm": firm},
        )
    run("head")
    with sync.connect() as connection:
        secret, previous = connection.execute(
            select(text("secret"), text("previous_secret")).select_from(text("webhook_endpoints"))
        ).one()
    sync.dispose()
    assert secret.startswith(PREFIX) and previous.startswith(PREFIX)
    assert SecretBox(KEY).open(secret) == "whsec_plain"
    assert SecretBox(KEY).open(previous) == "whsec_older"
