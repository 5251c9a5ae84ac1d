"""Contacts as staff see them (all fields) and the inputs that change them."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from pydantic import BaseModel, EmailStr, Field

from practice_api.contacts.models import Contact, ContactGroup, EntityContact
from practice_api.core.pagination import Page
from practice_api.core.schemas import InputModel, PatchModel, ReadModel

PortalStatus = Literal["none", "invited", "active", "disabled"]
ContactRole = Literal["viewer", "contributor"]

ROLE_DESCRIPTION = (
    "`viewer`: sees what is shared with them on this entity and comments; `contributor`: "
    "also uploads files and answers requests."
)
STATUS_DESCRIPTION = (
    "`none`: never invited; `invited`: an invitation link is pending; `active`: signed up "
    "(password set); `disabled`: portal access switched off, sessions ended."
)


class ContactRead(ReadModel):
    id: uuid.UUID
    name: str
    email: str
    phone: str | None
    notes: str | None = Field(description="Staff-only; never shown in the portal.")
    portal_status: PortalStatus = Field(description=STATUS_DESCRIPTION)
    invited_at: dt.datetime | None
    activated_at: dt.datetime | None
    last_login_at: dt.datetime | None
    created_by_id: uuid.UUID | None
    created_at: dt.datetime
    updated_at: dt.datetime

    @classmethod
    def build(cls, contact: Contact) -> ContactRead:
        return cls.model_validate(contact)


class ContactPage(Page[ContactRead]):
    pass


class ContactCreate(InputModel):
    name: str = Field(min_length=1, max_length=200)
    email: EmailStr = Field(description="Unique among the firm's contacts (409 otherwise).")
    phone: str | None = Field(default=None, max_length=50)
    notes: str | None = Field(default=None, max_length=10_000, description="Staff-only.")


class ContactUpdate(PatchModel):
    nullable_fields = frozenset({"phone", "notes"})

    name: str | None = Field(default=None, min_length=1, max_length=200)
    email: EmailStr | None = None
    phone: str | None = Field(default=None, max_length=50)
    notes: str | None = Field(default=None, max_length=10_000)


class InvitationRead(BaseModel):
    contact_id: uuid.UUID
    portal_status: PortalStatus
    expires_at: dt.datetime = Field(description="The link stops working at this time.")


class EntityContactRead(ReadModel):
    """A contact's access to an entity."""

    entity_id: uuid.UUID
    contact_id: uuid.UUID
    role: ContactRole = Field(description=ROLE_DESCRIPTION)
    name: str
    email: str
    portal_status: PortalStatus
    granted_by_id: uuid.UUID | None
    created_at: dt.datetime
    updated_at: dt.datetime

    @classmethod
    def build(cls, grant: EntityContact) -> EntityContactRead:
        return cls(
            entity_id=grant.entity_id,
            contact_id=grant.contact_id,
            role=grant.role,
            name=grant.contact.name,
            email=grant.contact.email,
            portal_status=grant.contact.portal_status,
            granted_by_id=grant.granted_by_id,
            created_at=grant.created_at,
            updated_at=grant.updated_at,
        )


class EntityContactPage(Page[EntityContactRead]):
    pass


class EntityContactPut(InputModel):
    role: ContactRole = Field(default="viewer", description=ROLE_DESCRIPTION)


class GroupMember(BaseModel):
    contact_id: uuid.UUID
    name: str
    email: str


class ContactGroupRead(BaseModel):
    id: uuid.UUID
    entity_id: uuid.UUID
    name: str
    description: str | None
    members: list[GroupMember]
    created_at: dt.datetime
    updated_at: dt.datetime

    @classmethod
    def build(cls, group: ContactGroup, members: list[Contact]) -> ContactGroupRead:
        return cls(
            id=group.id,
            entity_id=group.entity_id,
            name=group.name,
            description=group.description,
            members=[GroupMember(contact_id=c.id, name=c.name, email=c.email) for c in members],
            created_at=group.created_at,
            updated_at=group.updated_at,
        )


class ContactGroupPage(Page[ContactGroupRead]):
    pass


class ContactGroupCreate(InputModel):
    name: str = Field(min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    contact_ids: list[uuid.UUID] = Field(
        default_factory=list,
        max_length=200,
        description="Initial members: contacts with access to the entity (422 otherwise).",
    )


class ContactGroupUpdate(PatchModel):
    nullable_fields = frozenset({"description"})

    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=2000)
