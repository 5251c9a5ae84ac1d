"""Contact-facing read models: fewer fields than the staff models, never staff-only ones
(internal notes, tax ids, owner details beyond a name, other contacts' e-mails outside the
contact's own groups)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from pydantic import BaseModel, EmailStr, Field

from practice_api.core.pagination import Page
from practice_api.core.schemas import InputModel
from practice_api.discussions.schemas import AttachmentRead
from practice_api.users.schemas import PasswordField

PortalRole = Literal["viewer", "contributor"]


class PortalMe(BaseModel):
    id: uuid.UUID
    firm_id: uuid.UUID
    firm_name: str
    name: str
    email: str
    phone: str | None


class PortalEntity(BaseModel):
    id: uuid.UUID
    name: str
    kind: str
    role: PortalRole = Field(
        description="`viewer`: see and comment; `contributor`: also upload and answer requests."
    )
    responsible_name: str | None = Field(description="The firm's responsible for this client.")


class PortalEntityPage(Page[PortalEntity]):
    pass


class PortalPerson(BaseModel):
    name: str
    email: str


class PortalGroup(BaseModel):
    id: uuid.UUID
    name: str
    members: list[PortalPerson] = Field(description="The other people in this group.")


class PortalDiscussion(BaseModel):
    id: uuid.UUID
    entity_id: uuid.UUID
    subject: str
    body: str = Field(description="Plain text; never render it as HTML.")
    groups: list[PortalGroup] = Field(description="The caller's groups it is shared with.")
    created_by_name: str
    last_comment_at: dt.datetime | None
    attachments: list[AttachmentRead] = Field(
        default_factory=list,
        description="Files attached to the discussion; download them at `content_url`.",
    )
    created_at: dt.datetime
    updated_at: dt.datetime


class PortalDiscussionPage(Page[PortalDiscussion]):
    pass


class PortalComment(BaseModel):
    id: uuid.UUID
    discussion_id: uuid.UUID
    author_kind: Literal["staff", "contact"]
    author_name: str
    mine: bool = Field(description="Written by the caller.")
    body: str = Field(description="Plain text; never render it as HTML.")
    attachments: list[AttachmentRead] = Field(
        default_factory=list,
        description="Files attached to the comment; download them at `content_url`.",
    )
    created_at: dt.datetime


class PortalCommentPage(Page[PortalComment]):
    pass


class Activation(InputModel):
    token: str = Field(min_length=10, max_length=200, description="The secret from the link.")
    password: PasswordField


class ResetRequest(InputModel):
    email: EmailStr
    firm_id: uuid.UUID | None = Field(
        default=None, description="Only that firm's portal (when the e-mail is known at several)."
    )


class PasswordReset(InputModel):
    token: str = Field(min_length=10, max_length=200, description="The secret from the link.")
    password: PasswordField


class PortalFile(BaseModel):
    """A file shared with the contact: the current version only, no staff ids or versions."""

    id: uuid.UUID
    entity_id: uuid.UUID
    name: str
    content_type: str = Field(description="Sniffed from the bytes, not taken from the client.")
    size: int = Field(description="Bytes.")
    sha256: str = Field(description="Hex SHA-256 of the content; also the download's ETag.")
    uploaded_by_kind: Literal["staff", "contact", "guest"]
    uploaded_by_name: str
    mine: bool = Field(description="Uploaded by the caller.")
    created_at: dt.datetime = Field(description="When the file was first uploaded.")
    updated_at: dt.datetime = Field(description="When its current version was uploaded.")
    content_url: str = Field(description="Where to download it.")


class PortalFilePage(Page[PortalFile]):
    pass
