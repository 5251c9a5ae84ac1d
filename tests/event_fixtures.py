"""Fixtures for the events tests (load with ``pytest_plugins = ["tests.event_fixtures"]``)."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Iterator
from http.server import ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from practice_api.events.dispatcher import Dispatcher
from tests.event_helpers import (
    SmtpServer,
    WebhookReceiver,
    _handler_for,
    _MailHandler,
    free_port,
)


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    handler = _MailHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield SmtpServer(f"smtp://127.0.0.1:{port}", handler)
    finally:
        controller.stop()


@pytest.fixture
def webhook_receiver() -> Iterator[WebhookReceiver]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(WebhookReceiver(url="")))
    receiver = WebhookReceiver(url=f"http://127.0.0.1:{server.server_address[1]}/hooks")
    server.RequestHandlerClass = _handler_for(receiver)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        if receiver.hold is not None:
            receiver.hold.set()
        server.shutdown()
        server.server_close()


@pytest.fixture
async def dispatcher(app: Any) -> AsyncIterator[Dispatcher]:
    runtime = app.state.runtime
    worker = Dispatcher(runtime.sessionmaker, runtime.settings, name="test-dispatcher")
    yield worker
    await worker.aclose()
