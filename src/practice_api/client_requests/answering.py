"""Answering a client request: what portal contacts and guests do with a questionnaire.

* ``save_answers``: autosave any subset of the answers (each checked against its question
  by ``questions.validate_answers``; answers not sent stay as they are, so a questionnaire
  is resumed from any device). The first saved answer moves the request from ``pending``
  to ``in_progress`` (``client_request.started``).
* ``add_upload``: a file for a ``file_upload`` question, stored through the files module
  as a file of the request's entity (staff see it there), its id added to the answer.
* ``submit``: 422 ``required_answers_missing`` listing every required question left
  unanswered, else the answers are locked (``submitted``, ``client_request.submitted``)
  and a linked task with ``auto_advance`` moves one stage on in the same transaction,
  once per request: on its first submission (a re-submit after a reopen does not move
  it again).
* the one-time code of guest links (``send_code``, ``verify_code``, ``check_session``).

Every write locks the request row first (``SELECT ... FOR UPDATE``; SQLite's writers queue
anyway), so two devices saving at once, or two submits racing, are serialised: the second
submit finds the request submitted and answers 409 ``client_request_not_open``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from practice_api.client_requests import service, tokens
from practice_api.client_requests.answering_schemas import (
    AnswerFile,
    AnswerRead,
    AnswersUpdate,
    CodeSent,
    GuestSession,
    PortalClientRequestPage,
    PortalClientRequestSummary,
    PortalQuestionnaire,
    Questionnaire,
)
from practice_api.client_requests.models import (
    OPEN_STATUSES,
    ClientRequest,
    ClientRequestAnswer,
    ClientRequestRecipient,
)
from practice_api.client_requests.questions import (
    AnswerError,
    FileUploadQuestion,
    QuestionModel,
    by_id,
    ensure_complete,
    is_answered,
    load_questions,
    missing_required,
    validate_answer,
)
from practice_api.contacts import mail
from practice_api.core.errors import (
    AppError,
    BadRequest,
    Conflict,
    NotFound,
    ValidationFailed,
    ValidationIssue,
)
from practice_api.core.pagination import PageParams, decode_cursor, encode_cursor
from practice_api.core.principals import Actor, Principal
from practice_api.core.ratelimit import take_hit
from practice_api.core.security import hash_secret, new_secret, secrets_match
from practice_api.core.time import utcnow
from practice_api.entities.models import Entity
from practice_api.entities.repository import readable_entity_ids
from practice_api.files import service as files
from practice_api.files.models import FileDocument, StoredFile
from practice_api.files.upload import ReceivedFile
from practice_api.firms.models import Firm
from practice_api.runtime import Runtime
from practice_api.tasks.models import Task
from practice_api.tasks.service import advance_to_next


@dataclass(frozen=True)
class Answerer:
    """Who answers: a portal contact (its recipient row) or a guest (its link's row)."""

    actor: Actor
    recipient: ClientRequestRecipient

    @property
    def is_guest(self) -> bool:
        return self.actor.kind == "guest"

    @classmethod
    def guest(cls, recipient: ClientRequestRecipient) -> Answerer:
        return cls(Actor("guest", recipient.id, recipient.name), recipient)

    @classmethod
    def contact(cls, principal: Principal, recipient: ClientRequestRecipient) -> Answerer:
        return cls(principal.actor, recipient)


def request_not_found() -> NotFound:
    return NotFound("No client request with that id.", code="client_request_not_found")


def link_not_found() -> NotFound:
    # Unknown, expired and revoked links (and cancelled requests) answer alike.
    return NotFound(
        "This link is invalid, expired or revoked; ask the firm for a new one.",
        code="client_request_link_invalid",
    )


# --- what a portal contact sees --------------------------------------------------------


def portal_requests(principal: Principal) -> Select[ClientRequest]:
    """The requests addressed to the contact, on entities it still has access to."""
    return select(ClientRequest).where(
        ClientRequest.firm_id == principal.firm_id,
        ClientRequest.id.in_(
            select(ClientRequestRecipient.request_id).where(
                ClientRequestRecipient.kind == "contact",
                ClientRequestRecipient.contact_id == principal.id,
            )
        ),
        ClientRequest.entity_id.in_(readable_entity_ids(principal)),
    )


async def contact_recipient(
    session: AsyncSession, principal: Principal, request_id: uuid.UUID
) -> tuple[ClientRequest, ClientRequestRecipient] | None:
    row = (
        await session.execute(
            select(ClientRequest, ClientRequestRecipient)
            .join(
                ClientRequestRecipient,
                and_(
                    ClientRequestRecipient.request_id == ClientRequest.id,
                    ClientRequestRecipient.kind == "contact",
                    ClientRequestRecipient.contact_id == principal.id,
                ),
            )
            .where(
                ClientRequest.id == request_id,
                ClientRequest.firm_id == principal.firm_id,
                ClientRequest.entity_id.in_(readable_entity_ids(principal)),
            )
        )
    ).first()
    return (row[0], row[1]) if row is not None else None


WAITING = case((ClientRequest.status.in_(OPEN_STATUSES), 1), else_=0)


def waiting_first(
    statement: Select[ClientRequest], after: tuple[bool, dt.datetime, uuid.UUID] | None
) -> Select[ClientRequest]:
    """Waiting requests first, then newest first (keyset: after the given row)."""
    if after is not None:
        waiting, created_at, last_id = after
        after_same = or_(
            ClientRequest.created_at < created_at,
            and_(ClientRequest.created_at == created_at, ClientRequest.id < last_id),
        )
        is_open = ClientRequest.status.in_(OPEN_STATUSES)
        statement = statement.where(
            or_(~is_open, and_(is_open, after_same)) if waiting else and_(~is_open, after_same)
        )
    return statement.order_by(
        WAITING.desc(), ClientRequest.created_at.desc(), ClientRequest.id.desc()
    )


async def summaries(
    session: AsyncSession, rows: Sequence[ClientRequest]
) -> list[PortalClientRequestSummary]:
    if not rows:
        return []
    ids = [r.id for r in rows]
    names = dict(
        (
            await session.execute(
                select(Entity.id, Entity.name).where(Entity.id.in_({r.entity_id for r in rows}))
            )
        ).all()
    )
    answered: dict[uuid.UUID, set[str]] = {i: set() for i in ids}
    for request_id, question_id, value in await session.execute(
        select(
            ClientRequestAnswer.request_id,
            ClientRequestAnswer.question_id,
            ClientRequestAnswer.value,
        ).where(ClientRequestAnswer.request_id.in_(ids))
    ):
        if is_answered(value):
            answered[request_id].add(question_id)
    out = []
    for r in rows:
        question_ids = {str(q.get("id")) for q in r.questions}
        out.append(
            PortalClientRequestSummary(
                id=r.id,
                entity_id=r.entity_id,
                entity_name=names.get(r.entity_id, ""),
                title=r.title,
                status=r.status,
                waiting=r.status in OPEN_STATUSES,
                due_date=r.due_date,
                question_count=len(r.questions),
                answered_count=len(answered[r.id] & question_ids),
                created_at=r.created_at,
                submitted_at=r.submitted_at,
            )
        )
    return out


ORDER = "waiting_first"


def _after(cursor: str) -> tuple[bool, dt.datetime, uuid.UUID]:
    key, last_id = decode_cursor(cursor, ORDER, str)
    waiting_text, _, created_text = str(key).partition("|")
    try:
        created_at = dt.datetime.fromisoformat(created_text)
    except ValueError:
        created_at = None
    if created_at is None or waiting_text not in ("0", "1"):
        raise BadRequest("The cursor is not valid for this list.", code="invalid_cursor")
    return waiting_text == "1", created_at, last_id


async def portal_page(
    session: AsyncSession, principal: Principal, page: PageParams
) -> PortalClientRequestPage:
    """The contact's requests, waiting first then newest (keyset pages)."""
    after = _after(page.cursor) if page.cursor else None
    statement = waiting_first(portal_requests(principal), after)
    rows = list((await session.scalars(statement.limit(page.limit + 1))).all())
    cursor = None
    if len(rows) > page.limit:
        rows = rows[: page.limit]
        last = rows[-1]
        waiting = int(last.status in OPEN_STATUSES)
        cursor = encode_cursor(ORDER, f"{waiting}|{last.created_at.isoformat()}", last.id)
    return PortalClientRequestPage(
        items=await summaries(session, rows),
        next_cursor=cursor,
        waiting=await waiting_count(session, principal),
    )


async def waiting_count(session: AsyncSession, principal: Principal) -> int:
    total = await session.scalar(
        select(func.count()).select_from(
            portal_requests(principal).where(ClientRequest.status.in_(OPEN_STATUSES)).subquery()
        )
    )
    return int(total or 0)


# --- the questionnaire -----------------------------------------------------------------


async def _answers(session: AsyncSession, request: ClientRequest) -> list[ClientRequestAnswer]:
    return list(
        (
            await session.scalars(
                select(ClientRequestAnswer).where(ClientRequestAnswer.request_id == request.id)
            )
        ).all()
    )


def _file_ids(value: Any) -> list[uuid.UUID]:
    if not isinstance(value, list):
        return []
    out = []
    for item in value:
        try:
            out.append(uuid.UUID(str(item)))
        except ValueError:
            continue
    return out


async def _files(
    session: AsyncSession, request: ClientRequest, ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, tuple[FileDocument, StoredFile]]:
    """The live files of the request's entity among ``ids``, with their first version
    (who uploaded it)."""
    wanted = set(ids)
    if not wanted:
        return {}
    rows = await session.execute(
        select(FileDocument, StoredFile)
        .join(StoredFile, and_(StoredFile.document_id == FileDocument.id, StoredFile.number == 1))
        .where(
            FileDocument.id.in_(wanted),
            FileDocument.firm_id == request.firm_id,
            FileDocument.entity_id == request.entity_id,
            FileDocument.deleted_at.is_(None),
        )
    )
    return {document.id: (document, first) for document, first in rows}


def _visible(answerer: Answerer, first: StoredFile) -> bool:
    """A guest sees only the files it uploaded; a portal contact every file of the answer."""
    if not answerer.is_guest:
        return True
    return first.uploaded_by_kind == "guest" and first.uploaded_by_id == answerer.recipient.id


async def read_answers(
    session: AsyncSession,
    request: ClientRequest,
    answerer: Answerer,
    rows: Sequence[ClientRequestAnswer] | None = None,
) -> list[AnswerRead]:
    if rows is None:
        rows = await _answers(session, request)
    questions = by_id(load_questions(request.questions))
    files = await _files(session, request, [i for r in rows for i in _file_ids(r.value)])
    out = []
    for row in rows:
        question = questions.get(row.question_id)
        if question is None or not is_answered(row.value):
            continue
        value, listed = row.value, None
        if isinstance(question, FileUploadQuestion):
            listed = []
            for file_id in _file_ids(row.value):
                found = files.get(file_id)
                if found is None or not _visible(answerer, found[1]):
                    continue
                document, first = found
                listed.append(
                    AnswerFile(
                        id=document.id,
                        name=document.name,
                        size=document.current.size,
                        content_type=document.current.content_type,
                        uploaded_by_name=first.uploaded_by_name,
                        uploaded_at=first.created_at,
                    )
                )
            if not listed:
                continue
            value = [str(f.id) for f in listed]
        out.append(
            AnswerRead(
                question_id=row.question_id,
                value=value,
                files=listed,
                answered_by_name=row.answered_by_name,
                updated_at=row.updated_at,
            )
        )
    return out


async def firm_name(session: AsyncSession, firm_id: uuid.UUID) -> str:
    return str(await session.scalar(select(Firm.name).where(Firm.id == firm_id)) or "")


async def questionnaire(
    session: AsyncSession, request: ClientRequest, answerer: Answerer
) -> Questionnaire:
    rows = await _answers(session, request)
    questions = load_questions(request.questions)
    stored = {r.question_id: r.value for r in rows}
    fields: dict[str, Any] = {
        "id": request.id,
        "firm_name": await firm_name(session, request.firm_id),
        "title": request.title,
        "message": request.message,
        "status": request.status,
        "waiting": request.status in OPEN_STATUSES,
        "due_date": request.due_date,
        "reopen_note": request.reopen_note
        if request.reopened_at is not None and request.status in OPEN_STATUSES
        else None,
        "questions": questions,
        "answers": await read_answers(session, request, answerer, rows),
        "missing_required": [str(q.id) for q in missing_required(questions, stored)],
        "submitted_at": request.submitted_at,
        "submitted_by_name": request.submitted_by_name,
    }
    if answerer.is_guest:
        return Questionnaire(**fields)
    entity_name = await session.scalar(select(Entity.name).where(Entity.id == request.entity_id))
    return PortalQuestionnaire(**fields, entity_id=request.entity_id, entity_name=entity_name or "")


# --- writes ------------------------------------------------------------------------------


async def lock(session: AsyncSession, request: ClientRequest) -> ClientRequest:
    """The request row, read again under a row lock (the writes on one request queue)."""
    locked = await session.scalar(
        select(ClientRequest)
        .where(ClientRequest.id == request.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if locked is None:  # deleted meanwhile
        raise request_not_found()
    return locked


def _touch(request: ClientRequest, answerer: Answerer) -> None:
    """Saved answers change the questionnaire: a new version (its ETag) for every reader."""
    request.updated_at = answerer.recipient.last_opened_at = utcnow()


async def _write_answer(
    session: AsyncSession,
    request: ClientRequest,
    answerer: Answerer,
    existing: ClientRequestAnswer | None,
    question_id: str,
    value: Any,
) -> None:
    if value is None:
        if existing is not None:
            await session.delete(existing)
        return
    if existing is None:
        existing = ClientRequestAnswer(
            firm_id=request.firm_id, request_id=request.id, question_id=question_id, value=value
        )
        session.add(existing)
    existing.value = value
    existing.answered_by_recipient_id = answerer.recipient.id
    existing.answered_by_kind = answerer.actor.kind
    existing.answered_by_name = answerer.actor.name
    existing.updated_at = utcnow()


def _issue(question_id: str, msg: str, type_: str) -> ValidationIssue:
    return ValidationIssue(loc=["body", "answers", question_id], msg=msg, type=type_)


async def save_answers(
    session: AsyncSession, request: ClientRequest, answerer: Answerer, data: AnswersUpdate
) -> ClientRequest:
    """Autosave: each answer checked against its question (one 422 lists every bad one,
    nothing saved); the answers not sent are kept."""
    request = await lock(session, request)
    service.ensure_answerable(request)
    known = by_id(load_questions(request.questions))
    existing = {
        row.question_id: row
        for row in await _answers(session, request)
        if row.question_id in data.answers
    }
    values: dict[str, Any] = {}
    issues: list[ValidationIssue] = []
    for question_id, given in data.answers.items():
        question = known.get(question_id)
        if question is None:
            issues.append(
                _issue(question_id, "No question with that id in this request.", "unknown_question")
            )
            continue
        try:
            value = validate_answer(question, given)
        except AnswerError as error:
            issues.append(_issue(question_id, error.message, error.type))
            continue
        if isinstance(question, FileUploadQuestion):
            # Files are added by uploading; a list may only keep or drop the answer's files.
            # A guest's list covers only the files it sees: the others stay.
            row = existing.get(question_id)
            current = _file_ids(row.value) if row is not None else []
            found = await _files(session, request, current)
            mine = [i for i in current if i in found and _visible(answerer, found[i][1])]
            if any(i not in mine for i in _file_ids(value)):
                issues.append(
                    _issue(
                        question_id,
                        "Only files already uploaded to this question may be listed.",
                        "answer_file",
                    )
                )
                continue
            others = [str(i) for i in current if i in found and i not in mine]
            value = others + [str(i) for i in _file_ids(value)] or None
        values[question_id] = value
    if issues:
        raise ValidationFailed(
            "Some answers are not valid for their questions.", code="answer_invalid", errors=issues
        )
    for question_id, value in values.items():
        await _write_answer(
            session, request, answerer, existing.get(question_id), question_id, value
        )
    _touch(request, answerer)
    await session.flush()
    if any(v is not None for v in values.values()):
        await service.mark_started(session, request, answerer.actor)
    return request


def file_question(request: ClientRequest, question_id: str) -> FileUploadQuestion:
    """The ``file_upload`` question an upload is for (404 unknown, 422 another type)."""
    question = by_id(load_questions(request.questions)).get(question_id)
    if question is None:
        raise NotFound("No question with that id in this request.", code="question_not_found")
    if not isinstance(question, FileUploadQuestion):
        raise ValidationFailed(
            "Only `file_upload` questions take files.",
            code="question_not_file_upload",
            errors=[
                ValidationIssue(
                    loc=["path", "question_id"], msg="not a file question", type="question_type"
                )
            ],
        )
    return question


async def _answer_row(
    session: AsyncSession, request: ClientRequest, question_id: str
) -> ClientRequestAnswer | None:
    found: ClientRequestAnswer | None = await session.scalar(
        select(ClientRequestAnswer).where(
            ClientRequestAnswer.request_id == request.id,
            ClientRequestAnswer.question_id == question_id,
        )
    )
    return found


async def ensure_room(
    session: AsyncSession, request: ClientRequest, question: FileUploadQuestion
) -> list[uuid.UUID]:
    """Before an upload: the request is open and the answer has room for one more file
    (409 ``client_request_not_open`` / ``answer_files_full``). Returns the answer's files."""
    service.ensure_answerable(request)
    row = await _answer_row(session, request, str(question.id))
    current = _file_ids(row.value) if row is not None else []
    live = await _files(session, request, current)
    current = [i for i in current if i in live]
    if len(current) >= question.max_files:
        raise Conflict(
            f"This question takes at most {question.max_files} file(s); remove one first.",
            code="answer_files_full",
        )
    return current


async def add_upload(
    session: AsyncSession,
    request: ClientRequest,
    answerer: Answerer,
    question_id: str,
    received: ReceivedFile,
) -> AnswerRead:
    """The uploaded file becomes a file of the request's entity and joins the answer."""
    request = await lock(session, request)  # it may have changed while the bytes streamed
    question = file_question(request, question_id)
    current = await ensure_room(session, request, question)
    document, _ = await files.add_file(
        session,
        firm_id=request.firm_id,
        entity_id=request.entity_id,
        actor=answerer.actor,
        received=received,
    )
    row = await _answer_row(session, request, question_id)
    value = [str(i) for i in current] + [str(document.id)]
    await _write_answer(session, request, answerer, row, question_id, value)
    _touch(request, answerer)
    await session.flush()
    await service.mark_started(session, request, answerer.actor)
    row = await _answer_row(session, request, question_id)
    assert row is not None
    return (await read_answers(session, request, answerer, [row]))[0]


async def submit(
    session: AsyncSession, request: ClientRequest, answerer: Answerer
) -> ClientRequest:
    """Lock the answers: every required question answered (422 listing the missing ones)."""
    request = await lock(session, request)
    service.ensure_answerable(request)
    questions: list[QuestionModel] = load_questions(request.questions)
    rows = await _answers(session, request)
    stored: dict[str, Any] = {r.question_id: r.value for r in rows}
    live = await _files(session, request, [i for r in rows for i in _file_ids(r.value)])
    for question in questions:  # a file answer whose files were all deleted is no answer
        if (
            isinstance(question, FileUploadQuestion)
            and question.id in stored
            and not [i for i in _file_ids(stored[question.id]) if i in live]
        ):
            stored.pop(question.id)
    ensure_complete(questions, stored)
    # The linked task advances on the first submission only (not again after a reopen).
    first = request.submitted_at is None and request.reopened_at is None
    _touch(request, answerer)
    await service.mark_submitted(session, request, answerer.actor)
    if first:
        await _auto_advance(session, request, answerer.actor)
    return request


async def _auto_advance(session: AsyncSession, request: ClientRequest, actor: Actor) -> None:
    """The linked task (``auto_advance``) moves one stage on, in this transaction; a task
    that cannot move (done, at its last stage, deleted) stays as it is."""
    if not request.auto_advance or request.task_id is None:
        return
    task = await session.scalar(
        select(Task)
        .where(Task.id == request.task_id, Task.firm_id == request.firm_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if task is not None:
        note = f"Client request submitted: {request.title}"[:1000]
        await advance_to_next(session, actor, task, note)


# --- guests: the one-time code and its session -------------------------------------------

SESSION_HEADER = "X-Guest-Session"
CODE_WINDOW_SECONDS = 900


class CodeRejected(ValidationFailed):
    """A wrong one-time code: the attempt is counted (the transaction still commits)."""

    default_code = "guest_code_invalid"
    keep_changes = True


def code_hash(secret_key: str, recipient_id: uuid.UUID, code: str) -> str:
    """Keyed: a 6-digit code's plain hash would be reversed by trying every code."""
    message = f"client-request-code:{recipient_id}:{code}".encode()
    return hmac.new(secret_key.encode(), message, hashlib.sha256).hexdigest()


def mask_email(address: str) -> str:
    name, _, domain = address.partition("@")
    shown = name[:1] if len(name) > 2 else ""
    return f"{shown}{'*' * max(3, len(name) - len(shown))}@{domain}"


def _code_not_required() -> Conflict:
    return Conflict("This link needs no one-time code.", code="guest_code_not_required")


async def lock_recipient(
    session: AsyncSession, recipient: ClientRequestRecipient
) -> ClientRequestRecipient:
    locked = await session.scalar(
        select(ClientRequestRecipient)
        .where(ClientRequestRecipient.id == recipient.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if locked is None or not tokens.link_is_live(locked):
        raise link_not_found()
    return locked


async def send_code(
    session: AsyncSession,
    runtime: Runtime,
    request: ClientRequest,
    recipient: ClientRequestRecipient,
) -> CodeSent:
    """E-mail a new code (the previous one stops working)."""
    if not request.one_time_code:
        raise _code_not_required()
    settings = runtime.settings
    await take_hit(
        runtime.sessionmaker,
        f"guest:code:{recipient.id}",
        settings.guest_codes_per_link,
        CODE_WINDOW_SECONDS,
    )
    recipient = await lock_recipient(session, recipient)
    code = tokens.new_code()
    now = utcnow()
    expires_at = now + dt.timedelta(seconds=settings.guest_code_ttl_seconds)
    recipient.code_hash = code_hash(settings.signing_key, recipient.id, code)
    recipient.code_expires_at = expires_at
    recipient.code_sent_at = now
    recipient.code_attempts = 0
    await session.flush()
    firm = await firm_name(session, request.firm_id)
    minutes = max(1, settings.guest_code_ttl_seconds // 60)
    mail.send_after_commit(
        session,
        settings,
        to_name=recipient.name,
        to_address=recipient.email,
        subject=f"[{firm}] Your code: {code}",
        body="\n".join(
            [
                f"Hello {recipient.name},",
                "",
                f"Your code to open the questionnaire of {firm} is:",
                "",
                f"    {code}",
                "",
                f"It works for {minutes} minutes. If you did not ask for it, ignore this message.",
            ]
        ),
    )
    return CodeSent(sent_to=mask_email(recipient.email), expires_at=expires_at)


async def verify_code(
    session: AsyncSession,
    runtime: Runtime,
    request: ClientRequest,
    recipient: ClientRequestRecipient,
    code: str,
) -> GuestSession:
    """Exchange the e-mailed code for a short-lived session of this link."""
    if not request.one_time_code:
        raise _code_not_required()
    settings = runtime.settings
    recipient = await lock_recipient(session, recipient)
    now = utcnow()
    if (
        recipient.code_hash is None
        or recipient.code_expires_at is None
        or recipient.code_expires_at <= now
    ):
        raise Conflict(
            "No code is waiting, or it expired: ask for a new one.", code="guest_code_expired"
        )
    if not secrets_match(code_hash(settings.signing_key, recipient.id, code), recipient.code_hash):
        recipient.code_attempts += 1
        left = max(0, settings.guest_code_attempts - recipient.code_attempts)
        if left == 0:  # void: a new code must be asked for
            recipient.code_hash = None
            recipient.code_expires_at = None
        await session.flush()
        raise CodeRejected(
            "The code is wrong." + (" Ask for a new one." if left == 0 else ""),
            errors=[ValidationIssue(loc=["body", "code"], msg="wrong code", type="code")],
            extra={"attempts_left": left},
        )
    secret = new_secret()
    expires_at = now + dt.timedelta(seconds=settings.guest_session_ttl_seconds)
    recipient.code_hash = None
    recipient.code_expires_at = None
    recipient.code_attempts = 0
    recipient.session_hash = hash_secret(secret)
    recipient.session_expires_at = expires_at
    recipient.last_opened_at = now
    await session.flush()
    return GuestSession(session=secret, expires_at=expires_at)


class GuestCodeNeeded(AppError):
    """401 on a link of a request with a one-time code, without a live guest session."""

    status, title, default_code = 401, "Not authenticated", "guest_code_required"

    def __init__(self, detail: str, *, code: str | None = None) -> None:
        challenge = f'{SESSION_HEADER} realm="client-request"'
        super().__init__(detail, code=code, headers={"WWW-Authenticate": challenge})


def check_session(
    request: ClientRequest, recipient: ClientRequestRecipient, presented: str | None
) -> None:
    """A link of a request with a one-time code opens the questionnaire only with a live
    session from ``verify_code`` (401 ``guest_code_required`` / ``guest_session_invalid``)."""
    if not request.one_time_code:
        return
    if not presented:
        raise GuestCodeNeeded(
            "This questionnaire needs a one-time code: ask for it (POST .../code), then "
            f"verify it (POST .../code/verify) and send the session in {SESSION_HEADER}."
        )
    if (
        recipient.session_hash is None
        or recipient.session_expires_at is None
        or recipient.session_expires_at <= utcnow()
        or not secrets_match(hash_secret(presented), recipient.session_hash)
    ):
        raise GuestCodeNeeded(
            "The guest session is invalid or expired; verify a new code.",
            code="guest_session_invalid",
        )


async def rate_limit_guest(runtime: Runtime, token: str, address: str) -> None:
    """Per address (whatever the link: wrong links too), then per link."""
    settings = runtime.settings
    window = settings.guest_window_seconds
    await take_hit(
        runtime.sessionmaker,
        f"guest:address:{address}",
        settings.guest_requests_per_address,
        window,
    )
    await take_hit(
        runtime.sessionmaker,
        f"guest:link:{tokens.hash_token(token[: tokens.MAX_TOKEN_LENGTH])[:40]}",
        settings.guest_requests_per_token,
        window,
    )
