"""The committed spec is the app's spec, and every operation follows the conventions."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from practice_api.app import create_app
from practice_api.core.openapi import operations as openapi_operations
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


def _refs(node: Any, where: str = "#") -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            found.append((where, node["$ref"]))
        for key, value in node.items():
            found.extend(_refs(value, f"{where}/{key}"))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found.extend(_refs(value, f"{where}/{index}"))
    return found


def _resolve(document: dict[str, Any], ref: str) -> bool:
    if not ref.startswith("#/"):
        return False
    node: Any = document
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


@pytest.mark.parametrize("source", ["app", "committed"])
def test_every_ref_resolves(spec: dict[str, Any], source: str) -> None:
    """Paths, webhooks and components alike: a dangling $ref breaks every generator."""
    document = spec if source == "app" else json.loads(SPEC_FILE.read_text())
    dangling = [
        f"{where} -> {ref}" for where, ref in _refs(document) if not _resolve(document, ref)
    ]
    assert not dangling, "dangling $ref:\n" + "\n".join(dangling[:20])


def test_tags_are_defined_globally_with_a_description(spec: dict[str, Any]) -> None:
    defined = {tag["name"]: tag.get("description") for tag in spec.get("tags", [])}
    for section, name, method, operation in openapi_operations(spec):
        for tag in operation.get("tags", []):
            assert defined.get(tag), (
                f"{method.upper()} {name} ({section}): tag {tag!r} has no description: add "
                f'"{tag}": "<one line>" to TAG_DESCRIPTIONS in src/practice_api/core/openapi.py'
            )


def test_every_operation_says_whether_it_needs_a_token(spec: dict[str, Any]) -> None:
    for section, name, method, operation in openapi_operations(spec):
        assert "security" in operation, f"{method.upper()} {name} ({section})"
        assert operation.get("description"), f"{method.upper()} {name}: add a docstring"
