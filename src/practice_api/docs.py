"""Swagger UI at /docs, from the swagger-ui-bundle package's assets (no CDN).

On by default except in production (``PRACTICE_DOCS_ENABLED`` decides). The bundled
Swagger UI (4.x) reads OpenAPI 3.0 documents, so the page loads ``/docs/openapi.json``:
the same spec labelled 3.0.3 (what FastAPI emits renders the same there); integrators
and generators use ``/openapi.json`` or ``openapi/openapi.json``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import FileResponse, JSONResponse, Response
from starlette.requests import Request
from swagger_ui_bundle import swagger_ui_path  # type: ignore[import-untyped]

from practice_api.core.errors import NotFound

ASSETS = Path(swagger_ui_path)
_SERVED = {
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui.css": "text/css",
    "favicon-32x32.png": "image/png",
}
# The page's own inline start-up script and styles; nothing from elsewhere; never framed.
DOCS_CSP = (
    "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; font-src 'self'; frame-ancestors 'none'"
)


def install_docs(app: FastAPI, swagger_ui_parameters: dict[str, Any]) -> None:
    # Plain Starlette routes (as FastAPI's own doc pages): not operations of the API.
    async def swagger_ui_html(_: Request) -> Response:
        page = get_swagger_ui_html(
            openapi_url="/docs/openapi.json",
            title=f"{app.title} - Swagger UI",
            swagger_js_url="/docs/assets/swagger-ui-bundle.js",
            swagger_css_url="/docs/assets/swagger-ui.css",
            swagger_favicon_url="/docs/assets/favicon-32x32.png",
            oauth2_redirect_url="/docs/oauth2-redirect",
            swagger_ui_parameters=swagger_ui_parameters,
        )
        page.headers["Content-Security-Policy"] = DOCS_CSP
        return page

    async def swagger_ui_redirect(_: Request) -> Response:
        page = get_swagger_ui_oauth2_redirect_html()
        page.headers["Content-Security-Policy"] = DOCS_CSP
        return page

    async def swagger_ui_spec(_: Request) -> Response:
        return JSONResponse({**app.openapi(), "openapi": "3.0.3"})

    async def swagger_ui_assets(request: Request) -> Response:
        name = request.path_params["name"]
        media_type = _SERVED.get(name)
        if media_type is None:
            raise NotFound("No such asset.", code="route_not_found")
        return FileResponse(
            ASSETS / name, media_type=media_type, headers={"Cache-Control": "public, max-age=86400"}
        )

    for path, handler in (
        ("/docs", swagger_ui_html),
        ("/docs/oauth2-redirect", swagger_ui_redirect),
        ("/docs/openapi.json", swagger_ui_spec),
        ("/docs/assets/{name}", swagger_ui_assets),
    ):
        app.add_route(
            path, handler, methods=["GET"], name=handler.__name__, include_in_schema=False
        )
