"""Imports run one way (ARCHITECTURE.md): the layers of ``tests/import_layers.py`` hold for
the code, and the checker catches a lower layer importing a higher one."""

from __future__ import annotations

from pathlib import Path

import practice_api
from tests.import_layers import (
    LAYERS,
    SQL_EXCEPTIONS,
    load_modules,
    may_import,
    registrations_on_import,
    sql_in_module,
    sql_violations,
    violations,
)

SOURCE = Path(practice_api.__file__).resolve().parent


def test_the_code_keeps_its_layers() -> None:
    problems = violations(SOURCE, "practice_api")
    assert not problems, "\n".join(problems)


def test_no_router_policy_or_portal_module_runs_sql() -> None:
    problems = sql_violations(SOURCE, "practice_api")
    assert not problems, "\n".join(problems)
    modules = load_modules(SOURCE, "practice_api")
    stale = [m for m in SQL_EXCEPTIONS if m not in modules or not sql_in_module(modules[m])]
    assert not stale, f"no SQL left: drop them from SQL_EXCEPTIONS: {stale}"


def test_nothing_registers_on_import() -> None:
    problems = registrations_on_import(SOURCE, "practice_api")
    assert not problems, "\n".join(problems)


def test_the_mechanisms_and_the_foundation_import_no_domain() -> None:
    for low in ("settings", "core", "db", "runtime", "access", "events"):
        for domain in ("users", "entities", "contacts", "webhooks", "notifications", "portal"):
            assert not may_import(low, domain), (low, domain)
    assert not may_import("core", "db") and may_import("db", "core")
    assert not may_import("access", "events") and not may_import("events", "access")


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_a_bad_package_fails(tmp_path: Path) -> None:
    """A small fake package with the violations issue 11 listed: they are all reported."""
    source = _write(
        tmp_path / "fakeapi",
        {
            "__init__.py": "",
            "db.py": "from fakeapi.core.models import Thing\n",
            "core/__init__.py": "",
            "core/models.py": "from fakeapi.db import Base\n",  # core -> db: a loop
            "events/__init__.py": "",
            "events/catalogue.py": "from fakeapi.users.models import User\n",
            "access/__init__.py": "",
            "access/levels.py": (
                "from typing import TYPE_CHECKING\n"
                "if TYPE_CHECKING:\n"
                "    from fakeapi.entities.models import Entity\n"
            ),
            "users/__init__.py": "",
            "users/models.py": "",
            "users/router.py": (
                "from fastapi import APIRouter\n"
                "from fakeapi.owners.router import TransferTo\n"  # router -> router
                "router = APIRouter()\n"
            ),
            "owners/__init__.py": "",
            "owners/router.py": "from fastapi import APIRouter\nrouter = APIRouter()\n",
            "entities/__init__.py": "",
            "entities/models.py": "",
            "contacts/__init__.py": "",
            "contacts/access.py": "from ..discussions import repository\n",  # relative, upward
            "discussions/__init__.py": "",
            "discussions/repository.py": "from fakeapi.contacts.models import Contact\n",
            "gadgets/__init__.py": "",  # a package nobody placed
        },
    )
    problems = violations(source, "fakeapi", LAYERS)
    text = "\n".join(problems)
    assert "fakeapi.core.models imports fakeapi.db.Base: core may not import db" in text
    assert "events may not import users" in text
    assert "access may not import entities" in text  # TYPE_CHECKING imports count
    assert "fakeapi.users.router imports fakeapi.owners.router.TransferTo" in text
    assert "a router imports another router" in text
    assert "contacts may not import discussions" in text
    assert "fakeapi.gadgets: not placed in a layer" in text
    # Allowed: a higher layer importing a lower one (db -> core, discussions -> contacts).
    assert "fakeapi.db imports" not in text
    assert "fakeapi.discussions.repository imports" not in text
    assert "users may not import owners" in text  # and a router imports a router
    assert len(problems) == 7, text


def test_sql_in_a_router_a_policy_or_the_portal_fails(tmp_path: Path) -> None:
    """A fake package whose router, policy and portal module run SQL, and a domain that
    registers on import: each is reported; a repository and a service may run SQL."""
    source = _write(
        tmp_path / "fakeapi",
        {
            "__init__.py": "",
            "registry.py": "from fakeapi.things.service import count\nregister_dependent(count)\n",
            "things/__init__.py": "",
            "things/repository.py": (
                "from sqlalchemy import select\n"
                "async def count(session):\n"
                "    return await session.scalar(select(1))\n"
            ),
            "things/service.py": (
                "from sqlalchemy import update\n"
                "from fakeapi.entities.dependents import register_dependent\n"
                "async def touch(session):\n"
                "    await session.execute(update(Thing))\n"
                "register_dependent('things', touch)\n"  # on import
            ),
            "things/policy.py": (
                "async def load(session, thing_id):\n"
                "    return await session.get(Thing, thing_id)\n"
            ),
            "things/router.py": (
                "from fastapi import APIRouter\n"
                "from sqlalchemy import func, select\n"
                "router = APIRouter()\n"
                "async def count(request):\n"
                "    return await request.state.session.scalar(select(func.count()))\n"
            ),
            "portal/__init__.py": "",
            "portal/service.py": (
                "import sqlalchemy as sa\n"
                "def mine(principal):\n"
                "    return sa.select(Thing).where(Thing.owner == principal.id)\n"
            ),
        },
    )
    text = "\n".join(sql_violations(source, "fakeapi", LAYERS, frozenset()))
    assert "fakeapi.things.policy:2: calls session.get" in text
    assert "fakeapi.things.router:2: imports sqlalchemy func" in text
    assert "fakeapi.things.router:2: imports sqlalchemy select" in text
    assert "fakeapi.things.router:5: calls session.scalar" in text
    assert "fakeapi.portal.service:1: imports sqlalchemy" in text
    assert "fakeapi.things.repository" not in text and "fakeapi.things.service" not in text
    assert len(text.splitlines()) == 5, text
    registered = registrations_on_import(source, "fakeapi")
    assert registered == [
        "fakeapi.things.service:5: calls register_dependent on import "
        "(call it from registry.register_all())"
    ]
