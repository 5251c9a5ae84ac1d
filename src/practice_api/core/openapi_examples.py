"""Request and response examples for every operation, built from the schemas.

Values come, in this order, from the schema itself (``examples`` of a model's
``model_config``/``json_schema_extra`` or of a ``Field``, then ``const``/``default``/``enum``),
then from ``FIXTURES`` (realistic values by ``Schema.property`` or ``property`` name),
then from the type and format. ``tests/test_spec_examples.py`` validates every example
against its schema; when one does not fit, add ``examples=[...]`` to the field or an entry
to ``FIXTURES``.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from practice_api.core.errors import PROBLEM_MEDIA_TYPE, PROBLEM_TYPE_BASE

JSON = "application/json"
_NAMESPACE = uuid.UUID("7d1f3a52-6a0e-4c65-9b2e-3f9a1c2b4d5e")

# Realistic values: "Schema.property" wins over "property".
FIXTURES: dict[str, Any] = {
    "email": "anna.schmidt@example.com",
    "username": "anna.schmidt@example.com",
    "password": "correct horse battery staple",
    "new_password": "a longer passphrase for 2026",
    "current_password": "correct horse battery staple",
    "name": "Anna Schmidt",
    "display_name": "Anna Schmidt",
    "firm_name": "Schmidt & Partner Steuerberatung",
    "title": "Not found",
    "phone": "+49 30 1234567",
    "tax_id": "DE123456789",
    "external_ref": "CRM-10442",
    "notes": "Year-end closing in March; prefers e-mail.",
    "address": "Friedrichstrasse 123, 10117 Berlin",
    "subject": "Documents for the 2025 annual accounts",
    "body": "Please upload the bank statements for December.",
    "filename": "bank-statement-2025-12.pdf",
    "content_type": "application/pdf",
    "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "size": 48213,
    "version": 3,
    "url": "https://hooks.example.com/practice-api",
    "secret": "whsec_5f1c9a7e2b3d4c6e8f0a1b2c3d4e5f60",
    "token": "q3Yx0cW7m1Hn4sT9kLp2Vb8rZe6uAj5d",
    "access_token": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyIn0.c2lnbmF0dXJl",
    "refresh_token": "r1Xk9Vq2Lm8Tz4Ws7Ny3Hb6Jc0Pd5Fe",
    "token_type": "bearer",
    "expires_in": 900,
    "time_zone": "Europe/Berlin",
    "count": 3,
    "unread": 2,
    "detail": "No entity with that id.",
    "code": "entity_not_found",
    "q": "Schmidt",
    "kind": "company",
    "event_types": ["entity.created", "file.uploaded"],
    "role": "viewer",
    # Null where a fresh resource has nothing yet.
    "archived_at": None,
    "deleted_at": None,
    "read_at": None,
    "disabled_at": None,
    "next_cursor": None,
    "AuthTokenForm.refresh_token": None,
    "AuthTokenForm.firm_id": None,
    "Entity.name": "Müller Bau GmbH",
    "EntityRead.name": "Müller Bau GmbH",
    "EntityCreate.name": "Müller Bau GmbH",
    "EntityUpdate.name": "Müller Bau GmbH",
    "Office.name": "Berlin",
    "OfficeRead.name": "Berlin",
    "OfficeCreate.name": "Berlin",
    "OfficeUpdate.name": "Berlin",
    "FirmRead.name": "Schmidt & Partner Steuerberatung",
    "FirmCreate.name": "Schmidt & Partner Steuerberatung",
    "FirmUpdate.name": "Schmidt & Partner Steuerberatung",
    "FileRead.name": "bank-statement-2025-12.pdf",
    "PortalFile.name": "bank-statement-2025-12.pdf",
    "ContactGroupRead.name": "Management",
    "ContactGroupCreate.name": "Management",
    "ContactGroupUpdate.name": "Management",
}

DATE_TIME = "2026-03-02T09:30:00Z"
DATE = "2026-03-31"


def _id_label(name: str | None, prop: str | None) -> str:
    """``EntityRead.id`` and ``entity_id`` elsewhere get the same id."""
    if prop != "id" or not name:
        return prop or "id"
    base = re.sub(r"(Read|Create|Update|Webhook|Summary)$", "", name)
    return re.sub(r"(?<!^)(?=[A-Z])", "_", base).lower() + "_id"


def example_uuid(label: str) -> str:
    """A stable UUID per label, so the same id reads the same across examples."""
    return str(uuid.uuid5(_NAMESPACE, label))


class _Builder:
    def __init__(self, spec: dict[str, Any]) -> None:
        self.schemas: dict[str, Any] = spec.get("components", {}).get("schemas", {})

    def resolve(self, schema: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            name = ref.rsplit("/", 1)[1]
            return name, self.schemas.get(name, {})
        return None, schema

    def build(
        self,
        schema: dict[str, Any],
        *,
        name: str | None = None,
        prop: str | None = None,
        depth: int = 0,
    ) -> Any:
        ref_name, schema = self.resolve(schema)
        name = ref_name or name
        if depth > 8:
            return None
        if schema.get("examples"):
            return schema["examples"][0]
        if "example" in schema:
            return schema["example"]
        if "const" in schema:
            return schema["const"]
        fixture = self.fixture(name, prop)
        if "enum" in schema:
            if fixture in schema["enum"]:
                return fixture
            return schema.get("default") or schema["enum"][0]
        for combinator in ("anyOf", "oneOf"):
            if combinator in schema:
                options = [o for o in schema[combinator] if o.get("type") != "null"]
                explicit_null = (
                    prop is not None and fixture is None and self.has_fixture(name, prop)
                )
                if not options or (explicit_null and len(options) < len(schema[combinator])):
                    return None
                return self.build(options[0], name=name, prop=prop, depth=depth + 1)
        if "allOf" in schema:
            merged: dict[str, Any] = {}
            for part in schema["allOf"]:
                value = self.build(part, name=name, prop=prop, depth=depth + 1)
                if isinstance(value, dict):
                    merged.update(value)
                else:
                    return value
            return merged
        kind = schema.get("type")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), None)
        if kind == "object" or "properties" in schema:
            return self._object(schema, name, depth)
        if kind == "array":
            if isinstance(fixture, list):
                return fixture
            item = self.build(schema.get("items", {}), name=name, prop=prop, depth=depth + 1)
            return [item] * max(1, schema.get("minItems", 1))
        leaf: dict[str, type | tuple[type, ...]] = {
            "string": str,
            "integer": int,
            "number": (int, float),
            "boolean": bool,
        }
        if kind in leaf:
            fits = isinstance(fixture, leaf[kind]) and (kind == "boolean") == isinstance(
                fixture, bool
            )
            if fits:
                return fixture
            if schema.get("default") is not None:
                return schema["default"]
        if kind == "string":
            return self._string(schema, name, prop)
        if kind == "integer":
            return int(schema.get("minimum", 1))
        if kind == "number":
            return float(schema.get("minimum", 1.5))
        if kind == "boolean":
            return False
        return None

    @staticmethod
    def has_fixture(name: str | None, prop: str) -> bool:
        return f"{name}.{prop}" in FIXTURES or prop in FIXTURES

    @staticmethod
    def fixture(name: str | None, prop: str | None) -> Any:
        if prop is None:
            return None
        for key in (f"{name}.{prop}", prop):
            if key in FIXTURES:
                return FIXTURES[key]
        return None

    def _object(self, schema: dict[str, Any], name: str | None, depth: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for prop, sub in schema.get("properties", {}).items():
            out[prop] = self.build(sub, name=name, prop=prop, depth=depth + 1)
        extra = schema.get("additionalProperties")
        if not out and isinstance(extra, dict) and extra:
            out["key"] = self.build(extra, name=name, depth=depth + 1)
        return out

    def _string(self, schema: dict[str, Any], name: str | None, prop: str | None) -> str:
        fmt = schema.get("format")
        if fmt == "uuid":
            return example_uuid(_id_label(name, prop))
        if fmt == "date-time":
            return DATE_TIME
        if fmt == "date":
            return DATE
        if fmt == "email":
            return str(FIXTURES["email"])
        if fmt in ("uri", "url"):
            return str(FIXTURES["url"])
        if fmt == "binary":
            return ""
        if prop and (prop == "id" or prop.endswith("_id")):
            return example_uuid(_id_label(name, prop))
        if prop and prop.endswith("_at"):
            return DATE_TIME
        text = (prop or "text").replace("_", " ")
        low, high = schema.get("minLength", 0), schema.get("maxLength", 200)
        text = text.ljust(low, "x")[:high]
        return text


def example_for(spec: dict[str, Any], schema: dict[str, Any]) -> Any:
    return _Builder(spec).build(schema)


# One example answer per error status, shared through components/examples. Each code is
# one the API really answers (tests/test_spec_examples.py checks it with the error table).
PROBLEM_EXAMPLES: dict[str, tuple[str, str, str]] = {
    "400": ("malformed_body", "Bad request", "The request body is not valid JSON."),
    "401": ("token_missing", "Not authenticated", "A bearer token is required."),
    "403": ("forbidden", "Forbidden", "You may not do this."),
    "404": ("entity_not_found", "Not found", "No entity with that id."),
    "409": ("conflict", "Conflict", "The change conflicts with existing data; retry."),
    "412": (
        "stale_etag",
        "Precondition failed",
        "The resource changed since you read it; read it again and retry.",
    ),
    "413": ("file_too_large", "Payload too large", "The file is larger than the limit."),
    "415": (
        "file_type_not_allowed",
        "Unsupported media type",
        "Files of type application/x-msdownload are not accepted.",
    ),
    "416": (
        "range_not_satisfiable",
        "Range not satisfiable",
        "The file has 4096 bytes; the requested range lies outside it.",
    ),
    "422": ("validation_failed", "Validation failed", "The request is not valid."),
    "429": ("rate_limited", "Too many requests", "Too many attempts; try again later."),
    "500": ("internal_error", "Internal server error", "An unexpected error occurred."),
    "503": ("not_ready", "Service unavailable", "The database is not reachable."),
}


def problem_example(status: str) -> dict[str, Any]:
    code, title, detail = PROBLEM_EXAMPLES.get(status, ("internal_error", "Error", "An error."))
    example: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + code,
        "title": title,
        "status": int(status),
        "detail": detail,
        "code": code,
    }
    if status == "422":
        example["errors"] = [
            {
                "loc": ["body", "name"],
                "msg": "String should have at least 1 character",
                "type": "string_too_short",
            }
        ]
    return example


def add_examples(spec: dict[str, Any]) -> None:
    """An ``example`` on every JSON/form request body and every documented answer."""
    builder = _Builder(spec)
    shared: dict[str, Any] = {}
    for section in ("paths", "webhooks"):
        for item in spec.get(section, {}).values():
            for operation in item.values():
                if not isinstance(operation, dict) or "responses" not in operation:
                    continue
                for media_type, media in (
                    operation.get("requestBody", {}).get("content", {}).items()
                ):
                    if (
                        "schema" in media
                        and "example" not in media
                        and not media_type.startswith("multipart/")
                    ):
                        media["example"] = builder.build(media["schema"])
                for status, response in operation["responses"].items():
                    for media_type, media in response.get("content", {}).items():
                        if "example" in media or "examples" in media or "schema" not in media:
                            continue
                        if media_type == PROBLEM_MEDIA_TYPE:
                            key = f"Problem{status}"
                            if key not in shared:
                                shared[key] = {
                                    "summary": f"A {status} answer",
                                    "value": problem_example(status),
                                }
                            media["examples"] = {
                                PROBLEM_EXAMPLES.get(status, ("error",))[0]: {
                                    "$ref": f"#/components/examples/{key}"
                                }
                            }
                        elif media_type == JSON and media["schema"]:
                            media["example"] = builder.build(media["schema"])
    if shared:
        spec["components"]["examples"] = dict(sorted(shared.items()))
