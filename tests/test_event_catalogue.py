"""The event catalogue is the one list: the docs, the OpenAPI spec and the payloads follow it."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

from practice_api.app import create_app
from practice_api.events import catalogue
from practice_api.events.catalogue import normalise_payload
from practice_api.registry import register_all
from practice_api.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


def _spec(tmp_path: Path) -> dict[str, Any]:
    settings = Settings(
        environment="test",
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'spec.db'}",
        secret_key="x" * 40,
        run_dispatcher=False,
    )
    spec: dict[str, Any] = create_app(settings).openapi()
    return spec


def test_every_type_is_documented_in_docs_and_openapi(tmp_path: Path) -> None:
    docs = (ROOT / "docs" / "events.md").read_text()
    spec = _spec(tmp_path)
    schemas = spec["components"]["schemas"]
    for event_type in catalogue.event_types():
        assert f"| `{event_type.name}` |" in docs, event_type.name
        webhook = spec["webhooks"][event_type.name]["post"]
        body = webhook["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        component = schemas[body.rsplit("/", 1)[1]]
        assert component["properties"]["type"]["const"] == event_type.name
        assert "data" in component["properties"]
    for required in (
        "entity.created",
        "entity.updated",
        "entity.archived",
        "entity.deleted",
        "entity.owner_changed",
        "owners.transferred",
        "share.created",
        "share.updated",
        "share.deleted",
    ):
        assert catalogue.get(required) is not None


def test_event_routes_follow_the_conventions(tmp_path: Path) -> None:
    spec = _spec(tmp_path)
    ours = ("/v1/notifications", "/v1/notification-preferences", "/v1/webhook-endpoints")
    seen: set[str] = set()
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            seen.add(operation["operationId"])
            if not path.startswith((*ours, "/v1/activity")):
                continue
            assert re.fullmatch(r"[a-z][a-z0-9_]*", operation["operationId"])
            assert operation["summary"] and operation["tags"], (method, path)
            assert "401" in operation["responses"], (method, path)
            for status, response in operation["responses"].items():
                if status.startswith(("4", "5")):
                    assert "application/problem+json" in response["content"], (path, status)
    operation_ids = [op["operationId"] for item in spec["paths"].values() for op in item.values()]
    assert len(operation_ids) == len(set(operation_ids))


def test_payloads_are_normalised_to_json_and_misfits_kept() -> None:
    register_all()
    owner = uuid.uuid4()
    data, fits = normalise_payload("entity.created", {"name": "A", "owner_user_id": owner})
    assert fits and data["owner_user_id"] == str(owner) and data["changes"] == {}
    data, fits = normalise_payload("entity.created", {"name": "A", "extra_field": owner})
    assert fits and data["extra_field"] == str(owner)  # extra fields are kept
    data, fits = normalise_payload("share.created", {"role": "viewer"})  # user_id missing
    assert not fits and data == {"role": "viewer"}
    data, fits = normalise_payload("not.in.catalogue", {"id": owner})
    assert not fits and data == {"id": str(owner)}


def test_the_documented_verification_snippet_works() -> None:
    import time

    from practice_api.webhooks import signing

    docs = (ROOT / "docs" / "events.md").read_text()
    snippet = re.search(r"```python\n(.*?)```", docs, re.S)
    assert snippet is not None
    namespace: dict[str, Any] = {}
    exec(snippet.group(1), namespace)
    body = b'{"id":"x","type":"webhook.ping"}'
    now = int(time.time())
    header = signing.signature_header(["whsec_a", "whsec_b"], now, uuid.uuid4(), body)
    assert namespace["verify"]("whsec_a", header, body)
    assert namespace["verify"]("whsec_b", header, body)
    assert not namespace["verify"]("whsec_c", header, body)
    assert not namespace["verify"]("whsec_a", header, body + b"x")
    stale = signing.signature_header(["whsec_a"], now - 3600, uuid.uuid4(), body)
    assert not namespace["verify"]("whsec_a", stale, body)
