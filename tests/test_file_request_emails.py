"""File request e-mails in a real SMTP server (aiosmtpd): plain text, links, paragraphs."""

from __future__ import annotations

from typing import Any

import pytest

from practice_api.events.dispatcher import Dispatcher
from tests.event_helpers import SmtpServer
from tests.file_request_helpers import create_request, firm_with_contacts, upload
from tests.helpers import Api

pytest_plugins = ["tests.event_fixtures"]


@pytest.fixture
def settings_overrides(smtp_server: SmtpServer) -> dict[str, Any]:
    return {"smtp_url": smtp_server.url, "portal_link_url": "https://portal.example.com"}


def _text(message: Any) -> str:
    text: str = message.get_body(preferencelist=("plain",)).get_content()
    return text.replace("\r\n", "\n")


def _html(message: Any) -> str:
    html: str = message.get_body(preferencelist=("html",)).get_content()
    return html


def _to(smtp_server: SmtpServer, address: str) -> list[Any]:
    return [m.message for m in smtp_server.messages if m.rcpt_tos == [address]]


async def test_request_return_and_submission_emails(
    api: Api, app: Any, dispatcher: Dispatcher, smtp_server: SmtpServer
) -> None:
    f = await firm_with_contacts(api, app)
    await api.client.patch(
        "/v1/firm", json={"detailed_notifications_enabled": True}, headers=f.admin.headers
    )
    await dispatcher.drain()
    smtp_server.messages.clear()
    description = "<p>Hello & welcome</p>\nSecond line\n\nThird paragraph"
    made = (
        await create_request(
            api,
            f,
            description=description,
            additional_message="We need these before the audit.",
            due_date="2027-03-31",
            items=[{"title": "Bank statements"}, {"title": "Payroll <2026>"}],
        )
    ).json()
    await dispatcher.drain()
    [message] = _to(smtp_server, f.contact["email"])
    assert "Client Co" in message["Subject"] and "Year-end 2026" in message["Subject"]
    body = _text(message)
    assert f"{description}\n\nWe need these before the audit.\n" in body  # as written
    assert "  - Payroll <2026>" in body
    assert "Due date: 2027-03-31" in body
    assert f"https://portal.example.com/file-requests/{made['id']}" in body
    # The HTML part shows the description as text: escaped, never markup.
    html = _html(message)
    assert "&lt;p&gt;Hello &amp; welcome&lt;/p&gt;" in html and "<p>Hello &" not in html

    smtp_server.messages.clear()
    item_id = made["items"][0]["id"]
    await upload(api, f.contact_actor, made["id"], item_id)
    await dispatcher.drain()
    # The shared viewer subscribed to `response_received` is e-mailed; so is nobody else
    # but the staff side (the admin created it and owns nothing: the creator).
    [to_viewer] = _to(smtp_server, f.viewer.email)
    assert 'sent a file for "Year-end 2026"' in to_viewer["Subject"]
    assert _to(smtp_server, f.admin.email)

    smtp_server.messages.clear()
    returned = await api.client.post(
        f"/v1/file-requests/{made['id']}/items/{item_id}/return",
        json={"reason": "Page 2 is missing.\nPlease scan both sides."},
        headers=f.admin.headers,
    )
    assert returned.status_code == 200
    await dispatcher.drain()
    [back] = _to(smtp_server, f.contact["email"])
    text = _text(back)
    assert "Reason:\nPage 2 is missing.\nPlease scan both sides.\n" in text
    assert "- Bank statements" in text
    assert f"https://portal.example.com/file-requests/{made['id']}" in text
