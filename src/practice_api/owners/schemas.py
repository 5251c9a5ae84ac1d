from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, model_validator

from practice_api.core.pagination import Page
from practice_api.core.schemas import InputModel, PatchModel, ReadModel
from practice_api.owners.models import Owner

OwnerKind = Literal["user", "manual"]


class OwnerRead(ReadModel):
    id: uuid.UUID
    kind: OwnerKind = Field(description="`user`: a staff user; `manual`: a named person.")
    name: str
    email: str | None
    user_id: uuid.UUID | None
    active: bool = Field(
        default=True,
        description="False for a deactivated staff user: still shown with the clients they "
        "own, but not choosable as the owner of a client (422 `owner_inactive`).",
    )
    entity_count: int = Field(description="How many entities this owner owns.")
    created_at: dt.datetime
    updated_at: dt.datetime

    @classmethod
    def build(cls, owner: Owner, entity_count: int) -> OwnerRead:
        return cls(
            id=owner.id,
            kind="user" if owner.user_id is not None else "manual",
            name=owner.display_name,
            email=owner.display_email,
            user_id=owner.user_id,
            active=owner.user is None or owner.user.is_active,
            entity_count=entity_count,
            created_at=owner.created_at,
            updated_at=owner.updated_at,
        )


class OwnerPage(Page[OwnerRead]):
    pass


class OwnerCreate(InputModel):
    """Either `user_id` (a staff user; their name is used) or `name` (and optional `email`).

    A manual entry whose e-mail belongs to a staff user of the firm is linked to that user.
    """

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"name": "Jonas Weber", "email": "jonas.weber@example.com"}]
        }
    )

    user_id: uuid.UUID | None = None
    name: str | None = Field(default=None, min_length=1, max_length=200)
    email: EmailStr | None = None

    @model_validator(mode="after")
    def _user_or_name(self) -> OwnerCreate:
        if (self.user_id is None) == (self.name is None):
            raise ValueError("give either user_id or name")
        if self.user_id is not None and self.email is not None:
            raise ValueError("email comes from the user; give user_id alone")
        return self


class OwnerUpdate(PatchModel):
    """Rename a manual entry; entries linked to a user follow the user's own name."""

    nullable_fields = frozenset({"email"})

    name: str | None = Field(default=None, min_length=1, max_length=200)
    email: EmailStr | None = None


class OwnerTransfer(InputModel):
    to_owner_id: uuid.UUID = Field(description="The owner receiving the entities.")
    entity_ids: list[uuid.UUID] | None = Field(
        default=None,
        min_length=1,
        max_length=10_000,
        description="Only these entities (all must be owned by this owner); all when absent.",
    )


class HandoverGroup(InputModel):
    entity_ids: list[uuid.UUID] = Field(
        min_length=1,
        max_length=2_000,
        description="Entities of the leaving owner (more for one owner: several groups).",
    )
    to_owner_id: uuid.UUID | None = Field(
        description="The owner receiving this group; null leaves the group unowned."
    )


class OwnerHandover(InputModel):
    """The leaver's clients divided among several owners, in one all-or-nothing call."""

    # Bounded so the largest body stays under the request body limit (1 MiB).
    groups: list[HandoverGroup] = Field(min_length=1, max_length=10)


class HandoverGroupResult(BaseModel):
    to_owner_id: uuid.UUID | None
    moved: int


class HandoverResult(BaseModel):
    from_owner_id: uuid.UUID
    moved: int = Field(description="How many entities changed owner in all.")
    groups: list[HandoverGroupResult]


class TransferResult(BaseModel):
    from_owner_id: uuid.UUID
    to_owner_id: uuid.UUID | None
    moved: int = Field(description="How many entities changed owner.")
