"""Where a recipient (a principal kind and id) is reached: name, e-mail, still active.

Staff users are known here; later domains register their kinds (contacts).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from practice_api.users.models import User


@dataclass(frozen=True)
class Address:
    name: str
    email: str | None
    active: bool


AddressLookup = Callable[[AsyncSession, list[uuid.UUID]], Awaitable[dict[uuid.UUID, Address]]]


async def staff_addresses(session: AsyncSession, ids: list[uuid.UUID]) -> dict[uuid.UUID, Address]:
    rows = await session.execute(
        select(User.id, User.name, User.email, User.is_active).where(User.id.in_(ids))
    )
    return {row.id: Address(row.name, row.email, row.is_active) for row in rows}


_lookups: dict[str, AddressLookup] = {"staff": staff_addresses}


def register_address_lookup(kind: str, lookup: AddressLookup) -> None:
    _lookups[kind] = lookup


async def lookup_addresses(
    session: AsyncSession, kind: str, ids: list[uuid.UUID]
) -> dict[uuid.UUID, Address]:
    lookup = _lookups.get(kind)
    if lookup is None or not ids:
        return {}
    return await lookup(session, ids)
