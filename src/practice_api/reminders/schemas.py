from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field, StrictInt

from practice_api.core.schemas import InputModel

OFFSETS_DESCRIPTION = (
    "Days relative to the due date, in the firm's time zone: `-3` is three days before, "
    "`0` the due date, `7` a week after."
)

Offsets = list[int]


class ReminderSettingsRead(BaseModel):
    """The firm's default reminder schedule."""

    enabled: bool = Field(description="Send automatic reminders at all.")
    offsets: list[int] = Field(description=OFFSETS_DESCRIPTION, examples=[[-3, -1, 0, 3, 7]])
    every_days: int = Field(description="For subjects without a due date: every N days.")


class ReminderSettingsUpdate(InputModel):
    enabled: bool = True
    offsets: list[StrictInt] = Field(
        min_length=0, max_length=20, description=OFFSETS_DESCRIPTION, examples=[[-3, -1, 0, 3, 7]]
    )
    every_days: int = Field(ge=1, le=365)


class ReminderOverride(InputModel):
    """A subject's own schedule; absent fields follow the firm's default."""

    enabled: bool = Field(default=True, description="`false`: no automatic reminders for it.")
    offsets: list[StrictInt] | None = Field(
        default=None, max_length=20, description=OFFSETS_DESCRIPTION + " Default: the firm's."
    )
    every_days: int | None = Field(
        default=None, ge=1, le=365, description="Without a due date: every N days."
    )


class ReminderState(BaseModel):
    """A subject's reminders as they stand."""

    enabled: bool
    offsets: list[int] | None = Field(description="The subject's own offsets; null: the firm's.")
    every_days: int | None = Field(description="The subject's own interval; null: the firm's.")
    active: bool = Field(description="False once nothing waits (submitted, completed, cancelled).")
    last_sent_on: dt.date | None = Field(description="The last automatic slot sent.")
    next_on: dt.date | None = Field(description="The next automatic slot (firm-local date).")
    last_manual_at: dt.datetime | None = Field(description="The last `POST .../remind`.")
