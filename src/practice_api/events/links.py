"""Links in notifications: frontend pages, never API routes.

Every notification links to the page of what it is about. A *link kind* names a kind of
page (``entity``, ``file``, ``discussion``, ...) with one path template for staff (under
``PRACTICE_APP_LINK_URL``) and one for contacts (under the portal URL,
``PRACTICE_PORTAL_LINK_URL``). Deployments move pages with ``PRACTICE_APP_LINK_PATHS`` /
``PRACTICE_PORTAL_LINK_PATHS`` (JSON objects, kind -> path template).

Templates use ``{entity_id}``, ``{subject_id}``, ``{event_id}`` and any top-level payload
field (``{discussion_id}``, ``{file_request_id}``, ...). A kind without a page for the
audience, or whose values are missing, falls back to the client's page, then to the home.

A new domain registers its kinds (``register_link_kind``) and names one on each event type
(``EventType(..., link="file_request")``); see docs/events.md.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import quote

from practice_api.settings import Settings

Audience = Literal["staff", "contact"]


@dataclass(frozen=True)
class LinkKind:
    name: str
    staff: str | None
    portal: str | None


_KINDS: dict[str, LinkKind] = {}


def register_link_kind(name: str, *, staff: str | None, portal: str | None = None) -> LinkKind:
    """Add (or replace) a kind of page; ``None``: that side has no such page."""
    kind = LinkKind(name, staff, portal)
    _KINDS[name] = kind
    return kind


def link_kinds() -> Mapping[str, LinkKind]:
    return _KINDS


for _name, _staff, _portal in (
    ("home", "/", "/"),
    ("entity", "/clients/{entity_id}", "/clients/{entity_id}"),
    ("entities", "/clients", "/"),
    ("entities_of_owner", "/clients?owner_id={owner_id}", None),
    ("file", "/clients/{entity_id}/files/{subject_id}", "/clients/{entity_id}/files/{subject_id}"),
    (
        "discussion",
        "/clients/{entity_id}/discussions/{discussion_id}",
        "/clients/{entity_id}/discussions/{discussion_id}",
    ),
    ("share", "/clients/{entity_id}/sharing", None),
    ("owner", "/owners/{subject_id}", None),
    ("user", "/users/{subject_id}", None),
    ("profile", "/profile", "/profile"),
    ("firm", "/settings/firm", None),
    # where a recipient changes what they receive (the e-mail footer, List-Unsubscribe)
    ("preferences", "/settings/notifications", "/settings/notifications"),
    ("share_preferences", "/clients/{entity_id}/sharing/mine", None),
    ("digest", "/notifications", "/notifications"),
):
    register_link_kind(_name, staff=_staff, portal=_portal)


class _Strict(dict[str, str]):
    def __missing__(self, key: str) -> str:
        raise KeyError(key)


def _values(values: Mapping[str, Any]) -> _Strict:
    out = _Strict()
    for key, value in values.items():
        if value is None or isinstance(value, dict | list):
            continue
        out[key] = quote(str(value), safe="")
    return out


def _template(settings: Settings, kind: str, audience: Audience) -> str | None:
    overrides = settings.portal_link_paths if audience == "contact" else settings.app_link_paths
    if kind in overrides:
        return overrides[kind]
    spec = _KINDS.get(kind)
    if spec is None:
        return None
    return spec.portal if audience == "contact" else spec.staff


def build_link(
    settings: Settings, kind: str | None, audience: Audience, values: Mapping[str, Any]
) -> str:
    """The frontend URL of ``kind`` for ``audience``, falling back to the client's page, then
    to the home page."""
    base = settings.portal_base_url if audience == "contact" else settings.app_base_url
    filled = _values(values)
    for candidate in (kind, "entity", "home"):
        if candidate is None:
            continue
        template = _template(settings, candidate, audience)
        if template is None:
            continue
        try:
            path = template.format_map(filled)
        except (KeyError, IndexError, ValueError):
            continue
        if path.startswith(("http://", "https://")):
            return path
        return base + "/" + path.lstrip("/") if path != "/" else base + "/"
    return base + "/"


def event_values(
    *,
    entity_id: uuid.UUID | None,
    subject_id: uuid.UUID | None,
    event_id: uuid.UUID | None,
    payload: Mapping[str, Any],
) -> dict[str, Any]:
    values: dict[str, Any] = {k: v for k, v in payload.items() if isinstance(k, str)}
    values.update(entity_id=entity_id, subject_id=subject_id, event_id=event_id)
    return values
