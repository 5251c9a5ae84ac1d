"""The published OpenAPI document: FastAPI's output, completed mechanically.

Routes declare only what is theirs (path, models, ``summary``, a docstring, the error
statuses with ``problem_responses``); everything every route has in common is added here,
so a new route is lint-clean (Spectral, Redocly) without ceremony:

* errors: every 4xx/5xx is the one ``Problem`` schema (the 422 that FastAPI documents
  included, in ``paths`` and in ``webhooks``); a route with a body documents 400;
* tags: defined once, globally, with the descriptions of ``TAG_DESCRIPTIONS``;
* security: operations without a token requirement say so (``security: []``);
* descriptions: the docstring (or ``description=``), followed by generated notes on
  conditional requests, paging, retries and the errors;
* headers: ``X-Request-ID`` on every answer, ``ETag``/``Location`` on creations and
  single reads, ``Retry-After`` on 429, ``Idempotent-Replayed`` on retried POSTs, the
  download headers; the ``If-None-Match``/``Range``/``If-Range`` request headers where
  they are honoured; downloads typed as binary;
* examples: see ``core.openapi_examples``.

``tests/test_openapi.py`` and ``tests/test_spec_*.py`` check the result; their failure
messages say what to add.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from practice_api.core.errors import PROBLEM_MEDIA_TYPE, Problem

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}

# The contract's version (``info.version``), not the package's. Its major is the path prefix
# (/v1) and is compared with openapi/released/ by tests/test_spec_breaking.py: a breaking
# change needs a new major. Bump the minor when you add something integrators may use.
API_VERSION = "1.0.0"
METHODS = ("get", "put", "post", "delete", "patch", "options", "head", "trace")

SERVERS = [
    {
        "url": "http://127.0.0.1:8000",
        "description": "Local development server (`python3 scripts/serve`); use your "
        "deployment's base URL instead.",
    }
]
CONTACT = {"name": "practice-api maintainers", "url": "https://practice-api.dev"}
LICENSE = {"name": "Apache-2.0", "identifier": "Apache-2.0"}

# One line per tag. A new router's tag goes here (tests/test_openapi.py says so).
TAG_DESCRIPTIONS: dict[str, str] = {
    "health": "Liveness and readiness probes (no token needed).",
    "auth": "Sign-in (OAuth2 password grant), refresh-token rotation, sign-out, who am I.",
    "firms": "Sign up a firm and manage its settings.",
    "offices": "The firm's offices.",
    "users": "The firm's staff users.",
    "owners": "Client owners (responsible people) and transfers between them.",
    "entities": "Client profiles (entities), their owner and their activity timeline.",
    "shares": "Sharing an entity with colleagues as viewer or editor.",
    "files": "Uploads, downloads (Range, ETag), versions and sharing with contacts.",
    "notifications": "In-app notifications and per-user notification preferences.",
    "webhooks": "Webhook endpoints of integrators, secret rotation and delivery log.",
    "activity": "The firm's activity log (admins).",
    "contacts": "Client-side contacts, their access to entities and portal invitations.",
    "contact-groups": "Groups of an entity's contacts (audiences of discussions).",
    "discussions": "Staff-started discussions with an entity's contacts, and comments.",
    "portal": "The client portal: routes for contact tokens, plus public activation and "
    "password reset.",
    "portal files": "Portal files: what is shared with a contact, and contributors' uploads.",
    "file-requests": "Requests to a client for files, item by item, with a review cycle.",
    "reminders": "Reminder schedules for open requests (firm default and per request).",
    "tasks": "Task types, recurring tasks per client, stages, and the documents a task "
    "receives (input slots) and delivers (output documents).",
    "client-request-templates": "The firm's questionnaire library: client request templates "
    "and the answers of every client's request made from one (JSON or CSV).",
    "client-requests": "Questionnaires to portal contacts or to guests by a secret link: "
    "questions, states, answers (staff routes; the portal and guest routes answer them).",
    "guests": "Client requests answered by guests through a secret link (no account, no "
    "bearer token): the questionnaire, autosaved answers, uploads, submit, one-time code.",
    "webhook events": "The events delivered to webhook endpoints (signed POSTs to your URL).",
}

HEADERS: dict[str, dict[str, Any]] = {
    "X-Request-ID": {
        "description": "Identifies the request in the server's log (a valid incoming "
        "`X-Request-ID` is kept). Quote it when reporting a problem.",
        "schema": {"type": "string", "examples": ["4f9c2d1e8b7a4c3d9e0f1a2b3c4d5e6f"]},
    },
    "ETag": {
        "description": "The version of the resource; send it back in `If-Match` to write, "
        "or in `If-None-Match` to read only when it changed.",
        "schema": {"type": "string", "examples": ['"3"']},
    },
    "Location": {
        "description": "Where the created resource lives.",
        "schema": {
            "type": "string",
            "examples": ["/v1/entities/0b6c1a5e-3f7d-4d8a-9c2e-1f4b5a6c7d8e"],
        },
    },
    "Retry-After": {
        "description": "Seconds to wait before trying again.",
        "schema": {"type": "integer", "minimum": 1, "examples": [30]},
    },
    "Idempotent-Replayed": {
        "description": "`true` when this is the stored answer to an earlier request with the "
        "same `Idempotency-Key` (nothing was done again).",
        "schema": {"type": "string", "enum": ["true"]},
    },
    "RateLimit": {
        "description": "The caller's budget now (draft-ietf-httpapi-ratelimit-headers): "
        '`"caller";r=<requests left>;t=<seconds until the window resets>`.',
        "schema": {"type": "string", "examples": ['"caller";r=5999;t=42']},
    },
    "RateLimit-Policy": {
        "description": 'The caller\'s quota: `"caller";q=<requests>;w=<window seconds>`.',
        "schema": {"type": "string", "examples": ['"caller";q=6000;w=60']},
    },
    "RateLimit-Limit": {
        "description": "Requests allowed per window (the older header trio).",
        "schema": {"type": "integer", "examples": [6000]},
    },
    "RateLimit-Remaining": {
        "description": "Requests left in this window.",
        "schema": {"type": "integer", "examples": [5999]},
    },
    "RateLimit-Reset": {
        "description": "Seconds until the window resets.",
        "schema": {"type": "integer", "examples": [42]},
    },
    "WWW-Authenticate": {
        "description": "How to authenticate: `Bearer`.",
        "schema": {"type": "string", "examples": ["Bearer"]},
    },
    "Content-Disposition": {
        "description": "`attachment` (or `inline`) with the file's name (RFC 6266: an ASCII "
        "`filename` and the exact name as `filename*`).",
        "schema": {"type": "string", "examples": ['attachment; filename="invoice.pdf"']},
    },
    "Accept-Ranges": {
        "description": "`bytes`: the download can be resumed with `Range`.",
        "schema": {"type": "string", "enum": ["bytes"]},
    },
    "Content-Range": {
        "description": "The bytes sent, and the file's size (`bytes 0-1023/4096`); on 416 "
        "`bytes */size`.",
        "schema": {"type": "string", "examples": ["bytes 0-1023/4096"]},
    },
    "Deprecation": {
        "description": "This route is deprecated (RFC 9745): since this moment, as `@<unix "
        "seconds>`. Move to its replacement before the `Sunset`.",
        "schema": {"type": "string", "examples": ["@1767225600"]},
    },
    "Sunset": {
        "description": "When this deprecated route stops working (RFC 8594, an HTTP-date).",
        "schema": {"type": "string", "examples": ["Thu, 01 Jul 2027 00:00:00 GMT"]},
    },
    "Content-Length": {
        "description": "Size of the body in bytes.",
        "schema": {"type": "integer", "minimum": 0, "examples": [4096]},
    },
}

PARAMETERS: dict[str, dict[str, Any]] = {
    "If-None-Match": {
        "name": "If-None-Match",
        "in": "header",
        "required": False,
        "description": "An `ETag` from an earlier read: answers 304 (no body) while it is "
        "still current.",
        "schema": {"type": "string"},
        "example": '"3"',
    },
    "Range": {
        "name": "Range",
        "in": "header",
        "required": False,
        "description": "One byte range (`bytes=0-1023`, `bytes=1024-`, `bytes=-500`): answers "
        "206 with that part, 416 when it starts past the end. Several ranges get the whole "
        "file.",
        "schema": {"type": "string"},
        "example": "bytes=0-1023",
    },
    "If-Range": {
        "name": "If-Range",
        "in": "header",
        "required": False,
        "description": "The `ETag` of the part you already have: the `Range` is honoured "
        "only if the file is unchanged, otherwise the whole file is sent.",
        "schema": {"type": "string"},
        "example": '"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"',
    },
}

BINARY_SCHEMA = {"type": "string", "format": "binary"}
RATE_LIMIT_HEADERS = (
    "RateLimit",
    "RateLimit-Policy",
    "RateLimit-Limit",
    "RateLimit-Remaining",
    "RateLimit-Reset",
)


def header_ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/headers/{name}"}


def build_openapi(app: FastAPI) -> dict[str, Any]:
    """The app's spec (cached on the app)."""
    if app.openapi_schema:
        return app.openapi_schema
    spec = get_openapi(
        title=app.title,
        version=API_VERSION,
        description=app.description,
        routes=app.routes,
        webhooks=app.webhooks.routes,
        servers=SERVERS,
        contact=CONTACT,
        license_info=LICENSE,
    )
    complete(spec)
    app.openapi_schema = spec
    return spec


def operations(spec: dict[str, Any]) -> list[tuple[str, str, str, dict[str, Any]]]:
    """``(section, path or webhook name, method, operation)`` of paths and webhooks."""
    found = []
    for section in ("paths", "webhooks"):
        for name, item in spec.get(section, {}).items():
            for method, operation in item.items():
                if method in METHODS:
                    found.append((section, name, method, operation))
    return found


def complete(spec: dict[str, Any]) -> None:
    components = spec.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(problem.pop("$defs", {}))
    schemas["Problem"] = problem
    components["headers"] = dict(HEADERS)
    components["parameters"] = dict(PARAMETERS)

    for section, _, method, operation in operations(spec):
        if section == "webhooks":
            _webhook(operation)
            continue
        responses = operation.setdefault("responses", {})
        if "422" in responses:
            responses["422"] = _problem_response("Validation failed")
        # Any request may be malformed (a body that is not JSON, NUL or bad UTF-8 in the URL).
        responses.setdefault("400", _problem_response("Malformed request"))
        if "requestBody" in operation:  # every body is capped (core/body_limit.py)
            responses.setdefault("413", _problem_response("Request body too large"))
        if "security" not in operation:
            operation["security"] = []  # public: no token needed
        if operation["security"]:  # signed-in callers have a budget (core/caller_limit.py)
            responses.setdefault("429", _problem_response("Rate limited"))
        if method == "post" and operation["security"]:
            _document_idempotency(operation)
        _document_headers(method, operation)
        _describe(method, operation)

    used = {tag for _, _, _, operation in operations(spec) for tag in operation.get("tags", [])}
    spec["tags"] = [
        {"name": tag, "description": TAG_DESCRIPTIONS.get(tag, "")}
        for tag in [*TAG_DESCRIPTIONS, *sorted(used - set(TAG_DESCRIPTIONS))]
        if tag in used
    ]
    # FastAPI's own validation error shapes are replaced by Problem everywhere.
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    _rename_form_bodies(spec)
    text = json.dumps(spec)
    for kind in ("headers", "parameters"):  # only what is used (Spectral: unused components)
        components[kind] = {
            name: value
            for name, value in components[kind].items()
            if f'"#/components/{kind}/{name}"' in text
        }

    from practice_api.core.openapi_examples import add_examples

    add_examples(spec)


def _rename_form_bodies(spec: dict[str, Any]) -> None:
    """FastAPI's ``Body_auth_token`` becomes ``AuthTokenForm`` (a nicer generated class)."""
    schemas = spec["components"]["schemas"]
    renames = {
        old: "".join(part.capitalize() for part in old.removeprefix("Body_").split("_")) + "Form"
        for old in schemas
        if old.startswith("Body_")
    }
    if not renames:
        return
    for old, new in renames.items():
        schemas[new] = schemas.pop(old)
        schemas[new]["title"] = new

    def visit(node: Any) -> None:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.rsplit("/", 1)[-1] in renames:
                node["$ref"] = "#/components/schemas/" + renames[ref.rsplit("/", 1)[-1]]
            for value in node.values():
                visit(value)
        elif isinstance(node, list):
            for value in node:
                visit(value)

    visit(spec)


def _problem_response(description: str) -> dict[str, Any]:
    return {"description": description, "content": {PROBLEM_MEDIA_TYPE: {"schema": PROBLEM_REF}}}


def _webhook(operation: dict[str, Any]) -> None:
    """A webhook is a request we send: the receiver's answer only needs to be a 2xx."""
    operation["security"] = []  # authenticated by its signature header, documented on it
    operation["responses"] = {
        "200": {"description": "Any 2xx answer acknowledges the delivery (the body is ignored)."},
        "default": {
            "description": "Anything else, or no answer within the timeout: the delivery is "
            "retried with exponential backoff."
        },
    }


def _document_idempotency(operation: dict[str, Any]) -> None:
    """Authenticated POSTs accept Idempotency-Key (see core/idempotency.py)."""
    operation.setdefault("parameters", []).append(
        {
            "name": "Idempotency-Key",
            "in": "header",
            "required": False,
            "description": "Retry safely: the same key and body replay the first response "
            "(header `Idempotent-Replayed: true`); the same key with another body is a 409.",
            "schema": {"type": "string", "minLength": 1, "maxLength": 255},
            "example": "5b1c2e9a-7d4f-4e3b-8a61-0c9d2f3e4a5b",
        }
    )
    responses = operation["responses"]
    responses.setdefault("400", _problem_response("Bad request"))
    responses.setdefault("409", _problem_response("Conflict"))
    for status, response in responses.items():
        if status.startswith("2"):
            response.setdefault("headers", {})["Idempotent-Replayed"] = header_ref(
                "Idempotent-Replayed"
            )


def _add_parameter(operation: dict[str, Any], name: str) -> None:
    parameters = operation.setdefault("parameters", [])
    if not any(p.get("name", "").lower() == name.lower() for p in parameters):
        parameters.append({"$ref": f"#/components/parameters/{name}"})


def _document_headers(method: str, operation: dict[str, Any]) -> None:
    responses = operation["responses"]
    parameters = {p.get("name", "").lower() for p in operation.get("parameters", [])}
    conditional_read = "304" in responses
    download = "206" in responses
    if conditional_read:
        _add_parameter(operation, "If-None-Match")
    if download:
        _add_parameter(operation, "Range")
        _add_parameter(operation, "If-Range")
    for status, response in responses.items():
        headers = response.setdefault("headers", {})
        headers["X-Request-ID"] = header_ref("X-Request-ID")
        if status == "201":
            headers["Location"] = header_ref("Location")
            headers["ETag"] = header_ref("ETag")
        elif status == "304" or (
            status in ("200", "206") and (conditional_read or "if-match" in parameters)
        ):
            headers["ETag"] = header_ref("ETag")
        elif status == "401":
            headers["WWW-Authenticate"] = header_ref("WWW-Authenticate")
        elif status == "429":
            headers["Retry-After"] = header_ref("Retry-After")
        elif status == "416":
            headers["Content-Range"] = header_ref("Content-Range")
        if operation["security"] and (status.startswith("2") or status == "429"):
            for name in RATE_LIMIT_HEADERS:
                headers[name] = header_ref(name)
        if operation.get("deprecated") and status.startswith("2"):
            headers["Deprecation"] = header_ref("Deprecation")
            headers["Sunset"] = header_ref("Sunset")
        if download and status in ("200", "206"):
            for name in ("Content-Disposition", "Content-Length", "Accept-Ranges"):
                headers[name] = header_ref(name)
            if status == "206":
                headers["Content-Range"] = header_ref("Content-Range")
            for media in response.get("content", {}).values():
                media["schema"] = dict(BINARY_SCHEMA)
        if status == "304":
            response.pop("content", None)


_STATUS_NOTES = {
    "304": "`304` when `If-None-Match` names the current `ETag`",
    "400": "`400` malformed request",
    "401": "`401` no valid token",
    "403": "`403` visible but not allowed (see `code`)",
    "404": "`404` not found or not visible to the caller",
    "409": "`409` state conflict or an `Idempotency-Key` reused with another body",
    "412": "`412` stale `If-Match` (nothing changed)",
    "413": "`413` too large",
    "415": "`415` content type not allowed",
    "416": "`416` range not satisfiable",
    "422": "`422` validation failed (`errors` lists each problem)",
    "428": "`428` `If-Match` required",
    "429": "`429` rate limited (see `Retry-After`)",
}


def _describe(method: str, operation: dict[str, Any]) -> None:
    """The route's own text, then notes generated from what the operation declares."""
    text = (operation.get("description") or "").strip() or operation.get("summary", "") + "."
    notes: list[str] = []
    if not operation["security"]:
        notes.append("No token needed.")
    names = {p.get("name") for p in operation.get("parameters", []) if "name" in p}
    if "cursor" in names:
        notes.append("A page of results: pass `next_cursor` as `cursor` until it is null.")
    if "If-Match" in names:
        notes.append("Send the `ETag` you read as `If-Match` to refuse a lost update (412).")
    errors = [_STATUS_NOTES[s] for s in sorted(operation["responses"]) if s in _STATUS_NOTES]
    if errors:
        notes.append("Answers " + "; ".join(errors) + ".")
    operation["description"] = text + ("\n\n" + " ".join(notes) if notes else "")
