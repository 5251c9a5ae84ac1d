from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from pydantic import BaseModel, Field

from practice_api.core.pagination import Page
from practice_api.core.schemas import InputModel, PatchModel, ReadModel
from practice_api.shares.models import Share

ShareRole = Literal["viewer", "editor"]
Notification = Literal["response_received", "file_uploaded", "request_completed"]

ROLE_DESCRIPTION = (
    "`viewer`: sees the entity, the status of its requests and tasks, downloads completed "
    "responses and files; cannot add or authorize contacts or initiate requests. `editor`: "
    "may also manage contacts and initiate requests, but not change the owner or shares."
)


class ShareRead(ReadModel):
    id: uuid.UUID
    entity_id: uuid.UUID
    user_id: uuid.UUID
    user_name: str
    role: ShareRole
    notifications: list[Notification] = Field(
        description="What the shared user is told about for this entity (in-app and e-mail)."
    )
    shared_by_id: uuid.UUID | None
    created_at: dt.datetime
    updated_at: dt.datetime

    @classmethod
    def build(cls, share: Share) -> ShareRead:
        return cls(
            id=share.id,
            entity_id=share.entity_id,
            user_id=share.user_id,
            user_name=share.user.name,
            role=share.role,
            notifications=list(share.notifications),
            shared_by_id=share.shared_by_id,
            created_at=share.created_at,
            updated_at=share.updated_at,
        )


class SharePage(Page[ShareRead]):
    pass


Notifications = list[Notification]


NOTIFICATIONS_DESCRIPTION = (
    "What the shared user is told about for this entity, in-app and by e-mail (their e-mail "
    "frequency, immediately or daily digest, applies). `file_uploaded`: a file or a new "
    "version was uploaded. `response_received`: a contact sent a file for a file request, or "
    "a client request's answers were submitted. `request_completed`: a file request or a "
    "client request was completed."
)


class ShareCreate(InputModel):
    user_id: uuid.UUID = Field(description="A staff user of the firm, in any office.")
    role: ShareRole = Field(default="viewer", description=ROLE_DESCRIPTION)
    notifications: Notifications = Field(
        default_factory=list, max_length=10, description=NOTIFICATIONS_DESCRIPTION
    )


class ShareUpdate(PatchModel):
    """The responsible and admins change anything; the shared user only `notifications`."""

    role: ShareRole | None = Field(default=None, description=ROLE_DESCRIPTION)
    notifications: Notifications | None = Field(
        default=None, max_length=10, description=NOTIFICATIONS_DESCRIPTION
    )


class BulkShare(InputModel):
    entity_ids: list[uuid.UUID] = Field(min_length=1, max_length=500)
    user_ids: list[uuid.UUID] = Field(min_length=1, max_length=100)
    role: ShareRole = Field(default="viewer", description=ROLE_DESCRIPTION)
    notifications: Notifications = Field(
        default_factory=list, max_length=10, description=NOTIFICATIONS_DESCRIPTION
    )


class BulkShareResult(BaseModel):
    created: int = Field(description="New shares.")
    updated: int = Field(description="Existing shares whose role or notifications changed.")
    unchanged: int = Field(description="Existing shares already as asked (a repeated call).")
    skipped_responsible: int = Field(
        description="Pairs skipped because the user is the entity's responsible."
    )
