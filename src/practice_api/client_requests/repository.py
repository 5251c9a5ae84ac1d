"""Client request queries. ``readable_by(principal)`` is the one staff visibility rule:
admins see the firm's requests, staff those on entities they see."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, and_, false, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from practice_api.client_requests.models import (
    OPEN_STATUSES,
    ClientRequest,
    ClientRequestAnswer,
    ClientRequestRecipient,
)
from practice_api.contacts.models import Contact, EntityContact
from practice_api.core.errors import NotFound
from practice_api.core.pagination import Ordering, PageParams, paginate
from practice_api.core.principals import Principal
from practice_api.core.repository import FirmScopedRepository
from practice_api.core.time import local_today
from practice_api.entities.models import Entity
from practice_api.entities.visibility import staff_visibility
from practice_api.firms.models import Firm
from practice_api.tasks.models import Task
from practice_api.users.models import User

SUBJECT_KIND = "client_request"

REQUEST_ORDERING = Ordering(
    fields={
        "created_at": ClientRequest.created_at,
        "updated_at": ClientRequest.updated_at,
        "title": ClientRequest.title,
    },
    id_column=ClientRequest.id,
    default="-created_at",
)


def request_not_found() -> NotFound:
    return NotFound("No client request with that id.", code="client_request_not_found")


def recipient_not_found() -> NotFound:
    return NotFound(
        "No recipient with that id on this client request.",
        code="client_request_recipient_not_found",
    )


class ClientRequestRepository(FirmScopedRepository[ClientRequest]):
    model = ClientRequest
    not_found_code = "client_request_not_found"
    not_found_detail = "No client request with that id."


RequestRows = Select[ClientRequest]


def readable_by(principal: Principal) -> RequestRows:
    """The requests ``principal`` (staff) may read: its firm's, on entities it sees."""
    statement = select(ClientRequest).where(ClientRequest.firm_id == principal.firm_id)
    if principal.kind != "staff":
        return statement.where(false())
    if principal.is_admin:
        return statement
    return statement.join(Entity, Entity.id == ClientRequest.entity_id).where(
        staff_visibility(principal)
    )


@dataclass(frozen=True)
class RequestFilters:
    status: str | None = None
    audience: str | None = None
    entity_id: uuid.UUID | None = None
    due_before: dt.date | None = None
    due_after: dt.date | None = None
    waiting_on: str | None = None
    overdue: bool | None = None


def filtered(statement: RequestRows, filters: RequestFilters, today: dt.date) -> RequestRows:
    if filters.status:
        statement = statement.where(ClientRequest.status == filters.status)
    if filters.audience:
        statement = statement.where(ClientRequest.audience == filters.audience)
    if filters.entity_id:
        statement = statement.where(ClientRequest.entity_id == filters.entity_id)
    if filters.due_before:
        statement = statement.where(ClientRequest.due_date <= filters.due_before)
    if filters.due_after:
        statement = statement.where(ClientRequest.due_date >= filters.due_after)
    if filters.waiting_on == "staff":
        statement = statement.where(ClientRequest.status == "submitted")
    elif filters.waiting_on in ("contact", "guest"):
        audience = "portal" if filters.waiting_on == "contact" else "guest"
        statement = statement.where(
            ClientRequest.status.in_(OPEN_STATUSES), ClientRequest.audience == audience
        )
    if filters.overdue is not None:
        overdue = and_(
            ClientRequest.due_date.is_not(None),
            ClientRequest.due_date < today,
            ClientRequest.status.in_(OPEN_STATUSES),
        )
        statement = statement.where(overdue if filters.overdue else ~overdue)
    return statement


async def page_of(
    session: AsyncSession,
    statement: RequestRows,
    params: PageParams,
    order_by: str | None,
) -> tuple[list[tuple[ClientRequest, str]], str | None]:
    """A page of requests, each with its entity's name (two statements)."""
    rows, cursor = await paginate(session, statement, params, REQUEST_ORDERING, order_by)
    names = await entity_names(session, {row.entity_id for row in rows})
    return [(row, names.get(row.entity_id, "")) for row in rows], cursor


async def entity_names(session: AsyncSession, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not ids:
        return {}
    rows = await session.execute(select(Entity.id, Entity.name).where(Entity.id.in_(ids)))
    return {entity_id: name for entity_id, name in rows}


async def get_readable(
    session: AsyncSession, principal: Principal, request_id: uuid.UUID
) -> tuple[ClientRequest, Entity] | None:
    request = await session.scalar(
        select(ClientRequest).where(
            ClientRequest.id == request_id, ClientRequest.firm_id == principal.firm_id
        )
    )
    if request is None:
        return None
    entity = await session.get(Entity, request.entity_id)
    return (request, entity) if entity is not None else None


async def firm_of(session: AsyncSession, firm_id: uuid.UUID) -> Firm:
    firm = await session.get(Firm, firm_id)
    assert firm is not None
    return firm


async def firm_today(session: AsyncSession, firm_id: uuid.UUID) -> dt.date:
    zone = await session.scalar(select(Firm.time_zone).where(Firm.id == firm_id))
    return local_today(zone or "UTC")


async def entity_name(session: AsyncSession, entity_id: uuid.UUID) -> str:
    return str(await session.scalar(select(Entity.name).where(Entity.id == entity_id)) or "")


async def recipients_of(
    session: AsyncSession, request_id: uuid.UUID
) -> list[ClientRequestRecipient]:
    rows = await session.scalars(
        select(ClientRequestRecipient)
        .where(ClientRequestRecipient.request_id == request_id)
        .order_by(ClientRequestRecipient.name, ClientRequestRecipient.id)
    )
    return list(rows.all())


async def get_recipient(
    session: AsyncSession, request: ClientRequest, recipient_id: uuid.UUID
) -> ClientRequestRecipient | None:
    found: ClientRequestRecipient | None = await session.scalar(
        select(ClientRequestRecipient).where(
            ClientRequestRecipient.id == recipient_id,
            ClientRequestRecipient.request_id == request.id,
        )
    )
    return found


async def answers_of(session: AsyncSession, request_id: uuid.UUID) -> list[ClientRequestAnswer]:
    rows = await session.scalars(
        select(ClientRequestAnswer)
        .where(ClientRequestAnswer.request_id == request_id)
        .order_by(ClientRequestAnswer.created_at, ClientRequestAnswer.id)
    )
    return list(rows.all())


async def answer_values(session: AsyncSession, request_id: uuid.UUID) -> dict[str, Any]:
    """Question id -> saved value."""
    rows = await session.execute(
        select(ClientRequestAnswer.question_id, ClientRequestAnswer.value).where(
            ClientRequestAnswer.request_id == request_id
        )
    )
    return {question_id: value for question_id, value in rows}


async def answered_of(
    session: AsyncSession, request_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, dict[str, Any]]:
    """Per request, question id -> saved value, in one statement."""
    out: dict[uuid.UUID, dict[str, Any]] = defaultdict(dict)
    if not request_ids:
        return out
    rows = await session.execute(
        select(
            ClientRequestAnswer.request_id,
            ClientRequestAnswer.question_id,
            ClientRequestAnswer.value,
        ).where(ClientRequestAnswer.request_id.in_(request_ids))
    )
    for request_id, question_id, value in rows:
        out[request_id][question_id] = value
    return out


async def has_answers(session: AsyncSession, request_id: uuid.UUID) -> bool:
    found = await session.scalar(
        select(ClientRequestAnswer.id).where(ClientRequestAnswer.request_id == request_id).limit(1)
    )
    return found is not None


async def contacts_with_access(
    session: AsyncSession, firm_id: uuid.UUID, entity_id: uuid.UUID, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Contact]:
    """Of ``ids``, the contacts of the firm with access to the entity (any role)."""
    if not ids:
        return {}
    rows = await session.scalars(
        select(Contact)
        .join(EntityContact, EntityContact.contact_id == Contact.id)
        .where(
            Contact.id.in_(ids),
            Contact.firm_id == firm_id,
            EntityContact.entity_id == entity_id,
            Contact.portal_status != "disabled",
        )
    )
    return {c.id: c for c in rows}


async def task_on_entity(
    session: AsyncSession, firm_id: uuid.UUID, entity_id: uuid.UUID, task_id: uuid.UUID
) -> Task | None:
    found: Task | None = await session.scalar(
        select(Task).where(Task.id == task_id, Task.firm_id == firm_id, Task.entity_id == entity_id)
    )
    return found


async def active_user(session: AsyncSession, firm_id: uuid.UUID, user_id: uuid.UUID) -> User | None:
    found: User | None = await session.scalar(
        select(User).where(User.id == user_id, User.firm_id == firm_id)
    )
    if found is None or not found.is_active:
        return None
    return found


async def lock(session: AsyncSession, request: ClientRequest) -> None:
    """Read the request again, its row locked (PostgreSQL) until the transaction ends."""
    await session.refresh(request, with_for_update=True)


async def count_client_requests(session: AsyncSession, entity_id: uuid.UUID) -> int:
    return int(
        await session.scalar(
            select(func.count())
            .select_from(ClientRequest)
            .where(ClientRequest.entity_id == entity_id)
        )
        or 0
    )
