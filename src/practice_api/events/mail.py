"""Outgoing e-mail: over SMTP (aiosmtplib) when ``PRACTICE_SMTP_URL`` is set, else to the log.

``smtp://user:password@host:587`` upgrades with STARTTLS when the server offers it;
``smtps://host:465`` uses TLS from the start; ``?starttls=required`` refuses to send in clear.
"""

from __future__ import annotations

import datetime as dt
import email.policy
import logging
import uuid
from collections.abc import Awaitable, Callable
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, getaddresses, parseaddr
from typing import Any, Protocol
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib

from practice_api.settings import Settings

log = logging.getLogger("practice_api.mail")


# Called once the server accepted the envelope, right before the message itself goes (the
# SMTP DATA command): the dispatcher records there that the e-mail is being handed over, so a
# dispatcher that dies before recording the outcome is never followed by a second copy.
# Raising stops the send (the server drops the unfinished transaction).
HandOver = Callable[[], Awaitable[None]]


class Mailer(Protocol):
    async def send(self, message: EmailMessage, hand_over: HandOver | None = None) -> None: ...


class LogMailer:
    """The embedded default: the whole message goes to the log."""

    async def send(self, message: EmailMessage, hand_over: HandOver | None = None) -> None:
        if hand_over is not None:
            await hand_over()
        log.info("e-mail (no SMTP configured):\n%s", message.as_string())


class _SMTP(aiosmtplib.SMTP):
    """aiosmtplib's client, calling ``hand_over`` between the envelope and DATA."""

    def __init__(self, hand_over: HandOver | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._hand_over = hand_over

    async def data(self, message: str | bytes, *args: Any, **kwargs: Any) -> Any:
        if self._hand_over is not None:
            await self._hand_over()
        return await super().data(message, *args, **kwargs)


class SmtpMailer:
    def __init__(self, url: str, timeout: float) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps"):
            raise ValueError("PRACTICE_SMTP_URL must start with smtp:// or smtps://")
        query = parse_qs(parts.query)
        self.hostname = parts.hostname or "localhost"
        self.use_tls = parts.scheme == "smtps"
        self.port = parts.port or (465 if self.use_tls else 25)
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        required = query.get("starttls", [""])[0].lower() in ("required", "true", "1")
        self.start_tls: bool | None = None if not self.use_tls else False
        if required and not self.use_tls:
            self.start_tls = True
        self.timeout = timeout

    async def send(self, message: EmailMessage, hand_over: HandOver | None = None) -> None:
        # Serialised here, not by aiosmtplib: its policy folds a long (or bracketed) subject
        # onto a continuation line, which readers show with a leading space.
        sender = parseaddr(str(message["From"]))[1]
        recipients = [address for _, address in getaddresses([str(message["To"])]) if address]
        client = _SMTP(
            hand_over,
            hostname=self.hostname,
            port=self.port,
            username=self.username,
            password=self.password,
            use_tls=self.use_tls,
            start_tls=self.start_tls,
            timeout=self.timeout,
        )
        async with client:
            await client.sendmail(sender, recipients, message.as_bytes(policy=WIRE_POLICY))


def mailer_from_settings(settings: Settings) -> Mailer:
    if settings.smtp_url:
        return SmtpMailer(settings.smtp_url, settings.smtp_timeout_seconds)
    return LogMailer()


# Headers are never folded below the SMTP line limit: a long subject stays one line (a
# folded one showed up with a leading space in some clients).
MESSAGE_POLICY = email.policy.default.clone(max_line_length=998)
WIRE_POLICY = email.policy.SMTP.clone(max_line_length=998)


def compose(
    *,
    sender: str,
    to_name: str,
    to_address: str,
    subject: str,
    body: str,
    delivery_id: uuid.UUID,
    sent_at: dt.datetime,
    html: str | None = None,
    sender_name: str | None = None,
    unsubscribe: str | None = None,
) -> EmailMessage:
    """A text (and HTML) message whose Message-ID derives from the delivery id (stable on
    retry). ``sender_name`` (the firm's name) replaces the display name of ``sender``;
    ``unsubscribe`` is the page where the recipient changes what they receive."""
    _, sender_address = parseaddr(sender)
    domain = sender_address.rpartition("@")[2] or "practice-api.local"
    message = EmailMessage(policy=MESSAGE_POLICY)
    message["From"] = (
        formataddr((sender_name, sender_address)) if sender_name and sender_address else sender
    )
    message["To"] = formataddr((to_name, to_address))
    message["Subject"] = " ".join(subject.split())
    message["Date"] = format_datetime(sent_at)
    message["Message-ID"] = f"<{delivery_id}@{domain}>"
    message["Auto-Submitted"] = "auto-generated"
    message["X-Practice-Delivery-Id"] = str(delivery_id)
    if unsubscribe:
        message["List-Unsubscribe"] = f"<{unsubscribe}>"
    message.set_content(body, cte="quoted-printable")
    if html is not None:
        message.add_alternative(html, subtype="html", cte="quoted-printable")
    return message
