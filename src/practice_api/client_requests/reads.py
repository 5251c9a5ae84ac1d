"""What the staff routes answer: a request with its progress, and on single reads its
questions, recipients, saved answers and reminders."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from practice_api.client_requests.models import (
    OPEN_STATUSES,
    ClientRequest,
    ClientRequestRecipient,
)
from practice_api.client_requests.questions import (
    QuestionModel,
    is_answered,
    load_questions,
    missing_required,
)
from practice_api.client_requests.repository import (
    SUBJECT_KIND,
    answered_of,
    answers_of,
    entity_name,
    firm_today,
    recipients_of,
)
from practice_api.client_requests.schemas import (
    ClientRequestAnswerRead,
    ClientRequestProgress,
    ClientRequestRead,
    ClientRequestRecipientRead,
    ClientRequestSecurity,
)
from practice_api.client_requests.service import waiting_on
from practice_api.client_requests.tokens import link_is_live
from practice_api.core.principals import Principal
from practice_api.reminders import service as reminders
from practice_api.reminders.schemas import ReminderState


def progress_of(
    questions: Sequence[QuestionModel], answers: Mapping[str, Any]
) -> ClientRequestProgress:
    ids = {q.id for q in questions}
    return ClientRequestProgress(
        questions=len(questions),
        answered=sum(1 for qid, value in answers.items() if qid in ids and is_answered(value)),
        required_missing=len(missing_required(questions, answers)),
    )


def is_overdue(request: ClientRequest, today: dt.date) -> bool:
    return (
        request.due_date is not None
        and request.due_date < today
        and request.status in OPEN_STATUSES
    )


def read_recipient(
    row: ClientRequestRecipient, token: str | None = None
) -> ClientRequestRecipientRead:
    guest = row.kind == "guest"
    return ClientRequestRecipientRead(
        id=row.id,
        kind=row.kind,
        contact_id=row.contact_id,
        name=row.name,
        email=row.email,
        link_expires_at=row.token_expires_at if guest else None,
        link_revoked_at=row.revoked_at if guest else None,
        link_active=link_is_live(row) if guest else None,
        link_token=token,
        last_opened_at=row.last_opened_at,
    )


def _read(
    request: ClientRequest,
    name: str,
    questions: list[QuestionModel],
    answers: Mapping[str, Any],
    today: dt.date,
) -> ClientRequestRead:
    return ClientRequestRead(
        id=request.id,
        entity_id=request.entity_id,
        entity_name=name,
        title=request.title,
        message=request.message,
        status=request.status,
        audience=request.audience,
        waiting_on=waiting_on(request),
        due_date=request.due_date,
        overdue=is_overdue(request, today),
        progress=progress_of(questions, answers),
        security=ClientRequestSecurity(
            link_lifetime_days=request.link_lifetime_days, one_time_code=request.one_time_code
        ),
        responsible_id=request.responsible_id,
        task_id=request.task_id,
        template_id=request.template_id,
        auto_advance=request.auto_advance,
        reopen_note=request.reopen_note,
        cancel_reason=request.cancel_reason,
        created_by_id=request.created_by_id,
        created_by_name=request.created_by_name,
        submitted_by_name=request.submitted_by_name,
        started_at=request.started_at,
        submitted_at=request.submitted_at,
        completed_at=request.completed_at,
        cancelled_at=request.cancelled_at,
        reopened_at=request.reopened_at,
        created_at=request.created_at,
        updated_at=request.updated_at,
    )


async def read_list(
    session: AsyncSession, rows: Sequence[tuple[ClientRequest, str]], today: dt.date
) -> list[ClientRequestRead]:
    """A page: one statement for every request's answers."""
    answered = await answered_of(session, [request.id for request, _ in rows])
    return [
        _read(request, name, load_questions(request.questions), answered.get(request.id, {}), today)
        for request, name in rows
    ]


async def read_one(
    session: AsyncSession,
    principal: Principal,
    request: ClientRequest,
    *,
    tokens: Mapping[uuid.UUID, str] | None = None,
) -> ClientRequestRead:
    questions = load_questions(request.questions)
    answers = await answers_of(session, request.id)
    read = _read(
        request,
        await entity_name(session, request.entity_id),
        questions,
        {a.question_id: a.value for a in answers},
        await firm_today(session, principal.firm_id),
    )
    read.questions = questions
    order = {q.id: n for n, q in enumerate(questions)}
    read.answers = [
        ClientRequestAnswerRead(
            question_id=a.question_id,
            value=a.value,
            answered_by_kind=a.answered_by_kind,
            answered_by_name=a.answered_by_name,
            updated_at=a.updated_at,
        )
        for a in sorted(answers, key=lambda a: order.get(a.question_id, len(order)))
    ]
    read.recipients = [
        read_recipient(row, (tokens or {}).get(row.id))
        for row in await recipients_of(session, request.id)
    ]
    schedule = await reminders.schedule_of(session, (SUBJECT_KIND, request.id))
    if schedule is not None:
        read.reminders = ReminderState(
            enabled=schedule.enabled,
            offsets=schedule.offsets,
            every_days=schedule.every_days,
            active=schedule.active,
            last_sent_on=schedule.last_slot,
            next_on=schedule.next_slot,
            last_manual_at=schedule.last_manual_at,
        )
    return read
