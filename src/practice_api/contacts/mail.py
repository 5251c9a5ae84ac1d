"""The portal e-mails that carry a secret link (invitation, password reset).

They do not go through the outbox: the outbox stores what it sends, and these secrets are
stored only as hashes. The message is sent right after the request's transaction commits;
a failure is logged and the staff user (or the contact) asks again: a new link replaces the
old one.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from urllib.parse import quote

from sqlalchemy.ext.asyncio import AsyncSession

from practice_api.core.time import utcnow
from practice_api.db import after_commit
from practice_api.events.mail import compose, mailer_from_settings
from practice_api.settings import Settings

log = logging.getLogger("practice_api.contacts.mail")


def portal_link(settings: Settings, page: str, secret: str) -> str:
    base = settings.portal_link_url or settings.public_base_url.rstrip("/") + "/portal"
    return f"{base.rstrip('/')}/{page}?token={quote(secret)}"


def send_after_commit(
    session: AsyncSession,
    settings: Settings,
    *,
    to_name: str,
    to_address: str,
    subject: str,
    body: str,
    in_background: bool = False,
) -> None:
    """Send once the transaction commits; ``in_background`` does not delay the response
    (so an answer to an anonymous caller takes as long whether a message went out or not).
    """

    async def send() -> None:
        message = compose(
            sender=settings.mail_from,
            to_name=to_name,
            to_address=to_address,
            subject=subject,
            body=body,
            delivery_id=uuid.uuid4(),
            sent_at=utcnow(),
        )
        try:
            await mailer_from_settings(settings).send(message)
        except Exception as exc:  # the link can be sent again; never fail the committed change
            log.warning("portal e-mail to a contact could not be sent: %r", exc)

    async def start_sending() -> None:
        task = asyncio.create_task(send())
        _sending.add(task)  # keep a reference until it is done
        task.add_done_callback(_sending.discard)

    after_commit(session, start_sending if in_background else send)


_sending: set[asyncio.Task[None]] = set()


def invitation_body(name: str, firm_name: str, link: str, hours: int) -> str:
    return "\n".join(
        [
            f"Hello {name},",
            "",
            f"{firm_name} invites you to its client portal.",
            f"Open this link to choose your password (it works once, for {hours} hours):",
            "",
            link,
            "",
            "If you did not expect this e-mail, ignore it.",
            "",
        ]
    )


def reset_body(name: str, firm_name: str, link: str, hours: int) -> str:
    return "\n".join(
        [
            f"Hello {name},",
            "",
            f"Someone asked to reset your password for the client portal of {firm_name}.",
            f"Open this link to choose a new one (it works once, for {hours} hour(s)):",
            "",
            link,
            "",
            "If you did not ask for this, ignore this e-mail; your password stays as it is.",
            "",
        ]
    )
