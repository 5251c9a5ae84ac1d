"""What notifications say and where they link (issue 15, item 1 and 2), through a real SMTP
server: the client's name in subject and first line, frontend links (never API routes),
text and HTML with user-written names escaped, List-Unsubscribe per audience, the firm as
sender name, unfolded subjects, and every template through the preview command."""

from __future__ import annotations

import contextlib
import io
import uuid
from email.message import EmailMessage
from typing import Any

import pytest

from practice_api import cli
from practice_api.events import catalogue, render
from practice_api.events import samples as sample_events
from practice_api.events.dispatcher import Dispatcher
from practice_api.settings import Settings
from tests.contact_helpers import create_discussion, create_group, portal_contact
from tests.event_helpers import SmtpServer
from tests.factories import create_entity
from tests.files import samples
from tests.helpers import Actor, Api

pytest_plugins = ["tests.event_fixtures"]

APP = "https://app.example.com/practice"
PORTAL = "https://portal.example.com"
CLIENT = 'Bergmann & Söhne <b>"GmbH"</b>'


@pytest.fixture
def settings_overrides(smtp_server: SmtpServer) -> dict[str, Any]:
    return {
        "smtp_url": smtp_server.url,
        "mail_from": "practice-api <notices@acme.example.com>",
        "app_link_url": APP,
        "portal_link_url": PORTAL,
    }


def parts(message: EmailMessage) -> tuple[str, str]:
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None and html is not None
    return text.get_content(), html.get_content()


async def share(api: Api, admin: Actor, entity_id: str, user: Actor, **body: Any) -> None:
    response = await api.client.post(
        f"/v1/entities/{entity_id}/shares",
        json={"user_id": user.user_id, **body},
        headers=admin.headers,
    )
    assert response.status_code == 201, response.text


async def test_a_shared_viewers_upload_email_names_the_client_and_links_to_the_file(
    api: Api, app: Any, dispatcher: Dispatcher, smtp_server: SmtpServer
) -> None:
    admin = await api.sign_up_firm("Acme Audit")
    viewer = await api.add_staff(admin, name="Vera Viewer")
    entity = await create_entity(api, admin, name=CLIENT)
    await share(api, admin, entity["id"], viewer, notifications=["file_uploaded"])
    contact, client = await portal_contact(api, app, admin, entity["id"], "contributor")
    await dispatcher.drain()
    smtp_server.messages.clear()

    file_name = "signed bank confirmation & letter of the year 2025, final version.pdf"
    uploaded = await api.client.post(
        f"/v1/portal/entities/{entity['id']}/files",
        files={"file": (file_name, samples.PDF, "application/pdf")},
        headers=client.headers,
    )
    assert uploaded.status_code == 201, uploaded.text
    file_id = uploaded.json()["id"]
    assert uploaded.json()["name"] == file_name
    await dispatcher.drain()

    [mail] = smtp_server.messages
    assert mail.rcpt_tos == [viewer.email]
    message = mail.message
    first = f"{CLIENT}: {contact['name']} uploaded {file_name}"
    # A long subject arrives as one line, no folding whitespace.
    assert message["Subject"] == f"[Acme Audit] {first}"
    assert "\n" not in message["Subject"] and "  " not in message["Subject"]
    assert message["From"] == "Acme Audit <notices@acme.example.com>"
    link = f"{APP}/clients/{entity['id']}/files/{file_id}"
    text, html = parts(message)
    assert text.splitlines()[2] == first
    assert link in text and "/v1/" not in text
    # HTML: every user-written value escaped, the link a real anchor.
    assert "<b>" not in html and "&lt;b&gt;" in html
    assert "signed bank confirmation &amp; letter" in html
    assert f'href="{link}"' in html
    assert "/v1/" not in html
    # The share's own choices brought it: the footer and List-Unsubscribe say where to
    # change them (the share), not the general preferences.
    share_page = f"{APP}/clients/{entity['id']}/sharing/mine"
    assert message["List-Unsubscribe"] == f"<{share_page}>"
    assert share_page in text and "on your share of" in text

    # The same choice shows the upload in-app, with the same title and link.
    inbox = await api.client.get("/v1/notifications", headers=viewer.headers)
    [item] = [n for n in inbox.json()["items"] if n["type"] == "file.uploaded"]
    assert item["title"] == first
    assert item["link"] == link
    assert (item["entity_id"], item["subject_type"], item["subject_id"]) == (
        entity["id"],
        "file",
        file_id,
    )


async def test_contacts_are_linked_into_the_portal_with_their_own_preferences(
    api: Api, app: Any, dispatcher: Dispatcher, smtp_server: SmtpServer
) -> None:
    admin = await api.sign_up_firm("Acme Audit")
    entity = await create_entity(api, admin, name="Nordic Timber AS")
    contact, _ = await portal_contact(api, app, admin, entity["id"])
    group = await create_group(api, admin, entity["id"], [contact["id"]])
    discussion = await create_discussion(api, admin, entity["id"], [group["id"]], "Year <end>")
    await dispatcher.drain()

    [mail] = [m for m in smtp_server.messages if m.rcpt_tos == [contact["email"]]]
    message = mail.message
    assert message["Subject"] == (
        '[Acme Audit] Nordic Timber AS: Alice Admin started the discussion "Year <end>"'
    )
    text, html = parts(message)
    assert f"{PORTAL}/clients/{entity['id']}/discussions/{discussion['id']}" in text
    assert APP not in text
    assert message["List-Unsubscribe"] == f"<{PORTAL}/settings/notifications>"
    assert "client portal user of Acme Audit" in text
    assert "Year &lt;end&gt;" in html


async def test_staff_preferences_footer_and_owner_change_words(
    api: Api, dispatcher: Dispatcher, smtp_server: SmtpServer
) -> None:
    admin = await api.sign_up_firm("Acme Audit")
    sam = await api.add_staff(admin, name="Sam Staff")
    owners = await api.client.get(f"/v1/owners?user_id={sam.user_id}", headers=admin.headers)
    owner_id = owners.json()["items"][0]["id"] if owners.json()["items"] else None
    if owner_id is None:
        created = await api.client.post(
            "/v1/owners", json={"user_id": sam.user_id}, headers=admin.headers
        )
        owner_id = created.json()["id"]
    entity = await create_entity(api, admin, name="Nordic Timber AS")
    await dispatcher.drain()
    smtp_server.messages.clear()

    changed = await api.client.put(
        f"/v1/entities/{entity['id']}/owner", json={"owner_id": owner_id}, headers=admin.headers
    )
    assert changed.status_code == 200, changed.text
    await dispatcher.drain()
    [mail] = smtp_server.messages
    assert mail.message["Subject"] == (
        "[Acme Audit] Nordic Timber AS: Alice Admin made you the client's owner"
    )
    assert mail.message["List-Unsubscribe"] == f"<{APP}/settings/notifications>"
    text, _ = parts(mail.message)
    assert f"{APP}/clients/{entity['id']}" in text


def _preview(*args: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert cli.main(["email-preview", *args]) == 0
    return out.getvalue()


def test_every_event_type_renders_through_the_preview_command(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PRACTICE_APP_LINK_URL", APP)
    listed = _preview("--list")
    import practice_api.app  # noqa: F401 - every domain's types

    names = sorted(t.name for t in catalogue.event_types())
    assert [line.split()[0] for line in listed.splitlines()] == names
    own = set(render.template_names())
    assert own, "templates are packaged"
    assert own <= set(names), "a template for an unknown event type"
    for name in names:
        for audience in ("staff", "contact", "share"):
            message = sample_events.preview(name, Settings(app_link_url=APP), audience=audience)
            text, html, subject = message.text, message.html, message.subject
            # The client first; a summary of several lists them after what happened.
            assert subject.startswith("[Acme Audit & Partners] "), name
            assert "Bergmann & Söhne <GmbH>" in subject, name
            assert "Bergmann & Söhne <GmbH>" in text.splitlines()[2], name
            assert "<GmbH>" not in html and "&lt;GmbH&gt;" in html, name
            assert "Alice <Admin>" not in html, name
            assert "/v1/" not in text + html, name
        whole = _preview(name)
        assert "multipart/alternative" in whole and "List-Unsubscribe: <" in whole
    assert "&lt;GmbH&gt;" in _preview("file.uploaded", "--part", "html")
    assert _preview("file.uploaded", "--part", "subject").startswith("[Acme Audit & Partners]")


def test_link_kinds_and_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    from practice_api.events.links import build_link, register_link_kind

    settings = Settings(
        app_link_url="https://app.example.com/",
        app_link_paths={"file": "/c/{entity_id}/docs/{subject_id}"},
        portal_link_url="https://portal.example.com",
    )
    entity_id, file_id = uuid.uuid4(), uuid.uuid4()
    values = {"entity_id": entity_id, "subject_id": file_id}
    assert build_link(settings, "file", "staff", values) == (
        f"https://app.example.com/c/{entity_id}/docs/{file_id}"
    )
    assert build_link(settings, "file", "contact", values) == (
        f"https://portal.example.com/clients/{entity_id}/files/{file_id}"
    )
    # A kind without a page for the audience, or missing values: the client's page, then home.
    assert build_link(settings, "owner", "contact", values) == (
        f"https://portal.example.com/clients/{entity_id}"
    )
    assert build_link(settings, "file", "contact", {}) == "https://portal.example.com/"
    register_link_kind("test_kind", staff="/things/{thing_id}")
    assert build_link(settings, "test_kind", "staff", {"thing_id": "a b"}) == (
        "https://app.example.com/things/a%20b"
    )
