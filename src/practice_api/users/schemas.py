from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

from fastapi import Query
from pydantic import EmailStr, Field

from practice_api.core.pagination import Page
from practice_api.core.schemas import InputModel, PatchModel, ReadModel

Role = Literal["admin", "staff"]
PasswordField = Annotated[str, Field(min_length=8, max_length=128)]

# Removing a user who is on the owner list, or an owner: where their entities go
# (``DELETE /v1/users/{id}`` and ``DELETE /v1/owners/{id}`` take the same two parameters).
TransferTo = Annotated[
    uuid.UUID | None,
    Query(description="Move the entities of the removed owner to this owner."),
]
TransferNone = Annotated[
    Literal["none"] | None,
    Query(description="`none`: leave the entities unowned."),
]


class UserRead(ReadModel):
    id: uuid.UUID
    email: str
    name: str
    role: Role
    office_id: uuid.UUID | None
    is_active: bool
    last_login_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime


class UserPage(Page[UserRead]):
    pass


class UserCreate(InputModel):
    email: EmailStr
    name: str = Field(min_length=1, max_length=200)
    role: Role = "staff"
    office_id: uuid.UUID | None = None
    password: PasswordField


class UserUpdate(PatchModel):
    nullable_fields = frozenset({"office_id"})

    email: EmailStr | None = None
    name: str | None = Field(default=None, min_length=1, max_length=200)
    role: Role | None = None
    office_id: uuid.UUID | None = None
    password: PasswordField | None = None
    current_password: str | None = Field(
        default=None,
        max_length=128,
        description="Your current password: required to change your own `email` or "
        "`password` (not another user's).",
    )
