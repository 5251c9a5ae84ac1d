"""Who hears of a client request besides the event catalogue's audiences, and how.

* **Guests' links.** A guest's link token is stored only as its hash, so the e-mail that
  carries it cannot go through the outbox (which keeps what it sends, for retries and the
  activity log). ``email_guest_links`` renders the ``client_request.sent`` template for
  each guest with the link, in the request's transaction, and sends the messages right
  after the commit (as the portal's invitation e-mails do, ``contacts.mail``). A failure is
  logged; staff issue a new link (``POST .../recipients/{rid}/link``), which e-mails it.
  The event itself (webhooks, activity, the portal contacts' e-mail and in-app
  notification) never holds a token.
* **Guests as recipients of the outbox.** Reminders and notices (reopened, cancelled)
  address guests as ``("guest", recipient_id)``; ``guest_addresses`` tells the dispatcher
  their name and e-mail (until staff revoke their link). Their messages name the firm,
  never the client, and link to nothing (``events.render``: a ``guest`` reader): the
  secret link is only in the e-mail that brought it.
* **Reminders' open items** (``open_items``, registered by ``register_reminder_source``
  from ``registry.register_all()``): one line per waiting request of each recipient,
  saying how many questions are left.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Sequence
from email.message import EmailMessage

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from practice_api.client_requests.models import (
    OPEN_STATUSES,
    ClientRequest,
    ClientRequestAnswer,
    ClientRequestRecipient,
)
from practice_api.client_requests.questions import is_answered
from practice_api.client_requests.tokens import link_is_live
from practice_api.core.principals import Actor
from practice_api.core.time import utcnow, zone
from practice_api.db import after_commit
from practice_api.events import links, render
from practice_api.events.addresses import Address
from practice_api.events.catalogue import normalise_payload
from practice_api.events.mail import compose, mailer_from_settings
from practice_api.events.models import Delivery, Event
from practice_api.events.outbox import queue
from practice_api.firms.models import Firm
from practice_api.reminders.sources import OpenItem, RecipientKey, register_source
from practice_api.settings import Settings

log = logging.getLogger("practice_api.client_requests")

SUBJECT_KIND = "client_request"
# The guest's page in the frontend; the token is the only value it takes. Deployments move
# it with PRACTICE_PORTAL_LINK_PATHS ({"client_request_guest": "/answer/{token}"}).
GUEST_LINK_KIND = "client_request_guest"
GUEST_LINK_PATH = "/questionnaire?token={token}"


def register_link_kinds() -> None:
    links.register_link_kind(GUEST_LINK_KIND, staff=None, portal=GUEST_LINK_PATH)


def guest_link(settings: Settings, token: str) -> str:
    """The frontend URL a guest opens (under the portal URL), carrying the plain token."""
    return links.build_link(settings, GUEST_LINK_KIND, "contact", {"token": token})


# --- guests' link e-mails -------------------------------------------------------------------


def sent_payload(request: ClientRequest, **extra: object) -> dict[str, object]:
    questions = request.questions or []
    return {
        "request_id": request.id,
        "title": request.title,
        "status": request.status,
        "audience": request.audience,
        "due_date": request.due_date,
        "message": request.message or None,
        "question_count": len(questions),
        "required_count": sum(1 for q in questions if q.get("required")),
        "one_time_code": request.one_time_code,
        **extra,
    }


async def email_guest_links(
    session: AsyncSession,
    settings: Settings,
    request: ClientRequest,
    issued: Sequence[tuple[ClientRequestRecipient, str]],
    actor: Actor,
) -> None:
    """E-mail each guest their link once the transaction commits (see the module's text).

    ``issued`` pairs each guest recipient with the plain token just issued to them. The
    messages are rendered now, inside the transaction; only the sending waits for the
    commit, so a rolled-back request sends nothing."""
    if not issued:
        return
    firm = await session.get(Firm, request.firm_id)
    if firm is None:
        return
    data, _ = normalise_payload("client_request.sent", sent_payload(request))
    event = Event(  # never added to the session: the recorded event has no token
        id=uuid.uuid4(),
        firm_id=request.firm_id,
        type="client_request.sent",
        entity_id=request.entity_id,
        actor_kind=actor.kind,
        actor_id=actor.id,
        actor_name=actor.name,
        subject_type=SUBJECT_KIND,
        subject_id=request.id,
        payload=data,
        occurred_at=utcnow(),
    )
    messages: list[EmailMessage] = []
    for recipient, token in issued:
        expires = recipient.token_expires_at
        values: dict[str, object] = {"link": guest_link(settings, token)}
        if expires is not None:
            local = (expires if expires.tzinfo else expires.replace(tzinfo=dt.UTC)).astimezone(
                zone(firm.time_zone)
            )
            values["link_expires_on"] = local.date().isoformat()
        message = render.render(
            event,
            render.Reader("guest", recipient.id, recipient.name),
            firm_name=firm.name,
            client=None,
            settings=settings,
            time_zone=firm.time_zone,
            extra=render.Extra(values=values),
        )
        messages.append(
            compose(
                sender=settings.mail_from,
                sender_name=firm.name or None,
                to_name=recipient.name,
                to_address=recipient.email,
                subject=message.subject,
                body=message.text,
                html=message.html,
                delivery_id=uuid.uuid4(),
                sent_at=utcnow(),
            )
        )

    async def send() -> None:
        mailer = mailer_from_settings(settings)
        for message in messages:
            try:
                await mailer.send(message)
            except Exception as exc:  # staff can issue a new link; the request stands
                log.warning("a guest's client request link could not be e-mailed: %r", exc)

    after_commit(session, send)


# --- guests in the outbox (notices, reminders) ----------------------------------------------


async def notify_guests(
    session: AsyncSession, event: Event, request: ClientRequest, *, live_only: bool = True
) -> int:
    """Queue ``event``'s e-mail to the request's guests (reopened, cancelled): their
    messages carry no link (they open theirs) and name the firm, never the client. Returns
    how many were queued. ``live_only``: only guests whose link still works."""
    now = utcnow()
    guests = (
        await session.scalars(
            select(ClientRequestRecipient).where(
                ClientRequestRecipient.request_id == request.id,
                ClientRequestRecipient.kind == "guest",
            )
        )
    ).all()
    deliveries = [
        Delivery(
            firm_id=request.firm_id,
            event_id=event.id,
            channel="email",
            recipient_kind="guest",
            recipient_id=guest.id,
        )
        for guest in guests
        if not live_only or link_is_live(guest, now)
    ]
    queue(session, deliveries)
    return len(deliveries)


async def guest_addresses(session: AsyncSession, ids: list[uuid.UUID]) -> dict[uuid.UUID, Address]:
    """Guests' names and e-mails; a guest whose link staff revoked hears nothing more (what
    a reminder lists is the source's choice: only requests that wait, links that work)."""
    rows = await session.scalars(
        select(ClientRequestRecipient).where(
            ClientRequestRecipient.id.in_(ids), ClientRequestRecipient.kind == "guest"
        )
    )
    return {
        recipient.id: Address(recipient.name, recipient.email, recipient.revoked_at is None)
        for recipient in rows
    }


# --- what reminders list --------------------------------------------------------------------


async def open_items(
    session: AsyncSession, firm_id: uuid.UUID, recipients: list[RecipientKey]
) -> dict[RecipientKey, list[OpenItem]]:
    """Each recipient's waiting client requests, one line each ("3 of 5 questions left")."""
    contacts = [rid for kind, rid in recipients if kind == "contact"]
    guests = [rid for kind, rid in recipients if kind == "guest"]
    found: list[tuple[RecipientKey, ClientRequest]] = []
    if contacts:
        rows = await session.execute(
            select(ClientRequestRecipient.contact_id, ClientRequest)
            .join(ClientRequest, ClientRequest.id == ClientRequestRecipient.request_id)
            .where(
                ClientRequest.firm_id == firm_id,
                ClientRequest.status.in_(OPEN_STATUSES),
                ClientRequestRecipient.kind == "contact",
                ClientRequestRecipient.contact_id.in_(contacts),
            )
        )
        found += [
            (("contact", contact_id), request)
            for contact_id, request in rows
            if contact_id is not None
        ]
    if guests:
        now = utcnow()
        guest_rows = await session.execute(
            select(ClientRequestRecipient, ClientRequest)
            .join(ClientRequest, ClientRequest.id == ClientRequestRecipient.request_id)
            .where(
                ClientRequest.firm_id == firm_id,
                ClientRequest.status.in_(OPEN_STATUSES),
                ClientRequestRecipient.kind == "guest",
                ClientRequestRecipient.id.in_(guests),
            )
        )
        found += [
            (("guest", recipient.id), request)
            for recipient, request in guest_rows
            if link_is_live(recipient, now)
        ]
    out: dict[RecipientKey, list[OpenItem]] = {}
    if not found:
        return out
    answered: dict[uuid.UUID, set[str]] = {}
    answers = await session.execute(
        select(
            ClientRequestAnswer.request_id,
            ClientRequestAnswer.question_id,
            ClientRequestAnswer.value,
        ).where(ClientRequestAnswer.request_id.in_({request.id for _, request in found}))
    )
    for request_id, question_id, value in answers:
        if is_answered(value):
            answered.setdefault(request_id, set()).add(question_id)
    for key, request in found:
        questions = [q.get("id") for q in request.questions or []]
        left = sum(1 for q in questions if q not in answered.get(request.id, set()))
        out.setdefault(key, []).append(
            OpenItem(
                subject_kind=SUBJECT_KIND,
                subject_id=request.id,
                subject_title=request.title,
                item_title=(
                    f"{left} of {len(questions)} question(s) still to answer"
                    if left
                    else "Every question is answered: please submit your answers"
                ),
                due_date=request.due_date,
                path=f"client-requests/{request.id}" if key[0] == "contact" else "",
                status=request.status,
            )
        )
    return out


def register_reminder_source() -> None:
    """Called by ``registry.register_all()``: reminders list this domain's waiting requests."""
    register_source(SUBJECT_KIND, open_items)
