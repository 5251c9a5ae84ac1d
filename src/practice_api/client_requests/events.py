"""Event types of client requests and who hears of them.

The request's portal contacts hear of a new request and of a cancellation; the staff side
(the request's creator and its responsible, or the entity's responsible when none is set)
hears when the client starts answering, submits, and when staff complete the request.
Guests are not principals: their e-mails (link, one-time code, reminders) are sent to the
addresses of their recipient rows. Every type also goes to subscribed webhooks.
"""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from practice_api.client_requests.models import ClientRequest, ClientRequestRecipient
from practice_api.client_requests.notifications import guest_addresses
from practice_api.client_requests.notifications import (
    register_link_kinds as register_guest_link_kind,
)
from practice_api.contacts.models import Contact, EntityContact
from practice_api.entities.events import entity_owner_user
from practice_api.events.catalogue import (
    IN_APP,
    IN_APP_AND_EMAIL,
    ChangesPayload,
    EventType,
    Recipient,
    staff_recipients,
    text,
)
from practice_api.events.links import register_link_kind
from practice_api.events.registry import EventRegistry
from practice_api.events.render import add_template_dir

if TYPE_CHECKING:
    from practice_api.events.models import Event


class ClientRequestPayload(ChangesPayload):
    request_id: uuid.UUID
    title: str
    entity_name: str | None = None
    status: str | None = Field(default=None, description="The request's status afterwards.")
    audience: str | None = Field(default=None, description="`portal` or `guest`.")
    due_date: dt.date | None = None
    recipient_ids: list[uuid.UUID] = Field(
        default_factory=list, description="The portal contacts it is addressed to."
    )
    guest_count: int | None = Field(default=None, description="Guests it is addressed to.")
    question_count: int | None = None
    task_id: uuid.UUID | None = None
    message: str | None = Field(default=None, description="On send: the message (plain text).")
    required_count: int | None = Field(default=None, description="On send: required questions.")
    answer_count: int | None = Field(default=None, description="On submit: questions answered.")
    task_advanced: bool | None = Field(
        default=None, description="On submit: the linked task moved to its next stage."
    )
    note: str | None = Field(default=None, description="On reopen: the staff's note.")
    reason: str | None = Field(default=None, description="On cancel: why.")


def _request_id(event: Event) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(event.payload.get("request_id")))
    except ValueError:
        return None


async def request_contacts(session: AsyncSession, event: Event) -> list[Recipient]:
    """The request's portal contacts who are active and still have access to its entity."""
    request_id = _request_id(event)
    if request_id is None or event.entity_id is None:
        return []
    ids = await session.scalars(
        select(Contact.id)
        .join(ClientRequestRecipient, ClientRequestRecipient.contact_id == Contact.id)
        .join(
            EntityContact,
            (EntityContact.contact_id == Contact.id) & (EntityContact.entity_id == event.entity_id),
        )
        .where(
            ClientRequestRecipient.request_id == request_id,
            ClientRequestRecipient.kind == "contact",
            Contact.firm_id == event.firm_id,
            Contact.portal_status == "active",
        )
    )
    return [Recipient("contact", contact_id) for contact_id in ids]


async def staff_side(session: AsyncSession, event: Event) -> list[Recipient]:
    """The request's creator, and its responsible (else the entity's responsible)."""
    request_id = _request_id(event)
    if request_id is None:
        return []
    row = (
        await session.execute(
            select(ClientRequest.created_by_id, ClientRequest.responsible_id).where(
                ClientRequest.id == request_id, ClientRequest.firm_id == event.firm_id
            )
        )
    ).first()
    if row is None:
        return []
    creator, responsible = row
    out = staff_recipients(creator, responsible)
    if responsible is None:
        out += await entity_owner_user(session, event)
    return out


TYPES = [
    EventType(
        "client_request.sent",
        "A client request (questionnaire) was sent to portal contacts or guests.",
        ClientRequestPayload,
        text("{actor} sent the questionnaire {title}"),
        request_contacts,
        IN_APP_AND_EMAIL,
        audience_text="the request's portal contacts (e-mail with the portal link, in-app); "
        "guests get their secret link by an e-mail sent after the commit, never through the "
        "outbox",
        link="client_request",
    ),
    EventType(
        "client_request.updated",
        "A pending client request's questions, recipients, settings or due date changed "
        "(see `changes`).",
        ClientRequestPayload,
        text("{actor} changed the questionnaire {title}"),
        link="client_request",
    ),
    EventType(
        "client_request.started",
        "The first answer to a client request was saved.",
        ClientRequestPayload,
        text("{actor} started answering {title}"),
        staff_side,
        IN_APP,
        audience_text="the request's creator and responsible (else the entity's responsible)",
        link="client_request",
    ),
    EventType(
        "client_request.submitted",
        "A client request's answers were submitted (they are locked).",
        ClientRequestPayload,
        text("{actor} submitted the answers to {title}"),
        staff_side,
        IN_APP_AND_EMAIL,
        audience_text="the request's creator and responsible (else the entity's responsible); "
        "shared users subscribed to `response_received` (e-mail)",
        link="client_request",
    ),
    EventType(
        "client_request.reopened",
        "Staff reopened a submitted client request with a note; its answers can change again.",
        ClientRequestPayload,
        text("{actor} reopened the questionnaire {title}"),
        request_contacts,
        IN_APP_AND_EMAIL,
        audience_text="the request's portal contacts; its guests by e-mail (without a link)",
        link="client_request",
    ),
    EventType(
        "client_request.completed",
        "Staff marked a submitted client request as completed.",
        ClientRequestPayload,
        text("{actor} completed the questionnaire {title}"),
        staff_side,
        IN_APP_AND_EMAIL,
        audience_text="the request's creator and responsible (else the entity's responsible); "
        "shared users subscribed to `request_completed` (e-mail)",
        link="client_request",
    ),
    EventType(
        "client_request.cancelled",
        "A client request was cancelled; its links stop working.",
        ClientRequestPayload,
        text("{actor} cancelled the questionnaire {title}"),
        request_contacts,
        IN_APP,
        audience_text="the request's portal contacts (in-app); its guests by e-mail",
        link="client_request",
    ),
]


def register(events: EventRegistry) -> None:
    events.event_types(TYPES)
    # Guests (recipient kind ``guest``): reminders and notices by e-mail, never in-app.
    events.address_lookup("guest", guest_addresses)
    register_guest_link_kind()
    add_template_dir(Path(__file__).parent / "templates")
    register_link_kind(
        "client_request",
        staff="/clients/{entity_id}/client-requests/{request_id}",
        portal="/client-requests/{request_id}",
    )
