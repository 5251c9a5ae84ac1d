"""`practice-api serve | migrate | worker | openapi | create-admin | demo | email-preview`."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import logging
import sys
from pathlib import Path

from practice_api.core.request_context import RequestIdFilter
from practice_api.registry import register_all
from practice_api.settings import Settings

LOG_FORMAT = "%(asctime)s %(levelname)s [%(name)s] [%(request_id)s] %(message)s"


def configure_logging(level: int = logging.INFO) -> None:
    handler = logging.StreamHandler()
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)


def _prepare(settings: Settings) -> None:
    """Create the data folder and bring the database schema to the newest migration."""
    from practice_api.schema import upgrade_to_head

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade_to_head(settings.resolved_database_url)


def cmd_migrate(settings: Settings, _: argparse.Namespace) -> int:
    _prepare(settings)
    print(f"database at head: {_safe_url(settings)}")
    return 0


def cmd_demo(settings: Settings, _: argparse.Namespace) -> int:
    from practice_api.app import build_runtime
    from practice_api.demo import saved_credentials, seed_demo_if_empty

    _prepare(settings)
    runtime = build_runtime(settings)

    async def run() -> None:
        created = await seed_demo_if_empty(runtime)
        await runtime.engine.dispose()
        credentials = created or saved_credentials(runtime)
        if credentials is None:
            print("The database already holds firms; no demo firm was created.")
        else:
            print(credentials.describe())

    asyncio.run(run())
    return 0


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    from practice_api.app import create_app

    _prepare(settings)
    if settings.seed_demo and settings.environment != "production":
        cmd_demo(settings, args)
    print(f"Swagger UI: http://{args.host}:{args.port}/docs", flush=True)
    uvicorn.run(
        create_app(settings),
        host=args.host,
        port=args.port,
        log_config=None,
        # Client addresses come from PRACTICE_TRUSTED_PROXIES (core.client_address), never
        # from uvicorn believing any X-Forwarded-For sent from 127.0.0.1.
        proxy_headers=False,
        access_log=True,
    )
    return 0


def cmd_reencrypt_secrets(settings: Settings, _: argparse.Namespace) -> int:
    """Re-encrypt stored webhook secrets with the current PRACTICE_SECRET_KEY (rotation)."""
    from sqlalchemy import select

    from practice_api.app import build_runtime
    from practice_api.webhooks.models import WebhookEndpoint

    runtime = build_runtime(settings)
    box = settings.secret_box

    async def run() -> int:
        async with runtime.sessionmaker() as session, session.begin():
            endpoints = (await session.scalars(select(WebhookEndpoint))).all()
            for endpoint in endpoints:
                endpoint.secret = box.reseal(endpoint.secret)
                if endpoint.previous_secret:
                    endpoint.previous_secret = box.reseal(endpoint.previous_secret)
        await runtime.engine.dispose()
        return len(endpoints)

    count = asyncio.run(run())
    print(f"re-encrypted the secrets of {count} webhook endpoint(s) with the current key")
    return 0


def cmd_worker(settings: Settings, args: argparse.Namespace) -> int:
    """A standalone outbox dispatcher (several may run at once on PostgreSQL)."""
    import signal

    from practice_api.app import build_runtime
    from practice_api.events.digests import build_due_digests, digests_periodically
    from practice_api.events.dispatcher import Dispatcher
    from practice_api.files.scheduled import purge_once, purge_periodically
    from practice_api.reminders.scheduled import remind_once, remind_periodically
    from practice_api.tasks.generation import generate_periodically, generate_tasks

    runtime = build_runtime(settings)
    log = logging.getLogger("practice_api.worker")

    async def run() -> None:
        dispatcher = Dispatcher(runtime.sessionmaker, settings, name=args.name)
        stop_purging = asyncio.Event()

        def stop() -> None:
            dispatcher.request_stop()
            stop_purging.set()

        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop)
        log.info("worker %s started", dispatcher.name)
        try:
            if args.once:
                await remind_once(runtime)
                await build_due_digests(runtime.sessionmaker)
                await generate_tasks(runtime.sessionmaker)
                await dispatcher.drain()
                await purge_once(runtime)
            elif args.exit_when_idle:
                await dispatcher.run(exit_when_idle=True)
            else:
                # Deleted files past their retention are purged on a schedule, here too.
                purging = asyncio.create_task(purge_periodically(runtime, stop_purging))
                # Due reminder slots too: each slot is claimed once, whatever runs it.
                reminding = asyncio.create_task(remind_periodically(runtime, stop_purging))
                # Daily digests are gathered here too (each one once, whatever the workers).
                digesting = asyncio.create_task(
                    digests_periodically(
                        runtime.sessionmaker, settings, stop_purging, dispatcher.wake
                    )
                )
                # So are the recurring tasks (idempotent: any number of workers may run it).
                generating = asyncio.create_task(generate_periodically(runtime, stop_purging))
                try:
                    await dispatcher.run()
                finally:
                    stop_purging.set()
                    await purging
                    await reminding
                    await digesting
                    await generating
        finally:
            await dispatcher.aclose()
            await runtime.engine.dispose()
        log.info("worker %s stopped after %d deliveries", dispatcher.name, dispatcher.delivered)
        print(f"worker {dispatcher.name} delivered {dispatcher.delivered}", flush=True)

    asyncio.run(run())
    return 0


def cmd_generate_tasks(settings: Settings, args: argparse.Namespace) -> int:
    """One round of recurring task generation (idempotent; safe next to running workers)."""
    import uuid

    from practice_api.app import build_runtime
    from practice_api.tasks.generation import generate_tasks

    runtime = build_runtime(settings)

    async def run() -> int:
        try:
            firm = uuid.UUID(args.firm) if args.firm else None
            return await generate_tasks(runtime.sessionmaker, firm)
        finally:
            await runtime.engine.dispose()

    created = asyncio.run(run())
    print(f"generated {created} task(s)", flush=True)
    return 0


def cmd_openapi(settings: Settings, args: argparse.Namespace) -> int:
    from practice_api.app import create_app

    # The spec needs no signing key; do not generate one into the data folder for it.
    settings = settings.model_copy(update={"secret_key": settings.secret_key or "spec-only"})
    spec = create_app(settings).openapi()
    text = json.dumps(spec, indent=2, sort_keys=False) + "\n"
    if args.output:
        Path(args.output).write_text(text)
        print(f"wrote {args.output}")
    else:
        sys.stdout.write(text)
    return 0


def cmd_email_preview(settings: Settings, args: argparse.Namespace) -> int:
    import practice_api.app  # noqa: F401 - every domain's event types are in the catalogue
    from practice_api.events import catalogue, render, samples

    if args.list or not args.event_type:
        for spec in sorted(catalogue.event_types(), key=lambda t: t.name):
            own = render.template_for(spec.name) != render.DEFAULT_TEMPLATE
            print(f"{spec.name}{'' if own else '  (default template)'}")
        return 0
    if catalogue.get(args.event_type) is None:
        print(f"unknown event type {args.event_type!r}; --list shows them", file=sys.stderr)
        return 2
    if args.part == "message":
        sys.stdout.write(samples.preview_message(args.event_type, settings, audience=args.audience))
        return 0
    rendered = samples.preview(args.event_type, settings, audience=args.audience)
    text = {"text": rendered.text, "html": rendered.html, "subject": rendered.subject + "\n"}
    sys.stdout.write(text[args.part])
    return 0


def cmd_create_admin(settings: Settings, args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from practice_api.app import build_runtime
    from practice_api.core.errors import AppError
    from practice_api.firms.schemas import FirmSignup
    from practice_api.firms.service import create_firm_with_admin

    password = args.password or getpass.getpass("Password for the new admin: ")
    try:
        # The same rules as sign-up through the API.
        signup = FirmSignup(
            firm_name=args.firm, admin_name=args.name, admin_email=args.email,
            admin_password=password,
        )  # fmt: skip
    except ValidationError as exc:
        options = {"firm_name": "--firm", "admin_name": "--name", "admin_email": "--email"}
        for error in exc.errors(include_input=False):
            field = str(error["loc"][0]) if error["loc"] else ""
            print(f"{options.get(field, '--password')}: {error['msg']}", file=sys.stderr)
        return 2
    _prepare(settings)
    runtime = build_runtime(settings)

    async def run() -> int:
        try:
            async with runtime.sessionmaker() as session:
                firm, admin = await create_firm_with_admin(
                    session,
                    signup.firm_name,
                    signup.admin_name,
                    signup.admin_email,
                    signup.admin_password,
                    runtime.hasher,
                )
                await session.commit()
        except AppError as error:
            print(error.detail, file=sys.stderr)
            return 1
        finally:
            await runtime.engine.dispose()
        print(f"created firm {firm.name} ({firm.id}) with admin {admin.email}")
        return 0

    return asyncio.run(run())


def _safe_url(settings: Settings) -> str:
    from sqlalchemy.engine import make_url

    return make_url(settings.resolved_database_url).render_as_string(hide_password=True)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="practice-api", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="migrate, seed a demo firm if empty, serve HTTP")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.set_defaults(func=cmd_serve)

    commands.add_parser("migrate", help="apply database migrations").set_defaults(func=cmd_migrate)
    commands.add_parser(
        "reencrypt-secrets",
        help="re-encrypt stored webhook secrets with the current secret key (key rotation)",
    ).set_defaults(func=cmd_reencrypt_secrets)
    commands.add_parser("demo", help="create the demo firm on an empty database").set_defaults(
        func=cmd_demo
    )

    worker = commands.add_parser(
        "worker", help="deliver notifications, e-mail and webhooks from the outbox"
    )
    worker.add_argument("--name", help="worker name in the outbox rows (default host:pid)")
    worker.add_argument(
        "--once",
        action="store_true",
        help="send due reminders, gather due daily digests, generate due recurring tasks, "
        "deliver what is due now, purge "
        "expired deleted files, then exit",
    )
    worker.add_argument(
        "--exit-when-idle", action="store_true", help="exit when nothing is due (batch jobs)"
    )
    worker.set_defaults(func=cmd_worker)

    generate = commands.add_parser(
        "generate-tasks", help="create the due tasks of recurring task types, then exit"
    )
    generate.add_argument("--firm", help="only this firm (id)")
    generate.set_defaults(func=cmd_generate_tasks)

    openapi = commands.add_parser("openapi", help="print or write the OpenAPI spec")
    openapi.add_argument("--output", "-o", help="file to write (default: standard output)")
    openapi.set_defaults(func=cmd_openapi)

    preview = commands.add_parser(
        "email-preview", help="render an event type's e-mail from sample data (no database)"
    )
    preview.add_argument("event_type", nargs="?", help="e.g. file.uploaded")
    preview.add_argument("--list", action="store_true", help="list the event types")
    preview.add_argument(
        "--part",
        choices=["message", "text", "html", "subject"],
        default="message",
        help="the whole MIME message (default) or one part",
    )
    preview.add_argument(
        "--audience",
        choices=["staff", "contact", "share"],
        default="staff",
        help="who reads it: a staff user (preferences), a contact, a share's subscriber",
    )
    preview.set_defaults(func=cmd_email_preview)

    admin = commands.add_parser("create-admin", help="create a firm and its first admin")
    admin.add_argument("--firm", required=True, help="firm name")
    admin.add_argument("--name", required=True, help="admin's name")
    admin.add_argument("--email", required=True, help="admin's e-mail (sign-in name)")
    admin.add_argument("--password", help="asked for when not given")
    admin.set_defaults(func=cmd_create_admin)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    configure_logging()
    register_all()  # event types, channels, principal loaders: before any command runs
    settings = Settings()
    result: int = args.func(settings, args)
    return result


if __name__ == "__main__":
    raise SystemExit(main())
