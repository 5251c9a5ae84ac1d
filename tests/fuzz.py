"""Schemathesis against a live server on PostgreSQL, as an admin, a staff user and a portal
contact: every check (``--checks all``), positive and negative data (``--mode all``), and
the stateful phase (links inferred from ``Location`` headers).

``scripts/fuzz`` runs it (CI runs the short default through tests/test_schemathesis.py);
a longer run: ``python3 scripts/fuzz --max-examples 100 --max-time 1800``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from tempfile import TemporaryDirectory

import httpx
import uvicorn
from sqlalchemy import text, update
from sqlalchemy.engine import make_url

from practice_api.app import create_app
from practice_api.contacts.models import Contact
from practice_api.core.security import PasswordHasher
from practice_api.db import make_engine, make_sessionmaker
from practice_api.schema import upgrade_to_head
from practice_api.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "openapi" / "openapi.json"
PASSWORD = "correct horse battery"
ADMIN_URL = os.environ.get(
    "PRACTICE_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)
ROLES = ("admin", "staff", "contact")
# Ends the very session the run signs its requests with.
EXCLUDED_OPERATIONS = ("auth_logout",)


@dataclass
class Result:
    role: str
    returncode: int
    seconds: float


async def _admin(statement: str) -> None:
    engine = make_engine(ADMIN_URL, pool=False)
    try:
        async with engine.connect() as connection:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            await connection.execute(text(statement))
    finally:
        await engine.dispose()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _activate(database_url: str, contact_id: str) -> None:
    async def run() -> None:
        engine = make_engine(database_url, pool=False)
        try:
            async with make_sessionmaker(engine)() as session:
                await session.execute(
                    update(Contact)
                    .where(Contact.id == uuid.UUID(contact_id))
                    .values(portal_status="active", password_hash=PasswordHasher(1).hash(PASSWORD))
                )
                await session.commit()
        finally:
            await engine.dispose()

    asyncio.run(run())


def _tokens(base: str, database_url: str) -> dict[str, str]:
    """Sign up a firm; add a staff user, an entity and a portal contact; sign each in."""
    http = httpx.Client(base_url=base, timeout=30)
    admin_email = f"fuzz-admin-{secrets.token_hex(3)}@example.com"
    signup = http.post(
        "/v1/firms",
        json={
            "firm_name": "Fuzz & Co",
            "admin_name": "Fuzz Admin",
            "admin_email": admin_email,
            "admin_password": PASSWORD,
        },
    )
    signup.raise_for_status()

    def token(email: str) -> str:
        response = http.post("/v1/auth/token", data={"username": email, "password": PASSWORD})
        response.raise_for_status()
        return str(response.json()["access_token"])

    admin = {"Authorization": f"Bearer {token(admin_email)}"}
    staff_email = f"fuzz-staff-{secrets.token_hex(3)}@example.com"
    http.post(
        "/v1/users",
        json={"email": staff_email, "name": "Fuzz Staff", "password": PASSWORD},
        headers=admin,
    ).raise_for_status()
    entity = http.post("/v1/entities", json={"name": "Fuzz Client AS"}, headers=admin)
    entity.raise_for_status()
    contact_email = f"fuzz-contact-{secrets.token_hex(3)}@client.example.com"
    contact = http.post(
        "/v1/contacts", json={"name": "Fuzz Contact", "email": contact_email}, headers=admin
    )
    contact.raise_for_status()
    http.put(
        f"/v1/entities/{entity.json()['id']}/contacts/{contact.json()['id']}",
        json={"role": "contributor"},
        headers=admin,
    ).raise_for_status()
    _activate(database_url, contact.json()["id"])
    return {
        "admin": admin["Authorization"].removeprefix("Bearer "),
        "staff": token(staff_email),
        "contact": token(contact_email),
    }


def run(
    *,
    max_examples: int,
    max_time: int,
    workers: int,
    roles: list[str],
    report_dir: Path | None,
    extra: list[str],
    phases: str = "examples,coverage,fuzzing,stateful",
) -> list[Result]:
    name = f"fuzz_{os.getpid()}_{secrets.token_hex(3)}"
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    database_url = make_url(ADMIN_URL).set(database=name).render_as_string(False)
    results: list[Result] = []
    try:
        upgrade_to_head(database_url)
        with TemporaryDirectory() as data_dir:
            settings = Settings(
                environment="test",
                database_url=database_url,
                data_dir=Path(data_dir),
                secret_key="fuzz-secret-key-" + "x" * 32,
                password_hash_rounds=1,
                seed_demo=False,
                run_dispatcher=False,
                login_attempts_per_address=10_000_000,
                login_failures_per_account=10_000_000,
                portal_attempts_per_address=10_000_000,
                guest_requests_per_address=10_000_000,
                guest_requests_per_token=10_000_000,
                rate_limit_requests=10_000_000,
            )
            port = _free_port()
            server = uvicorn.Server(
                # h11 with room for the longest request line the spec allows (the CSV
                # create takes a 20,000-character description in its query, up to about
                # 240 KB encoded): a smaller transport limit answers text/plain before the
                # app sees the request, which is the server's limit, not the API's.
                uvicorn.Config(
                    create_app(settings),
                    host="127.0.0.1",
                    port=port,
                    log_level="warning",
                    http="h11",
                    h11_max_incomplete_event_size=1024 * 1024,
                )
            )
            thread = threading.Thread(target=server.run, daemon=True)
            thread.start()
            deadline = time.monotonic() + 60
            while not server.started:
                if time.monotonic() > deadline or not thread.is_alive():
                    raise RuntimeError("the live server did not start")
                time.sleep(0.05)
            base = f"http://127.0.0.1:{port}"
            try:
                tokens = _tokens(base, database_url)
                # The stateful phase gets its own run and a third of the budget: on a
                # busy machine fuzzing would otherwise use the whole budget up.
                stateless = ",".join(p for p in phases.split(",") if p != "stateful")
                groups = [(stateless, max_time * 2 // 3 if "stateful" in phases else max_time)]
                if "stateful" in phases.split(","):
                    groups.append(("stateful", max(10, max_time // 3)))
                for role in roles:
                    outcomes = [
                        _schemathesis(
                            role, base, tokens[role], max_examples, seconds, workers,
                            report_dir, [*extra, "--phases", group],
                        )
                        for group, seconds in groups
                        if group
                    ]  # fmt: skip
                    results.append(
                        Result(
                            role,
                            max(o.returncode for o in outcomes),
                            sum(o.seconds for o in outcomes),
                        )
                    )
            finally:
                server.should_exit = True
                thread.join(timeout=30)
    finally:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    return results


def _schemathesis(
    role: str,
    base: str,
    token: str,
    max_examples: int,
    max_time: int,
    workers: int,
    report_dir: Path | None,
    extra: list[str],
) -> Result:
    command = [
        sys.executable,
        str(Path(__file__).with_name("schemathesis_cli.py")),  # `st`, ast.parse serialized
        "run",
        str(SPEC),
        "--url",
        base,
        "--header",
        f"Authorization: Bearer {token}",
        "--checks",
        "all",
        "--mode",
        "all",
        "--max-examples",
        str(max_examples),
        "--max-time",
        str(max_time),
        "--workers",
        str(workers),
        "--seed",
        "14",
        "--generation-deterministic",
        "--request-timeout",
        "30",
        "--suppress-health-check",
        "all",
        *(arg for op in EXCLUDED_OPERATIONS for arg in ("--exclude-operation-id", op)),
    ]
    if report_dir is not None:
        report_dir.mkdir(parents=True, exist_ok=True)
        junit = report_dir / f"{role}-{extra[-1].replace(',', '-')}.xml"
        command += ["--report", "junit", "--report-junit-path", str(junit)]
    command += extra
    print(f"\n=== Schemathesis as {role} ===", flush=True)
    started = time.monotonic()
    completed = subprocess.run(command, cwd=ROOT, check=False)
    return Result(role, completed.returncode, time.monotonic() - started)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--max-examples", type=int, default=3)
    parser.add_argument("--max-time", type=int, default=40, help="seconds per role")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--roles", default=",".join(ROLES))
    parser.add_argument("--report-dir", type=Path)
    parser.add_argument("--phases", default="examples,coverage,fuzzing,stateful")
    args, extra = parser.parse_known_args(argv)
    results = run(
        max_examples=args.max_examples,
        max_time=args.max_time,
        workers=args.workers,
        roles=[r for r in args.roles.split(",") if r],
        report_dir=args.report_dir,
        extra=extra,
        phases=args.phases,
    )
    print()
    for result in results:
        verdict = "ok" if result.returncode == 0 else f"FAILED (exit {result.returncode})"
        print(f"{result.role:8} {verdict} in {result.seconds:.0f} s")
    return 0 if results and all(r.returncode == 0 for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
