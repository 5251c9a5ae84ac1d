"""Client request notifications (issue 19, item 5) through a real SMTP server (aiosmtpd) and
a real webhook receiver: the send e-mails (portal link for contacts, the secret link for
guests, in that e-mail only), the firm told on submit (creator, responsible, subscribed
shares), guests' notices without their link, webhooks for every step, and reminders under
a controlled clock that stop once the answers are submitted."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any

import pytest
from sqlalchemy import select

from practice_api.core.time import local_today, travel_to, zone
from practice_api.events.dispatcher import Dispatcher
from practice_api.events.models import Delivery, Event
from practice_api.reminders.service import send_due_reminders
from tests.client_request_helpers import QUESTIONS, firm_with_contact, send
from tests.event_helpers import SmtpServer, WebhookReceiver
from tests.helpers import Actor, Api

pytest_plugins = ["tests.event_fixtures"]

PORTAL = "https://portal.example.com"
ZONE = "Pacific/Auckland"  # the firm's local day is not the UTC day
LINK = re.compile(re.escape(PORTAL) + r"/questionnaire\?token=([A-Za-z0-9_\-%]+)")


@pytest.fixture
def settings_overrides(smtp_server: SmtpServer) -> dict[str, Any]:
    return {"smtp_url": smtp_server.url, "portal_link_url": PORTAL}


def _text(message: Any) -> str:
    text: str = message.get_body(preferencelist=("plain",)).get_content()
    return text.replace("\r\n", "\n")


def _to(smtp_server: SmtpServer, address: str) -> list[Any]:
    return [m.message for m in smtp_server.messages if m.rcpt_tos == [address.lower()]]


async def _portal_answer(
    api: Api, contact: Actor, request_id: str, answers: dict[str, Any], *, submit: bool = False
) -> None:
    base = f"/v1/portal/client-requests/{request_id}"
    if answers:
        saved = await api.client.patch(
            f"{base}/answers", json={"answers": answers}, headers=contact.headers
        )
        assert saved.status_code == 200, saved.text
    if submit:
        done = await api.client.post(f"{base}/submit", headers=contact.headers)
        assert done.status_code == 200, done.text


async def _guest_answer(
    api: Api, token: str, answers: dict[str, Any], *, submit: bool = False
) -> None:
    base = f"/v1/public/client-requests/{token}"
    if answers:
        saved = await api.client.patch(f"{base}/answers", json={"answers": answers})
        assert saved.status_code == 200, saved.text
    if submit:
        done = await api.client.post(f"{base}/submit")
        assert done.status_code == 200, done.text


async def test_portal_request_emails_the_contact_then_tells_the_firm_on_submit(
    api: Api,
    app: Any,
    dispatcher: Dispatcher,
    smtp_server: SmtpServer,
    webhook_receiver: WebhookReceiver,
) -> None:
    f = await firm_with_contact(api, app)
    # The shared viewer asks to hear of responses on this client.
    shares = (
        await api.client.get(f"/v1/entities/{f.entity_id}/shares", headers=f.admin.headers)
    ).json()["items"]
    [viewer_share] = [s for s in shares if s["user_id"] == f.viewer.user_id]
    subscribed = await api.client.patch(
        f"/v1/entities/{f.entity_id}/shares/{viewer_share['id']}",
        json={"notifications": ["response_received", "request_completed"]},
        headers=f.admin.headers,
    )
    assert subscribed.status_code == 200, subscribed.text
    hook = await api.client.post(
        "/v1/webhook-endpoints",
        json={
            "url": webhook_receiver.url,
            "event_types": [
                "client_request.sent",
                "client_request.started",
                "client_request.submitted",
                "client_request.completed",
                "client_request.cancelled",
            ],
        },
        headers=f.admin.headers,
    )
    assert hook.status_code == 201, hook.text
    await dispatcher.drain()
    smtp_server.messages.clear()

    made = (
        await send(
            api,
            f,
            title="Tax return 2026",
            message="A few questions before we file.\nThank you!",
            due_date="2027-03-31",
        )
    ).json()
    await dispatcher.drain()
    [invite] = _to(smtp_server, f.contact["email"])
    body = _text(invite)
    assert "Client Co" in invite["Subject"] and "Tax return 2026" in invite["Subject"]
    assert "A few questions before we file.\nThank you!" in body
    assert "3 question(s), 1 required" in body and "Please answer by 2027-03-31" in body
    assert f"{PORTAL}/client-requests/{made['id']}" in body
    inbox = (await api.client.get("/v1/notifications", headers=f.contact_actor.headers)).json()[
        "items"
    ]
    assert any("Tax return 2026" in n["title"] for n in inbox)

    smtp_server.messages.clear()
    await _portal_answer(api, f.contact_actor, made["id"], {"name": "Carla", "moved": False})
    await _portal_answer(api, f.contact_actor, made["id"], {}, submit=True)
    await dispatcher.drain()
    # The creator (the admin: the entity has no other responsible) and the subscribed
    # viewer are e-mailed; the contact who submitted is not.
    [to_admin] = [m for m in _to(smtp_server, f.admin.email) if "submitted" in m["Subject"]]
    assert "Tax return 2026" in to_admin["Subject"]
    assert "2 of 3 question(s) answered" in _text(to_admin)
    assert _to(smtp_server, f.viewer.email)
    assert not [m for m in _to(smtp_server, f.contact["email"]) if "submitted" in m["Subject"]]

    completed = await api.client.post(
        f"/v1/client-requests/{made['id']}/complete", headers=f.admin.headers
    )
    assert completed.status_code == 200, completed.text
    second = (await send(api, f, title="Second one")).json()
    cancelled = await api.client.post(
        f"/v1/client-requests/{second['id']}/cancel",
        json={"reason": "Sent by mistake"},
        headers=f.admin.headers,
    )
    assert cancelled.status_code == 200, cancelled.text
    await dispatcher.drain()
    received = [(r.json()["type"], r.json()["data"]) for r in webhook_receiver.requests]
    types = [t for t, _ in received]
    for expected in (
        "client_request.sent",
        "client_request.started",
        "client_request.submitted",
        "client_request.completed",
        "client_request.cancelled",
    ):
        assert expected in types, (expected, types)
    submitted = next(d for t, d in received if t == "client_request.submitted")
    assert submitted["request_id"] == made["id"] and submitted["status"] == "submitted"
    assert submitted["title"] == "Tax return 2026"
    assert next(d for t, d in received if t == "client_request.cancelled")["reason"] == (
        "Sent by mistake"
    )


async def test_a_guest_gets_a_working_link_by_email_and_only_there(
    api: Api, app: Any, dispatcher: Dispatcher, smtp_server: SmtpServer
) -> None:
    f = await firm_with_contact(api, app)
    smtp_server.messages.clear()
    made = await send(
        api,
        f,
        audience="guest",
        guests=[{"name": "Sam Spouse", "email": "Sam@Example.com"}],
        title="Joint return: spouse questions",
        security={"link_lifetime_days": 10},
    )
    request = made.json()
    [invite] = _to(smtp_server, "sam@example.com")  # sent at once, after the commit
    body = _text(invite)
    [token] = LINK.findall(body)
    assert "Joint return: spouse questions" in invite["Subject"]
    assert "Acme Audit" in invite["Subject"]
    assert "Client Co" not in invite["Subject"] + body  # a guest is not told the client
    assert "This link is personal" in body and "It works until" in body
    assert invite["List-Unsubscribe"] is None

    # The link opens the questionnaire; answering and submitting work with it alone.
    opened = await api.client.get(f"/v1/public/client-requests/{token}")
    assert opened.status_code == 200, opened.text
    assert opened.json()["title"] == "Joint return: spouse questions"

    # The token is nowhere else: not in an event, not in the outbox.
    async with app.state.sessionmaker() as session:
        payloads = (
            await session.scalars(
                select(Event.payload).where(Event.firm_id == uuid.UUID(f.admin.firm_id))
            )
        ).all()
        assert token not in repr(payloads)
        outbox = (await session.scalars(select(Delivery))).all()
        assert all(token not in repr(vars(d)) for d in outbox)
    await dispatcher.drain()  # no outbox e-mail to the guest for the send itself
    assert len(_to(smtp_server, "sam@example.com")) == 1

    # A new link (staff) is e-mailed too; the old one stops working.
    [guest] = request["recipients"]
    renewed = await api.client.post(
        f"/v1/client-requests/{request['id']}/recipients/{guest['id']}/link",
        headers=f.admin.headers,
    )
    assert renewed.status_code == 200, renewed.text
    [_, again] = _to(smtp_server, "sam@example.com")
    [new_token] = LINK.findall(_text(again))
    assert new_token != token
    assert (await api.client.get(f"/v1/public/client-requests/{token}")).status_code == 404
    assert (await api.client.get(f"/v1/public/client-requests/{new_token}")).status_code == 200

    # Reopened after submission: the guest hears of it, without a link.
    await _guest_answer(api, new_token, {"name": "Sam"}, submit=True)
    reopened = await api.client.post(
        f"/v1/client-requests/{request['id']}/reopen",
        json={"note": "Please add your 2026 address."},
        headers=f.admin.headers,
    )
    assert reopened.status_code == 200, reopened.text
    await dispatcher.drain()
    notice = _to(smtp_server, "sam@example.com")[-1]
    text = _text(notice)
    assert "reopened" in notice["Subject"] and "Please add your 2026 address." in text
    assert "personal link" in text and not LINK.search(text) and "Client Co" not in text


async def test_reminders_go_to_contacts_and_guests_until_they_submit(
    api: Api, app: Any, dispatcher: Dispatcher, smtp_server: SmtpServer
) -> None:
    f = await firm_with_contact(api, app)
    changed = await api.client.patch("/v1/firm", json={"time_zone": ZONE}, headers=f.admin.headers)
    assert changed.status_code == 200
    due = local_today(ZONE) + dt.timedelta(days=10)
    portal = (await send(api, f, title="Portal questions", due_date=due.isoformat())).json()
    guest = await send(
        api,
        f,
        audience="guest",
        guests=[{"name": "Sam Spouse", "email": "sam@example.com"}],
        title="Guest questions",
        due_date=due.isoformat(),
    )
    [token] = LINK.findall(_text(_to(smtp_server, "sam@example.com")[0]))
    await dispatcher.drain()
    smtp_server.messages.clear()

    def at_local(day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(9), tzinfo=zone(ZONE)).astimezone(dt.UTC)

    async def run() -> int:
        sent = await send_due_reminders(app.state.runtime.sessionmaker)
        await dispatcher.drain()
        return sent

    with travel_to(at_local(due - dt.timedelta(days=3))):
        assert await run() == 2  # the contact and the guest, one e-mail each
    [to_contact] = _to(smtp_server, f.contact["email"])
    text = _text(to_contact)
    assert "Portal questions (due " + due.isoformat() + ")" in text
    assert f"3 of {len(QUESTIONS)} question(s) still to answer" in text
    [to_guest] = _to(smtp_server, "sam@example.com")
    guest_text = _text(to_guest)
    assert "Guest questions" in guest_text and "personal link" in guest_text
    assert "Portal questions" not in guest_text and "Client Co" not in guest_text
    assert not LINK.search(guest_text)

    # Both submit; the later slots send nothing.
    await _portal_answer(api, f.contact_actor, portal["id"], {"name": "Carla"}, submit=True)
    await _guest_answer(api, token, {"name": "Sam"}, submit=True)
    assert guest.status_code == 201
    smtp_server.messages.clear()
    for offset in (-1, 0, 3, 7):
        with travel_to(at_local(due + dt.timedelta(days=offset))):
            assert await run() == 0
    assert [m for m in smtp_server.messages if "Reminder" in m.message["Subject"]] == []
