"""Request ids (``X-Request-ID``) in responses and logs, and the last-resort error boundary."""

from __future__ import annotations

import contextvars
import json
import logging
import re
import uuid

from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from practice_api.core.errors import (
    PROBLEM_MEDIA_TYPE,
    PROBLEM_TYPE_BASE,
    database_unavailable,
    database_unavailable_error,
    problem_response,
)

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
_VALID_ID = re.compile(r"^[A-Za-z0-9._-]{1,100}$")
log = logging.getLogger("practice_api.request")


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True


def _internal_error_body() -> bytes:
    return json.dumps(
        {
            "type": PROBLEM_TYPE_BASE + "internal_error",
            "title": "Internal server error",
            "status": 500,
            "detail": "An unexpected error occurred.",
            "code": "internal_error",
        }
    ).encode()


class RequestContextMiddleware:
    """Outermost middleware: tags the request with an id and never lets a traceback out."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _VALID_ID.match(incoming) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = [(k, v) for k, v in message.get("headers", []) if k != b"x-request-id"]
                headers.append((b"x-request-id", request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except ClientDisconnect:
            # The client went away (e.g. mid-upload): nobody to answer, nothing went wrong here.
            log.info("client disconnected during %s %s", scope.get("method"), scope.get("path"))
        except Exception as exc:
            if database_unavailable(exc):
                log.warning(
                    "database unavailable on %s %s: %r", scope.get("method"), scope.get("path"), exc
                )
                if not started:
                    response = problem_response(database_unavailable_error())
                    await response(scope, receive, send_with_id)
                return
            log.exception("unhandled error on %s %s", scope.get("method"), scope.get("path"))
            if not started:
                body = _internal_error_body()
                await send_with_id(
                    {
                        "type": "http.response.start",
                        "status": 500,
                        "headers": [
                            (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
                            (b"content-length", str(len(body)).encode()),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": body})
        finally:
            request_id_var.reset(token)
