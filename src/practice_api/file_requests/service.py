"""File request use cases: create, edit while nothing is submitted, the review cycle
(submit -> accept, or return -> submit again), cancel and reopen, reminders.

Every step records an event (activity log, notifications, webhooks) in the caller's
transaction. The request's status follows its items (``_refresh``): ``open`` (nothing
sent yet), ``in_progress``, ``submitted`` (every item submitted or accepted), ``completed``
(every item accepted); ``cancelled`` is set by staff. Reminders run while some item waits
for the contacts (open or returned) and stop otherwise.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from practice_api.contacts.models import EntityContact
from practice_api.core.errors import Conflict, ValidationFailed, ValidationIssue
from practice_api.core.etag import check_if_match
from practice_api.core.principals import Actor, Principal
from practice_api.core.time import utcnow
from practice_api.entities.models import Entity
from practice_api.entities.policy import EntityContext
from practice_api.events.service import EventSubject, apply_changes
from practice_api.file_requests.models import (
    FileRequest,
    FileRequestItem,
    FileRequestRecipient,
    FileRequestUpload,
)
from practice_api.file_requests.repository import (
    item_not_found,
    items_of,
    recipient_ids,
)
from practice_api.file_requests.schemas import (
    MAX_ITEMS,
    FileRequestCreate,
    FileRequestUpdate,
    ItemCreate,
    ItemUpdate,
)
from practice_api.files import service as files_service
from practice_api.files.models import FileDocument
from practice_api.files.upload import ReceivedFile
from practice_api.firms.models import Firm
from practice_api.reminders import service as reminders
from practice_api.reminders.sources import OpenItem, RecipientKey, register_source

SUBJECT_KIND = "file_request"
WAITING_ITEMS = ("open", "returned")


def subject_of(request: FileRequest) -> tuple[str, uuid.UUID]:
    return (SUBJECT_KIND, request.id)


# --- checks ---------------------------------------------------------------------------------


async def _firm(session: AsyncSession, firm_id: uuid.UUID) -> Firm:
    firm = await session.get(Firm, firm_id)
    assert firm is not None
    return firm


async def _check_recipients(
    session: AsyncSession, entity_id: uuid.UUID, ids: list[uuid.UUID]
) -> list[uuid.UUID]:
    wanted = list(dict.fromkeys(ids))
    found = set(
        (
            await session.scalars(
                select(EntityContact.contact_id).where(
                    EntityContact.entity_id == entity_id,
                    EntityContact.contact_id.in_(wanted),
                    EntityContact.role == "contributor",
                )
            )
        ).all()
    )
    missing = [i for i in wanted if i not in found]
    if missing:
        raise ValidationFailed(
            "Recipients must be contacts with the contributor role on this entity: "
            + ", ".join(str(i) for i in missing),
            code="recipient_not_contributor",
            errors=[
                ValidationIssue(
                    loc=["body", "recipients", ids.index(i)],
                    msg=f"{i}: not a contributor contact of this entity",
                    type="recipient",
                )
                for i in missing
            ],
        )
    return wanted


async def _check_attachments(
    session: AsyncSession, firm_id: uuid.UUID, entity_id: uuid.UUID, items: list[Any]
) -> None:
    wanted = {item.attachment for item in items if getattr(item, "attachment", None)}
    if not wanted:
        return
    found = set(
        (
            await session.scalars(
                select(FileDocument.id).where(
                    FileDocument.firm_id == firm_id,
                    FileDocument.entity_id == entity_id,
                    FileDocument.deleted_at.is_(None),
                    FileDocument.id.in_(wanted),
                )
            )
        ).all()
    )
    errors = [
        ValidationIssue(
            loc=["body", "items", n, "attachment"],
            msg=f"{item.attachment}: not a file of this entity",
            type="file",
        )
        for n, item in enumerate(items)
        if getattr(item, "attachment", None) and item.attachment not in found
    ]
    if errors:
        raise ValidationFailed(
            "An item's attachment must be a file of the same entity.",
            code="attachment_not_allowed",
            errors=errors,
        )


def _check_additional_message(firm: Firm, message: str | None) -> None:
    if message and not firm.detailed_notifications_enabled:
        raise ValidationFailed(
            "An additional message needs the firm setting detailed_notifications_enabled.",
            code="additional_message_disabled",
            errors=[
                ValidationIssue(
                    loc=["body", "additional_message"], msg="disabled by the firm", type="setting"
                )
            ],
        )


def _ensure_open(request: FileRequest) -> None:
    if request.status in ("cancelled", "completed"):
        raise Conflict(
            f"The file request is {request.status}.",
            code="file_request_closed",
            extra={"request_status": request.status},
        )


def locked(detail: str) -> Conflict:
    return Conflict(detail, code="request_item_locked")


# --- events ---------------------------------------------------------------------------------


async def _entity_name(session: AsyncSession, entity_id: uuid.UUID) -> str:
    return str(await session.scalar(select(Entity.name).where(Entity.id == entity_id)) or "")


FILE_REQUEST: EventSubject[FileRequest] = EventSubject(
    "file_request",
    lambda request: {
        "request_id": request.id,
        "subject": request.subject,
        "status": request.status,
        "due_date": request.due_date,
    },
    entity=lambda request: request.entity_id,
)


async def _event(
    session: AsyncSession,
    type: str,
    actor: Actor,
    request: FileRequest,
    items: list[FileRequestItem] | None = None,
    **extra: Any,
) -> None:
    """A request's event also names its client and the items it is about."""
    await FILE_REQUEST.record(
        session,
        type,
        actor,
        request,
        entity_name=await _entity_name(session, request.entity_id),
        request_items=[{"id": i.id, "title": i.title, "status": i.status} for i in items or []],
        **extra,
    )


# --- status ---------------------------------------------------------------------------------


async def _refresh(
    session: AsyncSession,
    request: FileRequest,
    actor: Actor,
    items: list[FileRequestItem] | None = None,
) -> None:
    """The request's status and reminders from its items; announces completion."""
    items = items if items is not None else await items_of(session, request.id)
    before = request.status
    statuses = [i.status for i in items]
    if request.status != "cancelled":
        if statuses and all(s == "accepted" for s in statuses):
            request.status = "completed"
        elif statuses and all(s in ("submitted", "accepted") for s in statuses):
            request.status = "submitted"
        elif any(s != "open" for s in statuses):
            request.status = "in_progress"
        else:
            request.status = "open"
    request.completed_at = utcnow() if request.status == "completed" else None
    request.waiting = request.status in ("open", "in_progress") and any(
        s in WAITING_ITEMS for s in statuses
    )
    request.updated_at = utcnow()
    await session.flush()
    await reminders.set_active(session, subject_of(request), request.waiting)
    if request.status == "completed" and before != "completed":
        await _event(session, "file_request.completed", actor, request, item_count=len(items))


# --- create and edit ------------------------------------------------------------------------


def _new_item(request: FileRequest, position: int, data: ItemCreate) -> FileRequestItem:
    return FileRequestItem(
        firm_id=request.firm_id,
        request_id=request.id,
        position=position,
        title=data.title,
        description=data.description,
        due_date=data.due_date,
        attachment_file_id=data.attachment,
        status="open",
    )


async def create_request(
    session: AsyncSession, context: EntityContext, data: FileRequestCreate
) -> FileRequest:
    principal, entity = context.principal, context.entity
    firm = await _firm(session, principal.firm_id)
    _check_additional_message(firm, data.additional_message)
    recipients = await _check_recipients(session, entity.id, data.recipients)
    await _check_attachments(session, principal.firm_id, entity.id, data.items)
    request = FileRequest(
        firm_id=principal.firm_id,
        entity_id=entity.id,
        subject=data.subject,
        description=data.description,
        additional_message=data.additional_message or None,
        due_date=data.due_date,
        status="open",
        waiting=True,
        created_by_id=principal.id,
        created_by_name=principal.name,
    )
    session.add(request)
    await session.flush()
    session.add_all([FileRequestRecipient(request_id=request.id, contact_id=c) for c in recipients])
    items = [_new_item(request, n + 1, item) for n, item in enumerate(data.items)]
    session.add_all(items)
    await session.flush()
    await reminders.set_schedule(
        session,
        firm_id=request.firm_id,
        entity_id=request.entity_id,
        subject=subject_of(request),
        recipients=[("contact", c) for c in recipients],
        due_date=request.due_date,
        override=data.reminders,
        time_zone=firm.time_zone,
    )
    await _event(
        session,
        "file_request.created",
        principal.actor,
        request,
        items,
        description=request.description,
        additional_message=request.additional_message,
        recipient_ids=recipients,
        item_count=len(items),
    )
    return request


async def _any_upload(session: AsyncSession, request: FileRequest) -> bool:
    found = await session.scalar(
        select(FileRequestItem.id)
        .where(FileRequestItem.request_id == request.id, FileRequestItem.uploads > 0)
        .limit(1)
    )
    return found is not None


async def update_request(
    session: AsyncSession,
    request: FileRequest,
    principal: Principal,
    data: FileRequestUpdate,
    if_match: str | None,
) -> FileRequest:
    check_if_match(if_match, request.version)
    _ensure_open(request)
    changes = data.changes()
    override = changes.pop("reminders", ...)
    new_recipients = changes.pop("recipients", None)
    if (changes or new_recipients is not None) and await _any_upload(session, request):
        raise locked(
            "Subject, description, due date, recipients and the additional message cannot "
            "change once an item has been submitted."
        )
    firm = await _firm(session, request.firm_id)
    if "additional_message" in changes:
        _check_additional_message(firm, changes["additional_message"])
    diff = apply_changes(request, changes)
    recipients = await recipient_ids(session, request.id)
    if new_recipients is not None:
        wanted = await _check_recipients(
            session, request.entity_id, [uuid.UUID(str(i)) for i in new_recipients]
        )
        if set(wanted) != set(recipients):
            for contact_id in set(recipients) - set(wanted):
                row = await session.get(FileRequestRecipient, (request.id, contact_id))
                if row is not None:
                    await session.delete(row)
            session.add_all(
                [
                    FileRequestRecipient(request_id=request.id, contact_id=c)
                    for c in wanted
                    if c not in recipients
                ]
            )
            diff["recipients"] = {
                "old": [str(c) for c in recipients],
                "new": [str(c) for c in wanted],
            }
            recipients = wanted
    if override is not ...:
        diff["reminders"] = {"old": None, "new": override}
    if diff:
        request.updated_at = utcnow()
        await session.flush()
        schedule = await reminders.schedule_of(session, subject_of(request))
        await reminders.set_schedule(
            session,
            firm_id=request.firm_id,
            entity_id=request.entity_id,
            subject=subject_of(request),
            recipients=[("contact", c) for c in recipients],
            due_date=request.due_date,
            override=(None if override is ... or override is None else _override(override)),
            keep_override=override is ... and schedule is not None,
            time_zone=firm.time_zone,
        )
        await _event(session, "file_request.updated", principal.actor, request, changes=diff)
    return request


def _override(values: dict[str, Any]) -> Any:
    from practice_api.reminders.schemas import ReminderOverride

    return ReminderOverride.model_validate(values)


async def add_items(
    session: AsyncSession, request: FileRequest, principal: Principal, data: list[ItemCreate]
) -> list[FileRequestItem]:
    _ensure_open(request)
    existing = await items_of(session, request.id)
    if len(existing) + len(data) > MAX_ITEMS:
        raise ValidationFailed(
            f"A file request holds at most {MAX_ITEMS} items.", code="too_many_items"
        )
    await _check_attachments(session, request.firm_id, request.entity_id, data)
    start = max((i.position for i in existing), default=0)
    items = [_new_item(request, start + n + 1, item) for n, item in enumerate(data)]
    session.add_all(items)
    await session.flush()
    await _event(
        session,
        "file_request.updated",
        principal.actor,
        request,
        items,
        changes={"items": {"old": None, "new": [i.title for i in items]}},
    )
    await _refresh(session, request, principal.actor, existing + items)
    return items


async def update_item(
    session: AsyncSession,
    request: FileRequest,
    item: FileRequestItem,
    principal: Principal,
    data: ItemUpdate,
) -> FileRequestItem:
    _ensure_open(request)
    if item.uploads:
        raise locked("This item has been submitted; it can no longer change.")
    changes = data.changes()
    if "attachment" in changes:
        if changes["attachment"] is not None:
            await _check_attachments(session, request.firm_id, request.entity_id, [data])
        changes["attachment_file_id"] = changes.pop("attachment")
    diff = apply_changes(item, changes)
    if diff:
        item.updated_at = request.updated_at = utcnow()
        await session.flush()
        await _event(
            session, "file_request.updated", principal.actor, request, [item], changes=diff
        )
    return item


async def delete_item(
    session: AsyncSession, request: FileRequest, item: FileRequestItem, principal: Principal
) -> None:
    _ensure_open(request)
    if item.uploads:
        raise locked("This item has been submitted; it can no longer be removed.")
    items = await items_of(session, request.id)
    if len(items) == 1:
        raise Conflict("A file request keeps at least one item.", code="last_item")
    await session.delete(item)
    await session.flush()
    await _event(
        session,
        "file_request.updated",
        principal.actor,
        request,
        [item],
        changes={"items": {"old": item.title, "new": None}},
    )
    await _refresh(session, request, principal.actor, [i for i in items if i.id != item.id])


# --- review ---------------------------------------------------------------------------------


def _pick(items: list[FileRequestItem], ids: list[uuid.UUID] | None) -> list[FileRequestItem]:
    if ids is None:
        return [i for i in items if i.status == "submitted"]
    by_id = {i.id: i for i in items}
    missing = [i for i in ids if i not in by_id]
    if missing:
        raise item_not_found()
    return [by_id[i] for i in dict.fromkeys(ids)]


async def accept_items(
    session: AsyncSession, request: FileRequest, principal: Principal, ids: list[uuid.UUID] | None
) -> list[FileRequestItem]:
    if request.status == "cancelled":
        _ensure_open(request)
    items = await items_of(session, request.id)
    chosen = _pick(items, ids)
    wrong = [i for i in chosen if i.status != "submitted"]
    if wrong:
        raise Conflict(
            "Only submitted items can be accepted: " + ", ".join(i.title for i in wrong),
            code="file_request_item_not_submitted",
            extra={"item_ids": [str(i.id) for i in wrong]},
        )
    if not chosen:
        return []
    now = utcnow()
    for item in chosen:
        item.status, item.accepted_at, item.return_reason = "accepted", now, None
        item.updated_at = now
    await session.flush()
    await _event(session, "file_request.item_accepted", principal.actor, request, chosen)
    await _refresh(session, request, principal.actor, items)
    return chosen


async def return_items(
    session: AsyncSession,
    request: FileRequest,
    principal: Principal,
    ids: list[uuid.UUID],
    reason: str,
) -> list[FileRequestItem]:
    if request.status == "cancelled":
        _ensure_open(request)
    items = await items_of(session, request.id)
    chosen = _pick(items, ids)
    wrong = [i for i in chosen if i.status not in ("submitted", "accepted")]
    if wrong:
        raise Conflict(
            "Only submitted or accepted items can be returned: "
            + ", ".join(i.title for i in wrong),
            code="file_request_item_not_submitted",
            extra={"item_ids": [str(i.id) for i in wrong]},
        )
    now = utcnow()
    for item in chosen:
        item.status, item.return_reason, item.returned_at = "returned", reason, now
        item.accepted_at = None
        item.updated_at = now
    await session.flush()
    await _event(
        session, "file_request.item_returned", principal.actor, request, chosen, reason=reason
    )
    await _refresh(session, request, principal.actor, items)
    return chosen


async def cancel(
    session: AsyncSession, request: FileRequest, principal: Principal, reason: str | None
) -> FileRequest:
    _ensure_open(request)
    request.status = "cancelled"
    request.cancelled_at = utcnow()
    await _refresh(session, request, principal.actor)
    await _event(session, "file_request.cancelled", principal.actor, request, reason=reason)
    return request


async def reopen(session: AsyncSession, request: FileRequest, principal: Principal) -> FileRequest:
    if request.status != "cancelled":
        raise Conflict(
            "Only a cancelled request can be reopened; return items to reopen a completed one.",
            code="file_request_not_cancelled",
        )
    request.status = "open"
    request.cancelled_at = None
    await _refresh(session, request, principal.actor)
    await _event(session, "file_request.reopened", principal.actor, request)
    return request


async def remind(session: AsyncSession, request: FileRequest, principal: Principal) -> int:
    _ensure_open(request)
    if not request.waiting:
        raise Conflict("Nothing waits for the contacts.", code="file_request_not_waiting")
    return await reminders.remind_now(
        session, subject_of(request), principal.actor, entity_id=request.entity_id
    )


# --- the contact's upload -------------------------------------------------------------------


def ensure_uploadable(request: FileRequest, item: FileRequestItem) -> None:
    _ensure_open(request)
    if item.status == "accepted":
        raise Conflict("This item was accepted already.", code="request_item_accepted")


async def submit_upload(
    session: AsyncSession,
    request: FileRequest,
    item: FileRequestItem,
    principal: Principal,
    received: ReceivedFile,
) -> tuple[FileRequestItem, FileRequestUpload]:
    """An upload into an item: the attachment's next version for an update item, else a new
    file of the entity (then its versions); the item is ``submitted``."""
    # Read again: the request may have changed while the bytes streamed in. Its row is
    # locked first (PostgreSQL), so uploads into one request (one new-file item included:
    # one file) take turns instead of failing on the request's version.
    await session.refresh(request, with_for_update=True)
    await session.refresh(item)
    ensure_uploadable(request, item)
    actor = principal.actor
    if item.attachment_file_id is not None or item.result_file_id is not None:
        target = item.attachment_file_id or item.result_file_id
        assert target is not None
        document, version = await files_service.add_version(
            session, firm_id=request.firm_id, file_id=target, actor=actor, received=received
        )
    else:
        document, version = await files_service.add_file(
            session,
            firm_id=request.firm_id,
            entity_id=request.entity_id,
            actor=actor,
            received=received,
        )
        item.result_file_id = document.id
    upload = FileRequestUpload(
        firm_id=request.firm_id,
        item_id=item.id,
        file_id=document.id,
        file_version=version.number,
        uploaded_by_kind=actor.kind,
        uploaded_by_id=actor.id,
        uploaded_by_name=actor.name,
    )
    session.add(upload)
    now = utcnow()
    item.status, item.submitted_at, item.updated_at = "submitted", now, now
    item.uploads += 1
    await session.flush()
    await _event(
        session,
        "file_request.item_submitted",
        actor,
        request,
        [item],
        file_id=document.id,
        file_version=version.number,
    )
    await _refresh(session, request, actor)
    return item, upload


# --- what the reminders list ----------------------------------------------------------------


async def open_items(
    session: AsyncSession, firm_id: uuid.UUID, recipients: list[RecipientKey]
) -> dict[RecipientKey, list[OpenItem]]:
    contacts = [rid for kind, rid in recipients if kind == "contact"]
    out: dict[RecipientKey, list[OpenItem]] = {}
    if not contacts:
        return out
    rows = await session.execute(
        select(FileRequestRecipient.contact_id, FileRequest, FileRequestItem)
        .join(FileRequest, FileRequest.id == FileRequestRecipient.request_id)
        .join(FileRequestItem, FileRequestItem.request_id == FileRequest.id)
        .where(
            FileRequest.firm_id == firm_id,
            FileRequest.waiting.is_(True),
            FileRequestRecipient.contact_id.in_(contacts),
            FileRequestItem.status.in_(WAITING_ITEMS),
        )
        .order_by(FileRequest.due_date, FileRequest.id, FileRequestItem.position)
    )
    for contact_id, request, item in rows:
        out.setdefault(("contact", contact_id), []).append(
            OpenItem(
                subject_kind=SUBJECT_KIND,
                subject_id=request.id,
                subject_title=request.subject,
                item_title=item.title,
                due_date=item.due_date or request.due_date,
                path=f"file-requests/{request.id}",
                status=item.status,
            )
        )
    return out


def register_reminder_source() -> None:
    """Called by ``registry.register_all()``: reminders list this domain's open items."""
    register_source(SUBJECT_KIND, open_items)
