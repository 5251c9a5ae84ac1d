"""create_app(): routers, middleware, error handlers, OpenAPI."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from practice_api import __version__
from practice_api.access.sessions import session_is_live
from practice_api.activity.router import entity_router as entity_activity_router
from practice_api.activity.router import router as activity_router
from practice_api.auth.router import router as auth_router
from practice_api.client_requests.portal_router import router as portal_client_requests_router
from practice_api.client_requests.public_router import router as guest_client_requests_router
from practice_api.client_requests.router import router as client_requests_router
from practice_api.client_requests.template_router import router as client_request_templates_router
from practice_api.contacts.router import groups_router as contact_groups_router
from practice_api.contacts.router import router as contacts_router
from practice_api.core.body_limit import BodyLimitMiddleware, upload_paths
from practice_api.core.caller_limit import CallerRateLimitMiddleware
from practice_api.core.errors import install_error_handlers
from practice_api.core.idempotency import IdempotencyMiddleware
from practice_api.core.openapi import build_openapi
from practice_api.core.request_context import RequestContextMiddleware
from practice_api.core.security import PasswordHasher, TokenCodec
from practice_api.core.security_headers import SecurityHeadersMiddleware
from practice_api.core.storage import storage_from_url
from practice_api.core.text_guard import TextGuardMiddleware
from practice_api.db import make_engine, make_sessionmaker
from practice_api.discussions.router import router as discussions_router
from practice_api.docs import install_docs
from practice_api.entities.router import router as entities_router
from practice_api.events.digests import digests_periodically
from practice_api.events.dispatcher import Dispatcher
from practice_api.events.outbox import WAKE_KEY
from practice_api.file_requests.router import create_router as file_requests_create_router
from practice_api.file_requests.router import router as file_requests_router
from practice_api.files.router import router as files_router
from practice_api.files.scheduled import purge_periodically
from practice_api.firms.router import router as firms_router
from practice_api.health.router import router as health_router
from practice_api.notifications.router import router as notifications_router
from practice_api.offices.router import router as offices_router
from practice_api.owners.router import router as owners_router
from practice_api.portal.file_requests import router as portal_file_requests_router
from practice_api.portal.files_router import router as portal_files_router
from practice_api.portal.router import router as portal_router
from practice_api.portal.tasks import router as portal_tasks_router
from practice_api.registry import register_all
from practice_api.reminders.router import router as reminder_settings_router
from practice_api.reminders.scheduled import remind_periodically
from practice_api.runtime import Runtime
from practice_api.settings import Settings
from practice_api.shares.router import router as shares_router
from practice_api.tasks.generation import generate_periodically
from practice_api.tasks.router import router as tasks_router
from practice_api.users.router import router as users_router
from practice_api.webhooks.openapi import install_webhook_docs
from practice_api.webhooks.router import router as webhooks_router

ROUTERS = (
    health_router,
    auth_router,
    firms_router,
    offices_router,
    users_router,
    owners_router,
    entities_router,
    entity_activity_router,
    shares_router,
    files_router,
    notifications_router,
    webhooks_router,
    activity_router,
    contacts_router,
    contact_groups_router,
    discussions_router,
    portal_router,
    portal_files_router,
    reminder_settings_router,
    file_requests_create_router,
    file_requests_router,
    portal_file_requests_router,
    tasks_router,
    portal_tasks_router,
    client_request_templates_router,
    client_requests_router,
    portal_client_requests_router,
    guest_client_requests_router,
)

DESCRIPTION = """
Headless REST/JSON API for accounting and audit firms and their clients.

* Sign in with **Authorize** (OAuth2 password flow) using an e-mail and password.
* Errors are `application/problem+json` with a stable `code`.
* Lists use cursor pagination: `?limit=` and `?cursor=`; follow `next_cursor`.
* Single resources carry an `ETag`; send `If-Match` on PATCH/DELETE to avoid lost updates.
* Send `Idempotency-Key` on POST to retry safely.
"""


def build_runtime(settings: Settings) -> Runtime:
    engine = make_engine(
        settings.resolved_database_url,
        pool_size=settings.database_pool_size,
        max_overflow=settings.database_max_overflow,
        connect_timeout=settings.database_connect_timeout_seconds,
        statement_timeout=settings.database_statement_timeout_seconds,
        pool_timeout=settings.database_pool_timeout_seconds,
    )
    sessionmaker = make_sessionmaker(engine)
    return Runtime(
        settings=settings,
        engine=engine,
        sessionmaker=sessionmaker,
        hasher=PasswordHasher(
            settings.password_hash_rounds, concurrency=settings.password_hash_concurrency
        ),
        tokens=TokenCodec(
            settings.signing_key, settings.jwt_algorithm, settings.access_token_ttl_seconds
        ),
        storage=storage_from_url(
            settings.storage_url,
            data_dir=settings.data_dir,
            access_key=settings.storage_access_key,
            secret_key=settings.storage_secret_key,
        ),
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    register_all()
    settings = settings or Settings()
    runtime = build_runtime(settings)

    if settings.run_dispatcher:
        runtime.dispatcher = Dispatcher(runtime.sessionmaker, settings)
        # A commit that queued deliveries wakes the dispatcher (see events.outbox.queue).
        runtime.sessionmaker.configure(info={WAKE_KEY: runtime.dispatcher.wake})

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        stop_purging = asyncio.Event()
        purging: asyncio.Task[None] | None = None
        reminding: asyncio.Task[None] | None = None
        digesting: asyncio.Task[None] | None = None
        generating: asyncio.Task[None] | None = None
        if runtime.dispatcher is not None:
            runtime.dispatcher.start()
            # The periodic jobs run where the dispatcher runs (here, or in the workers).
            purging = asyncio.create_task(purge_periodically(runtime, stop_purging))
            reminding = asyncio.create_task(remind_periodically(runtime, stop_purging))
            digesting = asyncio.create_task(
                digests_periodically(
                    runtime.sessionmaker, settings, stop_purging, runtime.dispatcher.wake
                )
            )
            generating = asyncio.create_task(generate_periodically(runtime, stop_purging))
        if settings.environment != "test":
            # Everything built so far (modules, routes, schemas) lives as long as the
            # process: keep it out of the collector, so full collections stay short.
            gc.collect()
            gc.freeze()
        try:
            yield
        finally:
            stop_purging.set()
            if purging is not None:
                await purging
            if reminding is not None:
                await reminding
            if digesting is not None:
                await digesting
            if generating is not None:
                await generating
            if runtime.dispatcher is not None:
                await runtime.dispatcher.stop()
            await runtime.engine.dispose()
            runtime.hasher.close()

    app = FastAPI(
        title="practice-api",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # practice_api.docs serves Swagger UI from bundled assets
        redoc_url=None,
    )
    app.state.runtime = runtime
    app.state.sessionmaker = runtime.sessionmaker
    app.state.tokens = runtime.tokens

    install_error_handlers(app)
    if settings.docs_available:
        install_docs(app, {"persistAuthorization": True})
    for router in ROUTERS:
        app.include_router(router)

    # Added innermost first: idempotency sees the app's answers, CORS decorates them,
    # the request context (ids and the error boundary) wraps everything.
    app.add_middleware(
        IdempotencyMiddleware,
        sessionmaker=lambda: app.state.sessionmaker,
        tokens=lambda: app.state.tokens,
        session_is_live=lambda session_id: session_is_live(app.state.sessionmaker, session_id),
        ttl_seconds=settings.idempotency_ttl_seconds,
        # Keyed bodies are spooled (to disk past 1 MiB) before the app runs; no bigger than an
        # upload may be, plus room for the multipart framing.
        max_body_bytes=settings.max_upload_bytes + 1024 * 1024,
    )
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["*"],
            allow_headers=["*"],
            # Every response header the spec documents, so browser clients can read them.
            expose_headers=[
                "ETag",
                "Location",
                "X-Request-ID",
                "Retry-After",
                "Idempotent-Replayed",
                "Content-Disposition",
                "Content-Range",
                "Accept-Ranges",
                "Deprecation",
                "Sunset",
                "RateLimit",
                "RateLimit-Policy",
                "RateLimit-Limit",
                "RateLimit-Remaining",
                "RateLimit-Reset",
            ],
        )
    app.add_middleware(TextGuardMiddleware)
    app.add_middleware(
        CallerRateLimitMiddleware,
        tokens=lambda: app.state.tokens,
        sessionmaker=lambda: app.state.sessionmaker,
        in_database=settings.resolved_database_url.startswith("postgresql"),
        limit=settings.rate_limit_requests,
        window_seconds=settings.rate_limit_window_seconds,
        per_firm=settings.rate_limit_per_firm,
        share_seconds=settings.rate_limit_share_seconds,
    )
    # Bodies are capped while they are read, before authentication or parsing.
    app.add_middleware(
        BodyLimitMiddleware,
        max_body_bytes=settings.max_body_bytes,
        upload_paths=lambda: upload_paths(app.openapi()),
    )
    app.add_middleware(RequestContextMiddleware)
    app.add_middleware(SecurityHeadersMiddleware)  # outermost: every answer carries them

    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def _openapi(app: FastAPI) -> dict[str, Any]:
    # The webhook docs (a model per event type) are read only here: built on first use,
    # they do not slow every create_app (each test builds an app).
    if not app.webhooks.routes:
        install_webhook_docs(app)
    return build_openapi(app)
