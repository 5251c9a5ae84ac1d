"""Problem details (RFC 9457): the one error type family and the handlers that render it.

Services raise these domain errors; the handlers turn every failure, including unknown
routes, validation errors and unexpected exceptions, into ``application/problem+json``.
"""

from __future__ import annotations

import logging
import re
import socket
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeoutError
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("practice_api.errors")

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://practice-api.dev/problems/"


class ValidationIssue(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class Problem(BaseModel):
    """An error answer (RFC 9457 problem details)."""

    type: str = Field(examples=[PROBLEM_TYPE_BASE + "entity_not_found"])
    title: str = Field(examples=["Not found"])
    status: int = Field(examples=[404])
    detail: str = Field(examples=["No entity with that id."])
    code: str = Field(examples=["entity_not_found"], description="Stable machine-readable code.")
    errors: list[ValidationIssue] | None = Field(
        default=None, description="Present on validation failures."
    )


class AppError(Exception):
    """Base of every failure the API reports. Subclasses fix the HTTP status and title."""

    status = 500
    title = "Internal server error"
    default_code = "internal_error"
    # True when the request's transaction must still commit (e.g. revoking a leaked token).
    keep_changes = False

    def __init__(
        self,
        detail: str | None = None,
        *,
        code: str | None = None,
        headers: dict[str, str] | None = None,
        errors: Sequence[ValidationIssue] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        self.detail = detail or self.title
        self.code = code or self.default_code
        self.headers = headers or {}
        self.errors = list(errors) if errors is not None else None
        self.extra = extra or {}
        super().__init__(self.detail)


class BadRequest(AppError):
    status, title, default_code = 400, "Bad request", "bad_request"


class NotAuthenticated(AppError):
    status, title, default_code = 401, "Not authenticated", "not_authenticated"

    def __init__(self, detail: str | None = None, *, code: str | None = None) -> None:
        super().__init__(detail, code=code, headers={"WWW-Authenticate": "Bearer"})


class Forbidden(AppError):
    status, title, default_code = 403, "Forbidden", "forbidden"


class NotFound(AppError):
    status, title, default_code = 404, "Not found", "not_found"


class MethodNotAllowed(AppError):
    status, title, default_code = 405, "Method not allowed", "method_not_allowed"


class NotAcceptable(AppError):
    status, title, default_code = 406, "Not acceptable", "not_acceptable"


class Conflict(AppError):
    status, title, default_code = 409, "Conflict", "conflict"


class PreconditionFailed(AppError):
    status, title, default_code = 412, "Precondition failed", "precondition_failed"


class PayloadTooLarge(AppError):
    status, title, default_code = 413, "Payload too large", "payload_too_large"


class UnsupportedMediaType(AppError):
    status, title, default_code = 415, "Unsupported media type", "unsupported_media_type"


class ValidationFailed(AppError):
    status, title, default_code = 422, "Validation failed", "validation_failed"


class PreconditionRequired(AppError):
    status, title, default_code = 428, "Precondition required", "precondition_required"


class ServiceUnavailable(AppError):
    status, title, default_code = 503, "Service unavailable", "service_unavailable"

    def __init__(self, detail: str | None = None, *, code: str | None = None) -> None:
        super().__init__(
            detail, code=code, headers={"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)}
        )


DATABASE_RETRY_AFTER_SECONDS = 5
# SQLSTATEs that mean "the database cannot serve now", not "this request is wrong":
# connection exceptions (08), statement timeout / cancel, shutdown, too many connections.
_UNAVAILABLE_SQLSTATES = {"57014", "57P01", "57P02", "57P03", "53300", "53400"}


def database_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` (or what caused it) says the database is down, stuck or overloaded."""
    seen = 0
    current: BaseException | None = exc
    while current is not None and seen < 6:
        if isinstance(current, SQLAlchemyTimeoutError | TimeoutError | ConnectionError):
            return True
        if isinstance(current, socket.gaierror):
            return True
        if isinstance(current, DBAPIError) and current.connection_invalidated:
            return True
        sqlstate = getattr(current, "sqlstate", None)
        if isinstance(sqlstate, str) and (
            sqlstate.startswith("08") or sqlstate in _UNAVAILABLE_SQLSTATES
        ):
            return True
        if type(current).__name__ in ("ConnectionDoesNotExistError", "InterfaceError") and (
            "connection" in str(current).lower()
        ):
            return True
        current = getattr(current, "orig", None) or current.__cause__ or current.__context__
        seen += 1
    return False


def database_unavailable_error() -> ServiceUnavailable:
    return ServiceUnavailable(
        "The database is not answering; retry shortly.", code="database_unavailable"
    )


class RateLimited(AppError):
    status, title, default_code = 429, "Too many requests", "rate_limited"

    def __init__(self, retry_after: int, detail: str | None = None) -> None:
        super().__init__(detail, headers={"Retry-After": str(max(1, retry_after))})


def problem_response(error: AppError) -> Response:
    if error.status == 304:  # NotModified travels as an AppError but has no body
        return Response(status_code=304, headers=error.headers)
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + error.code,
        "title": error.title,
        "status": error.status,
        "detail": error.detail,
        "code": error.code,
        **error.extra,
    }
    if error.errors is not None:
        body["errors"] = [issue.model_dump() for issue in error.errors]
    return JSONResponse(
        body, status_code=error.status, headers=error.headers, media_type=PROBLEM_MEDIA_TYPE
    )


_STATUS_ERRORS: dict[int, type[AppError]] = {
    cls.status: cls
    for cls in (
        BadRequest,
        NotAuthenticated,
        Forbidden,
        NotFound,
        MethodNotAllowed,
        NotAcceptable,
        Conflict,
        PreconditionFailed,
        PayloadTooLarge,
        UnsupportedMediaType,
        ValidationFailed,
        RateLimited,
    )
}


def _from_http_exception(exc: StarletteHTTPException) -> AppError:
    cls = _STATUS_ERRORS.get(exc.status_code)
    detail = exc.detail if isinstance(exc.detail, str) else None
    if exc.status_code == 404:
        return NotFound("No such route.", code="route_not_found")
    if cls is None or cls is RateLimited or cls is NotAuthenticated:
        error = AppError(detail, code=f"http_{exc.status_code}")
        error.status = exc.status_code
        error.title = detail or "Error"
        return error
    return cls(detail)


_HTTP_METHODS = {"get", "put", "post", "delete", "patch", "options"}


def _allowed_methods(request: Request) -> str:
    """The methods the spec documents for this path (FastAPI keeps one route per method)."""
    table: list[tuple[re.Pattern[str], set[str]]] | None = getattr(
        request.app.state, "allowed_methods_table", None
    )
    if table is None:
        table = []
        for path, item in request.app.openapi()["paths"].items():
            regex = "".join(
                "[^/]+" if part.startswith("{") else re.escape(part)
                for part in re.split(r"(\{[^/}]+\})", path)
            )
            methods = {method.upper() for method in item if method in _HTTP_METHODS}
            table.append((re.compile(f"^{regex}$"), methods))
        request.app.state.allowed_methods_table = table
    allowed: set[str] = set()
    for pattern, methods in table:
        if pattern.match(request.url.path):
            allowed |= methods
    return ", ".join(sorted(allowed))


def validation_issues(errors: Sequence[Any]) -> list[ValidationIssue]:
    return [
        ValidationIssue(
            loc=[part if isinstance(part, int) else str(part) for part in err.get("loc", ())],
            msg=str(err.get("msg", "")),
            type=str(err.get("type", "")),
        )
        for err in errors
    ]


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def _app_error(_: Request, exc: AppError) -> Response:
        return problem_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> Response:
        issues = validation_issues(exc.errors())
        # Unparseable JSON is malformed (400); parseable JSON of the wrong shape is a 422.
        if any(issue.type == "json_invalid" for issue in issues):
            return problem_response(
                BadRequest("The request body is not valid JSON.", code="malformed_body")
            )
        return problem_response(
            ValidationFailed("The request is not valid.", code="validation_failed", errors=issues)
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        error = _from_http_exception(exc)
        if exc.headers:
            error.headers.update(exc.headers)
        if exc.status_code == 405:
            error.headers["Allow"] = _allowed_methods(request)
        return problem_response(error)

    @app.exception_handler(IntegrityError)
    async def _integrity(_: Request, exc: IntegrityError) -> Response:
        # A uniqueness or reference race that the service's own checks could not see.
        log.info("integrity error answered as 409: %s", exc.orig)
        return problem_response(
            Conflict("The change conflicts with existing data; retry.", code="conflict")
        )

    @app.exception_handler(DBAPIError)
    async def _database(request: Request, exc: DBAPIError) -> Response:
        # PostgreSQL refuses NUL characters in text (SQLSTATE 22021) in any parameter,
        # including query and form values that no body model checked: that is the
        # client's input, not a server error.
        if getattr(exc.orig, "sqlstate", None) == "22021":
            return problem_response(
                ValidationFailed(
                    "Text values may not contain NUL characters.", code="invalid_characters"
                )
            )
        if database_unavailable(exc):
            log.warning("database unavailable on %s %s: %r", request.method, request.url.path, exc)
            return problem_response(database_unavailable_error())
        log.error("database error on %s %s", request.method, request.url.path, exc_info=exc)
        return problem_response(AppError("An unexpected error occurred."))

    @app.exception_handler(StaleDataError)
    async def _stale(request: Request, exc: StaleDataError) -> Response:
        if "if-match" in request.headers:
            # The caller's If-Match held when read but another write won: the precondition
            # failed (412), as for a stale ETag; without If-Match it is a plain conflict.
            return problem_response(
                PreconditionFailed(
                    "The resource changed since the ETag you sent; fetch it again.",
                    code="stale_etag",
                )
            )
        return problem_response(
            Conflict(
                "Someone changed this resource at the same time; retry.", code="concurrent_update"
            )
        )

    # Anything else is answered by the outermost RequestContextMiddleware: a bare 500 problem,
    # logged with the request id (an Exception handler here would never be reached).


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` entries documenting the given error statuses."""
    descriptions = {
        304: "Not modified (If-None-Match matched)",
        400: "Malformed request",
        401: "Not authenticated",
        403: "Visible but not allowed",
        404: "Not found or not visible",
        409: "State conflict",
        412: "Stale If-Match",
        413: "Payload too large",
        415: "Unsupported media type",
        422: "Validation failed",
        428: "If-Match required",
        429: "Rate limited",
        503: "Database unavailable (retry after `Retry-After` seconds)",
    }
    out: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        if status == 304:
            out[status] = {"description": descriptions[304], "content": {}}
            continue
        out[status] = {
            "description": descriptions.get(status, "Error"),
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
    return out
