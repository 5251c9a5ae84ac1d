from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from pydantic import BaseModel, Field

from practice_api.core.pagination import Page
from practice_api.core.schemas import InputModel, PatchModel
from practice_api.discussions.models import Discussion, DiscussionComment

BODY_DESCRIPTION = "Plain text; stored and served as is, never rendered as HTML or Markdown."


class GroupRef(BaseModel):
    id: uuid.UUID
    name: str


MAX_ATTACHMENTS = 20
ATTACHMENTS_DESCRIPTION = (
    "Ids of files of the discussion's entity to attach (staff: any file of the entity; "
    "contacts: files they uploaded to it). Any other id answers 422 `attachment_not_allowed` "
    "and nothing is created."
)


class AttachmentRead(BaseModel):
    """A file attached to a discussion or a comment (its current version)."""

    id: uuid.UUID = Field(description="The file's id.")
    name: str
    size: int = Field(description="Bytes.")
    content_type: str
    content_url: str = Field(description="Where the caller downloads it.")


class DiscussionRead(BaseModel):
    id: uuid.UUID
    entity_id: uuid.UUID
    subject: str
    body: str = Field(description=BODY_DESCRIPTION)
    groups: list[GroupRef] = Field(description="The contact groups it is shared with.")
    created_by_id: uuid.UUID | None
    created_by_name: str
    last_comment_at: dt.datetime | None
    attachments: list[AttachmentRead] = Field(
        default_factory=list, description="Files attached to the discussion itself."
    )
    created_at: dt.datetime
    updated_at: dt.datetime

    @classmethod
    def build(
        cls,
        discussion: Discussion,
        groups: list[GroupRef],
        attachments: list[AttachmentRead] | None = None,
    ) -> DiscussionRead:
        return cls(
            id=discussion.id,
            entity_id=discussion.entity_id,
            subject=discussion.subject,
            body=discussion.body,
            groups=groups,
            created_by_id=discussion.created_by_id,
            created_by_name=discussion.created_by_name,
            last_comment_at=discussion.last_comment_at,
            attachments=attachments or [],
            created_at=discussion.created_at,
            updated_at=discussion.updated_at,
        )


class DiscussionPage(Page[DiscussionRead]):
    pass


class DiscussionCreate(InputModel):
    subject: str = Field(min_length=1, max_length=300)
    body: str = Field(min_length=1, max_length=20_000, description=BODY_DESCRIPTION)
    group_ids: list[uuid.UUID] = Field(
        default_factory=list, max_length=50, description="Contact groups of this entity."
    )
    attachments: list[uuid.UUID] = Field(
        default_factory=list, max_length=MAX_ATTACHMENTS, description=ATTACHMENTS_DESCRIPTION
    )


class DiscussionUpdate(PatchModel):
    subject: str | None = Field(default=None, min_length=1, max_length=300)
    body: str | None = Field(default=None, min_length=1, max_length=20_000)
    group_ids: list[uuid.UUID] | None = Field(
        default=None, max_length=50, description="Replaces the set of groups."
    )


class CommentRead(BaseModel):
    id: uuid.UUID
    discussion_id: uuid.UUID
    author_kind: Literal["staff", "contact"]
    author_id: uuid.UUID | None
    author_name: str
    body: str = Field(description=BODY_DESCRIPTION)
    attachments: list[AttachmentRead] = Field(default_factory=list)
    created_at: dt.datetime

    @classmethod
    def build(
        cls, comment: DiscussionComment, attachments: list[AttachmentRead] | None = None
    ) -> CommentRead:
        return cls(
            id=comment.id,
            discussion_id=comment.discussion_id,
            author_kind=comment.author_kind,
            author_id=comment.author_id,
            author_name=comment.author_name,
            body=comment.body,
            attachments=attachments or [],
            created_at=comment.created_at,
        )


class CommentPage(Page[CommentRead]):
    pass


class CommentCreate(InputModel):
    body: str = Field(min_length=1, max_length=20_000, description=BODY_DESCRIPTION)
    attachments: list[uuid.UUID] = Field(
        default_factory=list, max_length=MAX_ATTACHMENTS, description=ATTACHMENTS_DESCRIPTION
    )
