"""Finding 7: nosniff everywhere, no-store on tokens and authenticated JSON, framing refused,
Swagger UI served from bundled assets (no CDN) and off in production."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from practice_api.app import create_app
from tests.conftest import make_settings
from tests.helpers import Api


def assert_common(response: httpx.Response) -> None:
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


async def test_every_kind_of_answer_carries_nosniff(api: Api) -> None:
    admin = await api.sign_up_firm()
    for response in (
        await api.client.get("/healthz"),
        await api.client.get("/v1/me"),  # 401 problem
        await api.client.get("/v1/nowhere"),  # 404 problem
        await api.client.get("/v1/me", headers=admin.headers),
        await api.client.post("/v1/entities", content=b"{", headers=admin.headers),  # 400
    ):
        assert_common(response)


async def test_token_answers_are_never_stored(api: Api) -> None:
    admin = await api.sign_up_firm()
    response = await api.token(admin.email)
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["pragma"] == "no-cache"
    refreshed = await api.client.post(
        "/v1/auth/token",
        data={"grant_type": "refresh_token", "refresh_token": admin.refresh_token},
    )
    assert refreshed.headers["cache-control"] == "no-store"


async def test_authenticated_json_is_not_stored_public_json_may_be(api: Api) -> None:
    admin = await api.sign_up_firm()
    me = await api.client.get("/v1/me", headers=admin.headers)
    assert me.headers["cache-control"] == "no-store"
    entities = await api.client.get("/v1/entities", headers=admin.headers)
    assert entities.headers["cache-control"] == "no-store"
    assert "cache-control" not in (await api.client.get("/healthz")).headers


async def test_swagger_ui_comes_from_bundled_assets(api: Api) -> None:
    page = await api.client.get("/docs")
    assert page.status_code == 200
    assert_common(page)
    assert "cdn" not in page.text.lower() and "https://" not in page.text.split("<body>")[0]
    assert "/docs/assets/swagger-ui-bundle.js" in page.text
    csp = page.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
    for asset, kind in (("swagger-ui-bundle.js", "javascript"), ("swagger-ui.css", "css")):
        response = await api.client.get(f"/docs/assets/{asset}")
        assert response.status_code == 200 and kind in response.headers["content-type"]
        assert len(response.content) > 1000
    assert (await api.client.get("/docs/assets/index.html")).status_code == 404
    assert (await api.client.get("/docs/assets/..%2f..%2fsecret")).status_code == 404
    spec = (await api.client.get("/docs/openapi.json")).json()
    assert spec["openapi"].startswith("3.0") and spec["paths"]
    assert (await api.client.get("/redoc")).status_code == 404  # it needed a CDN


@pytest.mark.parametrize(
    ("environment", "enabled", "served"),
    [("production", None, False), ("production", True, True), ("development", False, False)],
)
async def test_docs_can_be_switched_off(
    tmp_path: Path, environment: str, enabled: bool | None, served: bool
) -> None:
    settings = make_settings(
        "sqlite+aiosqlite://", tmp_path / "data", environment=environment, docs_enabled=enabled
    )
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        for path in ("/docs", "/docs/assets/swagger-ui.css", "/docs/oauth2-redirect"):
            assert ((await client.get(path)).status_code == 200) is served, path
    await app.state.runtime.engine.dispose()
