"""Response headers every answer carries, and ``no-store`` where answers hold secrets.

* ``X-Content-Type-Options: nosniff`` on everything (JSON and problem answers included).
* ``X-Frame-Options: DENY`` and ``Content-Security-Policy: frame-ancestors 'none'`` (unless
  the route set its own policy): nothing of the API is meant to be framed.
* ``Cache-Control: no-store`` on the token endpoint (RFC 6749 5.1, with ``Pragma:
  no-cache``) and on every JSON answer to a request that carried credentials, unless the
  route chose its own ``Cache-Control``.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

TOKEN_PATH = "/v1/auth/token"
_JSON_TYPES = (b"application/json", b"application/problem+json")


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        token_route = scope["path"] == TOKEN_PATH
        credentials = token_route or any(
            name in (b"authorization", b"cookie") for name, _ in scope["headers"]
        )

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                if b"x-content-type-options" not in present:
                    headers.append((b"x-content-type-options", b"nosniff"))
                if b"x-frame-options" not in present:
                    headers.append((b"x-frame-options", b"DENY"))
                if b"content-security-policy" not in present:
                    headers.append((b"content-security-policy", b"frame-ancestors 'none'"))
                content_type = next(
                    (value for name, value in headers if name.lower() == b"content-type"), b""
                )
                if (
                    credentials
                    and b"cache-control" not in present
                    and (token_route or content_type.startswith(_JSON_TYPES))
                ):
                    headers.append((b"cache-control", b"no-store"))
                    if token_route:
                        headers.append((b"pragma", b"no-cache"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
