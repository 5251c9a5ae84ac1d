from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from pydantic import Field

from practice_api.core.pagination import Page
from practice_api.core.schemas import InputModel, ReadModel

PersonalChannel = Literal["in_app", "email"]


class NotificationRead(ReadModel):
    id: uuid.UUID
    type: str = Field(description="The event type (see the event catalogue).")
    title: str
    body: str
    entity_id: uuid.UUID | None
    event_id: uuid.UUID
    created_at: dt.datetime
    read_at: dt.datetime | None


class NotificationPage(Page[NotificationRead]):
    pass


class UnreadCount(ReadModel):
    unread: int


class ReadAllResult(ReadModel):
    marked_read: int = Field(description="How many notifications were unread and now are read.")


class PreferenceRead(ReadModel):
    event_type: str
    description: str
    channel: PersonalChannel
    enabled: bool
    is_default: bool = Field(description="True when no choice was made and the default applies.")


class PreferencesRead(ReadModel):
    items: list[PreferenceRead]


class PreferenceChoice(InputModel):
    event_type: str = Field(max_length=100)
    channel: PersonalChannel
    enabled: bool


class PreferencesReplace(InputModel):
    """The complete set of choices: any type x channel not listed goes back to its default."""

    preferences: list[PreferenceChoice] = Field(max_length=500)
