from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from typing import Any, Literal

from sqlalchemy import Select, false, func, null, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from practice_api.core.errors import NotFound
from practice_api.core.pagination import Ordering, PageParams, paginate_rows
from practice_api.core.principals import Principal
from practice_api.core.repository import FirmScopedRepository, like_pattern
from practice_api.entities.models import Entity
from practice_api.entities.visibility import (
    contact_entity_ids,
    few_visible_entities,
    granted_role,
    granted_to,
    staff_visibility,
)
from practice_api.owners.models import Owner
from practice_api.users.models import User

ENTITY_ORDERING = Ordering(
    fields={"name": Entity.name, "created_at": Entity.created_at, "updated_at": Entity.updated_at},
    id_column=Entity.id,
    default="name",
)


# What a list row carries of the entity itself (EntityRead without owner and access).
ENTITY_LIST_COLUMNS = (
    "id",
    "name",
    "kind",
    "tax_id",
    "email",
    "phone",
    "address",
    "office_id",
    "status",
    "archived_at",
    "external_ref",
    "notes",
    "owner_id",
    "created_by_id",
    "created_at",
    "updated_at",
)


_OWNER_USER = User.__table__.alias("owner_user")
_LIST_COLUMNS = (
    *(Entity.__table__.c[name] for name in ENTITY_LIST_COLUMNS),
    func.coalesce(_OWNER_USER.c.name, Owner.name).label("owner_name"),
    Owner.user_id.label("owner_user_id"),
)


# Below this many visible entities a staff user's list starts from their ids and sorts them;
# above, it walks the ordering's index (the break-even at a million entities is a few
# thousand: a page then costs at most ~50 x firm size / visible rows read).
FEW_VISIBLE_ENTITIES = 2000


VISIBILITY_CHOICE_SECONDS = 60.0
_visibility_choices: dict[tuple[uuid.UUID, uuid.UUID], tuple[float, bool]] = {}


def entity_not_found() -> NotFound:
    return NotFound("No entity with that id.", code="entity_not_found")


def readable_entities(principal: Principal, *, few: bool = True) -> Select[Entity]:
    """The entities ``principal`` may read, as one statement: the one visibility rule.

    * a firm admin: every entity of the firm;
    * other staff: those they own, created or were granted (``entities.visibility``:
      ``staff_visibility``; ``few`` picks its form, see ``EntityRepository.choose_visibility``);
    * a portal contact: those it has access to (the registered contact grants);
    * anyone else: none.
    """
    statement = select(Entity).where(Entity.firm_id == principal.firm_id)
    if principal.kind == "contact":
        granted = contact_entity_ids(principal)
        return statement.where(false() if granted is None else Entity.id.in_(granted))
    if principal.kind != "staff":
        return statement.where(false())
    if principal.is_admin:
        return statement
    return statement.where(staff_visibility(principal, few=few))


def readable_entity_ids(principal: Principal) -> Select[uuid.UUID]:
    """The ids of ``readable_entities(principal)``, for other domains' readable sets (the
    tasks, files, requests on entities the principal may read)."""
    if principal.kind == "contact":
        granted = contact_entity_ids(principal)
        if granted is not None:
            return granted
    return readable_entities(principal).with_only_columns(Entity.id)


class EntityRepository(FirmScopedRepository[Entity]):
    """Entities as the principal may see them: every read starts from ``readable()``."""

    model = Entity
    not_found_code = "entity_not_found"
    not_found_detail = "No entity with that id."

    def __init__(self, session: AsyncSession, principal: Principal) -> None:
        super().__init__(session, principal.firm_id)
        self.principal = principal
        # See entities.visibility.staff_visibility; choose_visibility decides by counting.
        self.few_visible = True

    def readable_by(self, principal: Principal) -> Select[Entity]:
        """The entities ``principal`` may read (``readable_entities``)."""
        return readable_entities(principal, few=self.few_visible)

    def readable(self) -> Select[Entity]:
        return self.readable_by(self.principal)

    def filtered(
        self,
        *,
        owner_id: uuid.UUID | Literal["none"] | None = None,
        office_id: uuid.UUID | None = None,
        status: str | None = None,
        q: str | None = None,
        created_by: uuid.UUID | None = None,
        shared_with_me: bool | None = None,
    ) -> Select[Entity]:
        statement = self.readable()
        if owner_id == "none":
            statement = statement.where(Entity.owner_id.is_(None))
        elif owner_id is not None:
            statement = statement.where(Entity.owner_id == owner_id)
        if office_id is not None:
            statement = statement.where(Entity.office_id == office_id)
        if status is not None:
            statement = statement.where(Entity.status == status)
        if created_by is not None:
            statement = statement.where(Entity.created_by_id == created_by)
        if shared_with_me is not None:
            mine = granted_to(self.principal)
            statement = statement.where(mine if shared_with_me else ~mine)
        if q:
            pattern = like_pattern(q)
            statement = statement.where(
                or_(
                    func.lower(Entity.name).like(pattern, escape="\\"),
                    func.lower(Entity.tax_id).like(pattern, escape="\\"),
                    func.lower(Entity.email).like(pattern, escape="\\"),
                )
            )
        return statement

    async def choose_visibility(self) -> None:
        """For a staff user, one bounded count decides how visibility is applied: from the
        few ids the user sees, or as a filter while walking the ordering's index. The choice
        changes how fast a list is, never what it holds: it is remembered per user for
        ``VISIBILITY_CHOICE_SECONDS``."""
        principal = self.principal
        if principal.kind != "staff" or principal.is_admin:
            return
        key = (principal.firm_id, principal.id)
        now = time.monotonic()
        remembered = _visibility_choices.get(key)
        if remembered is not None and remembered[0] > now:
            self.few_visible = remembered[1]
            return
        few = await self.session.scalar(few_visible_entities(principal, FEW_VISIBLE_ENTITIES))
        self.few_visible = bool(few)
        if len(_visibility_choices) >= 10_000:
            _visibility_choices.clear()
        _visibility_choices[key] = (now + VISIBILITY_CHOICE_SECONDS, self.few_visible)

    async def list_page(
        self, statement: Select[Entity], params: PageParams, order_by: str | None
    ) -> tuple[Sequence[Any], str | None]:
        """A page of ``filtered()`` as plain rows (see ``listing``); call
        ``choose_visibility`` before ``filtered``."""
        return await paginate_rows(
            self.session, self.listing(statement), params, ENTITY_ORDERING, order_by
        )

    def listing(self, statement: Select[Entity]) -> Select[Any]:
        """``filtered()`` selecting only the columns a list returns (no ORM objects, no
        password hashes): the entity's, its owner's name and user, and the share role that
        decides the caller's access, in one statement."""
        role = null() if self.principal.is_admin else granted_role(self.principal)
        return (
            statement.with_only_columns(
                *_LIST_COLUMNS, role.label("granted_role"), maintain_column_froms=False
            )
            .select_from(Entity)
            .outerjoin(Owner, Owner.id == Entity.owner_id)
            .outerjoin(_OWNER_USER, _OWNER_USER.c.id == Owner.user_id)
        )


class FirmEntities:
    """Firm-wide entity queries, past any caller's visibility: owner-list maintenance (admins
    only call these), and the entity of a row the caller already reached (its row decides)."""

    def __init__(self, session: AsyncSession, firm_id: uuid.UUID) -> None:
        self.session = session
        self.firm_id = firm_id

    async def get(self, entity_id: uuid.UUID) -> Entity | None:
        """The firm's entity (from the session when already loaded)."""
        entity = await self.session.get(Entity, entity_id)
        return entity if entity is not None and entity.firm_id == self.firm_id else None

    async def names(self, entity_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
        """The names of the firm's entities, in one statement."""
        if not entity_ids:
            return {}
        rows = await self.session.execute(
            select(Entity.id, Entity.name).where(
                Entity.firm_id == self.firm_id, Entity.id.in_(entity_ids)
            )
        )
        return {entity_id: name for entity_id, name in rows}

    async def owned_by(
        self, owner_id: uuid.UUID, entity_ids: Sequence[uuid.UUID] | None = None
    ) -> Sequence[Entity]:
        statement = select(Entity).where(
            Entity.firm_id == self.firm_id, Entity.owner_id == owner_id
        )
        if entity_ids is not None:
            statement = statement.where(Entity.id.in_(entity_ids))
        return (await self.session.execute(statement.order_by(Entity.id))).unique().scalars().all()

    async def count_owned(self, owner_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]:
        if not owner_ids:
            return {}
        rows = await self.session.execute(
            select(Entity.owner_id, func.count())
            .where(Entity.firm_id == self.firm_id, Entity.owner_id.in_(owner_ids))
            .group_by(Entity.owner_id)
        )
        return {owner_id: int(count) for owner_id, count in rows if owner_id is not None}
