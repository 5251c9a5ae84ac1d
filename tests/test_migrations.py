"""`alembic upgrade head` on an empty database gives exactly the models' schema."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from practice_api.db import make_engine
from practice_api.models import Base
from practice_api.schema import alembic_config


async def test_migrated_schema_matches_models(database_url: str) -> None:
    # database_url is a database freshly migrated by `alembic upgrade head`.
    engine = make_engine(database_url, pool=False)

    def diff(connection: Any) -> list[Any]:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "compare_server_default": True}
        )
        return list(compare_metadata(context, Base.metadata))

    try:
        async with engine.connect() as connection:
            differences = await connection.run_sync(diff)
    finally:
        await engine.dispose()
    assert differences == []


def test_migrations_have_one_head() -> None:
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert len(script.get_heads()) == 1
