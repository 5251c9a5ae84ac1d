"""Where a recipient (a principal kind and id) is reached: name, e-mail, still active.

Each domain that owns a recipient kind registers its lookup (users: ``staff``, contacts:
``contact``) through ``register_all()``.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession


@dataclass(frozen=True)
class Address:
    name: str
    email: str | None
    active: bool


AddressLookup = Callable[[AsyncSession, list[uuid.UUID]], Awaitable[dict[uuid.UUID, Address]]]


_lookups: dict[str, AddressLookup] = {}


def register_address_lookup(kind: str, lookup: AddressLookup) -> None:
    _lookups[kind] = lookup


async def lookup_addresses(
    session: AsyncSession, kind: str, ids: list[uuid.UUID]
) -> dict[uuid.UUID, Address]:
    lookup = _lookups.get(kind)
    if lookup is None or not ids:
        return {}
    return await lookup(session, ids)
