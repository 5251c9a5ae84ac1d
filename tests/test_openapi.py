"""The committed spec is the app's spec, and every operation follows the conventions."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from practice_api.app import create_app
from practice_api.settings import Settings

SPEC_FILE = Path(__file__).resolve().parent.parent / "openapi" / "openapi.json"
METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture(scope="module")
def spec(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    data_dir = tmp_path_factory.mktemp("spec")
    settings = Settings(environment="test", data_dir=data_dir, secret_key="s" * 40)
    generated: dict[str, Any] = create_app(settings).openapi()
    return generated


def _operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def test_committed_spec_matches_the_app(spec: dict[str, Any]) -> None:
    committed = json.loads(SPEC_FILE.read_text())
    assert committed == spec, (
        "openapi/openapi.json is out of date: run `practice-api openapi -o openapi/openapi.json`"
    )


def test_operation_ids_are_unique_snake_case(spec: dict[str, Any]) -> None:
    ids = [operation.get("operationId") for _, _, operation in _operations(spec)]
    assert all(isinstance(i, str) and re.fullmatch(r"[a-z][a-z0-9]*(_[a-z0-9]+)*", i) for i in ids)
    assert len(ids) == len(set(ids))


def test_every_operation_has_a_tag_a_summary_and_problem_errors(spec: dict[str, Any]) -> None:
    for method, path, operation in _operations(spec):
        where = f"{method.upper()} {path}"
        assert len(operation.get("tags", [])) == 1, where
        assert operation.get("summary"), where
        for status, response in operation["responses"].items():
            if status.startswith(("4", "5")) and status != "304":
                content = response.get("content", {})
                assert "application/problem+json" in content, (where, status)
                schema = content["application/problem+json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/Problem"}, (where, status)


def test_authenticated_operations_document_401(spec: dict[str, Any]) -> None:
    for method, path, operation in _operations(spec):
        if operation.get("security"):
            assert "401" in operation["responses"], f"{method.upper()} {path}"


def test_posts_document_the_idempotency_key(spec: dict[str, Any]) -> None:
    for method, path, operation in _operations(spec):
        if method == "post" and operation.get("security"):
            names = {parameter["name"] for parameter in operation.get("parameters", [])}
            assert "Idempotency-Key" in names, path
            assert "409" in operation["responses"], path
