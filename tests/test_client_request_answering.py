"""Answering client requests (issue 19): portal contacts under /v1/portal/client-requests,
guests through a secret link under /v1/public/client-requests/{token}."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import uuid
from collections import Counter
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from practice_api.client_requests.models import ClientRequestRecipient
from practice_api.core.time import utcnow
from practice_api.events.models import Event
from tests.answering_helpers import QUESTIONS, make_request, pdf, portal, public, save
from tests.contact_helpers import grant, portal_contact
from tests.event_helpers import SmtpServer
from tests.factories import create_entity
from tests.helpers import Actor, Api, problem

pytest_plugins = ["tests.event_fixtures"]

VALID = {
    "name": "  Ada Lovelace ",
    "notes": "Line one\nline two",
    "kids": 2,
    "born": "1985-12-10",
    "moved": False,
    "status": "married",
    "income": ["rent", "salary"],
}


async def _events(app: Any, request_id: str, type_: str) -> list[Event]:
    async with app.state.runtime.sessionmaker() as session:
        rows = await session.scalars(
            select(Event).where(Event.type == type_, Event.subject_id == uuid.UUID(request_id))
        )
        return list(rows.all())


async def _setup(api: Api, app: Any) -> tuple[Actor, dict[str, Any], Actor, str]:
    admin = await api.sign_up_firm()
    entity = await create_entity(api, admin)
    contact, signed_in = await portal_contact(api, app, admin, entity["id"])
    return admin, entity, signed_in, contact["id"]


# --- portal: autosave, resume, validation, submit -----------------------------------------


async def test_autosave_and_resume_from_another_device(api: Api, app: Any) -> None:
    admin, entity, contact, contact_id = await _setup(api, app)
    made = await make_request(api, app, admin, entity["id"], contacts=[contact_id])

    first = await api.client.get(portal(made.id), headers=contact.headers)
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["status"] == "pending" and body["answers"] == []
    assert body["entity_name"] == entity["name"] and body["firm_name"] == "Acme Audit"
    assert [q["id"] for q in body["questions"]] == [q["id"] for q in QUESTIONS]
    assert body["missing_required"] == ["name", "moved"]

    etag = first.headers["etag"]
    saved = await save(api.client, portal(made.id), {"name": "  Ada ", "kids": 2}, contact.headers)
    assert saved.status_code == 200, saved.text
    assert saved.json()["status"] == "in_progress"
    assert {a["question_id"]: a["value"] for a in saved.json()["answers"]} == {
        "name": "Ada",
        "kids": 2,
    }
    more = await save(api.client, portal(made.id), {"moved": True, "kids": None}, contact.headers)
    assert more.status_code == 200, more.text

    # Another device: another HTTP client and another sign-in of the same contact.
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as other:
        phone = await Api(other).sign_in(contact.email)
        resumed = await other.get(portal(made.id), headers=phone.headers)
    assert resumed.status_code == 200, resumed.text
    answers = {a["question_id"]: a["value"] for a in resumed.json()["answers"]}
    assert answers == {"name": "Ada", "moved": True}  # kids cleared, the rest kept
    assert resumed.json()["missing_required"] == []
    assert resumed.json()["status"] == "in_progress"
    assert len(await _events(app, made.id, "client_request.started")) == 1
    # Every save is a new version: a cached copy is never answered 304 after it.
    cached = {"If-None-Match": etag, **contact.headers}
    assert (await api.client.get(portal(made.id), headers=cached)).status_code == 200
    current = {"If-None-Match": resumed.headers["etag"], **contact.headers}
    assert (await api.client.get(portal(made.id), headers=current)).status_code == 304


async def test_each_question_type_validates_its_answer(api: Api, app: Any) -> None:
    admin, entity, contact, contact_id = await _setup(api, app)
    made = await make_request(api, app, admin, entity["id"], contacts=[contact_id])
    bad = {
        "name": "two\nlines",
        "notes": "x" * 51,
        "kids": 2.5,
        "born": "1850-01-01",
        "moved": "yes",
        "status": "divorced",
        "income": ["salary", "rent", "dividends"],
        "slips": [str(uuid.uuid4())],
        "nope": "?",
    }
    response = await save(api.client, portal(made.id), bad, contact.headers)
    body = problem(response, 422, "answer_invalid")
    kinds = {e["loc"][-1]: e["type"] for e in body["errors"]}
    assert kinds == {
        "name": "answer_type",
        "notes": "answer_too_long",
        "kids": "answer_not_integer",
        "born": "answer_out_of_range",
        "moved": "answer_type",
        "status": "answer_unknown_option",
        "income": "answer_too_many",
        "nope": "unknown_question",
        "slips": "answer_file",  # only files uploaded to the question may be listed
    }
    assert all(e["loc"][:2] == ["body", "answers"] for e in body["errors"])
    # Nothing was saved, not even the valid-looking parts.
    after = (await api.client.get(portal(made.id), headers=contact.headers)).json()
    assert after["answers"] == [] and after["status"] == "pending"

    good = await save(api.client, portal(made.id), VALID, contact.headers)
    assert good.status_code == 200, good.text
    stored = {a["question_id"]: a["value"] for a in good.json()["answers"]}
    assert stored == VALID | {"name": "Ada Lovelace", "income": ["salary", "rent"]}


async def test_submit_needs_every_required_answer_then_locks(api: Api, app: Any) -> None:
    admin, entity, contact, contact_id = await _setup(api, app)
    made = await make_request(api, app, admin, entity["id"], contacts=[contact_id])
    await save(api.client, portal(made.id), {"kids": 1}, contact.headers)

    refused = await api.client.post(portal(made.id, "/submit"), headers=contact.headers)
    body = problem(refused, 422, "required_answers_missing")
    assert sorted(e["loc"][-1] for e in body["errors"]) == ["moved", "name"]
    assert (await api.client.get(portal(made.id), headers=contact.headers)).json()[
        "status"
    ] == "in_progress"

    await save(api.client, portal(made.id), {"name": "Ada", "moved": False}, contact.headers)
    submitted = await api.client.post(portal(made.id, "/submit"), headers=contact.headers)
    assert submitted.status_code == 200, submitted.text
    assert submitted.json()["status"] == "submitted"
    assert submitted.json()["submitted_at"] is not None

    late = await save(api.client, portal(made.id), {"kids": 3}, contact.headers)
    problem(late, 409, "client_request_not_open")
    again = await api.client.post(portal(made.id, "/submit"), headers=contact.headers)
    problem(again, 409, "client_request_not_open")
    upload = await api.client.post(
        portal(made.id, "/questions/slips/files"), files=pdf(), headers=contact.headers
    )
    problem(upload, 409, "client_request_not_open")
    final = (await api.client.get(portal(made.id), headers=contact.headers)).json()
    assert {a["question_id"]: a["value"] for a in final["answers"]}["kids"] == 1
    assert len(await _events(app, made.id, "client_request.submitted")) == 1


async def test_the_portal_list_puts_requests_waiting_for_the_contact_first(
    api: Api, app: Any
) -> None:
    admin, entity, contact, contact_id = await _setup(api, app)
    done = await make_request(
        api, app, admin, entity["id"], contacts=[contact_id], status="submitted"
    )
    first = await make_request(api, app, admin, entity["id"], contacts=[contact_id], title="First")
    second = await make_request(
        api, app, admin, entity["id"], contacts=[contact_id], title="Second"
    )
    await make_request(api, app, admin, entity["id"], guests=[("G", "g@home.example.com")])
    await save(api.client, portal(first.id), {"name": "Ada"}, contact.headers)

    listed = await api.client.get("/v1/portal/client-requests", headers=contact.headers)
    assert listed.status_code == 200, listed.text
    body = listed.json()
    assert [r["id"] for r in body["items"]] == [second.id, first.id, done.id]
    assert [r["waiting"] for r in body["items"]] == [True, True, False]
    assert body["waiting"] == 2
    assert body["items"][1]["answered_count"] == 1 and body["items"][1]["question_count"] == 8

    pages, cursor = [], None
    while True:
        params = {"limit": 1, **({"cursor": cursor} if cursor else {})}
        page = await api.client.get(
            "/v1/portal/client-requests", params=params, headers=contact.headers
        )
        assert page.status_code == 200, page.text
        pages += [r["id"] for r in page.json()["items"]]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
    assert pages == [second.id, first.id, done.id]
    bad = await api.client.get(
        "/v1/portal/client-requests", params={"cursor": "garbage"}, headers=contact.headers
    )
    problem(bad, 400, "invalid_cursor")


async def test_other_contacts_other_firms_and_staff_tokens_are_refused(api: Api, app: Any) -> None:
    admin, entity, contact, contact_id = await _setup(api, app)
    made = await make_request(api, app, admin, entity["id"], contacts=[contact_id])
    _, bystander = await portal_contact(api, app, admin, entity["id"])  # same entity, not asked
    other_admin = await api.sign_up_firm("Elsewhere Audit")
    other_entity = await create_entity(api, other_admin)
    _, stranger = await portal_contact(api, app, other_admin, other_entity["id"])

    for outsider in (bystander, stranger):
        for method, tail, body in (
            ("GET", "", None),
            ("PATCH", "/answers", {"answers": {"name": "Mallory"}}),
            ("POST", "/submit", None),
        ):
            response = await api.client.request(
                method, portal(made.id, tail), json=body, headers=outsider.headers
            )
            problem(response, 404, "client_request_not_found")
        listed = await api.client.get("/v1/portal/client-requests", headers=outsider.headers)
        assert listed.json()["items"] == []
    staff = await api.client.get(portal(made.id), headers=admin.headers)
    problem(staff, 403, "contact_only")
    # A contact who lost access to the entity (keeping another) no longer sees the request.
    await grant(api, admin, (await create_entity(api, admin))["id"], contact_id)
    removed = await api.client.delete(
        f"/v1/entities/{entity['id']}/contacts/{contact_id}", headers=admin.headers
    )
    assert removed.status_code == 204, removed.text
    gone = await api.client.get(portal(made.id), headers=contact.headers)
    problem(gone, 404, "client_request_not_found")
    untouched = (await api.client.get(portal(made.id), headers=bystander.headers)).status_code
    assert untouched == 404


# --- files -----------------------------------------------------------------------------


async def test_a_file_question_takes_uploads_kept_with_the_entity_files(api: Api, app: Any) -> None:
    admin, entity, contact, contact_id = await _setup(api, app)
    made = await make_request(api, app, admin, entity["id"], contacts=[contact_id])
    path = portal(made.id, "/questions/slips/files")

    first = await api.client.post(path, files=pdf("jan.pdf"), headers=contact.headers)
    assert first.status_code == 201, first.text
    assert first.headers["location"] == portal(made.id)
    answer = first.json()
    assert answer["question_id"] == "slips" and [f["name"] for f in answer["files"]] == ["jan.pdf"]
    second = await api.client.post(path, files=pdf("feb.pdf"), headers=contact.headers)
    assert second.status_code == 201, second.text
    ids = second.json()["value"]
    assert len(ids) == 2 and ids[0] == answer["value"][0]
    full = await api.client.post(path, files=pdf("mar.pdf"), headers=contact.headers)
    problem(full, 409, "answer_files_full")

    # Staff see the files with the entity's files, uploaded by the contact.
    staff = await api.client.get(f"/v1/entities/{entity['id']}/files", headers=admin.headers)
    listed = {f["id"]: f for f in staff.json()["items"]}
    assert set(ids) <= set(listed)
    # The answer can drop a file (not list one it does not have).
    dropped = await save(api.client, portal(made.id), {"slips": ids[1:]}, contact.headers)
    assert dropped.status_code == 200, dropped.text
    kept = {a["question_id"]: a["value"] for a in dropped.json()["answers"]}["slips"]
    assert kept == ids[1:]
    smuggled = await save(
        api.client, portal(made.id), {"slips": [ids[1], str(uuid.uuid4())]}, contact.headers
    )
    problem(smuggled, 422, "answer_invalid")

    wrong_type = await api.client.post(
        portal(made.id, "/questions/name/files"), files=pdf(), headers=contact.headers
    )
    problem(wrong_type, 422, "question_not_file_upload")
    unknown = await api.client.post(
        portal(made.id, "/questions/nope/files"), files=pdf(), headers=contact.headers
    )
    problem(unknown, 404, "question_not_found")
    not_a_pdf = await api.client.post(
        path,
        files={"file": ("x.exe", b"MZ\x90\x00" * 64, "application/pdf")},
        headers=contact.headers,
    )
    assert not_a_pdf.status_code == 415, not_a_pdf.text


# --- guests: a secret link ----------------------------------------------------------------

SPOUSE = ("Sam Spouse", "sam@home.example.com")
ASSISTANT = ("Ann Assistant", "ann@office.example.com")


async def _guest_request(api: Api, app: Any, **options: Any) -> tuple[Actor, Any, Any]:
    admin = await api.sign_up_firm()
    entity = await create_entity(api, admin, name="Secret Holdings Ltd")
    made = await make_request(api, app, admin, entity["id"], guests=[SPOUSE, ASSISTANT], **options)
    return admin, entity, made


async def test_a_guest_link_opens_the_questionnaire_and_nothing_else_of_the_firm(
    api: Api, app: Any
) -> None:
    admin, entity, made = await _guest_request(api, app)
    link = made.links[SPOUSE[1]]

    opened = await api.client.get(public(link))
    assert opened.status_code == 200, opened.text
    body = opened.json()
    assert body["firm_name"] == "Acme Audit" and body["title"] == "Year-end questions"
    assert "entity_id" not in body and "entity_name" not in body
    assert "Secret Holdings" not in opened.text and entity["id"] not in opened.text

    saved = await save(api.client, public(link), {"name": "Sam", "moved": True}, {})
    assert saved.status_code == 200, saved.text
    assert saved.json()["status"] == "in_progress"
    uploaded = await api.client.post(public(link, "/questions/slips/files"), files=pdf("w2.pdf"))
    assert uploaded.status_code == 201, uploaded.text
    assert uploaded.headers["location"] == public(link)
    mine = uploaded.json()["value"][0]

    # The other guest of the request sees the shared answers but only its own files.
    other = made.links[ASSISTANT[1]]
    theirs = await api.client.post(public(other, "/questions/slips/files"), files=pdf("x.pdf"))
    assert theirs.status_code == 201, theirs.text
    assert [f["name"] for f in theirs.json()["files"]] == ["x.pdf"]
    seen = (await api.client.get(public(link))).json()
    slips = {a["question_id"]: a for a in seen["answers"]}["slips"]
    assert slips["value"] == [mine] and [f["name"] for f in slips["files"]] == ["w2.pdf"]
    # Dropping its own file leaves the other guest's.
    await save(api.client, public(link), {"slips": None}, {})
    seen = (await api.client.get(public(other))).json()
    slips = {a["question_id"]: a for a in seen["answers"]}["slips"]
    assert [f["name"] for f in slips["files"]] == ["x.pdf"]

    submitted = await api.client.post(public(link, "/submit"))
    assert submitted.status_code == 200, submitted.text
    assert submitted.json()["status"] == "submitted"
    problem(
        await save(api.client, public(other), {"name": "Ann"}, {}), 409, "client_request_not_open"
    )
    [event] = await _events(app, made.id, "client_request.submitted")
    assert event.actor_kind == "guest" and event.actor_name == SPOUSE[0]
    # Staff find the guests' files with the entity's files.
    staff = await api.client.get(f"/v1/entities/{entity['id']}/files", headers=admin.headers)
    assert {f["name"] for f in staff.json()["items"]} == {"w2.pdf", "x.pdf"}


async def test_wrong_expired_revoked_and_cancelled_links_are_404(api: Api, app: Any) -> None:
    admin, _, made = await _guest_request(api, app)
    spouse, assistant = made.links[SPOUSE[1]], made.links[ASSISTANT[1]]
    for wrong in (spouse[:-1] + ("A" if spouse[-1] != "A" else "B"), "x", "x" * 500):
        problem(await api.client.get(public(wrong)), 404, "client_request_link_invalid")
        problem(await save(api.client, public(wrong), {"name": "M"}, {}), 404)
    async with app.state.runtime.sessionmaker() as session:  # a link past its lifetime
        await session.execute(
            update(ClientRequestRecipient)
            .where(ClientRequestRecipient.id == uuid.UUID(made.recipients[SPOUSE[1]]))
            .values(token_expires_at=utcnow() - dt.timedelta(seconds=1))
        )
        await session.commit()
    revoked = await api.client.post(
        f"/v1/client-requests/{made.id}/recipients/{made.recipients[ASSISTANT[1]]}/revoke",
        headers=admin.headers,
    )
    assert revoked.status_code == 200, revoked.text
    for link in (spouse, assistant):
        for method, tail in (("GET", ""), ("POST", "/submit"), ("POST", "/code")):
            response = await api.client.request(method, public(link, tail))
            problem(response, 404, "client_request_link_invalid")

    canceller, _, cancelled = await _guest_request(api, app)
    response = await api.client.post(
        f"/v1/client-requests/{cancelled.id}/cancel", json={}, headers=canceller.headers
    )
    assert response.status_code == 200, response.text
    problem(await api.client.get(public(cancelled.links[SPOUSE[1]])), 404)
    # A new link issued by staff opens the questionnaire again; the revoked one stays shut.
    issued = await api.client.post(
        f"/v1/client-requests/{made.id}/recipients/{made.recipients[ASSISTANT[1]]}/link",
        headers=admin.headers,
    )
    assert issued.status_code == 200, issued.text
    fresh = issued.json()["link_token"]
    assert (await api.client.get(public(fresh))).status_code == 200
    problem(await api.client.get(public(assistant)), 404)


async def test_a_guest_link_is_no_bearer_token(api: Api, app: Any) -> None:
    admin, entity, made = await _guest_request(api, app)
    link = made.links[SPOUSE[1]]
    as_bearer = {"Authorization": f"Bearer {link}"}
    for path in (
        "/v1/me",
        "/v1/portal/me",
        "/v1/portal/client-requests",
        f"/v1/entities/{entity['id']}",
        f"/v1/entities/{entity['id']}/files",
    ):
        problem(await api.client.get(path, headers=as_bearer), 401)
    problem(await api.client.get(portal(made.id), headers=as_bearer), 401)
    # A staff or contact token in place of the link opens nothing.
    problem(await api.client.get(public(admin.token)), 404, "client_request_link_invalid")


async def _mailed_code(smtp_server: SmtpServer, address: str) -> str:
    """The code of the one-time-code e-mail to ``address`` (the link e-mails go first)."""
    for _ in range(100):
        for mail in smtp_server.messages:
            if mail.rcpt_tos == [address] and "Your code" in str(mail.message["Subject"]):
                found = re.search(r"\b(\d{6})\b", mail.message.get_content())
                assert found is not None
                return found.group(1)
        await asyncio.sleep(0.1)
    raise AssertionError(f"no code e-mailed to {address}")


class TestOneTimeCode:
    @pytest.fixture
    def settings_overrides(self, smtp_server: SmtpServer) -> dict[str, Any]:
        return {"smtp_url": smtp_server.url, "guest_code_attempts": 3}

    async def test_the_code_is_mailed_verified_and_opens_only_this_link(
        self, api: Api, app: Any, smtp_server: SmtpServer
    ) -> None:
        _, _, made = await _guest_request(api, app, one_time_code=True)
        link = made.links[SPOUSE[1]]
        needed = await api.client.get(public(link))
        problem(needed, 401, "guest_code_required")
        assert needed.headers["www-authenticate"].startswith("X-Guest-Session")
        problem(await save(api.client, public(link), {"name": "M"}, {}), 401, "guest_code_required")

        sent = await api.client.post(public(link, "/code"))
        assert sent.status_code == 202, sent.text
        assert sent.json()["sent_to"].endswith("@home.example.com")
        assert SPOUSE[1] not in sent.text
        code = await _mailed_code(smtp_server, SPOUSE[1])
        async with app.state.runtime.sessionmaker() as session:
            stored = await session.get(
                ClientRequestRecipient, uuid.UUID(made.recipients[SPOUSE[1]])
            )
            assert stored is not None and stored.code_hash and code not in stored.code_hash

        wrong = "000000" if code != "000000" else "111111"
        refused = await api.client.post(public(link, "/code/verify"), json={"code": wrong})
        assert problem(refused, 422, "guest_code_invalid")["attempts_left"] == 2
        problem(await api.client.post(public(link, "/code/verify"), json={"code": "12"}), 422)
        verified = await api.client.post(public(link, "/code/verify"), json={"code": code})
        assert verified.status_code == 200, verified.text
        header = {"X-Guest-Session": verified.json()["session"]}
        opened = await api.client.get(public(link), headers=header)
        assert opened.status_code == 200, opened.text
        assert (await save(api.client, public(link), {"name": "Sam"}, header)).status_code == 200
        # The code is spent; the session opens only its own link, and is no bearer token.
        again = await api.client.post(public(link, "/code/verify"), json={"code": code})
        problem(again, 409, "guest_code_expired")
        other = made.links[ASSISTANT[1]]
        problem(await api.client.get(public(other), headers=header), 401, "guest_session_invalid")
        as_bearer = {"Authorization": f"Bearer {header['X-Guest-Session']}"}
        problem(await api.client.get("/v1/portal/client-requests", headers=as_bearer), 401)
        problem(
            await api.client.get(public(link), headers={"X-Guest-Session": "forged"}),
            401,
            "guest_session_invalid",
        )

    async def test_wrong_codes_void_the_code_after_the_last_attempt(
        self, api: Api, app: Any, smtp_server: SmtpServer
    ) -> None:
        _, _, made = await _guest_request(api, app, one_time_code=True)
        link = made.links[SPOUSE[1]]
        assert (await api.client.post(public(link, "/code"))).status_code == 202
        code = await _mailed_code(smtp_server, SPOUSE[1])
        wrong = "000000" if code != "000000" else "111111"
        lefts = []
        for _ in range(3):
            response = await api.client.post(public(link, "/code/verify"), json={"code": wrong})
            lefts.append(problem(response, 422, "guest_code_invalid")["attempts_left"])
        assert lefts == [2, 1, 0]
        late = await api.client.post(public(link, "/code/verify"), json={"code": code})
        problem(late, 409, "guest_code_expired")

    async def test_a_link_without_a_code_needs_none(self, api: Api, app: Any) -> None:
        _, _, made = await _guest_request(api, app)
        link = made.links[SPOUSE[1]]
        problem(await api.client.post(public(link, "/code")), 409, "guest_code_not_required")
        verify = await api.client.post(public(link, "/code/verify"), json={"code": "123456"})
        problem(verify, 409, "guest_code_not_required")


class TestGuestRateLimits:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"guest_requests_per_token": 3, "guest_requests_per_address": 8}

    async def test_per_link_then_per_address(self, api: Api, app: Any) -> None:
        _, _, made = await _guest_request(api, app)
        link = made.links[SPOUSE[1]]
        statuses = [(await api.client.get(public(link))).status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        limited = await api.client.get(public(link))
        problem(limited, 429)
        assert int(limited.headers["retry-after"]) >= 1
        # Another link still opens, until the address has used its budget (wrong links too).
        other = made.links[ASSISTANT[1]]
        assert (await api.client.get(public(other))).status_code == 200
        answers = [(await api.client.get(public(f"wrong-{n}"))).status_code for n in range(3)]
        assert answers[:1] == [404] and answers[-1] == 429


# --- tasks: auto-advance ---------------------------------------------------------------

STAGES = ["Waiting on client", "Review", "Filed"]


async def _task(api: Api, admin: Actor, entity_id: str) -> str:
    response = await api.client.post(
        f"/v1/entities/{entity_id}/tasks",
        json={"title": "Year end", "stages": STAGES},
        headers=admin.headers,
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def _stage(api: Api, admin: Actor, task_id: str) -> str:
    response = await api.client.get(f"/v1/tasks/{task_id}", headers=admin.headers)
    assert response.status_code == 200, response.text
    return str(response.json()["stage"])


async def _reopen(api: Api, admin: Actor, request_id: str) -> None:
    response = await api.client.post(
        f"/v1/client-requests/{request_id}/reopen",
        json={"note": "Fix the date"},
        headers=admin.headers,
    )
    assert response.status_code == 200, response.text


REQUIRED = {"name": "Ada", "moved": False}


async def test_a_linked_task_advances_once_on_submission(api: Api, app: Any) -> None:
    admin, entity, contact, contact_id = await _setup(api, app)
    task_id = await _task(api, admin, entity["id"])
    made = await make_request(
        api, app, admin, entity["id"], contacts=[contact_id], task_id=task_id, auto_advance=True
    )
    await save(api.client, portal(made.id), REQUIRED, contact.headers)
    assert await _stage(api, admin, task_id) == STAGES[0]  # answering alone moves nothing
    submitted = await api.client.post(portal(made.id, "/submit"), headers=contact.headers)
    assert submitted.status_code == 200, submitted.text
    assert await _stage(api, admin, task_id) == STAGES[1]
    activity = await api.client.get(f"/v1/entities/{entity['id']}/activity", headers=admin.headers)
    moves = [e for e in activity.json()["items"] if e["type"] == "task.advanced"]
    assert len(moves) == 1 and moves[0]["actor"]["kind"] == "contact"
    assert moves[0]["payload"]["to_stage"] == STAGES[1]
    assert "Year-end questions" in moves[0]["payload"]["note"]

    await _reopen(api, admin, made.id)
    reopened = (await api.client.get(portal(made.id), headers=contact.headers)).json()
    assert reopened["status"] == "in_progress" and reopened["reopen_note"] == "Fix the date"
    await save(api.client, portal(made.id), {"born": "1990-01-01"}, contact.headers)
    again = await api.client.post(portal(made.id, "/submit"), headers=contact.headers)
    assert again.status_code == 200, again.text
    assert await _stage(api, admin, task_id) == STAGES[1]  # not a second time

    # Without auto_advance the linked task stays where it is.
    still = await _task(api, admin, entity["id"])
    plain = await make_request(api, app, admin, entity["id"], contacts=[contact_id], task_id=still)
    await save(api.client, portal(plain.id), REQUIRED, contact.headers)
    assert (await api.client.post(portal(plain.id, "/submit"), headers=contact.headers)).is_success
    assert await _stage(api, admin, still) == STAGES[0]


async def test_a_task_that_cannot_move_does_not_block_the_submission(api: Api, app: Any) -> None:
    admin, entity, contact, contact_id = await _setup(api, app)
    task_id = await _task(api, admin, entity["id"])
    done = await api.client.patch(
        f"/v1/tasks/{task_id}", json={"status": "done"}, headers=admin.headers
    )
    assert done.status_code == 200, done.text
    made = await make_request(
        api, app, admin, entity["id"], contacts=[contact_id], task_id=task_id, auto_advance=True
    )
    await save(api.client, portal(made.id), REQUIRED, contact.headers)
    submitted = await api.client.post(portal(made.id, "/submit"), headers=contact.headers)
    assert submitted.status_code == 200, submitted.text
    assert await _stage(api, admin, task_id) == STAGES[-1]


@pytest.mark.committed  # the two submits' transactions really race, each on its connection
async def test_two_racing_submits_lock_once_and_advance_the_task_once(
    api: Api, app: Any, backend: str
) -> None:
    admin = await api.sign_up_firm()
    entity = await create_entity(api, admin)
    contact, signed_in = await portal_contact(api, app, admin, entity["id"])
    made_guest = await make_request(api, app, admin, entity["id"], guests=[SPOUSE])
    link = made_guest.links[SPOUSE[1]]
    await save(api.client, public(link), REQUIRED, {})
    for round_ in range(12 if backend == "postgresql" else 2):
        task_id = await _task(api, admin, entity["id"])
        made = await make_request(
            api,
            app,
            admin,
            entity["id"],
            contacts=[contact["id"]],
            task_id=task_id,
            auto_advance=True,
        )
        await save(api.client, portal(made.id), REQUIRED, signed_in.headers)
        responses = await asyncio.gather(
            *(
                api.client.post(portal(made.id, "/submit"), headers=signed_in.headers)
                for _ in range(2)
            )
        )
        statuses = Counter(r.status_code for r in responses)
        assert statuses == Counter({200: 1, 409: 1}), (round_, [r.text for r in responses])
        assert await _stage(api, admin, task_id) == STAGES[1], round_
        moves = await api.client.get(
            f"/v1/entities/{entity['id']}/activity",
            params={"type": "task.advanced"},
            headers=admin.headers,
        )
        advanced = [
            e
            for e in moves.json()["items"]
            if e["type"] == "task.advanced" and e["subject"]["id"] == task_id
        ]
        assert len(advanced) == 1, round_
    # Racing autosaves from two devices both land (different questions), status once.
    first, second = await asyncio.gather(
        save(api.client, public(link), {"kids": 1}, {}),
        save(api.client, public(link), {"born": "1990-01-01"}, {}),
    )
    assert first.status_code == second.status_code == 200, (first.text, second.text)
    final = (await api.client.get(public(link))).json()
    assert {"kids", "born", "name", "moved"} <= {a["question_id"] for a in final["answers"]}


class TestUploadLimits:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"max_upload_bytes": 1024}

    async def test_an_answer_file_past_the_upload_limit_is_413_and_changes_nothing(
        self, api: Api, app: Any
    ) -> None:
        _, _, made = await _guest_request(api, app)
        link = made.links[SPOUSE[1]]
        big = {"file": ("big.pdf", b"%PDF-1.7\n" + b"0" * 4096, "application/pdf")}
        response = await api.client.post(public(link, "/questions/slips/files"), files=big)
        assert response.status_code == 413, response.text
        after = (await api.client.get(public(link))).json()
        assert after["answers"] == [] and after["status"] == "pending"
