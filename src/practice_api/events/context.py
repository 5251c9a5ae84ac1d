"""What the dispatcher loads besides the event to word a message: the client's name, and
for a daily digest the held notifications it gathers."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from practice_api.events import render
from practice_api.events.channels import Job
from practice_api.events.models import Event
from practice_api.events.repository import Claimed
from practice_api.settings import Settings


def client_name(event: Event, clients: Mapping[uuid.UUID, str]) -> str | None:
    """The client an event is about: its current name, else the name the event recorded
    (a deleted client)."""
    if event.entity_id is None:
        return None
    name = clients.get(event.entity_id)
    if name:
        return name
    payload = event.payload or {}
    recorded = payload.get("entity_name") or (
        payload.get("name") if event.subject_type == "entity" else None
    )
    return str(recorded) if recorded else None


@dataclass
class Extras:
    digests: dict[uuid.UUID, tuple[list[render.DigestEntry], list[str]]] = field(
        default_factory=dict
    )

    def apply(self, job: Job, delivery: Claimed) -> None:
        if delivery.channel == "digest":
            entries, clients = self.digests.get(delivery.id, ([], []))
            job.digest, job.digest_clients = entries, clients
            job.digest_date = delivery.digest_date


async def extras(
    session: AsyncSession,
    deliveries: Sequence[Claimed],
    events: Mapping[uuid.UUID, Event],
    settings: Settings,
) -> Extras:
    found = Extras()
    digests = [d for d in deliveries if d.channel == "digest"]
    if digests:
        from practice_api.events.digests import digest_contents

        found.digests = await digest_contents(session, digests, settings)
    return found
