"""Queries for contacts, their entity access and groups; always scoped to one firm."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from typing import Literal

from sqlalchemy import Select, delete, func, or_, select, update

from practice_api.contacts.models import (
    Contact,
    ContactGroup,
    ContactGroupMember,
    ContactSecret,
    EntityContact,
)
from practice_api.core.pagination import Ordering
from practice_api.core.principals import Principal
from practice_api.core.repository import FirmScopedRepository, like_pattern
from practice_api.core.time import utcnow
from practice_api.entities.models import Entity
from practice_api.entities.visibility import AccessLevel, entity_access_many
from practice_api.firms.models import Firm

CONTACT_ORDERING = Ordering(
    fields={"name": Contact.name, "email": Contact.email, "created_at": Contact.created_at},
    id_column=Contact.id,
    default="name",
)
GRANT_ORDERING = Ordering(
    fields={"created_at": EntityContact.created_at},
    id_column=EntityContact.id,
    default="created_at",
)
GROUP_ORDERING = Ordering(
    fields={"name": ContactGroup.name, "created_at": ContactGroup.created_at},
    id_column=ContactGroup.id,
    default="name",
)


ContactRole = Literal["viewer", "contributor"]


def granted_entity_ids(principal: Principal) -> Select[uuid.UUID]:
    """The ids of the entities a contact has access to (either role): the contacts
    domain's grant, registered with ``entities.visibility.GRANTS`` by ``register_all()`` so
    that ``entities.repository.readable_entities`` answers what a contact may read."""
    return select(EntityContact.entity_id).where(EntityContact.contact_id == principal.id)


def _role(role: str | None) -> ContactRole | None:
    return "contributor" if role == "contributor" else "viewer" if role else None


_STRENGTH: dict[AccessLevel, int] = {"admin": 4, "owner": 3, "editor": 2, "viewer": 1}


class ContactRepository(FirmScopedRepository[Contact]):
    """The firm's address book of client-side people (every staff user may read it)."""

    model = Contact
    not_found_code = "contact_not_found"
    not_found_detail = "No contact with that id."

    def filtered(
        self,
        *,
        q: str | None = None,
        portal_status: str | None = None,
        entity_id: uuid.UUID | None = None,
    ) -> Select[Contact]:
        statement = self.readable()
        if portal_status is not None:
            statement = statement.where(Contact.portal_status == portal_status)
        if entity_id is not None:
            statement = statement.where(
                Contact.id.in_(
                    select(EntityContact.contact_id).where(EntityContact.entity_id == entity_id)
                )
            )
        if q:
            pattern = like_pattern(q)
            statement = statement.where(
                or_(
                    func.lower(Contact.name).like(pattern, escape="\\"),
                    func.lower(Contact.email).like(pattern, escape="\\"),
                )
            )
        return statement

    async def level_of(self, principal: Principal, contact: Contact) -> AccessLevel:
        """The caller's level on a contact of its firm (never ``None``: the book is
        firm-wide): the strongest access it has on the entities the contact is granted on;
        an ungranted contact belongs to whoever created it (``owner``), else ``viewer``."""
        if principal.is_admin:
            return "admin"
        entities = (
            (
                await self.session.execute(
                    select(Entity).where(
                        Entity.firm_id == principal.firm_id,
                        Entity.id.in_(
                            select(EntityContact.entity_id).where(
                                EntityContact.contact_id == contact.id
                            )
                        ),
                    )
                )
            )
            .unique()
            .scalars()
            .all()
        )
        if not entities:
            return "owner" if contact.created_by_id == principal.id else "viewer"
        levels = (await entity_access_many(self.session, principal, entities)).values()
        known = [level for level in levels if level is not None]
        return max(known, key=lambda level: _STRENGTH[level]) if known else "viewer"

    async def with_firm_name(self, contact_id: uuid.UUID) -> tuple[Contact, str] | None:
        """A contact of the firm and its firm's name, in one statement."""
        row = (
            await self.session.execute(
                self.readable()
                .add_columns(Firm.name)
                .join(Firm, Firm.id == Contact.firm_id)
                .where(Contact.id == contact_id)
            )
        ).first()
        return None if row is None else (row[0], row[1])

    async def revoke_secrets(self, contact_id: uuid.UUID) -> None:
        """End the contact's unused links (invitations and resets)."""
        await self.session.execute(
            update(ContactSecret)
            .where(
                ContactSecret.firm_id == self.firm_id,
                ContactSecret.contact_id == contact_id,
                ContactSecret.used_at.is_(None),
                ContactSecret.revoked_at.is_(None),
            )
            .values(revoked_at=utcnow())
        )


class GrantRepository(FirmScopedRepository[EntityContact]):
    model = EntityContact
    not_found_code = "entity_contact_not_found"
    not_found_detail = "This contact has no access to this entity."
    child_key = "contact_id"  # a grant is named by its contact

    def on_entity(self, entity_id: uuid.UUID) -> Select[EntityContact]:
        return self.readable().where(EntityContact.entity_id == entity_id)

    async def find(self, entity_id: uuid.UUID, contact_id: uuid.UUID) -> EntityContact | None:
        found: EntityContact | None = await self.session.scalar(
            self.on_entity(entity_id).where(EntityContact.contact_id == contact_id)
        )
        return found

    async def roles_of(
        self, contact_id: uuid.UUID, entity_ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, ContactRole]:
        """The contact's role on each of these entities it has access to, in one statement
        (an entity it has no access to is left out)."""
        if not entity_ids:
            return {}
        rows = await self.session.execute(
            select(EntityContact.entity_id, EntityContact.role).where(
                EntityContact.firm_id == self.firm_id,
                EntityContact.contact_id == contact_id,
                EntityContact.entity_id.in_(entity_ids),
            )
        )
        return {entity_id: role for entity_id, r in rows if (role := _role(r)) is not None}

    async def role_of(self, contact_id: uuid.UUID, entity_id: uuid.UUID) -> ContactRole | None:
        """The contact's role on an entity (``viewer`` | ``contributor``), or ``None``: no
        access (the portal answers 404)."""
        role = await self.session.scalar(
            select(EntityContact.role).where(
                EntityContact.firm_id == self.firm_id,
                EntityContact.entity_id == entity_id,
                EntityContact.contact_id == contact_id,
            )
        )
        return _role(role)

    async def entity_ids_of(self, contact_id: uuid.UUID) -> list[uuid.UUID]:
        rows = await self.session.scalars(
            select(EntityContact.entity_id).where(
                EntityContact.firm_id == self.firm_id, EntityContact.contact_id == contact_id
            )
        )
        return list(rows.all())

    async def with_access(
        self, entity_id: uuid.UUID, contact_ids: Sequence[uuid.UUID]
    ) -> set[uuid.UUID]:
        if not contact_ids:
            return set()
        rows = await self.session.scalars(
            select(EntityContact.contact_id).where(
                EntityContact.entity_id == entity_id, EntityContact.contact_id.in_(contact_ids)
            )
        )
        return set(rows.all())


class GroupRepository(FirmScopedRepository[ContactGroup]):
    model = ContactGroup
    not_found_code = "contact_group_not_found"
    not_found_detail = "No contact group with that id on this entity."

    def on_entity(self, entity_id: uuid.UUID) -> Select[ContactGroup]:
        return self.readable().where(ContactGroup.entity_id == entity_id)

    async def on_entity_or_none(
        self, entity_id: uuid.UUID, group_id: uuid.UUID
    ) -> ContactGroup | None:
        found: ContactGroup | None = await self.session.scalar(
            self.on_entity(entity_id).where(ContactGroup.id == group_id)
        )
        return found

    async def members_of(self, group_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[Contact]]:
        """Members of many groups in one statement, by name."""
        out: dict[uuid.UUID, list[Contact]] = defaultdict(list)
        if not group_ids:
            return out
        rows = await self.session.execute(
            select(ContactGroupMember.group_id, Contact)
            .join(Contact, Contact.id == ContactGroupMember.contact_id)
            .where(ContactGroupMember.group_id.in_(group_ids))
            .order_by(Contact.name, Contact.id)
        )
        for group_id, contact in rows:
            out[group_id].append(contact)
        return out

    async def is_member(self, group_id: uuid.UUID, contact_id: uuid.UUID) -> bool:
        found = await self.session.scalar(
            select(ContactGroupMember.group_id).where(
                ContactGroupMember.group_id == group_id,
                ContactGroupMember.contact_id == contact_id,
            )
        )
        return found is not None

    async def remove_member(self, group_id: uuid.UUID, contact_id: uuid.UUID) -> bool:
        """Take a contact out of a group; ``False`` when it was not a member."""
        result = await self.session.execute(
            delete(ContactGroupMember).where(
                ContactGroupMember.group_id == group_id,
                ContactGroupMember.contact_id == contact_id,
            )
        )
        return bool(getattr(result, "rowcount", 0))

    async def remove_member_from_entity(self, entity_id: uuid.UUID, contact_id: uuid.UUID) -> None:
        """Take a contact out of every group of an entity (its access was removed)."""
        await self.session.execute(
            delete(ContactGroupMember).where(
                ContactGroupMember.contact_id == contact_id,
                ContactGroupMember.group_id.in_(
                    select(ContactGroup.id).where(ContactGroup.entity_id == entity_id)
                ),
            )
        )
