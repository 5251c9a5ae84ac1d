from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

from pydantic import EmailStr, Field

from practice_api.core.pagination import Page
from practice_api.core.schemas import InputModel, PatchModel, ReadModel
from practice_api.entities.models import Entity
from practice_api.entities.visibility import AccessLevel

EntityKind = Literal["individual", "company"]
EntityStatus = Literal["active", "archived"]


class OwnerSummary(ReadModel):
    id: uuid.UUID
    name: str
    user_id: uuid.UUID | None


class EntityRead(ReadModel):
    id: uuid.UUID
    name: str
    kind: EntityKind
    tax_id: str | None
    email: str | None
    phone: str | None
    address: str | None
    office_id: uuid.UUID | None
    status: EntityStatus
    archived_at: dt.datetime | None
    external_ref: str | None = Field(description="Integrator's own reference, unique per firm.")
    notes: str | None
    owner: OwnerSummary | None = Field(description="The client owner (responsible), if any.")
    created_by_id: uuid.UUID | None
    created_at: dt.datetime
    updated_at: dt.datetime
    access: AccessLevel = Field(
        description="The caller's own access: `admin`, `owner` (the responsible), `editor` or "
        "`viewer`, so a frontend can hide what the caller may not do."
    )

    @classmethod
    def build(cls, entity: Entity, access: AccessLevel) -> EntityRead:
        owner = entity.owner
        return cls(
            id=entity.id,
            name=entity.name,
            kind=entity.kind,
            tax_id=entity.tax_id,
            email=entity.email,
            phone=entity.phone,
            address=entity.address,
            office_id=entity.office_id,
            status=entity.status,
            archived_at=entity.archived_at,
            external_ref=entity.external_ref,
            notes=entity.notes,
            owner=OwnerSummary(id=owner.id, name=owner.display_name, user_id=owner.user_id)
            if owner is not None
            else None,
            created_by_id=entity.created_by_id,
            created_at=entity.created_at,
            updated_at=entity.updated_at,
            access=access,
        )


def entity_list_item(row: Any, access: AccessLevel) -> dict[str, Any]:
    """One list item, from a row of ``EntityRepository.list_page`` (its columns in the order
    of ``ENTITY_LIST_COLUMNS``, then the owner's name and user): the JSON of
    ``EntityRead.build`` without building the model (tests hold the two equal)."""
    (
        id_,
        name,
        kind,
        tax_id,
        email,
        phone,
        address,
        office_id,
        status,
        archived_at,
        external_ref,
        notes,
        owner_id,
        created_by_id,
        created_at,
        updated_at,
        owner_name,
        owner_user_id,
        *_,
    ) = row
    return {
        "id": id_,
        "name": name,
        "kind": kind,
        "tax_id": tax_id,
        "email": email,
        "phone": phone,
        "address": address,
        "office_id": office_id,
        "status": status,
        "archived_at": archived_at,
        "external_ref": external_ref,
        "notes": notes,
        "owner": {"id": owner_id, "name": owner_name, "user_id": owner_user_id}
        if owner_id is not None
        else None,
        "created_by_id": created_by_id,
        "created_at": created_at,
        "updated_at": updated_at,
        "access": access,
    }


class EntityPage(Page[EntityRead]):
    pass


class EntityCreate(InputModel):
    name: str = Field(min_length=1, max_length=200)
    kind: EntityKind = "company"
    tax_id: str | None = Field(default=None, max_length=50)
    email: EmailStr | None = None
    phone: str | None = Field(default=None, max_length=50)
    address: str | None = Field(default=None, max_length=500)
    office_id: uuid.UUID | None = None
    external_ref: str | None = Field(default=None, min_length=1, max_length=100)
    notes: str | None = Field(default=None, max_length=10_000)
    owner_id: uuid.UUID | None = Field(
        default=None, description="Required when the firm turned client ownership on."
    )


class EntityUpdate(PatchModel):
    """Change an entity's details; the owner changes through `PUT /v1/entities/{id}/owner`."""

    nullable_fields = frozenset(
        {"tax_id", "email", "phone", "address", "office_id", "external_ref", "notes"}
    )

    name: str | None = Field(default=None, min_length=1, max_length=200)
    kind: EntityKind | None = None
    tax_id: str | None = Field(default=None, max_length=50)
    email: EmailStr | None = None
    phone: str | None = Field(default=None, max_length=50)
    address: str | None = Field(default=None, max_length=500)
    office_id: uuid.UUID | None = None
    status: EntityStatus | None = Field(
        default=None, description="`archived` archives the entity; `active` restores it."
    )
    external_ref: str | None = Field(default=None, min_length=1, max_length=100)
    notes: str | None = Field(default=None, max_length=10_000)


class OwnerAssignment(InputModel):
    owner_id: uuid.UUID | None = Field(
        description="The new owner; null leaves the entity unowned (refused when the firm "
        "requires client ownership)."
    )
