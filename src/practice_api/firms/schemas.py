from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

from pydantic import AfterValidator, EmailStr, Field

from practice_api.core.schemas import InputModel, PatchModel, ReadModel
from practice_api.core.time import is_time_zone
from practice_api.users.schemas import PasswordField, UserRead


def _known_time_zone(value: str) -> str:
    if not is_time_zone(value):
        raise ValueError("must be an IANA time zone name such as Europe/Paris or UTC")
    return value


TimeZoneName = Annotated[
    str,
    Field(min_length=1, max_length=64, examples=["Europe/Paris"]),
    AfterValidator(_known_time_zone),
]


class FirmRead(ReadModel):
    id: uuid.UUID
    name: str
    client_ownership_enabled: bool = Field(
        description="When on, every entity must have a client owner."
    )
    detailed_notifications_enabled: bool = Field(
        description="When on, file requests may carry an additional message."
    )
    time_zone: str = Field(
        description="IANA time zone of the firm (e.g. `Europe/Paris`); every date-only rule "
        "(due dates, what counts as today) is read in it.",
        examples=["Europe/Paris"],
    )
    digest_hour: int = Field(
        description="The hour (0-23, in the firm's time zone) daily digest e-mails go out.",
        examples=[8],
    )
    task_days_ahead: int = Field(
        default=7,
        description="Recurring tasks are generated this many days before their period starts "
        "(in the firm's time zone).",
        examples=[7],
    )
    created_at: dt.datetime
    updated_at: dt.datetime


class FirmUpdate(PatchModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    client_ownership_enabled: bool | None = None
    detailed_notifications_enabled: bool | None = None
    time_zone: TimeZoneName | None = None
    digest_hour: int | None = Field(
        default=None, ge=0, le=23, description="Local hour of the daily digest e-mails."
    )
    task_days_ahead: int | None = Field(default=None, ge=0, le=366)


class FirmSignup(InputModel):
    firm_name: str = Field(min_length=1, max_length=200)
    admin_name: str = Field(min_length=1, max_length=200)
    admin_email: EmailStr
    admin_password: PasswordField


class FirmSignupResult(ReadModel):
    firm: FirmRead
    admin: UserRead
