"""The whole portal path over HTTP, and the rules around it: links, sign-in, revocation."""

from __future__ import annotations

from typing import Any

import pytest

from practice_api.events.dispatcher import Dispatcher
from tests.contact_helpers import (
    create_contact,
    create_discussion,
    create_group,
    grant,
    link_token,
    portal_contact,
)
from tests.event_helpers import SmtpServer
from tests.factories import create_entity
from tests.helpers import PASSWORD, Api, problem

pytest_plugins = ["tests.event_fixtures"]


@pytest.fixture
def settings_overrides(smtp_server: SmtpServer) -> dict[str, Any]:
    return {
        "smtp_url": smtp_server.url,
        "mail_from": "Acme <notices@acme.example.com>",
        "portal_link_url": "https://portal.acme.example.com",
    }


async def test_invite_activate_sign_in_comment_and_the_firm_is_notified(
    api: Api, app: Any, dispatcher: Dispatcher, smtp_server: SmtpServer
) -> None:
    admin = await api.sign_up_firm()
    staff = await api.add_staff(admin)
    mine = await create_entity(api, staff, name="Granted Ltd")
    other = await create_entity(api, staff, name="Not Yours Ltd")
    contact = await create_contact(api, staff, name="Carla", email="Carla@Client.example.com")
    assert contact["email"] == "carla@client.example.com"
    assert contact["portal_status"] == "none"
    await grant(api, staff, mine["id"], contact["id"], "contributor")

    invited = await api.client.post(f"/v1/contacts/{contact['id']}/invite", headers=staff.headers)
    assert invited.status_code == 200, invited.text
    assert invited.json()["portal_status"] == "invited"

    # The e-mail reached a real SMTP server, with a link carrying the secret.
    [mail] = smtp_server.messages
    assert mail.rcpt_tos == ["carla@client.example.com"]
    text = mail.message.get_content()
    assert "https://portal.acme.example.com/activate?token=" in text
    token = link_token(text)

    # The secret is stored only as a hash, and never in an event.
    events = await api.client.get(f"/v1/entities/{mine['id']}/activity", headers=staff.headers)
    assert token not in events.text

    activated = await api.client.post(
        "/v1/portal/activate", json={"token": token, "password": PASSWORD}
    )
    assert activated.status_code == 204, activated.text
    again = await api.client.post(
        "/v1/portal/activate", json={"token": token, "password": PASSWORD}
    )
    problem(again, 404, "portal_link_invalid")  # single use

    carla = await api.sign_in("carla@client.example.com")
    me = await api.client.get("/v1/portal/me", headers=carla.headers)
    assert me.status_code == 200 and me.json()["name"] == "Carla"
    assert "notes" not in me.json()

    entities = await api.client.get("/v1/portal/entities", headers=carla.headers)
    assert [e["name"] for e in entities.json()["items"]] == ["Granted Ltd"]
    assert entities.json()["items"][0]["role"] == "contributor"
    assert "notes" not in entities.json()["items"][0]
    hidden = await api.client.get(f"/v1/portal/entities/{other['id']}", headers=carla.headers)
    problem(hidden, 404, "entity_not_found")
    # A contact token opens no staff route.
    problem(await api.client.get("/v1/entities", headers=carla.headers), 403, "staff_only")

    group = await create_group(api, staff, mine["id"], [contact["id"]], "Year end team")
    shared = await create_discussion(api, staff, mine["id"], [group["id"]], "Year end 2026")
    await create_discussion(api, staff, mine["id"], [], "Internal only")
    await dispatcher.drain()

    listed = await api.client.get(
        f"/v1/portal/entities/{mine['id']}/discussions", headers=carla.headers
    )
    assert [d["subject"] for d in listed.json()["items"]] == ["Year end 2026"]
    comment = await api.client.post(
        f"/v1/portal/discussions/{shared['id']}/comments",
        json={"body": "Here are my <b>numbers</b>."},
        headers=carla.headers,
    )
    assert comment.status_code == 201, comment.text
    assert comment.json()["mine"] is True

    # The staff side sees the comment, and a notification about it.
    comments = await api.client.get(
        f"/v1/entities/{mine['id']}/discussions/{shared['id']}/comments", headers=staff.headers
    )
    [seen] = comments.json()["items"]
    assert seen["author_kind"] == "contact" and seen["author_name"] == "Carla"
    assert seen["body"] == "Here are my <b>numbers</b>."  # plain text, stored as is
    await dispatcher.drain()
    notifications = await api.client.get("/v1/notifications", headers=staff.headers)
    types = [n["type"] for n in notifications.json()["items"]]
    assert "discussion.comment_created" in types, types
    # ... and the contact was told of the new discussion, in the portal's notifications.
    theirs = await api.client.get("/v1/notifications", headers=carla.headers)
    assert "discussion.created" in [n["type"] for n in theirs.json()["items"]]


async def test_reinvite_invalidates_the_earlier_link(
    api: Api, app: Any, smtp_server: SmtpServer
) -> None:
    admin = await api.sign_up_firm()
    entity = await create_entity(api, admin)
    contact = await create_contact(api, admin)
    await grant(api, admin, entity["id"], contact["id"])
    for _ in range(2):
        response = await api.client.post(
            f"/v1/contacts/{contact['id']}/invite", headers=admin.headers
        )
        assert response.status_code == 200
    first, second = (link_token(m.message.get_content()) for m in smtp_server.messages)
    stale = await api.client.post(
        "/v1/portal/activate", json={"token": first, "password": PASSWORD}
    )
    problem(stale, 404, "portal_link_invalid")
    fresh = await api.client.post(
        "/v1/portal/activate", json={"token": second, "password": PASSWORD}
    )
    assert fresh.status_code == 204


async def test_password_reset_by_email_link_ends_other_sessions(
    api: Api, app: Any, smtp_server: SmtpServer
) -> None:
    admin = await api.sign_up_firm()
    entity = await create_entity(api, admin)
    contact, carla = await portal_contact(api, app, admin, entity["id"])
    unknown = await api.client.post(
        "/v1/portal/password-reset-requests", json={"email": "nobody@example.com"}
    )
    assert unknown.status_code == 202 and smtp_server.messages == []
    asked = await api.client.post(
        "/v1/portal/password-reset-requests", json={"email": contact["email"]}
    )
    assert asked.status_code == 202
    [mail] = await smtp_server.wait_for(1)  # only the known address got one
    token = link_token(mail.message.get_content())
    reset = await api.client.post(
        "/v1/portal/password-reset", json={"token": token, "password": "a brand new secret"}
    )
    assert reset.status_code == 204, reset.text
    problem(await api.client.get("/v1/portal/me", headers=carla.headers), 401, "token_revoked")
    assert (await api.token(contact["email"], PASSWORD)).status_code == 401
    assert (await api.token(contact["email"], "a brand new secret")).status_code == 200


async def test_disabling_or_removing_the_last_access_ends_sessions(api: Api, app: Any) -> None:
    admin = await api.sign_up_firm()
    first = await create_entity(api, admin)
    second = await create_entity(api, admin)
    contact, carla = await portal_contact(api, app, admin, first["id"])
    await grant(api, admin, second["id"], contact["id"])

    removed = await api.client.delete(
        f"/v1/entities/{first['id']}/contacts/{contact['id']}", headers=admin.headers
    )
    assert removed.status_code == 204
    still = await api.client.get("/v1/portal/entities", headers=carla.headers)
    assert [e["id"] for e in still.json()["items"]] == [second["id"]]

    await api.client.delete(
        f"/v1/entities/{second['id']}/contacts/{contact['id']}", headers=admin.headers
    )
    problem(await api.client.get("/v1/portal/me", headers=carla.headers), 401, "token_revoked")
    refreshed = await api.client.post(
        "/v1/auth/token", data={"grant_type": "refresh_token", "refresh_token": carla.refresh_token}
    )
    problem(refreshed, 401, "refresh_token_invalid")

    await grant(api, admin, first["id"], contact["id"])
    carla = await api.sign_in(contact["email"])
    disabled = await api.client.post(f"/v1/contacts/{contact['id']}/disable", headers=admin.headers)
    assert disabled.json()["portal_status"] == "disabled"
    problem(await api.client.get("/v1/portal/me", headers=carla.headers), 401, "token_revoked")
    problem(await api.token(contact["email"]), 401, "invalid_credentials")


async def test_contact_email_unique_per_firm_and_sign_in_rule(api: Api, app: Any) -> None:
    admin = await api.sign_up_firm()
    other = await api.sign_up_firm("Elsewhere Audit")
    one = await create_entity(api, admin)
    two = await create_entity(api, other)
    contact = await create_contact(api, admin, email="shared@client.example.com")
    taken = await api.client.post(
        "/v1/contacts",
        json={"name": "Twin", "email": "SHARED@client.example.com"},
        headers=admin.headers,
    )
    problem(taken, 409, "contact_email_taken")
    twin = await create_contact(api, other, email="shared@client.example.com")
    await grant(api, admin, one["id"], contact["id"])
    await grant(api, other, two["id"], twin["id"])
    from tests.contact_helpers import activate_directly

    await activate_directly(app, contact["id"])
    await activate_directly(app, twin["id"])
    ambiguous = await api.token("shared@client.example.com")
    body = problem(ambiguous, 400, "firm_id_required")
    assert sorted(body["firm_ids"]) == sorted([admin.firm_id, other.firm_id])
    chosen = await api.client.post(
        "/v1/auth/token",
        data={
            "username": "shared@client.example.com",
            "password": PASSWORD,
            "firm_id": other.firm_id,
        },
    )
    assert chosen.status_code == 200, chosen.text
    me = await api.client.get(
        "/v1/me", headers={"Authorization": f"Bearer {chosen.json()['access_token']}"}
    )
    assert me.json()["kind"] == "contact" and me.json()["firm_id"] == other.firm_id


async def test_viewer_may_not_authorize_contacts_and_groups_need_access(api: Api, app: Any) -> None:
    admin = await api.sign_up_firm()
    viewer = await api.add_staff(admin)
    entity = await create_entity(api, admin)
    await api.client.post(
        f"/v1/entities/{entity['id']}/shares",
        json={"user_id": viewer.user_id},
        headers=admin.headers,
    )
    contact = await create_contact(api, admin)
    refused = await api.client.put(
        f"/v1/entities/{entity['id']}/contacts/{contact['id']}",
        json={"role": "viewer"},
        headers=viewer.headers,
    )
    problem(refused, 403, "contacts_authorize_forbidden")
    outsider = await api.client.post(
        f"/v1/entities/{entity['id']}/contact-groups",
        json={"name": "G", "contact_ids": [contact["id"]]},
        headers=admin.headers,
    )
    problem(outsider, 422, "contact_without_entity_access")
