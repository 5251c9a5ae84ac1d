"""Answers out: one request's answers (JSON or CSV), and every client's answers to the
requests made from one template (JSON pages or one CSV, a column per question).

A value is shown as stored (``value``) and as a person reads it (``display``: choice
labels, ``yes``/``no``, file names); CSV cells are guarded against formula injection
(``core.csv_export``). Only what the caller may see is listed: the template export walks
the requests of the entities the caller sees (admins: all of the firm's).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from practice_api.client_requests.models import ClientRequest, ClientRequestAnswer
from practice_api.client_requests.questions import (
    MultipleChoiceQuestion,
    QuestionModel,
    SingleChoiceQuestion,
    YesNoQuestion,
    load_questions,
)
from practice_api.client_requests.template_models import ClientRequestTemplate
from practice_api.client_requests.template_schemas import (
    ClientRequestAnswers,
    ExportedAnswer,
    ExportedAnswerFile,
)
from practice_api.core.pagination import Ordering, PageParams, paginate
from practice_api.core.principals import Principal
from practice_api.entities.models import Entity
from practice_api.entities.visibility import staff_visibility
from practice_api.files.models import FileDocument, StoredFile

# The template export's order: oldest request first (a stable, append-only order).
EXPORT_ORDERING = Ordering(
    fields={"created_at": ClientRequest.created_at},
    id_column=ClientRequest.id,
    default="created_at",
)

SINGLE_COLUMNS = (
    "question_id",
    "question",
    "type",
    "required",
    "answer",
    "answered_by",
    "answered_at",
    "files",
)
REQUEST_COLUMNS = (
    "request_id",
    "client",
    "title",
    "status",
    "sent_at",
    "submitted_at",
    "submitted_by",
)


@dataclass(frozen=True)
class Column:
    """One question column of the template export."""

    question_id: str
    header: str
    question: QuestionModel | None


def readable_requests(principal: Principal) -> Select[Any]:
    """The firm's requests on the entities ``principal`` sees (staff; admins: all)."""
    statement = (
        select(ClientRequest)
        .join(Entity, Entity.id == ClientRequest.entity_id)
        .where(ClientRequest.firm_id == principal.firm_id, Entity.firm_id == principal.firm_id)
    )
    if not principal.is_admin:
        statement = statement.where(staff_visibility(principal))
    return statement


async def _entity_names(
    session: AsyncSession, firm_id: uuid.UUID, ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, str]:
    wanted = set(ids)
    if not wanted:
        return {}
    rows = await session.execute(
        select(Entity.id, Entity.name).where(Entity.id.in_(wanted), Entity.firm_id == firm_id)
    )
    return {entity_id: name for entity_id, name in rows}


async def _answers(
    session: AsyncSession, request_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, dict[str, ClientRequestAnswer]]:
    out: dict[uuid.UUID, dict[str, ClientRequestAnswer]] = {i: {} for i in request_ids}
    if not request_ids:
        return out
    rows = await session.scalars(
        select(ClientRequestAnswer).where(ClientRequestAnswer.request_id.in_(request_ids))
    )
    for answer in rows:
        out[answer.request_id][answer.question_id] = answer
    return out


async def _files(
    session: AsyncSession, firm_id: uuid.UUID, ids: Iterable[str]
) -> dict[str, ExportedAnswerFile]:
    wanted: set[uuid.UUID] = set()
    for value in ids:
        try:
            wanted.add(uuid.UUID(value))
        except (ValueError, TypeError):
            continue
    if not wanted:
        return {}
    rows = await session.execute(
        select(FileDocument.id, FileDocument.name, StoredFile.size, StoredFile.content_type)
        .outerjoin(
            StoredFile,
            (StoredFile.document_id == FileDocument.id)
            & (StoredFile.number == FileDocument.current_version),
        )
        .where(
            FileDocument.id.in_(wanted),
            FileDocument.firm_id == firm_id,
            FileDocument.deleted_at.is_(None),
        )
    )
    return {
        str(file_id): ExportedAnswerFile(
            id=file_id, name=name, size=size, content_type=content_type
        )
        for file_id, name, size, content_type in rows
    }


def _file_ids(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []


def display(
    question: QuestionModel | None, value: Any, files: dict[str, ExportedAnswerFile]
) -> str | None:
    """The answer as a person reads it."""
    if value is None:
        return None
    if isinstance(question, YesNoQuestion) or isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(question, SingleChoiceQuestion):
        labels = {o.value: o.label for o in question.options}
        return labels.get(value) or str(value)
    if isinstance(question, MultipleChoiceQuestion):
        labels = {o.value: o.label for o in question.options}
        chosen = value if isinstance(value, list) else []
        return "; ".join(labels.get(v) or str(v) for v in chosen)
    if question is not None and question.type == "file_upload":
        return "; ".join(
            (files[i].name or i) if i in files else f"{i} (deleted)" for i in _file_ids(value)
        )
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _read_answers(
    questions: Sequence[QuestionModel],
    answers: dict[str, ClientRequestAnswer],
    files: dict[str, ExportedAnswerFile],
) -> list[ExportedAnswer]:
    out = []
    for question in questions:
        if question.id is None:
            continue
        answer = answers.get(question.id)
        value = answer.value if answer is not None else None
        out.append(
            ExportedAnswer(
                question_id=question.id,
                question=question.prompt,
                type=question.type,
                required=question.required,
                value=value,
                display=display(question, value, files),
                answered_by=answer.answered_by_name if answer and value is not None else None,
                answered_by_kind=answer.answered_by_kind if answer and value is not None else None,
                answered_at=answer.updated_at if answer and value is not None else None,
                files=[
                    files[i]
                    for i in (_file_ids(value) if question.type == "file_upload" else [])
                    if i in files
                ],
            )
        )
    return out


async def answers_of(
    session: AsyncSession, requests: Sequence[ClientRequest]
) -> list[ClientRequestAnswers]:
    """Each request's answers, one per question in its order (a few queries in all)."""
    if not requests:
        return []
    firm_id = requests[0].firm_id
    answers = await _answers(session, [request.id for request in requests])
    file_ids = [
        i
        for by_question in answers.values()
        for answer in by_question.values()
        for i in _file_ids(answer.value)
    ]
    files = await _files(session, firm_id, file_ids)
    names = await _entity_names(session, firm_id, (r.entity_id for r in requests))
    out = []
    for request in requests:
        questions = load_questions(request.questions or [])
        out.append(
            ClientRequestAnswers(
                request_id=request.id,
                title=request.title,
                entity_id=request.entity_id,
                entity_name=names.get(request.entity_id, ""),
                status=request.status,
                template_id=request.template_id,
                sent_at=request.created_at,
                submitted_at=request.submitted_at,
                submitted_by_name=request.submitted_by_name,
                answers=_read_answers(questions, answers[request.id], files),
            )
        )
    return out


def single_rows(read: ClientRequestAnswers) -> list[list[Any]]:
    """One request's CSV: a header, then a line per question."""
    rows: list[list[Any]] = [list(SINGLE_COLUMNS)]
    for answer in read.answers:
        rows.append(
            [
                answer.question_id,
                answer.question,
                answer.type,
                answer.required,
                answer.value if answer.type == "number" else answer.display,
                answer.answered_by,
                _moment(answer.answered_at),
                "; ".join(str(f.id) for f in answer.files),
            ]
        )
    return rows


def _moment(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


# --- across a template's requests -----------------------------------------------------------


def template_requests(principal: Principal, template: ClientRequestTemplate) -> Select[Any]:
    return readable_requests(principal).where(ClientRequest.template_id == template.id)


async def template_page(
    session: AsyncSession,
    principal: Principal,
    template: ClientRequestTemplate,
    params: PageParams,
) -> tuple[list[ClientRequestAnswers], str | None]:
    rows, cursor = await paginate(
        session, template_requests(principal, template), params, EXPORT_ORDERING, None
    )
    return await answers_of(session, list(rows)), cursor


def columns_of(
    template: ClientRequestTemplate, reads: Sequence[ClientRequestAnswers]
) -> list[Column]:
    """The template's questions, then any question only some requests have (edited while
    pending), by id; headers are the prompts (a repeated prompt gets its id)."""
    columns: list[Column] = []
    seen: set[str] = set()
    for question in load_questions(template.questions or []):
        if question.id is not None and question.id not in seen:
            seen.add(question.id)
            columns.append(Column(question.id, question.prompt, question))
    for read in reads:
        for answer in read.answers:
            if answer.question_id not in seen:
                seen.add(answer.question_id)
                columns.append(Column(answer.question_id, answer.question, None))
    prompts = [c.header for c in columns]
    return [
        Column(c.question_id, f"{c.header} [{c.question_id}]", c.question)
        if prompts.count(c.header) > 1
        else c
        for c in columns
    ]


def template_rows(
    template: ClientRequestTemplate, reads: Sequence[ClientRequestAnswers]
) -> list[list[Any]]:
    """The template's CSV: a line per request, a column per question."""
    columns = columns_of(template, reads)
    rows: list[list[Any]] = [[*REQUEST_COLUMNS, *(c.header for c in columns)]]
    for read in reads:
        by_id = {a.question_id: a for a in read.answers}
        cells: list[Any] = []
        for column in columns:
            answer = by_id.get(column.question_id)
            if answer is None:
                cells.append(None)
            else:
                cells.append(answer.value if answer.type == "number" else answer.display)
        rows.append(
            [
                read.request_id,
                read.entity_name,
                read.title,
                read.status,
                _moment(read.sent_at),
                _moment(read.submitted_at),
                read.submitted_by_name,
                *cells,
            ]
        )
    return rows


async def all_template_answers(
    session: AsyncSession, principal: Principal, template: ClientRequestTemplate
) -> list[ClientRequestAnswers]:
    """Every request of the template the caller sees, oldest first (for the CSV)."""
    statement = template_requests(principal, template).order_by(
        ClientRequest.created_at, ClientRequest.id
    )
    return await answers_of(session, list((await session.scalars(statement)).all()))
