"""Every route of the API, called as every column of the permission matrix.

One test case per (route, column): a failure names both, e.g.
``test_route_answers_as_the_matrix_says[sqlite-entities_update-viewer]``. The expected
answer comes from ``access.matrix`` (``ROUTE_ACTIONS`` -> ``RULES``); every column of
``LEVELS`` is a case, plus ``anonymous`` (no token: 401) for every route that is not public.
A route of the app that is not classified there, or has no request recipe here, fails
``test_every_route_has_a_matrix_row_and_a_recipe``; a route whose policy is missing or wrong
fails the cases of the columns that get the wrong status.

The columns include portal contacts: every staff route is called with contact tokens
(expected 403) and every portal route with staff tokens (expected 403), so a token of one
side never opens a route of the other. The ``guest`` column holds a client request's secret
link: it sends it as its bearer token everywhere (401; public routes answer), and on the
guest routes in the path, where every other column sends its own token instead (404).
``test_a_guest_link_in_place_of_ids_opens_nothing`` also puts the link in place of every id.

How it runs: the world (two firms, one signed-in actor per column, owners, contacts, ...) is
built once per module and backend, inside a transaction that is never committed
(``tests.database.rolled_back``). Each case runs inside a savepoint that is rolled back
afterwards, so a destructive call (delete, deactivate, logout) never changes what the next
case sees, and objects made by a factory can be shared by every case of the module.

Adding a route (file requests, tasks, client requests, ...):

1. Classify it in ``access.matrix``: its operation id in ``ROUTE_ACTIONS`` and, for a new
   action, its row in ``RULES``. The cases of this module are generated from those tables.
2. Add its recipe to ``RECIPES`` below, keyed by the operation id:

   * ``fixed(method, path, json)`` for a route on nothing in particular;
   * ``on(factory, method, template, json)`` for a route on an object: ``factory`` is an
     ``async def thing(w: World) -> str`` that makes the object as the admin, through the
     API where it can (see ``entity``, ``stored_file``, ``portal_discussion``), and returns
     what replaces ``{id}`` in ``template``. A factory runs once per module and backend
     (before the first case that needs it, outside the cases' savepoints), so it must make
     the object in the state every column should find it in; cases roll back whatever they
     do to it;
   * ``json`` is a body, or a function of the world returning one (called per case:
     ``lambda w: {"owner_id": w.other_owner_id}``, ``lambda w: {"entity_ids":
     [w.made(entity)]}`` for an object of the route's own factory);
   * anything else is an ``async def recipe(w: World, a: Actor) -> Call`` (``a`` is the
     caller); what it makes, it makes per case (rolled back with the case).

   Factories should make fresh objects (call other factories directly, as ``share`` calls
   ``entity``) rather than reuse world objects whose state other cases depend on.
3. A new column (e.g. ``guest``): add it to ``Level`` in ``access.matrix`` (every row gets
   its cell), and give ``build_world`` an actor for it in ``actors``. A caller whose
   credentials are not a bearer token sets ``Actor.headers`` to what it sends; a recipe
   can also return ``Call(headers=...)`` to send something else than the caller's own.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from sqlalchemy.ext.asyncio import AsyncConnection

from practice_api.access.matrix import (
    CONTACT_LEVELS,
    GUEST,
    LEVELS,
    ROUTE_ACTIONS,
    RULES,
    STAFF_LEVELS,
    Level,
)
from practice_api.app import create_app
from practice_api.client_requests.answering import code_hash
from practice_api.client_requests.models import ClientRequestRecipient
from practice_api.core.time import utcnow
from practice_api.events.service import Actor as EventActor
from practice_api.events.service import record_event
from practice_api.notifications.models import Notification
from tests.answering_helpers import make_request
from tests.client_request_helpers import answer as answer_client_request
from tests.conftest import BACKENDS, make_settings, mark_backend_used, skip_reason
from tests.contact_helpers import (
    activate_directly,
    create_discussion,
    create_group,
    grant,
    issue_secret,
)
from tests.contact_helpers import create_contact as new_contact
from tests.database import rolled_back, savepoint
from tests.factories import create_entity, create_owner, owner_for
from tests.helpers import PASSWORD, Actor, Api

Factory = Callable[["World"], Awaitable[str]]


@dataclass
class World:
    api: Api
    app: Any
    actors: dict[Level, Actor]
    owner_entry_id: str
    other_owner_id: str
    spare_user_id: str
    bystander_user_id: str
    contact_id: str = ""  # the ``contact`` column's contact
    guest_title: str = ""  # the title of the request the ``guest`` column's link opens
    connection: AsyncConnection | None = None
    _made: dict[Factory, str] = field(default_factory=dict)

    @property
    def admin(self) -> Actor:
        return self.actors["admin"]

    async def make(self, factory: Factory) -> None:
        """Run ``factory`` once for the module (outside any case's savepoint)."""
        if factory not in self._made:
            self._made[factory] = await factory(self)

    def made(self, factory: Factory) -> str:
        """What ``factory`` made for this module (``make`` ran before the case)."""
        try:
            return self._made[factory]
        except KeyError:
            raise AssertionError(
                f"{factory.__name__} was not made before the case: name it in on(...)"
            ) from None


@dataclass
class Call:
    method: str
    path: str
    json: Any = None
    data: dict[str, str] | None = None
    headers: dict[str, str] | None = None  # instead of the caller's own
    files: dict[str, Any] | None = None  # a multipart body
    extra: dict[str, Any] = field(default_factory=dict)


async def signed_in_contact(api: Api, app: Any, admin: Actor) -> tuple[str, Actor]:
    """A contact of ``admin``'s firm with access to an entity of its own, signed in."""
    entity = await create_entity(api, admin)
    contact = await new_contact(api, admin)
    await grant(api, admin, entity["id"], contact["id"])
    await activate_directly(app, contact["id"])
    return contact["id"], await api.sign_in(contact["email"])


GUEST_TITLE = "Questions for the guest column"
# No required question: a submit succeeds as soon as the request is open.
ANSWERABLE: list[dict[str, Any]] = [
    {"id": "name", "type": "short_text", "prompt": "Your name"},
    {"id": "slips", "type": "file_upload", "prompt": "Pay slips", "max_files": 5},
]


async def guest_column(api: Api, app: Any, admin: Actor, **options: Any) -> Actor:
    """A guest of a fresh request of ``admin``'s firm: its link is its only credential (sent
    as a bearer token on the routes of the other columns, in the path on guest routes)."""
    entity = await api.client.post("/v1/entities", json={"name": "G"}, headers=admin.headers)
    made = await make_request(
        api,
        app,
        admin,
        entity.json()["id"],
        guests=[("Gus Guest", f"gus-{secrets.token_hex(3)}@home.example.com")],
        questions=ANSWERABLE,
        title=options.pop("title", GUEST_TITLE),
        **options,
    )
    [(email, link)] = made.links.items()
    return Actor(email, link, "", made.recipients[email], admin.firm_id, kind="guest")


async def build_world(api: Api, app: Any) -> World:
    admin = await api.sign_up_firm()
    owner, editor, viewer, none = [await api.add_staff(admin) for _ in range(4)]
    other = await api.sign_up_firm("Elsewhere Audit")
    spare = await api.create_user(admin, name="Spare")
    bystander = await api.create_user(admin, name="Bystander")
    contact_id, contact = await signed_in_contact(api, app, admin)
    _, contact_other_entity = await signed_in_contact(api, app, admin)
    _, contact_other_firm = await signed_in_contact(api, app, other)
    guest = await guest_column(api, app, admin)
    return World(
        api=api,
        app=app,
        actors={
            "admin": admin,
            "owner": owner,
            "editor": editor,
            "viewer": viewer,
            "none": none,
            "other_firm": other,
            "contact": contact,
            "contact_other_entity": contact_other_entity,
            "contact_other_firm": contact_other_firm,
            "guest": guest,
        },
        contact_id=contact_id,
        guest_title=GUEST_TITLE,
        owner_entry_id=(await owner_for(api, admin, owner))["id"],
        other_owner_id=(await create_owner(api, admin, name="Other Owner"))["id"],
        spare_user_id=spare["id"],
        bystander_user_id=bystander["id"],
    )


@pytest.fixture(scope="module", params=BACKENDS)
def matrix_database_url(
    request: pytest.FixtureRequest, database_urls: dict[str, str | None]
) -> str:
    url = database_urls[request.param]
    if url is None:
        pytest.skip(skip_reason())
    mark_backend_used(request.param)
    return url


@pytest.fixture(scope="module")
async def world(
    matrix_database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[World]:
    settings = make_settings(
        matrix_database_url,
        tmp_path_factory.mktemp("matrix") / "data",
        # Hundreds of sign-ins from one test client: the per-address limits are not under test.
        login_attempts_per_address=10_000,
        portal_attempts_per_address=10_000,
    )
    app = create_app(settings)
    try:
        async with rolled_back(app) as connection:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
                w = await build_world(Api(http), app)
                w.connection = connection
                yield w
    finally:
        await app.state.runtime.engine.dispose()


async def _post(w: World, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await w.api.client.post(path, json=body, headers=w.admin.headers)
    assert response.status_code == 201, (path, response.text)
    result: dict[str, Any] = response.json()
    return result


async def fresh_entity(w: World) -> tuple[str, str]:
    """An entity owned by the ``owner`` column, shared with editor, viewer and a bystander.

    Returns the entity id and the bystander's share id (a share none of the columns holds).
    """
    entity = await _post(w, "/v1/entities", {"name": "E", "owner_id": w.owner_entry_id})
    shares = f"/v1/entities/{entity['id']}/shares"
    await _post(w, shares, {"user_id": w.actors["editor"].user_id, "role": "editor"})
    await _post(w, shares, {"user_id": w.actors["viewer"].user_id})
    bystander = await _post(w, shares, {"user_id": w.bystander_user_id})
    return entity["id"], bystander["id"]


def _unique() -> str:
    return secrets.token_hex(4)


Recipe = Callable[[World, Actor], Awaitable[Call]]
Body = Any  # a JSON body, or a function of the world returning one (called per case)


def _body(json: Body, w: World) -> Any:
    return json(w) if callable(json) else json


def fixed(method: str, path: str, json: Body = None) -> Recipe:
    async def recipe(w: World, a: Actor) -> Call:
        return Call(method, path, json=_body(json, w))

    return recipe


def on(factory: Factory, method: str, template: str, json: Body = None) -> Recipe:
    """A call on the object ``factory`` made for this module (cases roll back what they do)."""

    async def recipe(w: World, a: Actor) -> Call:
        return Call(method, template.format(id=w.made(factory)), json=_body(json, w))

    recipe.needs = (factory,)  # type: ignore[attr-defined]
    return recipe


async def entity(w: World) -> str:
    return (await fresh_entity(w))[0]


async def share(w: World) -> str:
    entity_id, share_id = await fresh_entity(w)
    return f"{entity_id}/shares/{share_id}"


async def office(w: World) -> str:
    return str((await _post(w, "/v1/offices", {"name": f"Office {_unique()}"}))["id"])


async def user(w: World) -> str:
    return str((await w.api.create_user(w.admin))["id"])


async def manual_owner(w: World) -> str:
    return str((await _post(w, "/v1/owners", {"name": f"Owner {_unique()}"}))["id"])


async def handover(w: World, a: Actor) -> Call:
    """A manual owner with one entity, handed over (left unowned)."""
    owner_id = await manual_owner(w)
    entity = await _post(w, "/v1/entities", {"name": "Handed over", "owner_id": owner_id})
    groups = [{"entity_ids": [entity["id"]], "to_owner_id": None}]
    return Call("POST", f"/v1/owners/{owner_id}/handover", json={"groups": groups})


async def token(w: World, a: Actor) -> Call:
    # A guest has no account: the route is open to it all the same (with an account's).
    email = w.admin.email if a.kind == "guest" else a.email
    return Call("POST", "/v1/auth/token", data={"username": email, "password": PASSWORD})


async def logout(w: World, a: Actor) -> Call:
    if a.kind == "guest":  # no account, no session: its link as the bearer token
        return Call("POST", "/v1/auth/logout", headers=a.headers)
    fresh = await w.api.sign_in(a.email)  # keep the column's own session alive
    return Call("POST", "/v1/auth/logout", headers=fresh.headers)


PDF = b"%PDF-1.7\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


def multipart() -> dict[str, Any]:
    return {"file": ("report.pdf", PDF, "application/pdf")}


async def stored_file(w: World) -> str:
    """A file on a fresh entity (uploaded by the admin)."""
    entity_id = await entity(w)
    response = await w.api.client.post(
        f"/v1/entities/{entity_id}/files", files=multipart(), headers=w.admin.headers
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def upload_to(factory: Factory, template: str) -> Recipe:
    async def recipe(w: World, a: Actor) -> Call:
        return Call("POST", template.format(id=w.made(factory)), files=multipart())

    recipe.needs = (factory,)  # type: ignore[attr-defined]
    return recipe


WEBHOOK = {"url": "http://127.0.0.1:9/hook", "event_types": ["entity.created"]}


async def webhook(w: World) -> str:
    return str((await _post(w, "/v1/webhook-endpoints", WEBHOOK))["id"])


async def own_notification(w: World, a: Actor) -> Call:
    """A notification addressed to the caller, written as the dispatcher would."""
    async with w.app.state.runtime.sessionmaker() as session:
        event = await record_event(
            session, type="firm.updated", firm_id=uuid.UUID(a.firm_id), actor=EventActor.system()
        )
        notification = Notification(
            firm_id=uuid.UUID(a.firm_id),
            recipient_kind=a.kind,
            recipient_id=uuid.UUID(a.user_id),
            delivery_id=uuid.uuid4(),
            event_id=event.id,
            type=event.type,
            title="Firm updated",
        )
        session.add(notification)
        await session.commit()
    return Call("POST", f"/v1/notifications/{notification.id}/read")


# --- contacts, groups, discussions and the portal ----------------------------------------


async def contact(w: World) -> str:
    """A contact with access to a fresh entity (owner, editor and viewer columns on it)."""
    entity_id = await entity(w)
    created = await new_contact(w.api, w.admin)
    await grant(w.api, w.admin, entity_id, created["id"])
    return str(created["id"])


async def entity_contact(w: World) -> str:
    entity_id = await entity(w)
    created = await new_contact(w.api, w.admin)
    await grant(w.api, w.admin, entity_id, created["id"])
    return f"{entity_id}/contacts/{created['id']}"


async def ungranted(w: World) -> str:
    entity_id = await entity(w)
    created = await new_contact(w.api, w.admin)
    return f"{entity_id}/contacts/{created['id']}"


async def group(w: World) -> str:
    entity_id = await entity(w)
    made = await create_group(w.api, w.admin, entity_id, [])
    return f"{entity_id}/contact-groups/{made['id']}"


async def group_candidate(w: World, *, member: bool) -> str:
    entity_id = await entity(w)
    created = await new_contact(w.api, w.admin)
    await grant(w.api, w.admin, entity_id, created["id"])
    made = await create_group(w.api, w.admin, entity_id, [created["id"]] if member else [])
    return f"{entity_id}/contact-groups/{made['id']}/members/{created['id']}"


async def group_member(w: World) -> str:
    return await group_candidate(w, member=True)


async def group_non_member(w: World) -> str:
    return await group_candidate(w, member=False)


async def discussion(w: World) -> str:
    entity_id = await entity(w)
    made = await create_discussion(w.api, w.admin, entity_id, [])
    return f"{entity_id}/discussions/{made['id']}"


async def portal_entity(w: World) -> str:
    """A fresh entity the ``contact`` column has access to."""
    entity_id = await entity(w)
    await grant(w.api, w.admin, entity_id, w.contact_id)
    return entity_id


async def portal_discussion(w: World) -> str:
    """A discussion shared with a group the ``contact`` column is in."""
    entity_id = await portal_entity(w)
    made = await create_group(w.api, w.admin, entity_id, [w.contact_id])
    shared = await create_discussion(w.api, w.admin, entity_id, [made["id"]])
    return str(shared["id"])


async def portal_contributor_entity(w: World) -> str:
    """A fresh entity the ``contact`` column may upload to (granted ``contributor``)."""
    entity_id = await entity(w)
    await grant(w.api, w.admin, entity_id, w.contact_id, "contributor")
    return entity_id


async def portal_shared_file(w: World) -> str:
    """A file the admin uploaded, shared with the contacts of an entity of ``contact``."""
    entity_id = await portal_entity(w)
    response = await w.api.client.post(
        f"/v1/entities/{entity_id}/files",
        files=multipart(),
        data={"shared_with_contacts": "true"},
        headers=w.admin.headers,
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def invitation(w: World) -> str:
    """A live invitation secret of a fresh contact (each case uses it once, then rolls back)."""
    return await issue_secret(w.app, await contact(w), "invite")


async def reset_secret(w: World) -> str:
    """A live password-reset secret of a fresh, active contact."""
    contact_id = await contact(w)
    await activate_directly(w.app, contact_id)
    return await issue_secret(w.app, contact_id, "reset")


# --- tasks -----------------------------------------------------------------------------

TASK_TYPE = {
    "name": "Monthly close",
    "input_documents": [{"name": "Bank statements"}],
    "output_documents": [{"name": "Payroll report"}],
    "recurrence": {"frequency": "monthly", "day": 15},
}


async def task_type(w: World) -> str:
    return str((await _post(w, "/v1/task-types", TASK_TYPE))["id"])


CLIENT_REQUEST_TEMPLATE = {
    "title": "Year-end questionnaire",
    "questions": [{"type": "yes_no", "prompt": "Did you move house?", "required": True}],
}


async def client_request_template(w: World) -> str:
    return str((await _post(w, "/v1/client-request-templates", CLIENT_REQUEST_TEMPLATE))["id"])


async def task(w: World) -> str:
    """A task of a type on a fresh entity (owner, editor and viewer columns on it)."""
    entity_id = await entity(w)
    body = {"task_type_id": await task_type(w)}
    return str((await _post(w, f"/v1/entities/{entity_id}/tasks", body))["id"])


async def task_input_slot(w: World) -> str:
    made = await _post(
        w, f"/v1/entities/{await entity(w)}/tasks", {"task_type_id": await task_type(w)}
    )
    return f"{made['id']}/inputs/{made['inputs'][0]['id']}"


async def task_output_doc(w: World) -> str:
    made = await _post(
        w, f"/v1/entities/{await entity(w)}/tasks", {"task_type_id": await task_type(w)}
    )
    return f"{made['id']}/outputs/{made['outputs'][0]['id']}"


async def subscription(w: World) -> str:
    entity_id, type_id = await entity(w), await task_type(w)
    response = await w.api.client.put(
        f"/v1/entities/{entity_id}/task-subscriptions/{type_id}", json={}, headers=w.admin.headers
    )
    assert response.status_code == 201, response.text
    return f"{entity_id}/task-subscriptions/{type_id}"


async def new_subscription(w: World, a: Actor) -> Call:
    path = f"/v1/entities/{await entity(w)}/task-subscriptions/{await task_type(w)}"
    return Call("PUT", path, json={})


async def portal_document(w: World) -> str:
    """A delivered output document, visible to the contacts of an entity of ``contact``."""
    entity_id = await portal_entity(w)
    body = {"title": "Close", "output_documents": [{"name": "Slip", "due_date": "2026-03-10"}]}
    made = await _post(w, f"/v1/entities/{entity_id}/tasks", body)
    output = made["outputs"][0]["id"]
    response = await w.api.client.post(
        f"/v1/tasks/{made['id']}/outputs/{output}/file", files=multipart(), headers=w.admin.headers
    )
    assert response.status_code == 200, response.text
    return str(output)


async def portal_task_input(w: World) -> str:
    """An input slot of an open task on an entity ``contact`` contributes to."""
    entity_id = await portal_contributor_entity(w)
    body = {"title": "Close", "input_documents": [{"name": "Bank statements"}]}
    made = await _post(w, f"/v1/entities/{entity_id}/tasks", body)
    return str(made["inputs"][0]["id"])


async def requestable(w: World) -> str:
    """An entity of ``contact`` and a requestable task type, as ``entity_id/type_id``."""
    entity_id = await portal_entity(w)
    made = await _post(w, "/v1/task-types", {"name": "Payslip copy", "client_requestable": True})
    return f"{entity_id}/{made['id']}"


async def task_request(w: World, a: Actor) -> Call:
    entity_id, type_id = w.made(requestable).split("/")
    path = f"/v1/portal/entities/{entity_id}/task-requests"
    return Call("POST", path, json={"task_type_id": type_id})


task_request.needs = (requestable,)  # type: ignore[attr-defined]


# --- answering client requests: portal contacts and guests --------------------------------


async def portal_client_request(w: World) -> str:
    """A request to the ``contact`` column on a fresh entity of its."""
    made = await make_request(
        w.api, w.app, w.admin, await portal_entity(w), contacts=[w.contact_id], questions=ANSWERABLE
    )
    return made.id


async def guest_request(w: World) -> str:
    """A fresh guest request's link (``{id}`` for the guest column)."""
    return (await guest_column(w.api, w.app, w.admin, title="Another guest request")).token


async def coded_guest_request(w: World) -> str:
    """A guest request asking for a one-time code: ``link/recipient id``."""
    guest = await guest_column(w.api, w.app, w.admin, one_time_code=True)
    return f"{guest.token}/{guest.user_id}"


def _link_for(a: Actor, link: str) -> str:
    """The guest column presents the link; every other column its own token instead."""
    return link if a.kind == "guest" else a.token


def on_link(
    factory: Factory, method: str, tail: str = "", json: Body = None, upload: bool = False
) -> Recipe:
    async def recipe(w: World, a: Actor) -> Call:
        link = w.made(factory).split("/")[0]
        path = f"/v1/public/client-requests/{_link_for(a, link)}{tail}"
        return Call(method, path, json=_body(json, w), files=multipart() if upload else None)

    recipe.needs = (factory,)  # type: ignore[attr-defined]
    return recipe


async def verify_code(w: World, a: Actor) -> Call:
    """A code set for the case (as the e-mail would carry it), then verified."""
    link, recipient_id = w.made(coded_guest_request).split("/")
    async with w.app.state.runtime.sessionmaker() as session:
        row = await session.get(ClientRequestRecipient, uuid.UUID(recipient_id))
        assert row is not None
        settings = w.app.state.runtime.settings
        row.code_hash = code_hash(settings.signing_key, row.id, "123456")
        row.code_expires_at = utcnow() + dt.timedelta(minutes=5)
        await session.commit()
    path = f"/v1/public/client-requests/{_link_for(a, link)}/code/verify"
    return Call("POST", path, json={"code": "123456"})


verify_code.needs = (coded_guest_request,)  # type: ignore[attr-defined]


def contact_body(w: World) -> dict[str, str]:
    return {"name": "C", "email": f"c-{_unique()}@client.example.com"}


def signup_body(w: World) -> dict[str, str]:
    return {
        "firm_name": "New",
        "admin_name": "N",
        "admin_email": f"n-{_unique()}@example.com",
        "admin_password": PASSWORD,
    }


# --- file requests -----------------------------------------------------------------------


async def file_request(w: World, *, items: int = 1, state: str = "open") -> tuple[str, str]:
    """A request on a fresh entity to the ``contact`` column (granted contributor there);
    ``state``: ``open``, ``submitted`` (its first item uploaded) or ``accepted``."""
    entity_id = await entity(w)
    await grant(w.api, w.admin, entity_id, w.contact_id, "contributor")
    body = {
        "subject": "Year end",
        "recipients": [w.contact_id],
        "items": [{"title": f"Item {n}"} for n in range(items)],
    }
    made = await _post(w, f"/v1/entities/{entity_id}/file-requests", body)
    request_id, item_id = made["id"], made["items"][0]["id"]
    if state in ("submitted", "accepted"):
        sent = await w.api.client.post(
            f"/v1/portal/file-requests/{request_id}/items/{item_id}/uploads",
            files=multipart(),
            headers=w.actors["contact"].headers,
        )
        assert sent.status_code == 201, sent.text
    if state == "cancel":
        cancelled = await w.api.client.post(
            f"/v1/file-requests/{request_id}/cancel", json={}, headers=w.admin.headers
        )
        assert cancelled.status_code == 200, cancelled.text
    if state == "accepted":
        accepted = await w.api.client.post(
            f"/v1/file-requests/{request_id}/items/{item_id}/accept", headers=w.admin.headers
        )
        assert accepted.status_code == 200, accepted.text
    return request_id, item_id


def on_request(method: str, template: str, json: Any = None, **options: Any) -> Recipe:
    """A call on a fresh file request: ``{id}`` is the request, ``{item}`` its first item."""

    async def recipe(w: World, a: Actor) -> Call:
        request_id, item_id = await file_request(w, **options)
        body = json(item_id) if callable(json) else json
        return Call(method, template.format(id=request_id, item=item_id), json=body)

    return recipe


async def create_file_request(w: World, a: Actor) -> Call:
    entity_id = await entity(w)
    await grant(w.api, w.admin, entity_id, w.contact_id, "contributor")
    body = {"subject": "S", "recipients": [w.contact_id], "items": [{"title": "T"}]}
    return Call("POST", f"/v1/entities/{entity_id}/file-requests", json=body)


async def portal_upload_item(w: World, a: Actor) -> Call:
    request_id, item_id = await file_request(w)
    return Call(
        "POST",
        f"/v1/portal/file-requests/{request_id}/items/{item_id}/uploads",
        files=multipart(),
    )


async def portal_attachment(w: World, a: Actor) -> Call:
    entity_id = await entity(w)
    await grant(w.api, w.admin, entity_id, w.contact_id, "contributor")
    uploaded = await w.api.client.post(
        f"/v1/entities/{entity_id}/files", files=multipart(), headers=w.admin.headers
    )
    assert uploaded.status_code == 201, uploaded.text
    body = {
        "subject": "Sign",
        "recipients": [w.contact_id],
        "items": [{"title": "Sign it", "attachment": uploaded.json()["id"]}],
    }
    made = await _post(w, f"/v1/entities/{entity_id}/file-requests", body)
    path = f"/v1/portal/file-requests/{made['id']}/items/{made['items'][0]['id']}/attachment"
    return Call("GET", path)


# --- client requests ---------------------------------------------------------------------


async def _client_request(w: World, **body: Any) -> dict[str, Any]:
    """A request on a fresh entity; portal to the ``contact`` column unless ``body`` says."""
    entity_id = await entity(w)
    await grant(w.api, w.admin, entity_id, w.contact_id)
    body = {
        "title": "Questions",
        "questions": [{"type": "yes_no", "id": "moved", "prompt": "Moved?"}],
        "audience": "portal",
        "contact_ids": [w.contact_id],
        **body,
    }
    return await _post(w, f"/v1/entities/{entity_id}/client-requests", body)


async def client_request(w: World) -> str:
    return str((await _client_request(w))["id"])


async def submitted_client_request(w: World) -> str:
    request_id = str((await _client_request(w))["id"])
    await answer_client_request(w.app, request_id, {"moved": True}, submit=True)
    return request_id


async def guest_link(w: World) -> str:
    """``<request id>/recipients/<guest recipient id>``."""
    made = await _client_request(
        w, audience="guest", contact_ids=None, guests=[{"name": "G", "email": "g@example.com"}]
    )
    return f"{made['id']}/recipients/{made['recipients'][0]['id']}"


async def create_client_request(w: World, a: Actor) -> Call:
    entity_id = await entity(w)
    await grant(w.api, w.admin, entity_id, w.contact_id)
    body = {
        "title": "Q",
        "questions": [{"type": "short_text", "prompt": "Name?"}],
        "audience": "portal",
        "contact_ids": [w.contact_id],
    }
    return Call("POST", f"/v1/entities/{entity_id}/client-requests", json=body)


RECIPES: dict[str, Recipe] = {
    "openapi": fixed("GET", "/openapi.json"),
    "swagger_ui_html": fixed("GET", "/docs"),
    "swagger_ui_redirect": fixed("GET", "/docs/oauth2-redirect"),
    "swagger_ui_spec": fixed("GET", "/docs/openapi.json"),
    "swagger_ui_assets": fixed("GET", "/docs/assets/swagger-ui.css"),
    "health_live": fixed("GET", "/healthz"),
    "health_ready": fixed("GET", "/readyz"),
    "auth_token": token,
    "auth_logout": logout,
    "me_get": fixed("GET", "/v1/me"),
    "firms_sign_up": fixed("POST", "/v1/firms", signup_body),
    "firm_get": fixed("GET", "/v1/firm"),
    "firm_update": fixed("PATCH", "/v1/firm", {"detailed_notifications_enabled": False}),
    "offices_list": fixed("GET", "/v1/offices"),
    "offices_create": fixed("POST", "/v1/offices", lambda w: {"name": f"O {_unique()}"}),
    "offices_get": on(office, "GET", "/v1/offices/{id}"),
    "offices_update": on(office, "PATCH", "/v1/offices/{id}", {"address": "Main St 1"}),
    "offices_delete": on(office, "DELETE", "/v1/offices/{id}"),
    "users_list": fixed("GET", "/v1/users"),
    "users_create": fixed(
        "POST",
        "/v1/users",
        lambda w: {"email": f"u-{_unique()}@example.com", "name": "U", "password": PASSWORD},
    ),
    "users_get": on(user, "GET", "/v1/users/{id}"),
    "users_update": on(user, "PATCH", "/v1/users/{id}", {"name": "Renamed"}),
    "users_deactivate": on(user, "POST", "/v1/users/{id}/deactivate"),
    "users_reactivate": on(user, "POST", "/v1/users/{id}/reactivate"),
    "users_delete": on(user, "DELETE", "/v1/users/{id}"),
    "owners_list": fixed("GET", "/v1/owners"),
    "owners_create": fixed("POST", "/v1/owners", lambda w: {"name": f"Owner {_unique()}"}),
    "owners_get": on(manual_owner, "GET", "/v1/owners/{id}"),
    "owners_update": on(manual_owner, "PATCH", "/v1/owners/{id}", {"name": "Renamed"}),
    "owners_delete": on(manual_owner, "DELETE", "/v1/owners/{id}"),
    "owners_transfer": on(
        manual_owner,
        "POST",
        "/v1/owners/{id}/transfer",
        lambda w: {"to_owner_id": w.other_owner_id},
    ),
    "owners_handover": handover,
    "entities_list": fixed("GET", "/v1/entities"),
    "entities_create": fixed("POST", "/v1/entities", {"name": "Created"}),
    "entities_get": on(entity, "GET", "/v1/entities/{id}"),
    "entities_update": on(entity, "PATCH", "/v1/entities/{id}", {"notes": "n"}),
    "entities_delete": on(entity, "DELETE", "/v1/entities/{id}"),
    "entities_set_owner": on(
        entity, "PUT", "/v1/entities/{id}/owner", lambda w: {"owner_id": w.other_owner_id}
    ),
    "shares_list": on(entity, "GET", "/v1/entities/{id}/shares"),
    "shares_get": on(share, "GET", "/v1/entities/{id}"),
    "shares_create": on(
        entity, "POST", "/v1/entities/{id}/shares", lambda w: {"user_id": w.spare_user_id}
    ),
    "shares_update": on(share, "PATCH", "/v1/entities/{id}", {"role": "editor"}),
    "shares_delete": on(share, "DELETE", "/v1/entities/{id}"),
    "shares_list_firm": fixed("GET", "/v1/shares"),
    "shares_bulk_create": on(
        entity,
        "POST",
        "/v1/shares/bulk",
        lambda w: {"entity_ids": [w.made(entity)], "user_ids": [w.spare_user_id]},
    ),
    "entities_activity": on(entity, "GET", "/v1/entities/{id}/activity"),
    "files_list": on(entity, "GET", "/v1/entities/{id}/files"),
    "files_upload": upload_to(entity, "/v1/entities/{id}/files"),
    "files_get": on(stored_file, "GET", "/v1/files/{id}"),
    "files_download": on(stored_file, "GET", "/v1/files/{id}/content"),
    "files_versions_list": on(stored_file, "GET", "/v1/files/{id}/versions"),
    "files_versions_get": on(stored_file, "GET", "/v1/files/{id}/versions/1"),
    "files_versions_create": upload_to(stored_file, "/v1/files/{id}/versions"),
    "files_delete": on(stored_file, "DELETE", "/v1/files/{id}"),
    "files_update": on(stored_file, "PATCH", "/v1/files/{id}", {"shared_with_contacts": True}),
    "activity_list": fixed("GET", "/v1/activity"),
    "notifications_list": fixed("GET", "/v1/notifications"),
    "notifications_unread_count": fixed("GET", "/v1/notifications/unread-count"),
    "notifications_read_all": fixed("POST", "/v1/notifications/read-all"),
    "notifications_mark_read": own_notification,
    "notification_preferences_get": fixed("GET", "/v1/notification-preferences"),
    "notification_preferences_replace": fixed(
        "PUT", "/v1/notification-preferences", {"preferences": []}
    ),
    "webhook_endpoints_list": fixed("GET", "/v1/webhook-endpoints"),
    "webhook_endpoints_create": fixed("POST", "/v1/webhook-endpoints", WEBHOOK),
    "webhook_endpoints_get": on(webhook, "GET", "/v1/webhook-endpoints/{id}"),
    "webhook_endpoints_update": on(
        webhook, "PATCH", "/v1/webhook-endpoints/{id}", {"description": "d"}
    ),
    "webhook_endpoints_delete": on(webhook, "DELETE", "/v1/webhook-endpoints/{id}"),
    "webhook_endpoints_rotate_secret": on(
        webhook, "POST", "/v1/webhook-endpoints/{id}/rotate-secret"
    ),
    "webhook_endpoints_ping": on(webhook, "POST", "/v1/webhook-endpoints/{id}/ping"),
    "webhook_endpoints_deliveries": on(webhook, "GET", "/v1/webhook-endpoints/{id}/deliveries"),
    "contacts_list": fixed("GET", "/v1/contacts"),
    "contacts_create": fixed("POST", "/v1/contacts", contact_body),
    "contacts_get": on(contact, "GET", "/v1/contacts/{id}"),
    "contacts_update": on(contact, "PATCH", "/v1/contacts/{id}", {"phone": "+1 555"}),
    "contacts_delete": on(contact, "DELETE", "/v1/contacts/{id}"),
    "contacts_invite": on(contact, "POST", "/v1/contacts/{id}/invite"),
    "contacts_disable": on(contact, "POST", "/v1/contacts/{id}/disable"),
    "contacts_enable": on(contact, "POST", "/v1/contacts/{id}/enable"),
    "entity_contacts_list": on(entity, "GET", "/v1/entities/{id}/contacts"),
    "entity_contacts_get": on(entity_contact, "GET", "/v1/entities/{id}"),
    "entity_contacts_put": on(ungranted, "PUT", "/v1/entities/{id}", {"role": "contributor"}),
    "entity_contacts_delete": on(entity_contact, "DELETE", "/v1/entities/{id}"),
    "contact_groups_list": on(entity, "GET", "/v1/entities/{id}/contact-groups"),
    "contact_groups_create": on(entity, "POST", "/v1/entities/{id}/contact-groups", {"name": "G"}),
    "contact_groups_get": on(group, "GET", "/v1/entities/{id}"),
    "contact_groups_update": on(group, "PATCH", "/v1/entities/{id}", {"description": "d"}),
    "contact_groups_delete": on(group, "DELETE", "/v1/entities/{id}"),
    "contact_group_members_put": on(group_non_member, "PUT", "/v1/entities/{id}"),
    "contact_group_members_delete": on(group_member, "DELETE", "/v1/entities/{id}"),
    "discussions_list": on(entity, "GET", "/v1/entities/{id}/discussions"),
    "discussions_create": on(
        entity, "POST", "/v1/entities/{id}/discussions", {"subject": "S", "body": "B"}
    ),
    "discussions_get": on(discussion, "GET", "/v1/entities/{id}"),
    "discussions_update": on(discussion, "PATCH", "/v1/entities/{id}", {"subject": "T"}),
    "discussions_delete": on(discussion, "DELETE", "/v1/entities/{id}"),
    "discussion_comments_list": on(discussion, "GET", "/v1/entities/{id}/comments"),
    "discussion_comments_create": on(
        discussion, "POST", "/v1/entities/{id}/comments", {"body": "Noted."}
    ),
    "portal_activate": on(
        invitation,
        "POST",
        "/v1/portal/activate",
        lambda w: {"token": w.made(invitation), "password": PASSWORD},
    ),
    "portal_password_reset_request": fixed(
        "POST", "/v1/portal/password-reset-requests", {"email": "nobody@example.com"}
    ),
    "portal_password_reset": on(
        reset_secret,
        "POST",
        "/v1/portal/password-reset",
        lambda w: {"token": w.made(reset_secret), "password": PASSWORD},
    ),
    "portal_me": fixed("GET", "/v1/portal/me"),
    "portal_entities_list": fixed("GET", "/v1/portal/entities"),
    "portal_entities_get": on(portal_entity, "GET", "/v1/portal/entities/{id}"),
    "portal_discussions_list": on(portal_entity, "GET", "/v1/portal/entities/{id}/discussions"),
    "portal_discussions_get": on(portal_discussion, "GET", "/v1/portal/discussions/{id}"),
    "portal_comments_list": on(portal_discussion, "GET", "/v1/portal/discussions/{id}/comments"),
    "portal_comments_create": on(
        portal_discussion, "POST", "/v1/portal/discussions/{id}/comments", {"body": "Thanks"}
    ),
    "portal_files_list": on(portal_entity, "GET", "/v1/portal/entities/{id}/files"),
    "portal_files_upload": upload_to(portal_contributor_entity, "/v1/portal/entities/{id}/files"),
    "portal_files_get": on(portal_shared_file, "GET", "/v1/portal/files/{id}"),
    "portal_files_download": on(portal_shared_file, "GET", "/v1/portal/files/{id}/content"),
    "file_requests_create": create_file_request,
    "file_requests_list_entity": on(entity, "GET", "/v1/entities/{id}/file-requests"),
    "file_requests_list": fixed("GET", "/v1/file-requests"),
    "file_requests_get": on_request("GET", "/v1/file-requests/{id}"),
    "file_requests_update": on_request("PATCH", "/v1/file-requests/{id}", {"subject": "New"}),
    "file_requests_cancel": on_request("POST", "/v1/file-requests/{id}/cancel", {}),
    "file_requests_reopen": on_request("POST", "/v1/file-requests/{id}/reopen", state="cancel"),
    "file_requests_remind": on_request("POST", "/v1/file-requests/{id}/remind"),
    "file_requests_accept": on_request(
        "POST", "/v1/file-requests/{id}/accept", {}, state="submitted"
    ),
    "file_requests_return": on_request(
        "POST",
        "/v1/file-requests/{id}/return",
        lambda item: {"item_ids": [item], "reason": "Blurry"},
        state="submitted",
    ),
    "file_request_items_create": on_request(
        "POST", "/v1/file-requests/{id}/items", {"title": "More"}
    ),
    "file_request_items_update": on_request(
        "PATCH", "/v1/file-requests/{id}/items/{item}", {"title": "Renamed"}
    ),
    "file_request_items_delete": on_request(
        "DELETE", "/v1/file-requests/{id}/items/{item}", items=2
    ),
    "file_request_items_accept": on_request(
        "POST", "/v1/file-requests/{id}/items/{item}/accept", state="submitted"
    ),
    "file_request_items_return": on_request(
        "POST",
        "/v1/file-requests/{id}/items/{item}/return",
        {"reason": "Blurry"},
        state="submitted",
    ),
    "file_request_items_download": on_request(
        "GET", "/v1/file-requests/{id}/items/{item}/content", state="accepted"
    ),
    "portal_file_requests_list": fixed("GET", "/v1/portal/file-requests"),
    "portal_file_requests_get": on_request("GET", "/v1/portal/file-requests/{id}"),
    "portal_file_request_items_upload": portal_upload_item,
    "portal_file_request_items_attachment": portal_attachment,
    "reminder_settings_get": fixed("GET", "/v1/reminder-settings"),
    "reminder_settings_replace": fixed(
        "PUT", "/v1/reminder-settings", {"offsets": [-3, -1, 0, 3, 7], "every_days": 7}
    ),
    "task_types_list": fixed("GET", "/v1/task-types"),
    "task_types_create": fixed("POST", "/v1/task-types", {"name": "Payroll"}),
    "task_types_get": on(task_type, "GET", "/v1/task-types/{id}"),
    "task_types_update": on(task_type, "PATCH", "/v1/task-types/{id}", {"description": "d"}),
    "task_types_archive": on(task_type, "POST", "/v1/task-types/{id}/archive"),
    "task_types_unarchive": on(task_type, "POST", "/v1/task-types/{id}/unarchive"),
    "task_generation_run": fixed("POST", "/v1/task-generation-runs"),
    "task_subscriptions_list": on(entity, "GET", "/v1/entities/{id}/task-subscriptions"),
    "task_subscriptions_put": new_subscription,
    "task_subscriptions_delete": on(subscription, "DELETE", "/v1/entities/{id}"),
    "entity_tasks_list": on(entity, "GET", "/v1/entities/{id}/tasks"),
    "tasks_create": on(entity, "POST", "/v1/entities/{id}/tasks", {"title": "Call the bank"}),
    "tasks_list": fixed("GET", "/v1/tasks"),
    "tasks_get": on(task, "GET", "/v1/tasks/{id}"),
    "tasks_update": on(task, "PATCH", "/v1/tasks/{id}", {"title": "Renamed"}),
    "tasks_advance": on(task, "POST", "/v1/tasks/{id}/advance"),
    "task_inputs_create": on(task, "POST", "/v1/tasks/{id}/inputs", {"name": "Receipts"}),
    "task_input_files_upload": upload_to(task_input_slot, "/v1/tasks/{id}/files"),
    "task_outputs_create": on(task, "POST", "/v1/tasks/{id}/outputs", {"name": "Tax slip"}),
    "task_outputs_update": on(
        task_output_doc, "PATCH", "/v1/tasks/{id}", {"visible_to_client": False}
    ),
    "task_outputs_deliver": upload_to(task_output_doc, "/v1/tasks/{id}/file"),
    "portal_dashboard": fixed("GET", "/v1/portal/dashboard"),
    "portal_documents_list": fixed("GET", "/v1/portal/documents"),
    "portal_documents_get": on(portal_document, "GET", "/v1/portal/documents/{id}"),
    "portal_documents_read": on(portal_document, "POST", "/v1/portal/documents/{id}/read"),
    "portal_documents_download": on(portal_document, "GET", "/v1/portal/documents/{id}/content"),
    "portal_task_inputs_list": fixed("GET", "/v1/portal/task-inputs"),
    "portal_task_inputs_upload": upload_to(portal_task_input, "/v1/portal/task-inputs/{id}/files"),
    "portal_task_types_list": fixed("GET", "/v1/portal/task-types"),
    "portal_task_requests_create": task_request,
    "client_request_templates_list": fixed("GET", "/v1/client-request-templates"),
    "client_request_templates_create": fixed(
        "POST", "/v1/client-request-templates", CLIENT_REQUEST_TEMPLATE
    ),
    "client_request_templates_get": on(
        client_request_template, "GET", "/v1/client-request-templates/{id}"
    ),
    "client_request_templates_update": on(
        client_request_template, "PATCH", "/v1/client-request-templates/{id}", {"title": "New"}
    ),
    "client_request_templates_archive": on(
        client_request_template, "POST", "/v1/client-request-templates/{id}/archive"
    ),
    "client_request_templates_unarchive": on(
        client_request_template, "POST", "/v1/client-request-templates/{id}/unarchive"
    ),
    "client_request_templates_answers": on(
        client_request_template, "GET", "/v1/client-request-templates/{id}/answers"
    ),
    "client_requests_create": create_client_request,
    "client_requests_list_entity": on(entity, "GET", "/v1/entities/{id}/client-requests"),
    "client_requests_list": fixed("GET", "/v1/client-requests"),
    "client_requests_get": on(client_request, "GET", "/v1/client-requests/{id}"),
    "client_requests_answers": on(client_request, "GET", "/v1/client-requests/{id}/answers"),
    "client_requests_save_as_template": on(
        client_request, "POST", "/v1/client-requests/{id}/save-as-template", {}
    ),
    "client_requests_update": on(
        client_request, "PATCH", "/v1/client-requests/{id}", {"title": "New"}
    ),
    "client_requests_cancel": on(client_request, "POST", "/v1/client-requests/{id}/cancel", {}),
    "client_requests_complete": on(
        submitted_client_request, "POST", "/v1/client-requests/{id}/complete"
    ),
    "client_requests_reopen": on(
        submitted_client_request, "POST", "/v1/client-requests/{id}/reopen", {"note": "More"}
    ),
    "client_request_links_revoke": on(guest_link, "POST", "/v1/client-requests/{id}/revoke"),
    "client_request_links_issue": on(guest_link, "POST", "/v1/client-requests/{id}/link"),
    "portal_client_requests_list": fixed("GET", "/v1/portal/client-requests"),
    "portal_client_requests_get": on(
        portal_client_request, "GET", "/v1/portal/client-requests/{id}"
    ),
    "portal_client_requests_answers_update": on(
        portal_client_request,
        "PATCH",
        "/v1/portal/client-requests/{id}/answers",
        {"answers": {"name": "Carla"}},
    ),
    "portal_client_requests_submit": on(
        portal_client_request, "POST", "/v1/portal/client-requests/{id}/submit"
    ),
    "portal_client_request_files_upload": upload_to(
        portal_client_request, "/v1/portal/client-requests/{id}/questions/slips/files"
    ),
    "public_client_requests_get": on_link(guest_request, "GET"),
    "public_client_requests_answers_update": on_link(
        guest_request, "PATCH", "/answers", {"answers": {"name": "Gus"}}
    ),
    "public_client_requests_submit": on_link(guest_request, "POST", "/submit"),
    "public_client_request_files_upload": on_link(
        guest_request, "POST", "/questions/slips/files", upload=True
    ),
    "public_client_requests_code_send": on_link(coded_guest_request, "POST", "/code"),
    "public_client_requests_code_verify": verify_code,
}


def route_keys(app: Any) -> list[str]:
    """Every route of the app: operation id, or the route name for the doc pages."""
    keys = []
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, APIRoute):
            assert route.operation_id, f"{route.path} has no operation_id"
            keys.append(route.operation_id)
        else:
            keys.append(context.name)
    return keys


def test_every_route_has_a_matrix_row_and_a_recipe(tmp_path: Path) -> None:
    app = create_app(make_settings("sqlite+aiosqlite://", tmp_path / "data"))
    keys = route_keys(app)
    assert len(keys) == len(set(keys)), "operation ids must be unique"
    unclassified = sorted(set(keys) - set(ROUTE_ACTIONS))
    assert not unclassified, f"routes missing from access.matrix.ROUTE_ACTIONS: {unclassified}"
    stale = sorted(set(ROUTE_ACTIONS) - set(keys))
    assert not stale, f"ROUTE_ACTIONS names routes that do not exist: {stale}"
    no_recipe = sorted(set(keys) - set(RECIPES))
    assert not no_recipe, f"routes without a request recipe in this test: {no_recipe}"
    unused = sorted(set(RECIPES) - set(keys))
    assert not unused, f"recipes for routes that do not exist: {unused}"


def test_matrix_rows_are_consistent() -> None:
    for action, rule in RULES.items():
        contact_cells = {rule.outcomes[level] for level in CONTACT_LEVELS}
        staff_cells = {rule.outcomes[level] for level in STAFF_LEVELS}
        if rule.scope in ("firm", "entity", "contact_record"):
            assert contact_cells == {"403"}, f"{action}: contact tokens never open staff routes"
        if rule.scope == "portal":
            assert staff_cells == {"403"}, f"{action}: staff tokens never open portal routes"
            assert rule.outcomes["contact_other_firm"] != "ok" or contact_cells == {"ok"}, action
        if rule.scope == "contact_record":
            assert rule.outcomes["admin"] == "ok" and rule.outcomes["other_firm"] == "404", action
        if rule.scope == "entity":
            assert (rule.outcomes["none"], rule.outcomes["other_firm"]) == ("404", "404"), action
            assert rule.outcomes["admin"] == "ok", action
        if rule.scope == "firm":
            staff = {rule.outcomes[level] for level in ("owner", "editor", "viewer", "none")}
            assert len(staff) == 1, f"{action}: the staff columns of a firm action must agree"
        if rule.scope == "public":
            assert set(rule.outcomes.values()) == {"ok"}, action
        if rule.scope == "signed_in":
            assert set(rule.outcomes.values()) - {rule.outcomes[GUEST]} == {"ok"}, action
        if rule.scope == "guest":
            others = {rule.outcomes[level] for level in LEVELS if level != GUEST}
            assert (others, rule.outcomes[GUEST]) == ({"404"}, "ok"), action
        else:
            # A guest link is no bearer token: it opens guest rows and public ones only.
            assert rule.outcomes[GUEST] == ("ok" if rule.scope == "public" else "401"), action
    assert set(ROUTE_ACTIONS.values()) <= set(RULES), "a route names an unknown action"


def _matches(expected: str, status: int) -> bool:
    if expected == "ok":
        return 200 <= status < 300
    return status == int(expected)


ANONYMOUS = "anonymous"  # no token at all: every route but the public ones answers 401


def _cases() -> list[Any]:
    cases = []
    for route, action in ROUTE_ACTIONS.items():
        # A guest row's credential is the link in the path: the guest column is the caller
        # without a bearer token there.
        anonymous = RULES[action].scope not in ("public", "guest")
        columns = [*LEVELS, *([ANONYMOUS] if anonymous else [])]
        cases += [pytest.param(route, column, id=f"{route}-{column}") for column in columns]
    return cases


@pytest.mark.parametrize(("route", "column"), _cases())
async def test_route_answers_as_the_matrix_says(world: World, route: str, column: str) -> None:
    recipe = RECIPES.get(route)
    assert recipe is not None, f"{route} has no request recipe in RECIPES"
    for factory in getattr(recipe, "needs", ()):
        await world.make(factory)
    assert world.connection is not None
    async with savepoint(world.connection):
        if column == ANONYMOUS:
            call = await recipe(world, world.admin)
            anonymous = await world.api.client.request(
                call.method, call.path, json=call.json, data=call.data, files=call.files
            )
            assert anonymous.status_code == 401, (
                f"{route} without a token: got {anonymous.status_code} {anonymous.text[:200]}"
            )
            return
        level: Level = column  # type: ignore[assignment]
        actor = world.actors[level]
        call = await recipe(world, actor)
        response = await world.api.client.request(
            call.method,
            call.path,
            json=call.json,
            data=call.data,
            files=call.files,
            headers=call.headers or actor.headers,
        )
    expected = RULES[ROUTE_ACTIONS[route]].outcomes[level]
    assert _matches(expected, response.status_code), (
        f"{route} as {level}: expected {expected}, got {response.status_code} {response.text[:200]}"
    )


_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


async def test_a_guest_link_in_place_of_ids_opens_nothing(world: World) -> None:
    """The guest column's link tried on every other route: as the bearer token (the
    matrix cases above: 401) and here in place of each id of the path (and of a body's
    ``token``), sent with the admin's own token. Nothing answers 2xx, nothing shows the
    guest's request."""
    link = world.actors[GUEST].token
    tried = 0
    for route, action in ROUTE_ACTIONS.items():
        if RULES[action].scope == "guest":
            continue
        recipe = RECIPES[route]
        for factory in getattr(recipe, "needs", ()):
            await world.make(factory)
        assert world.connection is not None
        async with savepoint(world.connection):
            call = await recipe(world, world.admin)
            json = call.json
            if isinstance(json, dict) and "token" in json:
                json = {**json, "token": link}
            elif not _UUID.search(call.path):
                continue
            response = await world.api.client.request(
                call.method,
                _UUID.sub(link, call.path),
                json=json,
                data=call.data,
                files=call.files,
                headers=call.headers or world.admin.headers,
            )
        tried += 1
        assert not response.is_success, f"{route}: {response.status_code} {response.text[:200]}"
        assert world.guest_title not in response.text, route
    assert tried > 80
