from __future__ import annotations

import datetime as dt
import uuid

from pydantic import EmailStr, Field

from practice_api.core.schemas import InputModel, PatchModel, ReadModel
from practice_api.users.schemas import PasswordField, UserRead


class FirmRead(ReadModel):
    id: uuid.UUID
    name: str
    client_ownership_enabled: bool = Field(
        description="When on, every entity must have a client owner."
    )
    detailed_notifications_enabled: bool = Field(
        description="When on, file requests may carry an additional message."
    )
    created_at: dt.datetime
    updated_at: dt.datetime


class FirmUpdate(PatchModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    client_ownership_enabled: bool | None = None
    detailed_notifications_enabled: bool | None = None


class FirmSignup(InputModel):
    firm_name: str = Field(min_length=1, max_length=200)
    admin_name: str = Field(min_length=1, max_length=200)
    admin_email: EmailStr
    admin_password: PasswordField


class FirmSignupResult(ReadModel):
    firm: FirmRead
    admin: UserRead
