"""A deprecated route says so in the spec and in every answer (Deprecation, Sunset)."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest
from fastapi import FastAPI

from practice_api.core.http import deprecation
from practice_api.core.openapi import build_openapi


def _app() -> FastAPI:
    app = FastAPI()

    @app.get(
        "/v1/old",
        operation_id="old_get",
        summary="An old route",
        tags=["health"],
        deprecated=True,
        dependencies=[deprecation(since=dt.date(2026, 1, 1), sunset=dt.date(2027, 7, 1))],
    )
    async def old() -> dict[str, str]:
        """Use /v1/new."""
        return {"status": "ok"}

    return app


async def test_answers_carry_deprecation_and_sunset() -> None:
    transport = httpx.ASGITransport(app=_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.get("/v1/old")
    assert response.headers["Deprecation"] == "@1767225600"
    assert response.headers["Sunset"] == "Thu, 01 Jul 2027 00:00:00 GMT"


def test_the_spec_documents_both_headers() -> None:
    spec = build_openapi(_app())
    operation = spec["paths"]["/v1/old"]["get"]
    assert operation["deprecated"] is True
    headers = operation["responses"]["200"]["headers"]
    assert {"Deprecation", "Sunset"} <= set(headers)
    assert set(spec["components"]["headers"]) >= {"Deprecation", "Sunset"}


def test_a_sunset_comes_six_months_after_the_deprecation_at_least() -> None:
    with pytest.raises(ValueError, match="six months"):
        deprecation(since=dt.date(2026, 1, 1), sunset=dt.date(2026, 3, 1))
