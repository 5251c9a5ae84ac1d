"""The breaking-change gate: openapi/openapi.json against the last released spec.

api-smart-diff (openapi/tools/breaking-changes.mjs) classifies every difference; a
breaking one (removed path, operation or property, newly required parameter or field,
narrowed enum, changed type, renamed component) fails unless ``info.version`` has a new
major (``API_VERSION`` in core/openapi.py). Additions pass. openapi/released/v<major>.json is
replaced only at a release (README, "Versioning and deprecation").
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.spec_tools import SPEC_DIR, SPEC_FILE, run, tool

RELEASED = SPEC_DIR / "released"


def _latest_release() -> Path:
    def major(path: Path) -> int:
        return int(path.stem.removeprefix("v"))

    return max(RELEASED.glob("v*.json"), key=major)


def _gate(released: Path, current: Path) -> tuple[int, str]:
    tool("openapi-typescript")  # the npm tools are installed (skips or fails otherwise)
    result = run("node", "tools/breaking-changes.mjs", released, current)
    return result.returncode, result.stdout + result.stderr


def test_no_breaking_change_since_the_last_release() -> None:
    code, report = _gate(_latest_release(), SPEC_FILE)
    assert code == 0, report


def _tiny(version: str, paths: list[str]) -> dict[str, object]:
    ok = {"200": {"description": "OK"}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "t", "version": version},
        "paths": {
            path: {"get": {"operationId": path.strip("/"), "responses": ok}} for path in paths
        },
    }


def test_the_gate_catches_a_break_and_lets_a_new_major_through(tmp_path: Path) -> None:
    released, current = tmp_path / "v1.json", tmp_path / "current.json"
    released.write_text(json.dumps(_tiny("1.0.0", ["/v1/a", "/v1/b"])))

    current.write_text(json.dumps(_tiny("1.1.0", ["/v1/a", "/v1/b", "/v1/c"])))
    code, report = _gate(released, current)
    assert code == 0, report  # an addition

    current.write_text(json.dumps(_tiny("1.1.0", ["/v1/a"])))
    code, report = _gate(released, current)
    assert code == 1 and "BREAKING remove at /paths/~1v1~1b" in report, report

    current.write_text(json.dumps(_tiny("2.0.0", ["/v1/a"])))
    code, report = _gate(released, current)
    assert code == 0, report


def _with_payload(properties: dict[str, object], required: list[str]) -> dict[str, object]:
    schema = {"type": "object", "properties": properties, "required": required}
    content = {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "t", "version": "1.0.0"},
        "paths": {
            "/v1/thing": {
                "get": {
                    "operationId": "thing",
                    "responses": {"200": {"description": "OK", "content": content}},
                }
            }
        },
        "webhooks": {
            "thing.changed": {
                "post": {
                    "requestBody": {"content": content},
                    "responses": {"200": {"description": "OK"}},
                }
            }
        },
        "components": {"schemas": {"Thing": schema}},
    }


def test_answers_and_webhook_payloads_may_grow_but_not_shrink(tmp_path: Path) -> None:
    released, current = tmp_path / "v1.json", tmp_path / "current.json"
    released.write_text(json.dumps(_with_payload({"a": {"type": "string"}}, ["a"])))
    grown = {"a": {"type": "string"}, "b": {"type": "integer"}}
    current.write_text(json.dumps(_with_payload(grown, ["a", "b"])))
    code, report = _gate(released, current)
    assert code == 0, report  # a new required field in what we send breaks no reader

    current.write_text(json.dumps(_with_payload({"b": {"type": "integer"}}, ["b"])))
    code, report = _gate(released, current)
    assert code == 1 and "/paths/~1webhooks~1thing.changed/" in report, report
