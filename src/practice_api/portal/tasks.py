"""The client area (issue 18): the contact's dashboard, the output documents delivered to it
with per-contact read tracking, uploads into the input slots of existing tasks, and task
requests for the types the firm marked requestable. Contact tokens only.

What a contact sees, and the dashboard's queries, are in ``portal.documents``. "Today" is
the firm's today (its ``time_zone``).
"""

from __future__ import annotations

import calendar
import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response, status
from sqlalchemy.ext.asyncio import AsyncSession

from practice_api.access.policy import object_policy, principal_policy
from practice_api.access.principals import current_contact
from practice_api.contacts.repository import ContactRole, GrantRepository
from practice_api.core.errors import (
    Conflict,
    NotFound,
    ValidationFailed,
    ValidationIssue,
    problem_responses,
)
from practice_api.core.http import created
from practice_api.core.pagination import (
    Ordering,
    PageParams,
    json_response,
    page_params,
    paginate,
)
from practice_api.core.principals import Principal
from practice_api.core.schemas import QueryDate
from practice_api.core.time import local_today
from practice_api.db import SessionDep, writes_on_get
from practice_api.files.repository import FileRepository
from practice_api.files.transfer import (
    DOWNLOAD_RESPONSES,
    StorageDep,
    receive_upload,
    send_file,
    upload_body,
)
from practice_api.files.upload import UploadPolicy
from practice_api.portal import dashboard as board
from practice_api.portal.policy import CanSeePortalEntity, contact_level
from practice_api.portal.task_schemas import (
    Dashboard,
    PortalDocument,
    PortalDocumentPage,
    PortalTaskInput,
    PortalTaskInputFile,
    PortalTaskInputPage,
    PortalTaskRequest,
    PortalTaskType,
    PortalTaskTypePage,
    TaskRequestCreate,
)
from practice_api.runtime import RuntimeDep
from practice_api.tasks import contact_repository as documents
from practice_api.tasks import service as tasks
from practice_api.tasks.models import (
    Task,
    TaskInput,
    TaskOutput,
    TaskType,
)
from practice_api.tasks.schemas import DocumentStatus, TaskCreate

router = APIRouter(prefix="/v1/portal", tags=["portal"])
PageDep = Annotated[PageParams, Depends(page_params)]
ContactDep = Annotated[Principal, Depends(principal_policy("portal.self"))]

DOCUMENT_ORDERING = Ordering(
    fields={"created_at": TaskOutput.created_at},
    id_column=TaskOutput.id,
    default="created_at",
)
INPUT_ORDERING = Ordering(
    fields={"created_at": TaskInput.created_at}, id_column=TaskInput.id, default="created_at"
)
TYPE_ORDERING = Ordering(fields={"name": TaskType.name}, id_column=TaskType.id, default="name")


def _document(row: Any, today: dt.date) -> PortalDocument:
    output, title, entity_name, read_at = row
    uploaded = output.file_id is not None
    return PortalDocument(
        id=output.id,
        entity_id=output.entity_id,
        entity_name=entity_name,
        task_id=output.task_id,
        task_title=title,
        name=output.name,
        description=output.description,
        due_date=output.due_date,
        status=documents.status_of(output.due_date, read_at, today),
        uploaded=uploaded,
        read_at=read_at,
        content_url=f"/v1/portal/documents/{output.id}/content" if uploaded else None,
    )


async def _today(session: AsyncSession, principal: Principal) -> dt.date:
    return local_today(await tasks.firm_time_zone(session, principal.firm_id))


# --- dashboard --------------------------------------------------------------------------


def _month(value: str | None, today: dt.date) -> tuple[str, dt.date, dt.date]:
    if value is None:
        year, month = today.year, today.month
    else:
        try:
            year, month = (int(part) for part in value.split("-"))
            dt.date(year, month, 1)
        except ValueError:
            raise ValidationFailed(
                "`month` is YYYY-MM.",
                errors=[ValidationIssue(loc=["query", "month"], msg="not a month", type="month")],
            ) from None
    last = calendar.monthrange(year, month)[1]
    return f"{year:04d}-{month:02d}", dt.date(year, month, 1), dt.date(year, month, last)


@router.get(
    "/dashboard",
    operation_id="portal_dashboard",
    summary="The contact's dashboard: calendar, next 7 days, overdue unread, requests",
    description="`month` (YYYY-MM, default the current month in the firm's time zone). "
    "Every document carries its status for this contact. Runs a fixed number of SQL "
    "statements whatever the data.",
    response_model=Dashboard,
    responses=problem_responses(401, 403, 422),
)
async def dashboard(
    session: SessionDep,
    principal: ContactDep,
    month: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$", examples=["2026-03"])] = None,
) -> Response:
    today = await _today(session, principal)
    return json_response(await board.dashboard(session, principal, today, _month(month, today)))


# --- documents --------------------------------------------------------------------------


@router.get(
    "/documents",
    operation_id="portal_documents_list",
    summary="The output documents delivered to the contact's entities",
    description="Filters: `entity_id`, `task_id`, `due_after`/`due_before`, `status` (for "
    "this contact). A document not uploaded yet has `uploaded: false` and no link.",
    response_model=PortalDocumentPage,
    responses=problem_responses(400, 401, 403, 422),
)
async def list_documents(
    session: SessionDep,
    principal: ContactDep,
    page: PageDep,
    entity_id: uuid.UUID | None = None,
    task_id: uuid.UUID | None = None,
    due_after: QueryDate | None = None,
    due_before: QueryDate | None = None,
    document_status: Annotated[DocumentStatus | None, Query(alias="status")] = None,
    order_by: str = DOCUMENT_ORDERING.param(),
) -> PortalDocumentPage:
    today = await _today(session, principal)
    statement = documents.listed_documents(
        principal,
        today,
        entity_id=entity_id,
        task_id=task_id,
        due_after=due_after,
        due_before=due_before,
        status=document_status,
    )
    outputs, cursor = await paginate(session, statement, page, DOCUMENT_ORDERING, order_by)
    ids = [o.id for o in outputs]
    found = await documents.document_rows(session, principal, ids)
    items = [_document(found[i], today) for i in ids if i in found]
    return PortalDocumentPage(items=items, next_cursor=cursor)


@dataclass(frozen=True)
class DocumentContext:
    row: Any
    principal: Principal

    @property
    def output(self) -> TaskOutput:
        output: TaskOutput = self.row[0]
        return output


async def _readable_document(
    session: AsyncSession, principal: Principal, document_id: uuid.UUID
) -> Any:
    return await documents.document_row(session, principal, document_id)


def _no_document() -> NotFound:
    return NotFound("No document with that id.", code="document_not_found")


portal_document = object_policy(
    "portal.document",
    "portal",
    param="document_id",
    load=_readable_document,
    level=contact_level,
    build=lambda row, principal, _level: DocumentContext(row=row, principal=principal),
    not_found=_no_document,
    principal=current_contact,
)


CanSeeDocument = Annotated[DocumentContext, Depends(portal_document)]


@router.get(
    "/documents/{document_id}",
    operation_id="portal_documents_get",
    summary="One document delivered to the contact",
    response_model=PortalDocument,
    responses=problem_responses(401, 403, 404, 422),
)
async def get_document(session: SessionDep, context: CanSeeDocument) -> PortalDocument:
    return _document(context.row, await _today(session, context.principal))


@router.post(
    "/documents/{document_id}/read",
    operation_id="portal_documents_read",
    summary="Mark a document read without downloading it",
    response_model=PortalDocument,
    responses=problem_responses(401, 403, 404, 422),
)
async def read_document(session: SessionDep, context: CanSeeDocument) -> PortalDocument:
    await tasks.mark_output_read(session, context.principal, context.output)
    row = await documents.document_row(session, context.principal, context.output.id)
    return _document(row, await _today(session, context.principal))


@router.get(
    "/documents/{document_id}/content",
    operation_id="portal_documents_download",
    summary="Download a document (marks it read for this contact)",
    description="409 `document_not_uploaded` while the firm has not uploaded it yet. A "
    "download is recorded in the entity's activity log and marks the document read.",
    response_class=Response,
    responses={**DOWNLOAD_RESPONSES, **problem_responses(409)},
)
@writes_on_get
async def download_document(
    request: Request,
    session: SessionDep,
    context: CanSeeDocument,
    storage: StorageDep,
    disposition: Annotated[Literal["attachment", "inline"], Query()] = "attachment",
) -> Response:
    output = context.output
    files = FileRepository(session, context.principal.firm_id)
    document = await files.get(output.file_id) if output.file_id else None  # not deleted
    if document is None:
        raise Conflict("This document has not been uploaded yet.", code="document_not_uploaded")
    stored = await files.version(document)
    answer = await send_file(
        request,
        session,
        storage,
        document=document,
        stored=stored,
        actor=context.principal.actor,
        disposition=disposition,
    )
    if 200 <= answer.status_code < 300:
        await tasks.mark_output_read(session, context.principal, output)
    return answer


# --- uploads into the input slots of existing tasks -------------------------------------


@router.get(
    "/task-inputs",
    operation_id="portal_task_inputs_list",
    summary="The open input slots of existing tasks on the contact's entities",
    description="What the firm waits for: slots of open tasks (filled ones too, since a slot "
    "takes several files). Contributor contacts upload into them.",
    response_model=PortalTaskInputPage,
    responses=problem_responses(400, 401, 403, 422),
)
async def list_task_inputs(
    session: SessionDep,
    principal: ContactDep,
    page: PageDep,
    entity_id: uuid.UUID | None = None,
    task_id: uuid.UUID | None = None,
    order_by: str = INPUT_ORDERING.param(),
) -> PortalTaskInputPage:
    statement = documents.open_inputs(principal, entity_id=entity_id, task_id=task_id)
    slots, cursor = await paginate(session, statement, page, INPUT_ORDERING, order_by)
    return PortalTaskInputPage(
        items=await _inputs(session, principal, list(slots)), next_cursor=cursor
    )


async def _inputs(
    session: AsyncSession, principal: Principal, slots: list[TaskInput]
) -> list[PortalTaskInput]:
    if not slots:
        return []
    by_id, rows = await documents.slot_details(session, slots)
    files: dict[uuid.UUID, list[PortalTaskInputFile]] = {}
    for link, name in rows:
        files.setdefault(link.input_id, []).append(
            PortalTaskInputFile(
                name=name,
                uploaded_by_name=link.uploaded_by_name,
                uploaded_at=link.created_at,
                mine=link.uploaded_by_kind == "contact" and link.uploaded_by_id == principal.id,
            )
        )
    return [
        PortalTaskInput(
            id=slot.id,
            task_id=slot.task_id,
            task_title=by_id[slot.task_id].title,
            entity_id=by_id[slot.task_id].entity_id,
            name=slot.name,
            description=slot.description,
            required=slot.required,
            filled=bool(files.get(slot.id)),
            due_date=by_id[slot.task_id].due_date,
            files=files.get(slot.id, []),
            upload_url=f"/v1/portal/task-inputs/{slot.id}/files",
        )
        for slot in slots
    ]


@dataclass(frozen=True)
class InputContext:
    slot: TaskInput
    task: Task
    principal: Principal
    role: ContactRole


async def _input(
    session: AsyncSession, principal: Principal, input_id: uuid.UUID
) -> InputContext | None:
    found = await documents.input_slot(session, principal, input_id)
    if found is None:
        return None
    slot, task = found
    role = await GrantRepository(session, principal.firm_id).role_of(principal.id, task.entity_id)
    return None if role is None else InputContext(slot, task, principal, role)


def _no_input() -> NotFound:
    return NotFound("No input slot with that id.", code="task_input_not_found")


# Only contributors upload: the role is checked once the slot is found (404 first).
portal_input_upload = object_policy(
    "portal.task_inputs.upload",
    "portal",
    param="input_id",
    load=_input,
    level=contact_level,
    build=lambda found, _principal, _level: found,
    not_found=_no_input,
    principal=current_contact,
    allowed=lambda context: context.role == "contributor",
)
CanUploadToInput = Annotated[InputContext, Depends(portal_input_upload)]


@router.post(
    "/task-inputs/{input_id}/files",
    operation_id="portal_task_inputs_upload",
    summary="Upload a file into an input slot of an existing task (contributors)",
    description="`multipart/form-data` with one `file` field (the limits of every upload). A "
    "slot of a task that does not exist or is on an entity the contact cannot see answers "
    "404 `task_input_not_found`; a `viewer` contact 403 `portal_upload_forbidden`; a task "
    "that is done or cancelled 409 `task_not_open`. Nothing is stored when refused. The "
    "task's assignee (else the entity's responsible) is notified.",
    status_code=status.HTTP_201_CREATED,
    response_model=PortalTaskInput,
    openapi_extra=upload_body(),
    responses=problem_responses(400, 401, 403, 404, 409, 413, 415, 422),
)
async def upload_task_input(
    input_id: uuid.UUID,
    request: Request,
    response: Response,
    session: SessionDep,
    context: CanUploadToInput,
    storage: StorageDep,
    runtime: RuntimeDep,
) -> PortalTaskInput:
    principal, slot, task = context.principal, context.slot, context.task
    if task.status != "open":
        raise Conflict(
            f"The task is {task.status}: it takes no more documents.", code="task_not_open"
        )
    received = await receive_upload(
        request, session, storage, UploadPolicy.from_settings(runtime.settings)
    )
    await tasks.put_input_file(session, principal.actor, task, slot, received)
    created(response, f"/v1/portal/task-inputs?task_id={task.id}")
    return (await _inputs(session, principal, [slot]))[0]


# --- task requests ----------------------------------------------------------------------


@router.get(
    "/task-types",
    operation_id="portal_task_types_list",
    summary="The task types the firm lets clients request",
    response_model=PortalTaskTypePage,
    responses=problem_responses(400, 401, 403, 422),
)
async def list_requestable_types(
    session: SessionDep,
    principal: ContactDep,
    page: PageDep,
    order_by: str = TYPE_ORDERING.param(),
) -> PortalTaskTypePage:
    statement = documents.requestable_types(principal)
    rows, cursor = await paginate(session, statement, page, TYPE_ORDERING, order_by)
    return PortalTaskTypePage(
        items=[
            PortalTaskType(
                id=t.id,
                name=t.name,
                description=t.description,
                input_documents=[d["name"] for d in t.input_documents],
            )
            for t in rows
        ],
        next_cursor=cursor,
    )


@router.post(
    "/entities/{entity_id}/task-requests",
    operation_id="portal_task_requests_create",
    summary="Request a task of a requestable type for an entity",
    description="Creates a task with `origin: client` (staff find it with `GET "
    "/v1/tasks?origin=client`); it shows under the dashboard's requests in progress until it "
    "is done. A type the firm did not mark requestable: 422 `task_type_not_requestable`.",
    status_code=status.HTTP_201_CREATED,
    response_model=PortalTaskRequest,
    responses=problem_responses(401, 403, 404, 422),
)
async def create_task_request(
    body: TaskRequestCreate, response: Response, session: SessionDep, context: CanSeePortalEntity
) -> PortalTaskRequest:
    principal = context.principal
    task_type = await documents.requestable_type(session, principal, body.task_type_id)
    if task_type is None:
        raise ValidationFailed(
            "Clients may request only the task types the firm marked requestable.",
            code="task_type_not_requestable",
            errors=[
                ValidationIssue(loc=["body", "task_type_id"], msg="not requestable", type="type")
            ],
        )
    task = await tasks.create_task(
        session,
        principal.actor,
        context.entity,
        TaskCreate(task_type_id=task_type.id, description=body.note, due_date=body.due_date),
        origin="client",
        requested_by_contact_id=principal.id,
    )
    created(response, "/v1/portal/dashboard")
    return PortalTaskRequest(
        id=task.id,
        entity_id=task.entity_id,
        task_type_id=task.task_type_id,
        title=task.title,
        status=task.status,
        stage=task.stage,
        due_date=task.due_date,
        created_at=task.created_at,
    )
