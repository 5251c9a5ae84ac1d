"""Client request templates: the firm's questionnaire library (see ``template_models``).

Staff add templates (or save a request's questions as one), edit and archive them; a
request made with ``template_id`` starts from the template's title, message, questions
(with their ids) and due date, and remembers it.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from practice_api.client_requests.models import ClientRequest
from practice_api.client_requests.questions import load_questions, prepare_questions
from practice_api.client_requests.template_models import ClientRequestTemplate
from practice_api.client_requests.template_schemas import (
    MAX_DUE_IN_DAYS,
    ClientRequestSaveAsTemplate,
    ClientRequestTemplateCreate,
    ClientRequestTemplateUpdate,
)
from practice_api.core.errors import ValidationFailed, ValidationIssue
from practice_api.core.etag import check_if_match
from practice_api.core.pagination import Ordering
from practice_api.core.principals import Principal
from practice_api.core.repository import FirmScopedRepository, like_pattern
from practice_api.core.time import utcnow
from practice_api.events.service import EventSubject, changes_between


class TemplateRepository(FirmScopedRepository[ClientRequestTemplate]):
    model = ClientRequestTemplate
    not_found_code = "client_request_template_not_found"
    not_found_detail = "No client request template with that id."

    def listing(self, *, archived: bool | None, q: str | None) -> Select[ClientRequestTemplate]:
        """The firm's templates, in use or archived (``None``: both), titles matching ``q``."""
        statement = self.readable()
        if archived is not None:
            archived_at = ClientRequestTemplate.archived_at
            statement = statement.where(
                archived_at.is_not(None) if archived else archived_at.is_(None)
            )
        if q is not None:
            statement = statement.where(
                func.lower(ClientRequestTemplate.title).like(like_pattern(q), escape="\\")
            )
        return statement


TEMPLATE_ORDERING = Ordering(
    fields={
        "title": ClientRequestTemplate.title,
        "created_at": ClientRequestTemplate.created_at,
    },
    id_column=ClientRequestTemplate.id,
    default="title",
)


TEMPLATE: EventSubject[ClientRequestTemplate] = EventSubject(
    "client_request_template",
    lambda template: {
        "template_id": template.id,
        "title": template.title,
        "question_count": len(template.questions or []),
    },
)


async def create(
    session: AsyncSession, principal: Principal, data: ClientRequestTemplateCreate
) -> ClientRequestTemplate:
    template = ClientRequestTemplate(
        firm_id=principal.firm_id,
        title=data.title,
        description=data.description,
        message=data.message,
        questions=prepare_questions(data.questions),
        due_in_days=data.due_in_days,
        created_by_id=principal.id,
        created_by_name=principal.name,
    )
    session.add(template)
    await session.flush()
    await TEMPLATE.record(session, "client_request_template.created", principal.actor, template)
    return template


async def update(
    session: AsyncSession,
    principal: Principal,
    template: ClientRequestTemplate,
    data: ClientRequestTemplateUpdate,
    if_match: str | None,
) -> ClientRequestTemplate:
    check_if_match(if_match, template.version)
    given = data.changes()
    before = _snapshot(template)
    if "questions" in given and data.questions is not None:
        template.questions = prepare_questions(data.questions)
    for name in ("title", "description", "message", "due_in_days"):
        if name in given:
            setattr(template, name, given[name])
    after = _snapshot(template)
    changes = changes_between(before, after)
    if not changes:
        return template
    await session.flush()
    await TEMPLATE.record(
        session, "client_request_template.updated", principal.actor, template, changes=changes
    )
    return template


def _snapshot(template: ClientRequestTemplate) -> dict[str, Any]:
    return {
        "title": template.title,
        "description": template.description,
        "message": template.message,
        "questions": template.questions,
        "due_in_days": template.due_in_days,
    }


async def set_archived(
    session: AsyncSession, principal: Principal, template: ClientRequestTemplate, archived: bool
) -> ClientRequestTemplate:
    if (template.archived_at is not None) == archived:
        return template
    template.archived_at = utcnow() if archived else None
    await session.flush()
    name = "client_request_template.archived" if archived else "client_request_template.unarchived"
    await TEMPLATE.record(session, name, principal.actor, template)
    return template


async def save_as_template(
    session: AsyncSession,
    principal: Principal,
    request: ClientRequest,
    data: ClientRequestSaveAsTemplate,
) -> ClientRequestTemplate:
    """A new template with the request's title (or ``data.title``), message and questions
    (their ids kept: the request's answers line up with the template's later requests)."""
    due_in_days = data.due_in_days
    if due_in_days is None and request.due_date is not None:
        days = (request.due_date - request.created_at.date()).days
        due_in_days = days if 0 <= days <= MAX_DUE_IN_DAYS else None
    template = ClientRequestTemplate(
        firm_id=principal.firm_id,
        title=data.title or request.title,
        description=data.description,
        message=request.message or "",
        questions=prepare_questions(load_questions(request.questions)),
        due_in_days=due_in_days,
        created_by_id=principal.id,
        created_by_name=principal.name,
    )
    session.add(template)
    await session.flush()
    await TEMPLATE.record(
        session,
        "client_request_template.created",
        principal.actor,
        template,
        from_request_id=request.id,
    )
    return template


async def request_counts(
    session: AsyncSession, firm_id: uuid.UUID, template_ids: list[uuid.UUID]
) -> dict[uuid.UUID, int]:
    if not template_ids:
        return {}
    rows = await session.execute(
        select(ClientRequest.template_id, func.count())
        .where(ClientRequest.firm_id == firm_id, ClientRequest.template_id.in_(template_ids))
        .group_by(ClientRequest.template_id)
    )
    return {template_id: count for template_id, count in rows if template_id is not None}


# --- a request made from a template ---------------------------------------------------------


async def template_for_request(
    session: AsyncSession, firm_id: uuid.UUID, template_id: uuid.UUID
) -> ClientRequestTemplate:
    """The firm's template a new request starts from (422 on ``template_id`` when it is not
    one of the firm's templates in use)."""
    template = await TemplateRepository(session, firm_id).get(template_id)
    if template is None or template.archived_at is not None:
        raise ValidationFailed(
            "No client request template in use with that id (archived templates make no "
            "new requests).",
            code="client_request_template_not_found",
            errors=[
                ValidationIssue(
                    loc=["body", "template_id"], msg="unknown or archived", type="template"
                )
            ],
        )
    return template


def due_date_from(template: ClientRequestTemplate, today: dt.date) -> dt.date | None:
    if template.due_in_days is None:
        return None
    return today + dt.timedelta(days=template.due_in_days)
