"""Sample events for ``practice-api email-preview EVENT_TYPE``: any type's e-mail rendered
without a database, from a payload built out of its catalogue model (with user-written
values that need escaping, so the HTML part shows it does)."""

from __future__ import annotations

import datetime as dt
import types
import uuid
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel

from practice_api.events import catalogue, render
from practice_api.events.mail import compose
from practice_api.events.models import Event
from practice_api.settings import Settings

FIRM_ID = uuid.UUID("00000000-0000-4000-8000-000000000001")
ENTITY_ID = uuid.UUID("00000000-0000-4000-8000-000000000002")
SUBJECT_ID = uuid.UUID("00000000-0000-4000-8000-000000000003")
READER_ID = uuid.UUID("00000000-0000-4000-8000-000000000004")
OTHER_ID = uuid.UUID("00000000-0000-4000-8000-000000000005")
FIRM_NAME = "Acme Audit & Partners"
CLIENT_NAME = "Bergmann & Söhne <GmbH>"

_TEXT: dict[str, str] = {
    "name": CLIENT_NAME,
    "file_name": "bank-confirmation <2025>.pdf",
    "subject": "Year-end closing & <questions>",
    "title": "Year-end documents <2025>",
    "email": "sam.staff@example.com",
    "role": "viewer",
    "user_name": "Sam Staff",
    "contact_name": "Clara Client",
    "excerpt": 'Here are the "final" figures <see attached>',
    "reason": "transfer",
    "content_type": "application/pdf",
    "sha256": "0" * 64,
    "url": "https://crm.example.com/hooks",
    "author_kind": "contact",
    "portal_status": "active",
    "kind": "company",
}


def _value(name: str, annotation: Any) -> Any:
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        options = [a for a in get_args(annotation) if a is not type(None)]
        return _value(name, options[0]) if options else None
    if origin is Literal:
        return get_args(annotation)[0]
    if origin in (list, tuple, set, frozenset):
        return []
    if origin is dict:
        return {}
    if isinstance(annotation, type):
        if issubclass(annotation, BaseModel):
            return sample_payload(annotation)
        if issubclass(annotation, bool):
            return True
        if issubclass(annotation, int):
            return 2
        if issubclass(annotation, uuid.UUID):
            return str(OTHER_ID)
        if issubclass(annotation, str):
            return _TEXT.get(name, f"Sample {name.replace('_', ' ')}")
    return None


def sample_payload(model: type[BaseModel]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        key = info.alias or name
        if name in ("user_id",):
            values[key] = str(READER_ID)
            continue
        values[key] = _value(name, info.annotation)
    return values


def _ref(name: str, user_id: uuid.UUID | None) -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), "name": name, "user_id": str(user_id) if user_id else None}


def sample_event(type_name: str) -> Event:
    spec = catalogue.get(type_name)
    if spec is None:
        raise KeyError(type_name)
    payload = sample_payload(spec.payload)
    if "old" in payload and "new" in payload:  # an owner change: the reader is the new owner
        payload["old"] = _ref("Olga Owner", OTHER_ID)
        payload["new"] = _ref("Sam Staff", READER_ID)
    if "changes" in payload:
        payload["changes"] = {"name": {"old": "Bergmann KG", "new": CLIENT_NAME}}
    entity_id: uuid.UUID | None = ENTITY_ID
    if isinstance(payload.get("items"), list):  # a bulk summary: several clients
        names = [CLIENT_NAME, "Müller <Holding>", "Smith & Co"]
        payload["items"] = [
            {"name": n, "entity_id": str(uuid.uuid4()), "side": "to", "detail": "from Olga <Owner>"}
            for n in names
        ]
        payload["count"] = 5
        payload["summary"] = "Alice <Admin> gave you 5 clients"
        entity_id = None
    return Event(
        id=uuid.uuid4(),
        firm_id=FIRM_ID,
        type=type_name,
        entity_id=entity_id,
        actor_kind="staff",
        actor_id=OTHER_ID,
        actor_name="Alice <Admin>",
        subject_type="file" if type_name.startswith("file.") else "entity",
        subject_id=SUBJECT_ID,
        payload=payload,
        occurred_at=dt.datetime(2026, 11, 25, 9, 30, tzinfo=dt.UTC),
    )


def preview(
    type_name: str,
    settings: Settings,
    *,
    audience: Literal["staff", "contact", "share"] = "staff",
) -> render.Rendered:
    event = sample_event(type_name)
    reader = render.Reader(
        "contact" if audience == "contact" else "staff",
        READER_ID,
        "Sam Staff" if audience != "contact" else "Clara Client",
        "share" if audience == "share" else None,
    )
    return render.render(
        event,
        reader,
        firm_name=FIRM_NAME,
        client=CLIENT_NAME if event.entity_id else None,
        settings=settings,
        time_zone="Europe/Berlin",
    )


def preview_message(
    type_name: str,
    settings: Settings,
    *,
    audience: Literal["staff", "contact", "share"] = "staff",
) -> str:
    message = preview(type_name, settings, audience=audience)
    email = compose(
        sender=settings.mail_from,
        sender_name=FIRM_NAME,
        to_name="Sam Staff",
        to_address="sam.staff@example.com",
        subject=message.subject,
        body=message.text,
        html=message.html,
        unsubscribe=message.unsubscribe,
        delivery_id=uuid.UUID(int=0),
        sent_at=dt.datetime(2026, 11, 25, 9, 30, tzinfo=dt.UTC),
    )
    return email.as_string()
