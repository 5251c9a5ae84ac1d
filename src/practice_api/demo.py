"""A demo firm for newcomers: created on an empty database, its sign-in details printed."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select

from practice_api.firms.models import Firm
from practice_api.firms.service import create_firm_with_admin
from practice_api.runtime import Runtime
from practice_api.users.models import User

DEMO_ADMIN_EMAIL = "admin@demo.example.com"
DEMO_STAFF_EMAIL = "staff@demo.example.com"


@dataclass
class DemoCredentials:
    admin_email: str
    admin_password: str
    staff_email: str
    staff_password: str

    def describe(self) -> str:
        return (
            "Demo firm sign-in (press Authorize in Swagger UI at /docs):\n"
            f"  admin  {self.admin_email}  password {self.admin_password}\n"
            f"  staff  {self.staff_email}  password {self.staff_password}"
        )


def credentials_file(runtime: Runtime) -> Path:
    return runtime.settings.data_dir / "demo_credentials.json"


async def seed_demo_if_empty(runtime: Runtime) -> DemoCredentials | None:
    """Create the demo firm when there is no firm at all; return its credentials."""
    async with runtime.sessionmaker() as session:
        if await session.scalar(select(func.count()).select_from(Firm)):
            return None
        credentials = DemoCredentials(
            DEMO_ADMIN_EMAIL, secrets.token_urlsafe(9), DEMO_STAFF_EMAIL, secrets.token_urlsafe(9)
        )
        firm, _ = await create_firm_with_admin(
            session,
            "Demo & Partners",
            "Ada Admin",
            credentials.admin_email,
            credentials.admin_password,
            runtime.hasher,
        )
        session.add(
            User(
                firm_id=firm.id,
                email=credentials.staff_email,
                name="Sam Staff",
                role="staff",
                password_hash=runtime.hasher.hash(credentials.staff_password),
            )
        )
        await session.commit()
    path = credentials_file(runtime)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(credentials.__dict__, indent=2))
    path.chmod(0o600)
    return credentials


def saved_credentials(runtime: Runtime) -> DemoCredentials | None:
    path = credentials_file(runtime)
    if not path.exists():
        return None
    return DemoCredentials(**json.loads(path.read_text()))
