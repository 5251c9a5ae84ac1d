"""Guests get their link by e-mail (a real SMTP server), on send and when staff issue a new
one; the token is in the e-mail and the create answer, never in a stored row."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from practice_api.client_requests.tokens import hash_token
from practice_api.events.models import Event
from tests.client_request_helpers import firm_with_contact, send
from tests.event_helpers import SmtpServer
from tests.helpers import Api

pytest_plugins = ["tests.event_fixtures"]


@pytest.fixture
def settings_overrides(smtp_server: SmtpServer) -> dict[str, Any]:
    return {"smtp_url": smtp_server.url, "portal_link_url": "https://portal.example.com"}


async def test_guests_receive_their_own_link_and_a_new_one(
    api: Api, app: Any, smtp_server: SmtpServer
) -> None:
    f = await firm_with_contact(api, app)
    made = (
        await send(
            api,
            f,
            audience="guest",
            guests=[
                {"name": "Sam Spouse", "email": "sam@example.com"},
                {"name": "Ann Assistant", "email": "ann@example.com"},
            ],
        )
    ).json()
    mails = await smtp_server.wait_for(2)
    tokens = {r["email"]: r["link_token"] for r in made["recipients"]}
    for mail in mails:
        [to] = mail.rcpt_tos
        body = mail.message.get_body(preferencelist=("plain",)).get_content()
        assert tokens[to] in body  # each guest gets their own link
        assert all(t not in body for address, t in tokens.items() if address != to)
        assert "Client Co" not in body  # a guest learns nothing of the client
    async with app.state.sessionmaker() as session:
        payloads = [str(e.payload) for e in await session.scalars(select(Event))]
    assert not any(t in p for t in tokens.values() for p in payloads)

    sam = next(r for r in made["recipients"] if r["email"] == "sam@example.com")
    issued = await api.client.post(
        f"/v1/client-requests/{made['id']}/recipients/{sam['id']}/link", headers=f.admin.headers
    )
    assert issued.status_code == 200, issued.text
    new_token = issued.json()["link_token"]
    assert hash_token(new_token) != hash_token(tokens["sam@example.com"])
    mails = await smtp_server.wait_for(3)
    assert mails[-1].rcpt_tos == ["sam@example.com"]
    assert new_token in mails[-1].message.get_body(preferencelist=("plain",)).get_content()
