"""Every route of the API, called as every column of the permission matrix.

The expected answer comes from ``access.matrix`` (``ROUTE_ACTIONS`` -> ``RULES``). A route
that is not classified there, or has no request recipe here, fails the test; so does a route
whose policy is missing or wrong, because some column then gets the wrong status.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi.routing import APIRoute, iter_route_contexts

from practice_api.access.matrix import LEVELS, ROUTE_ACTIONS, RULES, Level
from practice_api.events.service import Actor as EventActor
from practice_api.events.service import record_event
from practice_api.notifications.models import Notification
from tests.factories import create_owner, owner_for
from tests.helpers import PASSWORD, Actor, Api


@dataclass
class World:
    api: Api
    app: Any
    actors: dict[Level, Actor]
    owner_entry_id: str
    other_owner_id: str
    spare_user_id: str
    bystander_user_id: str

    @property
    def admin(self) -> Actor:
        return self.actors["admin"]


@dataclass
class Call:
    method: str
    path: str
    json: Any = None
    data: dict[str, str] | None = None
    headers: dict[str, str] | None = None  # instead of the caller's own
    files: dict[str, Any] | None = None  # a multipart body
    extra: dict[str, Any] = field(default_factory=dict)


async def build_world(api: Api, app: Any) -> World:
    admin = await api.sign_up_firm()
    owner, editor, viewer, none = [await api.add_staff(admin) for _ in range(4)]
    other = await api.sign_up_firm("Elsewhere Audit")
    spare = await api.create_user(admin, name="Spare")
    bystander = await api.create_user(admin, name="Bystander")
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
        },
        owner_entry_id=(await owner_for(api, admin, owner))["id"],
        other_owner_id=(await create_owner(api, admin, name="Other Owner"))["id"],
        spare_user_id=spare["id"],
        bystander_user_id=bystander["id"],
    )


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
Factory = Callable[[World], Awaitable[str]]


def fixed(method: str, path: str, json: Any = None) -> Recipe:
    async def recipe(w: World, a: Actor) -> Call:
        body = json() if callable(json) else json
        return Call(method, path, json=body)

    return recipe


def on(factory: Factory, method: str, template: str, json: Any = None) -> Recipe:
    """A call on a freshly made object (so destructive calls never share a target)."""

    async def recipe(w: World, a: Actor) -> Call:
        return Call(method, template.format(id=await factory(w)), json=json)

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


async def token(w: World, a: Actor) -> Call:
    return Call("POST", "/v1/auth/token", data={"username": a.email, "password": PASSWORD})


async def logout(w: World, a: Actor) -> Call:
    fresh = await w.api.sign_in(a.email)  # keep the column's own session alive
    return Call("POST", "/v1/auth/logout", headers=fresh.headers)


async def transfer(w: World, a: Actor) -> Call:
    source = await manual_owner(w)
    return Call("POST", f"/v1/owners/{source}/transfer", json={"to_owner_id": w.other_owner_id})


async def create_share(w: World, a: Actor) -> Call:
    return Call("POST", f"/v1/entities/{await entity(w)}/shares", json={"user_id": w.spare_user_id})


async def bulk_share(w: World, a: Actor) -> Call:
    body = {"entity_ids": [await entity(w)], "user_ids": [w.spare_user_id]}
    return Call("POST", "/v1/shares/bulk", json=body)


async def set_owner(w: World, a: Actor) -> Call:
    return Call("PUT", f"/v1/entities/{await entity(w)}/owner", json={"owner_id": w.other_owner_id})


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
        return Call("POST", template.format(id=await factory(w)), files=multipart())

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
            recipient_kind="staff",
            recipient_id=uuid.UUID(a.user_id),
            delivery_id=uuid.uuid4(),
            event_id=event.id,
            type=event.type,
            title="Firm updated",
        )
        session.add(notification)
        await session.commit()
    return Call("POST", f"/v1/notifications/{notification.id}/read")


def signup_body() -> dict[str, str]:
    return {
        "firm_name": "New",
        "admin_name": "N",
        "admin_email": f"n-{_unique()}@example.com",
        "admin_password": PASSWORD,
    }


RECIPES: dict[str, Recipe] = {
    "openapi": fixed("GET", "/openapi.json"),
    "swagger_ui_html": fixed("GET", "/docs"),
    "swagger_ui_redirect": fixed("GET", "/docs/oauth2-redirect"),
    "redoc_html": fixed("GET", "/redoc"),
    "health_live": fixed("GET", "/healthz"),
    "health_ready": fixed("GET", "/readyz"),
    "auth_token": token,
    "auth_logout": logout,
    "me_get": fixed("GET", "/v1/me"),
    "firms_sign_up": fixed("POST", "/v1/firms", signup_body),
    "firm_get": fixed("GET", "/v1/firm"),
    "firm_update": fixed("PATCH", "/v1/firm", {"detailed_notifications_enabled": False}),
    "offices_list": fixed("GET", "/v1/offices"),
    "offices_create": fixed("POST", "/v1/offices", lambda: {"name": f"O {_unique()}"}),
    "offices_get": on(office, "GET", "/v1/offices/{id}"),
    "offices_update": on(office, "PATCH", "/v1/offices/{id}", {"address": "Main St 1"}),
    "offices_delete": on(office, "DELETE", "/v1/offices/{id}"),
    "users_list": fixed("GET", "/v1/users"),
    "users_create": fixed(
        "POST",
        "/v1/users",
        lambda: {"email": f"u-{_unique()}@example.com", "name": "U", "password": PASSWORD},
    ),
    "users_get": on(user, "GET", "/v1/users/{id}"),
    "users_update": on(user, "PATCH", "/v1/users/{id}", {"name": "Renamed"}),
    "users_deactivate": on(user, "POST", "/v1/users/{id}/deactivate"),
    "users_reactivate": on(user, "POST", "/v1/users/{id}/reactivate"),
    "users_delete": on(user, "DELETE", "/v1/users/{id}"),
    "owners_list": fixed("GET", "/v1/owners"),
    "owners_create": fixed("POST", "/v1/owners", lambda: {"name": f"Owner {_unique()}"}),
    "owners_get": on(manual_owner, "GET", "/v1/owners/{id}"),
    "owners_update": on(manual_owner, "PATCH", "/v1/owners/{id}", {"name": "Renamed"}),
    "owners_delete": on(manual_owner, "DELETE", "/v1/owners/{id}"),
    "owners_transfer": transfer,
    "entities_list": fixed("GET", "/v1/entities"),
    "entities_create": fixed("POST", "/v1/entities", {"name": "Created"}),
    "entities_get": on(entity, "GET", "/v1/entities/{id}"),
    "entities_update": on(entity, "PATCH", "/v1/entities/{id}", {"notes": "n"}),
    "entities_delete": on(entity, "DELETE", "/v1/entities/{id}"),
    "entities_set_owner": set_owner,
    "shares_list": on(entity, "GET", "/v1/entities/{id}/shares"),
    "shares_get": on(share, "GET", "/v1/entities/{id}"),
    "shares_create": create_share,
    "shares_update": on(share, "PATCH", "/v1/entities/{id}", {"role": "editor"}),
    "shares_delete": on(share, "DELETE", "/v1/entities/{id}"),
    "shares_list_firm": fixed("GET", "/v1/shares"),
    "shares_bulk_create": bulk_share,
    "entities_activity": on(entity, "GET", "/v1/entities/{id}/activity"),
    "files_list": on(entity, "GET", "/v1/entities/{id}/files"),
    "files_upload": upload_to(entity, "/v1/entities/{id}/files"),
    "files_get": on(stored_file, "GET", "/v1/files/{id}"),
    "files_download": on(stored_file, "GET", "/v1/files/{id}/content"),
    "files_versions_list": on(stored_file, "GET", "/v1/files/{id}/versions"),
    "files_versions_get": on(stored_file, "GET", "/v1/files/{id}/versions/1"),
    "files_versions_create": upload_to(stored_file, "/v1/files/{id}/versions"),
    "files_delete": on(stored_file, "DELETE", "/v1/files/{id}"),
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


def test_matrix_rows_are_consistent() -> None:
    for action, rule in RULES.items():
        if rule.scope == "entity":
            assert (rule.outcomes["none"], rule.outcomes["other_firm"]) == ("404", "404"), action
            assert rule.outcomes["admin"] == "ok", action
        if rule.scope == "firm":
            staff = {rule.outcomes[level] for level in ("owner", "editor", "viewer", "none")}
            assert len(staff) == 1, f"{action}: the staff columns of a firm action must agree"
        if rule.scope in ("public", "signed_in"):
            assert set(rule.outcomes.values()) == {"ok"}, action
    assert set(ROUTE_ACTIONS.values()) <= set(RULES), "a route names an unknown action"


def _matches(expected: str, status: int) -> bool:
    if expected == "ok":
        return 200 <= status < 300
    return status == int(expected)


async def test_every_route_answers_every_level_as_the_matrix_says(api: Api, app: Any) -> None:
    keys = route_keys(app)
    assert len(keys) == len(set(keys)), "operation ids must be unique"
    unclassified = sorted(set(keys) - set(ROUTE_ACTIONS))
    assert not unclassified, f"routes missing from access.matrix.ROUTE_ACTIONS: {unclassified}"
    stale = sorted(set(ROUTE_ACTIONS) - set(keys))
    assert not stale, f"ROUTE_ACTIONS names routes that do not exist: {stale}"
    no_recipe = sorted(set(keys) - set(RECIPES))
    assert not no_recipe, f"routes without a request recipe in this test: {no_recipe}"

    w = await build_world(api, app)
    mismatches = []
    calls = 0
    for key in keys:
        rule = RULES[ROUTE_ACTIONS[key]]
        for level in LEVELS:
            actor = w.actors[level]
            call = await RECIPES[key](w, actor)
            response = await api.client.request(
                call.method,
                call.path,
                json=call.json,
                data=call.data,
                files=call.files,
                headers=call.headers or actor.headers,
            )
            calls += 1
            expected = rule.outcomes[level]
            if not _matches(expected, response.status_code):
                mismatches.append(
                    f"{key} as {level}: expected {expected}, got {response.status_code} "
                    f"{response.text[:120]}"
                )
        if rule.scope not in ("public",):
            call = await RECIPES[key](w, w.admin)
            anonymous = await api.client.request(
                call.method, call.path, json=call.json, data=call.data, files=call.files
            )
            if anonymous.status_code != 401:
                mismatches.append(f"{key} without a token: got {anonymous.status_code}")
    assert not mismatches, "\n".join(mismatches)
    assert calls == len(keys) * len(LEVELS)
