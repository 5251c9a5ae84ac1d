"""Client request use cases on the staff side, and the state changes answering makes.

States: ``pending`` (sent, nobody answered) -> ``in_progress`` (first answer saved,
``mark_started``) -> ``submitted`` (``mark_submitted``) -> ``completed`` by staff;
``cancelled`` from pending, in progress or submitted; ``reopen`` takes a submitted request
back to ``in_progress`` with a note. While pending, staff change anything; once answers
exist, the questions and the audience are locked (409 ``client_request_locked``).

Every step records an event in the caller's transaction. Reminders follow the request:
scheduled on send for its portal contacts, stopped on submission, completion and
cancellation, restarted on reopen.
"""

from __future__ import annotations

import copy
import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from practice_api.client_requests import notifications, template_service, tokens
from practice_api.client_requests.models import (
    OPEN_STATUSES,
    ClientRequest,
    ClientRequestRecipient,
)
from practice_api.client_requests.notifications import email_guest_links
from practice_api.client_requests.questions import (
    QuestionModel,
    is_answered,
    load_questions,
    prepare_questions,
)
from practice_api.client_requests.repository import (
    SUBJECT_KIND,
    active_user,
    answer_values,
    contacts_with_access,
    entity_name,
    firm_of,
    has_answers,
    lock,
    recipients_of,
    task_on_entity,
)
from practice_api.client_requests.schemas import (
    ClientRequestCreate,
    ClientRequestGuest,
    ClientRequestSecurity,
    ClientRequestUpdate,
)
from practice_api.client_requests.template_models import ClientRequestTemplate
from practice_api.core.errors import Conflict, ValidationFailed, ValidationIssue
from practice_api.core.etag import check_if_match
from practice_api.core.principals import Actor, Principal
from practice_api.core.time import local_today, utcnow
from practice_api.entities.policy import EntityContext
from practice_api.events.models import Event
from practice_api.events.service import changes_between, record_event
from practice_api.reminders import service as reminders
from practice_api.reminders.schemas import ReminderOverride
from practice_api.settings import Settings


def subject_of(request: ClientRequest) -> tuple[str, uuid.UUID]:
    return (SUBJECT_KIND, request.id)


def waiting_on(request: ClientRequest) -> str | None:
    """Whose turn it is: ``contact`` / ``guest`` while open, ``staff`` once submitted."""
    if request.status in OPEN_STATUSES:
        return "contact" if request.audience == "portal" else "guest"
    if request.status == "submitted":
        return "staff"
    return None


@dataclass
class Issued:
    """A request as written, and the plain link tokens issued in this transaction (guest
    recipient id -> token): shown once in the response, e-mailed to the guests."""

    request: ClientRequest
    tokens: dict[uuid.UUID, str] = field(default_factory=dict)


# --- checks -----------------------------------------------------------------------------------


def _issue(loc: list[str | int], msg: str, type: str) -> ValidationIssue:
    return ValidationIssue(loc=loc, msg=msg, type=type)


def _check_audience(
    audience: str, contact_ids: list[uuid.UUID] | None, guests: list[ClientRequestGuest] | None
) -> None:
    if audience == "portal":
        if guests is not None:
            raise ValidationFailed(
                "A portal request goes to contacts (`contact_ids`), not guests.",
                code="recipients_mismatch",
                errors=[_issue(["body", "guests"], "only for audience guest", "unexpected")],
            )
        if not contact_ids:
            raise ValidationFailed(
                "A portal request needs `contact_ids`.",
                code="recipients_required",
                errors=[_issue(["body", "contact_ids"], "required for audience portal", "missing")],
            )
    else:
        if contact_ids is not None:
            raise ValidationFailed(
                "A guest request goes to guests (`guests`), not contacts.",
                code="recipients_mismatch",
                errors=[_issue(["body", "contact_ids"], "only for audience portal", "unexpected")],
            )
        if not guests:
            raise ValidationFailed(
                "A guest request needs `guests` (name and e-mail).",
                code="recipients_required",
                errors=[_issue(["body", "guests"], "required for audience guest", "missing")],
            )


async def _check_contacts(
    session: AsyncSession, firm_id: uuid.UUID, entity_id: uuid.UUID, ids: list[uuid.UUID]
) -> list[tuple[uuid.UUID, str, str]]:
    wanted = list(dict.fromkeys(ids))
    found = await contacts_with_access(session, firm_id, entity_id, wanted)
    bad = [n for n, contact_id in enumerate(ids) if contact_id not in found]
    if bad:
        raise ValidationFailed(
            "Recipients must be contacts with access to the entity (not disabled): "
            + ", ".join(str(ids[n]) for n in bad),
            code="recipient_without_access",
            errors=[
                _issue(["body", "contact_ids", n], "no access to the entity", "no_access")
                for n in bad
            ],
        )
    return [(c, found[c].name, found[c].email) for c in wanted]


def _check_guests(guests: list[ClientRequestGuest]) -> list[ClientRequestGuest]:
    seen: set[str] = set()
    issues = []
    for n, guest in enumerate(guests):
        email = str(guest.email).lower()
        if email in seen:
            issues.append(_issue(["body", "guests", n, "email"], "listed twice", "duplicate"))
        seen.add(email)
    if issues:
        raise ValidationFailed(
            "Each guest is listed once (by e-mail).", code="guest_duplicate", errors=issues
        )
    return guests


async def _check_links(
    session: AsyncSession,
    request: ClientRequest,
    *,
    responsible_id: uuid.UUID | None,
    task_id: uuid.UUID | None,
    auto_advance: bool,
) -> None:
    if (
        responsible_id is not None
        and await active_user(session, request.firm_id, responsible_id) is None
    ):
        raise ValidationFailed(
            "The responsible must be an active staff user of the firm.",
            code="responsible_not_found",
            errors=[_issue(["body", "responsible_id"], "no such active user", "not_found")],
        )
    if task_id is not None:
        task = await task_on_entity(session, request.firm_id, request.entity_id, task_id)
        if task is None:
            raise ValidationFailed(
                "The task must be a task of the same entity.",
                code="task_not_on_entity",
                errors=[_issue(["body", "task_id"], "no such task on the entity", "not_found")],
            )
    if auto_advance and task_id is None:
        raise ValidationFailed(
            "`auto_advance` needs a linked task (`task_id`).",
            code="auto_advance_without_task",
            errors=[_issue(["body", "auto_advance"], "needs task_id", "missing")],
        )


def ensure_answerable(request: ClientRequest) -> None:
    """409 ``client_request_not_open`` unless answers may change (pending, in progress)."""
    if request.status not in OPEN_STATUSES:
        raise Conflict(
            f"This request is {request.status}; its answers cannot change.",
            code="client_request_not_open",
        )


def _ensure_not_closed(request: ClientRequest) -> None:
    if request.status in ("completed", "cancelled"):
        raise Conflict(f"This request is {request.status}.", code="client_request_closed")


# --- events -----------------------------------------------------------------------------------


async def _event(
    session: AsyncSession, type: str, actor: Actor, request: ClientRequest, **extra: Any
) -> Event:
    return await record_event(
        session,
        type=type,
        firm_id=request.firm_id,
        actor=actor,
        entity_id=request.entity_id,
        subject=subject_of(request),
        payload={
            "request_id": request.id,
            "title": request.title,
            "entity_name": await entity_name(session, request.entity_id),
            "status": request.status,
            "audience": request.audience,
            "due_date": request.due_date,
            "task_id": request.task_id,
            **extra,
        },
    )


# --- recipients and reminders -----------------------------------------------------------------


def _new_guest(request: ClientRequest, guest: ClientRequestGuest) -> ClientRequestRecipient:
    return ClientRequestRecipient(
        firm_id=request.firm_id,
        request_id=request.id,
        kind="guest",
        name=guest.name,
        email=str(guest.email).lower(),
    )


async def _set_recipients(
    session: AsyncSession,
    request: ClientRequest,
    contacts: list[tuple[uuid.UUID, str, str]] | None,
    guests: list[ClientRequestGuest] | None,
) -> tuple[dict[uuid.UUID, str], dict[str, Any] | None]:
    """Replace the recipients: contacts by id, guests by e-mail (kept ones keep their
    link). Returns the tokens of new guests' links and the change (or None)."""
    existing = await recipients_of(session, request.id)
    issued: dict[uuid.UUID, str] = {}
    before = sorted(r.email for r in existing)
    keep: set[uuid.UUID] = set()
    added: list[ClientRequestRecipient] = []
    if contacts is not None:
        by_contact = {r.contact_id: r for r in existing if r.kind == "contact"}
        for contact_id, name, email in contacts:
            row = by_contact.get(contact_id)
            if row is None:
                row = ClientRequestRecipient(
                    firm_id=request.firm_id,
                    request_id=request.id,
                    kind="contact",
                    contact_id=contact_id,
                    name=name,
                    email=email,
                )
                added.append(row)
            else:
                keep.add(row.id)
    if guests is not None:
        by_email = {r.email: r for r in existing if r.kind == "guest"}
        for guest in guests:
            row = by_email.get(str(guest.email).lower())
            if row is None:
                added.append(_new_guest(request, guest))
            else:
                row.name = guest.name
                keep.add(row.id)
    for row in existing:
        if row.id not in keep:
            await session.delete(row)
    session.add_all(added)
    await session.flush()
    for row in added:
        if row.kind == "guest":
            issued[row.id] = tokens.issue_link(row, request.link_lifetime_days)
    await session.flush()
    after = sorted([r.email for r in existing if r.id in keep] + [r.email for r in added])
    return issued, ({"old": before, "new": after} if before != after else None)


async def _schedule(
    session: AsyncSession,
    request: ClientRequest,
    override: ReminderOverride | None = None,
    *,
    keep_override: bool = False,
) -> None:
    """The request's reminder schedule: its portal contacts (``("contact", contact_id)``)
    and guests (``("guest", recipient_id)``: reached by ``notifications.guest_addresses``,
    reminded without their link), its due date."""
    firm = await firm_of(session, request.firm_id)
    recipients = await recipients_of(session, request.id)
    await reminders.set_schedule(
        session,
        firm_id=request.firm_id,
        entity_id=request.entity_id,
        subject=subject_of(request),
        recipients=[
            ("contact", r.contact_id) if r.contact_id is not None else ("guest", r.id)
            for r in recipients
        ],
        due_date=request.due_date,
        override=override,
        keep_override=keep_override,
        time_zone=firm.time_zone,
    )


# --- staff use cases --------------------------------------------------------------------------


async def _email_links(
    session: AsyncSession,
    settings: Settings | None,
    request: ClientRequest,
    issued: dict[uuid.UUID, str],
    actor: Actor,
) -> None:
    """E-mail each guest their new link after the commit (``notifications``)."""
    if settings is None or not issued:
        return
    rows = {r.id: r for r in await recipients_of(session, request.id)}
    pairs = [(rows[rid], token) for rid, token in issued.items() if rid in rows]
    await email_guest_links(session, settings, request, pairs, actor)


async def create_request(
    session: AsyncSession,
    context: EntityContext,
    data: ClientRequestCreate,
    settings: Settings | None = None,
) -> Issued:
    """Send a request; with ``template_id`` it starts from the firm's template (its title,
    message, questions with their ids and due rule, each replaced by what the body gives)
    and remembers it. Guests get their link by e-mail once the transaction commits."""
    principal, entity = context.principal, context.entity
    template = (
        await template_service.template_for_request(session, principal.firm_id, data.template_id)
        if data.template_id is not None
        else None
    )
    title, questions, message, due_date = await _starting_point(session, data, template)
    _check_audience(data.audience, data.contact_ids, data.guests)
    contacts = (
        await _check_contacts(session, entity.firm_id, entity.id, data.contact_ids)
        if data.contact_ids is not None
        else None
    )
    guests = _check_guests(data.guests) if data.guests is not None else None
    request = ClientRequest(
        firm_id=principal.firm_id,
        entity_id=entity.id,
        title=title,
        message=message,
        status="pending",
        audience=data.audience,
        questions=questions,
        template_id=template.id if template is not None else None,
        due_date=due_date,
        created_by_id=principal.id,
        created_by_name=principal.name,
        responsible_id=data.responsible_id,
        task_id=data.task_id,
        auto_advance=data.auto_advance,
        link_lifetime_days=data.security.link_lifetime_days,
        one_time_code=data.security.one_time_code,
    )
    await _check_links(
        session,
        request,
        responsible_id=data.responsible_id,
        task_id=data.task_id,
        auto_advance=data.auto_advance,
    )
    session.add(request)
    await session.flush()
    issued, _ = await _set_recipients(session, request, contacts, guests)
    await _schedule(session, request, data.reminders)
    await _event(
        session,
        "client_request.sent",
        principal.actor,
        request,
        recipient_ids=[c for c, _, _ in contacts or []],
        guest_count=len(guests or []),
        question_count=len(questions),
        required_count=sum(1 for q in questions if q.get("required")),
        message=request.message or None,
        template_id=request.template_id,
    )
    await _email_links(session, settings, request, issued, principal.actor)
    return Issued(request, issued)


async def _starting_point(
    session: AsyncSession, data: ClientRequestCreate, template: ClientRequestTemplate | None
) -> tuple[str, list[dict[str, Any]], str, dt.date | None]:
    """Title, questions (as stored), message and due date of a new request: the body's,
    else the template's (422 naming ``title`` and ``questions`` when neither has them)."""
    given = data.model_fields_set
    missing = [
        name for name in ("title", "questions") if getattr(data, name) is None and template is None
    ]
    if missing:
        raise ValidationFailed(
            "A request needs a title and questions, or a `template_id` to take them from.",
            code="validation_failed",
            errors=[_issue(["body", name], "Field required", "missing") for name in missing],
        )
    if data.questions is not None:
        questions = prepare_questions(data.questions)
    else:
        assert template is not None
        questions = copy.deepcopy(template.questions)
    title = data.title if data.title is not None else template.title if template else ""
    message = data.message if "message" in given or template is None else template.message
    due_date = data.due_date
    if "due_date" not in given and template is not None:
        firm = await firm_of(session, template.firm_id)
        due_date = template_service.due_date_from(template, local_today(firm.time_zone))
    return title, questions, message, due_date


LOCKED_ONCE_ANSWERED = ("questions", "audience")


async def update_request(
    session: AsyncSession,
    request: ClientRequest,
    principal: Principal,
    data: ClientRequestUpdate,
    if_match: str | None,
    settings: Settings | None = None,
) -> Issued:
    check_if_match(if_match, request.version)
    await lock(session, request)
    check_if_match(if_match, request.version)
    _ensure_not_closed(request)
    changes = data.changes()
    locked = [name for name in LOCKED_ONCE_ANSWERED if name in changes]
    if locked and (request.status != "pending" or await has_answers(session, request.id)):
        raise Conflict(
            "Answers were saved already: the " + " and ".join(locked) + " can no longer change.",
            code="client_request_locked",
        )
    override = changes.pop("reminders", ...)
    security = changes.pop("security", None)
    contact_ids = changes.pop("contact_ids", None)
    guests_in = changes.pop("guests", None)
    audience = changes.get("audience", request.audience)
    if "audience" in changes and changes["audience"] != request.audience:
        # A new audience needs its recipients in the same change.
        _check_audience(audience, data.contact_ids, data.guests)
    elif contact_ids is not None or guests_in is not None:
        _check_audience(audience, data.contact_ids, data.guests)
    if "questions" in changes:
        assert data.questions is not None
        changes["questions"] = prepare_questions(data.questions)
    if {"responsible_id", "task_id", "auto_advance"} & set(changes):
        await _check_links(
            session,
            request,
            responsible_id=changes.get("responsible_id", request.responsible_id),
            task_id=changes.get("task_id", request.task_id),
            auto_advance=changes.get("auto_advance", request.auto_advance),
        )
    diff = changes_between(
        {k: _jsonable(getattr(request, k)) for k in changes},
        {k: _jsonable(v) for k, v in changes.items()},
    )
    for name, value in changes.items():
        setattr(request, name, value)
    if security is not None:
        new = ClientRequestSecurity.model_validate(security)
        if new.link_lifetime_days != request.link_lifetime_days:
            diff["link_lifetime_days"] = {
                "old": request.link_lifetime_days,
                "new": new.link_lifetime_days,
            }
            request.link_lifetime_days = new.link_lifetime_days
            await _move_expiries(session, request)
        if new.one_time_code != request.one_time_code:
            diff["one_time_code"] = {"old": request.one_time_code, "new": new.one_time_code}
            request.one_time_code = new.one_time_code
    issued: dict[uuid.UUID, str] = {}
    if contact_ids is not None or guests_in is not None:
        contacts = (
            await _check_contacts(session, request.firm_id, request.entity_id, data.contact_ids)
            if data.contact_ids is not None
            else None
        )
        guests = _check_guests(data.guests) if data.guests is not None else None
        issued, recipients_change = await _set_recipients(session, request, contacts, guests)
        if recipients_change is not None:
            diff["recipients"] = recipients_change
    if override is not ...:
        diff["reminders"] = {"old": None, "new": override}
    if diff:
        request.updated_at = utcnow()
        await session.flush()
        await _schedule(
            session,
            request,
            None if override is ... or override is None else ReminderOverride(**override),
            keep_override=override is ...,
        )
        await _event(session, "client_request.updated", principal.actor, request, changes=diff)
    await _email_links(session, settings, request, issued, principal.actor)
    return Issued(request, issued)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.date | uuid.UUID):
        return str(value)
    return value


async def _move_expiries(session: AsyncSession, request: ClientRequest) -> None:
    now = utcnow()
    for row in await recipients_of(session, request.id):
        if tokens.link_is_live(row, now):
            row.token_expires_at = now + dt.timedelta(days=request.link_lifetime_days)


async def cancel(
    session: AsyncSession, request: ClientRequest, principal: Principal, reason: str | None
) -> ClientRequest:
    await lock(session, request)
    _ensure_not_closed(request)
    request.status = "cancelled"
    request.cancelled_at = request.updated_at = utcnow()
    request.cancel_reason = reason
    await session.flush()
    await reminders.set_active(session, subject_of(request), False)
    event = await _event(
        session, "client_request.cancelled", principal.actor, request, reason=reason
    )
    await notifications.notify_guests(session, event, request)
    return request


def _ensure_submitted(request: ClientRequest, doing: str) -> None:
    if request.status != "submitted":
        raise Conflict(
            f"Only a submitted request can be {doing}; this one is {request.status}.",
            code="client_request_not_submitted",
        )


async def complete(
    session: AsyncSession, request: ClientRequest, principal: Principal
) -> ClientRequest:
    await lock(session, request)
    _ensure_submitted(request, "completed")
    request.status = "completed"
    request.completed_at = request.updated_at = utcnow()
    await session.flush()
    await reminders.set_active(session, subject_of(request), False)
    await _event(session, "client_request.completed", principal.actor, request)
    return request


async def reopen(
    session: AsyncSession, request: ClientRequest, principal: Principal, note: str
) -> ClientRequest:
    await lock(session, request)
    _ensure_submitted(request, "reopened")
    request.status = "in_progress"
    request.reopen_note = note
    request.reopened_at = request.updated_at = utcnow()
    request.submitted_at = None
    request.submitted_by_name = None
    await session.flush()
    await reminders.set_active(session, subject_of(request), True)
    event = await _event(session, "client_request.reopened", principal.actor, request, note=note)
    await notifications.notify_guests(session, event, request)
    return request


def _ensure_guest(recipient: ClientRequestRecipient) -> None:
    if recipient.kind != "guest":
        raise Conflict(
            "Portal contacts sign in; only guests have links.", code="recipient_not_guest"
        )


async def revoke_link(
    session: AsyncSession,
    request: ClientRequest,
    recipient: ClientRequestRecipient,
    principal: Principal,
) -> ClientRequestRecipient:
    _ensure_guest(recipient)
    if recipient.revoked_at is None:
        tokens.revoke_link(recipient)
        request.updated_at = utcnow()
        await session.flush()
        await _event(
            session,
            "client_request.updated",
            principal.actor,
            request,
            changes={"link_revoked": {"old": None, "new": recipient.email}},
        )
    return recipient


async def new_link(
    session: AsyncSession,
    request: ClientRequest,
    recipient: ClientRequestRecipient,
    principal: Principal,
    settings: Settings | None = None,
) -> str:
    """A new link for a guest (the old one stops working; e-mailed to the guest after the
    commit); the plain token, once."""
    _ensure_guest(recipient)
    _ensure_not_closed(request)
    token = tokens.issue_link(recipient, request.link_lifetime_days)
    request.updated_at = utcnow()
    await session.flush()
    await _event(
        session,
        "client_request.updated",
        principal.actor,
        request,
        changes={"link_issued": {"old": None, "new": recipient.email}},
    )
    await _email_links(session, settings, request, {recipient.id: token}, principal.actor)
    return token


# --- what answering does (called by the portal and guest routes) ------------------------------


async def mark_started(session: AsyncSession, request: ClientRequest, actor: Actor) -> bool:
    """``pending`` -> ``in_progress`` when the first answer is saved (event
    ``client_request.started``); True when it changed."""
    if request.status != "pending":
        return False
    request.status = "in_progress"
    request.started_at = request.updated_at = utcnow()
    await session.flush()
    await _event(session, "client_request.started", actor, request)
    return True


async def mark_submitted(session: AsyncSession, request: ClientRequest, actor: Actor) -> None:
    """``pending`` / ``in_progress`` -> ``submitted`` (the answers lock; reminders stop;
    event ``client_request.submitted``). The caller checked the required answers
    (``questions.ensure_complete``) and advances a linked task in the same transaction."""
    ensure_answerable(request)
    now = utcnow()
    if request.started_at is None:
        request.started_at = now
    request.status = "submitted"
    request.submitted_at = request.updated_at = now
    request.submitted_by_name = actor.name
    await session.flush()
    await reminders.set_active(session, subject_of(request), False)
    answered = await answer_values(session, request.id)
    await _event(
        session,
        "client_request.submitted",
        actor,
        request,
        question_count=len(request.questions or []),
        answer_count=len(
            [q for q in request.questions or [] if is_answered(answered.get(str(q.get("id"))))]
        ),
    )


def questions_of(request: ClientRequest) -> list[QuestionModel]:
    return load_questions(request.questions)
