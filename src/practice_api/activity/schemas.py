from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from pydantic import Field

from practice_api.core.pagination import Page
from practice_api.core.schemas import ReadModel
from practice_api.events.schemas import EventActor, EventSubject


class ActivityRead(ReadModel):
    id: uuid.UUID = Field(description="The event id.")
    type: str = Field(description="The event type (see the event catalogue).")
    summary: str = Field(description="One line for people, e.g. 'Alice changed the client X'.")
    occurred_at: dt.datetime
    actor: EventActor
    entity_id: uuid.UUID | None
    subject: EventSubject | None
    payload: dict[str, Any] = Field(
        description="The event's payload; updates carry `changes` (field -> old, new)."
    )


class ActivityPage(Page[ActivityRead]):
    pass
