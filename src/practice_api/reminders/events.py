"""The reminder e-mail: one event per digest, addressed by the reminders service itself."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

from pydantic import BaseModel, Field

from practice_api.events.catalogue import EventType, Payload, text
from practice_api.events.links import register_link_kind
from practice_api.events.registry import EventRegistry
from practice_api.events.render import add_template_dir


class DigestItem(BaseModel):
    subject_kind: str = Field(description="e.g. `file_request`")
    subject_id: uuid.UUID
    subject_title: str
    item_title: str
    status: str = "open"
    due_date: dt.date | None = None
    path: str = Field(description="The page under the portal link.")


class ReminderSent(Payload):
    recipient_kind: str
    recipient_id: uuid.UUID
    recipient_name: str | None = None
    manual: bool = Field(default=False, description="Sent with POST .../remind.")
    slot: dt.date | None = Field(default=None, description="The firm-local day of the slot.")
    count: int = Field(default=0, description="How many open items.")
    open_items: list[DigestItem] = Field(default_factory=list, description="Every open item.")


REMINDER_SENT = EventType(
    "reminder.sent",
    "A reminder e-mail went to a recipient, listing all their open items (at most one a day "
    "from the schedule; staff may send one now with POST .../remind).",
    ReminderSent,
    text("Reminder: {count} open item(s) for {recipient_name}"),
    fan_out=False,
    audience_text="the reminded recipient only (e-mail)",
    link="todo",
)


class ReminderSettingsUpdated(Payload):
    model_config = {"extra": "allow"}

    enabled: bool
    offsets: list[int]
    every_days: int


SETTINGS_UPDATED = EventType(
    "reminder_settings.updated",
    "An admin changed the firm's default reminder schedule.",
    ReminderSettingsUpdated,
    text("{actor} changed the firm's reminder schedule"),
)


def register(events: EventRegistry) -> None:
    events.event_types([REMINDER_SENT, SETTINGS_UPDATED])
    # The reminder links to the portal's home, where everything waiting for the contact shows.
    register_link_kind("todo", staff=None, portal="/")
    add_template_dir(Path(__file__).parent / "templates")
