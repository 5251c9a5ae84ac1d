"""Event types of file requests, who hears of them, and what their e-mails say.

Recipients (the request's contributor contacts) hear of a new request, of returned items
and of a cancellation; the staff side (the creator and the entity's responsible, plus the
shared users subscribed to `response_received` / `request_completed`) hears of each
submission and of completion. Every type also goes to subscribed webhooks.
"""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from practice_api.contacts.models import Contact, EntityContact
from practice_api.entities.events import entity_owner_user
from practice_api.events.catalogue import (
    IN_APP,
    IN_APP_AND_EMAIL,
    ChangesPayload,
    EventType,
    Recipient,
    text,
)
from practice_api.events.links import register_link_kind
from practice_api.events.registry import EventRegistry
from practice_api.events.render import add_template_dir
from practice_api.file_requests.models import FileRequest, FileRequestRecipient

if TYPE_CHECKING:
    from practice_api.events.models import Event


class ItemRef(BaseModel):
    id: uuid.UUID
    title: str
    status: str | None = None


class FileRequestPayload(ChangesPayload):
    request_id: uuid.UUID
    subject: str
    entity_name: str | None = None
    status: str | None = Field(default=None, description="The request's status afterwards.")
    due_date: dt.date | None = None
    description: str | None = Field(default=None, description="On creation: the plain text.")
    additional_message: str | None = None
    recipient_ids: list[uuid.UUID] = Field(default_factory=list)
    request_items: list[ItemRef] = Field(
        default_factory=list, description="The items the event is about (all of them on create)."
    )
    item_count: int | None = None
    reason: str | None = Field(default=None, description="Why items were returned / cancelled.")
    file_id: uuid.UUID | None = Field(default=None, description="On submission: the file.")
    file_version: int | None = None


def _request_id(event: Event) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(event.payload.get("request_id")))
    except ValueError:
        return None


async def request_recipients(session: AsyncSession, event: Event) -> list[Recipient]:
    """The request's contacts who are active and still have access to its entity."""
    request_id = _request_id(event)
    if request_id is None or event.entity_id is None:
        return []
    ids = await session.scalars(
        select(Contact.id)
        .join(FileRequestRecipient, FileRequestRecipient.contact_id == Contact.id)
        .join(
            EntityContact,
            (EntityContact.contact_id == Contact.id) & (EntityContact.entity_id == event.entity_id),
        )
        .where(
            FileRequestRecipient.request_id == request_id,
            Contact.firm_id == event.firm_id,
            Contact.portal_status == "active",
        )
    )
    return [Recipient("contact", contact_id) for contact_id in ids]


async def staff_side(session: AsyncSession, event: Event) -> list[Recipient]:
    """The request's creator and the entity's responsible."""
    out = await entity_owner_user(session, event)
    request_id = _request_id(event)
    if request_id is not None:
        creator = await session.scalar(
            select(FileRequest.created_by_id).where(
                FileRequest.id == request_id, FileRequest.firm_id == event.firm_id
            )
        )
        if creator is not None:
            out.append(Recipient("staff", creator))
    return out


TYPES = [
    EventType(
        "file_request.created",
        "A file request was sent to contributor contacts of an entity.",
        FileRequestPayload,
        text("{actor} requested files: {subject}"),
        request_recipients,
        IN_APP_AND_EMAIL,
        audience_text="the request's recipients (active contributor contacts)",
        link="file_request",
    ),
    EventType(
        "file_request.updated",
        "A file request's subject, description, due date, recipients, items or reminders "
        "changed (see `changes`).",
        FileRequestPayload,
        text("{actor} changed the file request {subject}"),
        link="file_request",
    ),
    EventType(
        "file_request.item_submitted",
        "A contact uploaded a file into an item of a file request.",
        FileRequestPayload,
        text("{actor} sent a file for {subject}"),
        staff_side,
        IN_APP_AND_EMAIL,
        audience_text="the request's creator and the entity's responsible; shared users "
        "subscribed to `response_received` (e-mail)",
        link="file_request",
    ),
    EventType(
        "file_request.item_accepted",
        "Staff accepted one or more items of a file request.",
        FileRequestPayload,
        text("{actor} accepted item(s) of {subject}"),
        request_recipients,
        IN_APP,
        audience_text="the request's recipients (in-app)",
        link="file_request",
    ),
    EventType(
        "file_request.item_returned",
        "Staff returned one or more items with a reason; the contacts upload again.",
        FileRequestPayload,
        text("{actor} returned item(s) of {subject}"),
        request_recipients,
        IN_APP_AND_EMAIL,
        audience_text="the request's recipients",
        link="file_request",
    ),
    EventType(
        "file_request.completed",
        "Every item of a file request was accepted.",
        FileRequestPayload,
        text("The file request {subject} is complete"),
        staff_side,
        IN_APP_AND_EMAIL,
        audience_text="the request's creator and the entity's responsible; shared users "
        "subscribed to `request_completed` (e-mail)",
        link="file_request",
    ),
    EventType(
        "file_request.cancelled",
        "A file request was cancelled.",
        FileRequestPayload,
        text("{actor} cancelled the file request {subject}"),
        request_recipients,
        IN_APP,
        audience_text="the request's recipients (in-app)",
        link="file_request",
    ),
    EventType(
        "file_request.reopened",
        "A cancelled file request was reopened.",
        FileRequestPayload,
        text("{actor} reopened the file request {subject}"),
        request_recipients,
        IN_APP,
        audience_text="the request's recipients (in-app)",
        link="file_request",
    ),
]


def register(events: EventRegistry) -> None:
    events.event_types(TYPES)
    register_link_kind(
        "file_request",
        staff="/clients/{entity_id}/file-requests/{request_id}",
        portal="/file-requests/{request_id}",
    )
    add_template_dir(Path(__file__).parent / "templates")
