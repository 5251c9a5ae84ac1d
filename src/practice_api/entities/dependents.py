"""What keeps an entity from being destroyed: a registry other domains add to.

``DELETE /v1/entities/{id}`` archives the entity instead of deleting it when any registered
dependent (client requests, files, tasks, ...) still counts rows for it. A domain's counter
is registered once, by ``registry.register_all()`` (never at import time):

    register_dependent("files", count_files_of_entity)
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession

DependentCounter = Callable[[AsyncSession, uuid.UUID], Awaitable[int]]

_dependents: dict[str, DependentCounter] = {}


def register_dependent(kind: str, counter: DependentCounter) -> None:
    """Declare that rows of ``kind`` keep an entity (so DELETE archives it)."""
    _dependents[kind] = counter


def unregister_dependent(kind: str) -> None:
    _dependents.pop(kind, None)


def registered_dependents() -> list[str]:
    return sorted(_dependents)


async def count_dependents(session: AsyncSession, entity_id: uuid.UUID) -> dict[str, int]:
    """How many rows of each registered kind belong to the entity (only non-zero kinds)."""
    counts: dict[str, int] = {}
    for kind, counter in sorted(_dependents.items()):
        count = await counter(session, entity_id)
        if count:
            counts[kind] = count
    return counts
