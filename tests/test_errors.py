"""Every failure is problem+json; request ids; health; CORS."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest

from practice_api.access.principals import CurrentStaff
from practice_api.core.request_context import RequestIdFilter
from practice_api.db import SessionDep, make_engine
from practice_api.offices.models import Office
from tests.helpers import Api, problem


async def test_unknown_route(api: Api) -> None:
    body = problem(await api.client.get("/v1/no-such-thing"), 404, "route_not_found")
    assert body["type"].endswith("/route_not_found")


async def test_wrong_method(api: Api) -> None:
    response = await api.client.put("/v1/me")
    problem(response, 405, "method_not_allowed")
    assert "GET" in response.headers["allow"]


async def test_malformed_json(api: Api) -> None:
    admin = await api.sign_up_firm()
    response = await api.client.post(
        "/v1/offices",
        content=b'{"name": "Lond',
        headers={**admin.headers, "Content-Type": "application/json"},
    )
    problem(response, 400, "malformed_body")


async def test_validation_errors_list_each_issue(api: Api) -> None:
    admin = await api.sign_up_firm()
    response = await api.client.post(
        "/v1/users",
        json={"email": "not-an-email", "name": "", "role": "owner", "password": "short"},
        headers=admin.headers,
    )
    body = problem(response, 422, "validation_failed")
    locations = {tuple(issue["loc"]) for issue in body["errors"]}
    assert {
        ("body", "email"),
        ("body", "name"),
        ("body", "role"),
        ("body", "password"),
    } <= locations
    for issue in body["errors"]:
        assert set(issue) == {"loc", "msg", "type"}
        assert "short" not in issue["msg"]  # the input is not echoed


async def test_unknown_fields_are_refused(api: Api) -> None:
    admin = await api.sign_up_firm()
    response = await api.client.post(
        "/v1/offices", json={"name": "Paris", "colour": "red"}, headers=admin.headers
    )
    body = problem(response, 422, "validation_failed")
    assert body["errors"][0]["loc"] == ["body", "colour"]


async def test_nul_characters_in_bodies_are_refused_on_every_backend(api: Api) -> None:
    admin = await api.sign_up_firm()
    response = await api.client.post(
        "/v1/offices", json={"name": "Lon\u0000don"}, headers=admin.headers
    )
    body = problem(response, 422, "validation_failed")
    assert body["errors"][0]["loc"] == ["body", "name"]
    assert (await api.client.get("/v1/offices", headers=admin.headers)).json()["items"] == []


async def test_nul_characters_in_urls_are_a_bad_request_on_every_backend(api: Api) -> None:
    admin = await api.sign_up_firm()
    for url in ("/v1/users?q=a%00", "/v1/users?q=caf%E9"):  # NUL; Latin-1, not UTF-8
        response = await api.client.get(url, headers=admin.headers)
        problem(response, 400, "malformed_url")


async def test_nul_characters_in_forms_are_no_server_error(api: Api) -> None:
    # Form values reach the database unchecked; PostgreSQL refuses NUL in text.
    response = await api.token("someone\x00@example.com", "password")
    assert response.status_code in (401, 422), response.text
    if response.status_code == 422:
        problem(response, 422, "invalid_characters")


async def test_bad_path_parameter(api: Api) -> None:
    admin = await api.sign_up_firm()
    body = problem(await api.client.get("/v1/offices/42", headers=admin.headers), 422)
    assert body["errors"][0]["loc"] == ["path", "office_id"]


async def test_unexpected_exception_is_a_bare_500(app: Any, api: Api) -> None:
    @app.get("/boom-test")
    async def boom() -> None:
        raise RuntimeError("secret internals at /srv/app.py: SELECT * FROM users")

    response = await api.client.get("/boom-test", headers={"X-Request-ID": "trace-500"})

    body = problem(response, 500, "internal_error")
    assert body == {
        "type": "https://practice-api.dev/problems/internal_error",
        "title": "Internal server error",
        "status": 500,
        "detail": "An unexpected error occurred.",
        "code": "internal_error",
    }
    assert "secret" not in response.text
    assert response.headers["x-request-id"] == "trace-500"


async def test_the_log_names_the_request_id(
    app: Any, api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    @app.get("/boom-logged")
    async def boom() -> None:
        raise RuntimeError("boom")

    caplog.handler.addFilter(RequestIdFilter())  # what `practice-api serve` installs
    with caplog.at_level(logging.ERROR, logger="practice_api.request"):
        await api.client.get("/boom-logged", headers={"X-Request-ID": "trace-log"})
    logged = [r for r in caplog.records if r.name == "practice_api.request"]
    assert logged and logged[0].request_id == "trace-log"  # type: ignore[attr-defined]
    assert "Traceback" in caplog.text  # the details go to the log, never the response


async def test_unexpected_exception_in_a_dependency_rolls_back(app: Any, api: Api) -> None:
    async def explode() -> None:
        raise ValueError("internal")

    @app.post("/boom-after-write")
    async def boom(session: SessionDep, principal: CurrentStaff) -> None:
        session.add(Office(firm_id=principal.firm_id, name="Ghost office"))
        await session.flush()
        await explode()

    admin = await api.sign_up_firm()
    problem(
        await api.client.post("/boom-after-write", headers=admin.headers), 500, "internal_error"
    )
    offices = (await api.client.get("/v1/offices", headers=admin.headers)).json()["items"]
    assert offices == []


async def test_request_id_is_echoed_or_generated(api: Api) -> None:
    echoed = await api.client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert echoed.headers["x-request-id"] == "abc-123"

    generated = await api.client.get("/healthz")
    other = await api.client.get("/healthz")
    assert len(generated.headers["x-request-id"]) >= 16
    assert generated.headers["x-request-id"] != other.headers["x-request-id"]

    unsafe = await api.client.get("/healthz", headers={"X-Request-ID": "bad id\twith spaces"})
    assert unsafe.headers["x-request-id"] != "bad id\twith spaces"

    error = await api.client.get("/v1/nothing", headers={"X-Request-ID": "err-1"})
    assert error.headers["x-request-id"] == "err-1"


async def test_health(api: Api) -> None:
    live = await api.client.get("/healthz")
    ready = await api.client.get("/readyz")
    assert (live.status_code, live.json()) == (200, {"status": "ok"})
    assert (ready.status_code, ready.json()) == (200, {"status": "ok"})


async def test_ready_is_503_when_the_database_is_gone(app: Any, api: Api) -> None:
    good_engine = app.state.runtime.engine
    app.state.runtime.engine = make_engine(
        "postgresql+asyncpg://nobody@127.0.0.1:1/none", pool=False
    )
    try:
        response = await api.client.get("/readyz")
    finally:
        await app.state.runtime.engine.dispose()
        app.state.runtime.engine = good_engine
    problem(response, 503, "not_ready")
    assert "127.0.0.1" not in response.text


async def test_no_cors_headers_by_default(api: Api) -> None:
    response = await api.client.get("/healthz", headers={"Origin": "https://app.example.com"})
    assert "access-control-allow-origin" not in response.headers


class TestCors:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"cors_origins": ["https://app.example.com"]}

    async def test_preflight(self, client: httpx.AsyncClient) -> None:
        response = await client.options(
            "/v1/offices",
            headers={
                "Origin": "https://app.example.com",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization, content-type, idempotency-key",
            },
        )
        assert response.status_code == 200
        assert response.headers["access-control-allow-origin"] == "https://app.example.com"
        assert "POST" in response.headers["access-control-allow-methods"]
        allowed = response.headers["access-control-allow-headers"].lower()
        assert "idempotency-key" in allowed and "authorization" in allowed

    async def test_simple_request_exposes_headers(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/healthz", headers={"Origin": "https://app.example.com"})
        assert response.headers["access-control-allow-origin"] == "https://app.example.com"
        exposed = response.headers["access-control-expose-headers"].lower()
        assert {"etag", "location", "x-request-id", "retry-after"} <= {
            h.strip() for h in exposed.split(",")
        }

    async def test_other_origins_get_nothing(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/healthz", headers={"Origin": "https://evil.example.com"})
        assert "access-control-allow-origin" not in response.headers
