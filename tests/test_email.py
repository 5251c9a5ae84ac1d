"""E-mail notifications through a real SMTP server (aiosmtpd on a free local port)."""

from __future__ import annotations

from email.utils import parseaddr, parsedate_to_datetime
from typing import Any

import pytest

from practice_api.events.dispatcher import Dispatcher
from tests.event_helpers import SmtpServer, deliveries
from tests.helpers import Api

pytest_plugins = ["tests.event_fixtures"]


@pytest.fixture
def settings_overrides(smtp_server: SmtpServer) -> dict[str, Any]:
    return {"smtp_url": smtp_server.url, "mail_from": "Acme Notices <notices@acme.example.com>"}


async def test_new_user_receives_a_welcome_email(
    api: Api, app: Any, dispatcher: Dispatcher, smtp_server: SmtpServer
) -> None:
    admin = await api.sign_up_firm("Acme Audit")
    user = await api.create_user(admin, name="Sam Staff")
    assert smtp_server.messages == []  # nothing leaves before the dispatcher runs

    await dispatcher.drain()

    [received] = smtp_server.messages
    assert received.rcpt_tos == [user["email"]]
    assert received.mail_from == "notices@acme.example.com"
    message = received.message
    assert parseaddr(message["To"]) == ("Sam Staff", user["email"])
    # The firm's name is the sender name; the configured address stays.
    assert message["From"] == "Acme Audit <notices@acme.example.com>"
    assert message["Subject"] == "[Acme Audit] Alice Admin added you to Acme Audit as staff"
    assert parsedate_to_datetime(message["Date"]).tzinfo is not None
    [email_delivery] = await deliveries(app, channel="email", recipient_id=user["id"])
    assert message["Message-ID"] == f"<{email_delivery.id}@acme.example.com>"
    assert message.get_content_type() == "multipart/alternative"
    body = message.get_body(("plain",)).get_content()
    assert body.startswith("Hello Sam Staff,")
    assert "Alice Admin added you to Acme Audit as staff" in body
    assert f"You sign in with {user['email']}." in body
    assert "/v1/" not in body  # links go to the frontend, never to an API route
    assert message["List-Unsubscribe"] == "<http://127.0.0.1:8000/app/settings/notifications>"
    assert email_delivery.status == "delivered" and email_delivery.attempts == 1


async def test_email_only_when_the_preference_asks_for_it(
    api: Api, dispatcher: Dispatcher, smtp_server: SmtpServer
) -> None:
    admin = await api.sign_up_firm("Acme Audit")
    second = await api.add_staff(admin, role="admin", name="Bob Admin")
    await dispatcher.drain()
    smtp_server.messages.clear()

    await api.client.patch("/v1/firm", json={"name": "Acme One"}, headers=admin.headers)
    await dispatcher.drain()
    assert smtp_server.messages == []  # firm.updated: in-app only by default

    await api.client.put(
        "/v1/notification-preferences",
        json={"preferences": [{"event_type": "firm.updated", "channel": "email", "enabled": True}]},
        headers=second.headers,
    )
    changed = await api.client.patch(
        "/v1/firm", json={"client_ownership_enabled": True}, headers=admin.headers
    )
    assert changed.status_code == 200
    await dispatcher.drain()
    [received] = smtp_server.messages
    assert received.rcpt_tos == [second.email]
    assert (
        received.message["Subject"]
        == "[Acme One] Alice Admin changed the firm settings of Acme One"
    )
    text = received.message.get_body(("plain",)).get_content()
    assert "client_ownership_enabled: False -> True" in text


async def test_unreachable_smtp_server_is_retried_later(api: Api, app: Any, settings: Any) -> None:
    admin = await api.sign_up_firm()
    user = await api.create_user(admin)
    settings = settings.model_copy(
        update={"smtp_url": "smtp://127.0.0.1:9", "smtp_timeout_seconds": 2}
    )
    dispatcher = Dispatcher(app.state.runtime.sessionmaker, settings)
    try:
        await dispatcher.drain()
    finally:
        await dispatcher.aclose()
    [failed] = await deliveries(app, channel="email", recipient_id=user["id"])
    assert failed.status == "pending" and failed.attempts == 1
    assert failed.last_error
    [in_app] = await deliveries(app, channel="in_app", recipient_id=user["id"])
    assert in_app.status == "delivered"
