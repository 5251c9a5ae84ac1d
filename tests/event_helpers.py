"""Real receivers for the events tests: an SMTP server (aiosmtpd) and an HTTP webhook
receiver (http.server in a thread) on free local ports, and outbox queries."""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler
from typing import Any

from sqlalchemy import select

from practice_api.events.models import Delivery, Event


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class ReceivedMail:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage


class _MailHandler:
    """Keeps every message; ``hold`` delays the answer to DATA (the message is in) until
    released, to kill a dispatcher between sending and recording."""

    def __init__(self) -> None:
        self.messages: list[ReceivedMail] = []
        self.hold: threading.Event | None = None
        self.arrived = threading.Event()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append(ReceivedMail(envelope.mail_from, list(envelope.rcpt_tos), message))
        self.arrived.set()
        if self.hold is not None:
            await asyncio.to_thread(self.hold.wait, 30)
        return "250 OK"


@dataclass
class SmtpServer:
    url: str
    handler: _MailHandler

    @property
    def messages(self) -> list[ReceivedMail]:
        return self.handler.messages

    async def wait_for(self, count: int) -> list[ReceivedMail]:
        """The messages, once at least ``count`` arrived (mail sent in the background)."""
        try:
            async with asyncio.timeout(10):
                while len(self.handler.messages) < count:  # noqa: ASYNC110 - filled by the server thread
                    await asyncio.sleep(0.02)
        except TimeoutError:
            raise AssertionError(f"expected {count} messages, got {len(self.messages)}") from None
        return self.handler.messages


@dataclass
class WebhookRequest:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class WebhookReceiver:
    """Answers with the next status in ``statuses`` (then 200); ``hold`` blocks a request
    until released (to kill a dispatcher while its delivery is in flight)."""

    url: str
    requests: list[WebhookRequest] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    delay_seconds: float = 0.0
    hold: threading.Event | None = None
    arrived: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def delivery_ids(self) -> list[str]:
        return [r.headers["practice-delivery-id"] for r in self.requests]


def _handler_for(receiver: WebhookReceiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            request = WebhookRequest(
                self.path, {k.lower(): v for k, v in self.headers.items()}, body
            )
            with receiver.lock:
                receiver.requests.append(request)
                status = receiver.statuses.pop(0) if receiver.statuses else 200
            receiver.arrived.set()
            if receiver.hold is not None:
                receiver.hold.wait(30)
                return  # no answer at all: the connection just closes
            if receiver.delay_seconds:
                time.sleep(receiver.delay_seconds)
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


async def deliveries(app: Any, *, type: str | None = None, **where: Any) -> list[Delivery]:
    """Outbox rows, oldest first, filtered by column values (and by event ``type``)."""
    async with app.state.runtime.sessionmaker() as session:
        statement = select(Delivery).order_by(Delivery.created_at, Delivery.id)
        if type is not None:
            statement = statement.join(Event, Event.id == Delivery.event_id).where(
                Event.type == type
            )
        for name, value in where.items():
            if isinstance(value, str) and name.endswith("_id"):
                value = uuid.UUID(value)
            statement = statement.where(getattr(Delivery, name) == value)
        return list((await session.scalars(statement)).all())
