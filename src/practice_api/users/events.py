"""Event types of staff users, the audiences made of staff, and how staff are reached."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from practice_api.events.addresses import Address
from practice_api.events.catalogue import (
    IN_APP,
    IN_APP_AND_EMAIL,
    ChangesPayload,
    EventType,
    Recipient,
    staff_recipients,
    text,
)
from practice_api.events.models import Event
from practice_api.events.registry import EventRegistry
from practice_api.users.models import User


class UserPayload(ChangesPayload):
    name: str
    email: str
    role: str


async def firm_admins(session: AsyncSession, event: Event) -> list[Recipient]:
    ids = await session.scalars(
        select(User.id).where(
            User.firm_id == event.firm_id, User.role == "admin", User.is_active.is_(True)
        )
    )
    return [Recipient("staff", user_id) for user_id in ids]


async def subject_user(_session: AsyncSession, event: Event) -> list[Recipient]:
    return staff_recipients(event.subject_id) if event.subject_type == "user" else []


TYPES = [
    EventType(
        "user.created",
        "A staff user was added to the firm.",
        UserPayload,
        text("{actor} added {name} ({email}) as {role}"),
        subject_user,
        IN_APP_AND_EMAIL,
        audience_text="the new user",
        link="home",
    ),
    EventType(
        "user.updated",
        "A staff user's name, e-mail, role, office or password changed.",
        UserPayload,
        text("{actor} changed the user {name}"),
        subject_user,
        IN_APP,
        audience_text="the user",
        link="profile",
    ),
    EventType(
        "user.deactivated",
        "A staff user was deactivated.",
        UserPayload,
        text("{actor} deactivated {name}"),
    ),
    EventType(
        "user.reactivated",
        "A staff user was reactivated.",
        UserPayload,
        text("{actor} reactivated {name}"),
        subject_user,
        IN_APP_AND_EMAIL,
        audience_text="the user",
        link="home",
    ),
    EventType(
        "user.deleted",
        "A staff user was deleted.",
        UserPayload,
        text("{actor} deleted the user {name}"),
    ),
]


async def staff_addresses(session: AsyncSession, ids: list[uuid.UUID]) -> dict[uuid.UUID, Address]:
    rows = await session.execute(
        select(User.id, User.name, User.email, User.is_active).where(User.id.in_(ids))
    )
    return {row.id: Address(row.name, row.email, row.is_active) for row in rows}


def register(events: EventRegistry) -> None:
    events.event_types(TYPES)
    events.address_lookup("staff", staff_addresses)
