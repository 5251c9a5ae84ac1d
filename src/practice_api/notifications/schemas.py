from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from pydantic import Field

from practice_api.core.pagination import Page
from practice_api.core.schemas import InputModel, ReadModel

PersonalChannel = Literal["in_app", "email"]
Frequency = Literal["immediately", "daily_digest"]
FREQUENCY_DESCRIPTION = (
    "E-mail only: `immediately` (one e-mail per event) or `daily_digest` (one e-mail a day "
    "at the firm's digest hour, listing them all). `enabled: false` is off; in-app is not "
    "affected."
)


class NotificationRead(ReadModel):
    id: uuid.UUID
    type: str = Field(description="The event type (see the event catalogue).")
    title: str = Field(
        description="One line naming the client (and the file, request or task) and what "
        "happened, as the e-mail's first line."
    )
    body: str
    entity_id: uuid.UUID | None = Field(description="The client it is about.")
    subject_type: str | None = Field(
        default=None, description="What it concerns inside the client: file, share, ..."
    )
    subject_id: uuid.UUID | None = None
    link: str | None = Field(
        default=None,
        description="The frontend page that shows it (PRACTICE_APP_LINK_URL for staff, the "
        "portal URL for contacts); never an API route.",
    )
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
    frequency: Frequency | None = Field(
        default=None, description=FREQUENCY_DESCRIPTION + " Null for in_app."
    )
    is_default: bool = Field(description="True when no choice was made and the default applies.")


class PreferencesRead(ReadModel):
    items: list[PreferenceRead]


class PreferenceChoice(InputModel):
    event_type: str = Field(max_length=100)
    channel: PersonalChannel
    enabled: bool
    frequency: Frequency | None = Field(
        default=None, description=FREQUENCY_DESCRIPTION + " Absent: `immediately`."
    )


class PreferencesReplace(InputModel):
    """The complete set of choices: any type x channel not listed goes back to its default."""

    preferences: list[PreferenceChoice] = Field(max_length=500)
