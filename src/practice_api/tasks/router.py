"""Task types, entity subscriptions, tasks and their documents (staff side)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status
from sqlalchemy.ext.asyncio import AsyncSession

from practice_api.core.errors import ValidationFailed, ValidationIssue, problem_responses
from practice_api.core.etag import IfMatchHeader, set_etag
from practice_api.core.http import created, updated
from practice_api.core.pagination import PageParams, page_params
from practice_api.core.principals import Principal
from practice_api.core.schemas import QueryDate
from practice_api.core.time import local_today
from practice_api.db import SessionDep
from practice_api.entities.models import Entity
from practice_api.entities.repository import FirmEntities
from practice_api.files.transfer import StorageDep, receive_upload, upload_body
from practice_api.files.upload import UploadPolicy
from practice_api.runtime import RuntimeDep
from practice_api.tasks import service
from practice_api.tasks.generation import generate_tasks
from practice_api.tasks.models import Task, TaskSubscription, TaskType
from practice_api.tasks.policy import (
    CanCreateTaskTypes,
    CanGenerateTasks,
    CanListTasks,
    CanListTaskTypes,
    CanManageEntityTasks,
    CanViewEntityTasks,
    ManageableTask,
    ManageableTaskType,
    TaskInputDep,
    TaskOutputDep,
    ViewableTask,
    ViewableTaskType,
)
from practice_api.tasks.repository import (
    SUBSCRIPTION_ORDERING,
    TASK_ORDERING,
    TASK_TYPE_ORDERING,
    SubscriptionRepository,
    TaskFilters,
    TaskRepository,
    TaskTypeRepository,
)
from practice_api.tasks.schemas import (
    GenerationResult,
    SubscriptionPage,
    SubscriptionPut,
    SubscriptionRead,
    TaskAdvance,
    TaskCreate,
    TaskInputCreate,
    TaskOrigin,
    TaskOutputCreate,
    TaskOutputRead,
    TaskOutputUpdate,
    TaskPage,
    TaskRead,
    TaskStatus,
    TaskTypeCreate,
    TaskTypePage,
    TaskTypeRead,
    TaskTypeUpdate,
    TaskUpdate,
)

router = APIRouter(tags=["tasks"])
PageDep = Annotated[PageParams, Depends(page_params)]


async def _one(session: AsyncSession, task: Task) -> TaskRead:
    return (await service.read_tasks(session, task.firm_id, [task]))[0]


# --- task types -------------------------------------------------------------------------


@router.get(
    "/v1/task-types",
    operation_id="task_types_list",
    summary="List the firm's task types",
    response_model=TaskTypePage,
    responses=problem_responses(400, 401, 403, 422),
)
async def list_task_types(
    session: SessionDep,
    principal: CanListTaskTypes,
    page: PageDep,
    archived: Annotated[
        bool | None, Query(description="true: only archived; false: only in use.")
    ] = None,
    client_requestable: bool | None = None,
    order_by: str = TASK_TYPE_ORDERING.param(),
) -> TaskTypePage:
    repository = TaskTypeRepository(session, principal.firm_id)
    statement = repository.readable()
    model = repository.model
    if archived is not None:
        statement = statement.where(
            model.archived_at.is_not(None) if archived else model.archived_at.is_(None)
        )
    if client_requestable is not None:
        statement = statement.where(model.client_requestable.is_(client_requestable))
    rows, cursor = await repository.page(statement, page, TASK_TYPE_ORDERING, order_by)
    return TaskTypePage(
        items=[TaskTypeRead.model_validate(row) for row in rows], next_cursor=cursor
    )


@router.post(
    "/v1/task-types",
    operation_id="task_types_create",
    summary="Add a task type to the firm's catalogue (admins)",
    description="Ordered `stages`, the `input_documents` the client supplies, the "
    "`output_documents` the firm delivers (each with a due rule and whether the client sees "
    "it), `client_requestable`, and an optional `recurrence` for subscribed entities.",
    status_code=status.HTTP_201_CREATED,
    response_model=TaskTypeRead,
    responses=problem_responses(401, 403, 422),
)
async def create_task_type(
    body: TaskTypeCreate, response: Response, session: SessionDep, principal: CanCreateTaskTypes
) -> TaskTypeRead:
    task_type = await service.create_type(session, principal, body)
    created(response, f"/v1/task-types/{task_type.id}", task_type.version)
    return TaskTypeRead.model_validate(task_type)


@router.get(
    "/v1/task-types/{task_type_id}",
    operation_id="task_types_get",
    summary="Get a task type",
    response_model=TaskTypeRead,
    responses=problem_responses(304, 401, 403, 404, 422),
)
async def get_task_type(
    request: Request, response: Response, task_type: ViewableTaskType
) -> TaskTypeRead:
    set_etag(request, response, task_type.version)
    return TaskTypeRead.model_validate(task_type)


@router.patch(
    "/v1/task-types/{task_type_id}",
    operation_id="task_types_update",
    summary="Change a task type (admins; existing tasks keep their stages and documents)",
    response_model=TaskTypeRead,
    responses=problem_responses(401, 403, 404, 412, 422),
)
async def update_task_type(
    body: TaskTypeUpdate,
    response: Response,
    session: SessionDep,
    task_type: ManageableTaskType,
    principal: CanCreateTaskTypes,
    if_match: IfMatchHeader = None,
) -> TaskTypeRead:
    task_type = await service.update_type(session, principal, task_type, body, if_match)
    updated(response, task_type.version)
    return TaskTypeRead.model_validate(task_type)


@router.post(
    "/v1/task-types/{task_type_id}/archive",
    operation_id="task_types_archive",
    summary="Archive a task type: no new tasks (recurring or not); existing tasks stay",
    response_model=TaskTypeRead,
    responses=problem_responses(401, 403, 404, 422),
)
async def archive_task_type(
    response: Response,
    session: SessionDep,
    task_type: ManageableTaskType,
    principal: CanCreateTaskTypes,
) -> TaskTypeRead:
    return await _set_archived(response, session, task_type, principal, archived=True)


@router.post(
    "/v1/task-types/{task_type_id}/unarchive",
    operation_id="task_types_unarchive",
    summary="Put an archived task type back in use",
    response_model=TaskTypeRead,
    responses=problem_responses(401, 403, 404, 422),
)
async def unarchive_task_type(
    response: Response,
    session: SessionDep,
    task_type: ManageableTaskType,
    principal: CanCreateTaskTypes,
) -> TaskTypeRead:
    return await _set_archived(response, session, task_type, principal, archived=False)


async def _set_archived(
    response: Response,
    session: AsyncSession,
    task_type: TaskType,
    principal: Principal,
    *,
    archived: bool,
) -> TaskTypeRead:
    task_type = await service.set_type_archived(session, principal, task_type, archived)
    updated(response, task_type.version)
    return TaskTypeRead.model_validate(task_type)


@router.post(
    "/v1/task-generation-runs",
    operation_id="task_generation_run",
    summary="Generate the firm's recurring tasks now (admins)",
    description="What the periodic job does (`practice-api generate-tasks`, the worker): "
    "each subscribed entity gets one task per period once the period is within the firm's "
    "`task_days_ahead`; running it again creates nothing new.",
    response_model=GenerationResult,
    responses=problem_responses(401, 403),
)
async def run_generation(
    session: SessionDep, principal: CanGenerateTasks, runtime: RuntimeDep
) -> GenerationResult:
    await session.commit()  # each task commits on its own connection
    made = await generate_tasks(runtime.sessionmaker, principal.firm_id)
    return GenerationResult(created=made)


# --- subscriptions ----------------------------------------------------------------------


@router.get(
    "/v1/entities/{entity_id}/task-subscriptions",
    operation_id="task_subscriptions_list",
    summary="The recurring task types an entity is subscribed to",
    response_model=SubscriptionPage,
    responses=problem_responses(400, 401, 403, 404, 422),
)
async def list_subscriptions(
    session: SessionDep,
    context: CanViewEntityTasks,
    page: PageDep,
    order_by: str = SUBSCRIPTION_ORDERING.param(),
) -> SubscriptionPage:
    repository = SubscriptionRepository(session, context.principal.firm_id)
    statement = repository.readable().where(TaskSubscription.entity_id == context.entity.id)
    rows, cursor = await repository.page(statement, page, SUBSCRIPTION_ORDERING, order_by)
    return SubscriptionPage(
        items=[SubscriptionRead.model_validate(row) for row in rows], next_cursor=cursor
    )


@router.put(
    "/v1/entities/{entity_id}/task-subscriptions/{task_type_id}",
    operation_id="task_subscriptions_put",
    summary="Subscribe an entity to a recurring task type (or change the subscription)",
    description="From `starts_on` (default today in the firm's time zone), each period's task "
    "is generated ahead of time. 409 `task_type_not_recurring` for a type without recurrence "
    "or archived.",
    response_model=SubscriptionRead,
    responses={
        201: {"model": SubscriptionRead, "description": "Subscribed (a new subscription)"},
        **problem_responses(401, 403, 404, 409, 422),
    },
)
async def put_subscription(
    task_type_id: uuid.UUID,
    body: SubscriptionPut,
    response: Response,
    session: SessionDep,
    context: CanManageEntityTasks,
) -> SubscriptionRead:
    task_type = await TaskTypeRepository(session, context.principal.firm_id).get_or_404(
        task_type_id
    )
    subscription, made = await service.subscribe(
        session, context.principal, context.entity, task_type, body
    )
    if made:
        response.status_code = status.HTTP_201_CREATED
        created(response, f"/v1/entities/{context.entity.id}/task-subscriptions/{task_type.id}")
    return SubscriptionRead.model_validate(subscription)


@router.delete(
    "/v1/entities/{entity_id}/task-subscriptions/{task_type_id}",
    operation_id="task_subscriptions_delete",
    summary="End an entity's subscription (its tasks stay)",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(401, 403, 404, 422),
)
async def delete_subscription(
    task_type_id: uuid.UUID, session: SessionDep, context: CanManageEntityTasks
) -> Response:
    task_type = await TaskTypeRepository(session, context.principal.firm_id).get_or_404(
        task_type_id
    )
    await service.unsubscribe(session, context.principal, context.entity, task_type)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# --- tasks ------------------------------------------------------------------------------


def _filters(
    session_tz_today: dt.date,
    *,
    entity_id: uuid.UUID | None,
    assignee_id: str | None,
    me: uuid.UUID,
    stage: str | None,
    status_: TaskStatus | None,
    due_after: dt.date | None,
    due_before: dt.date | None,
    overdue: bool | None,
    origin: TaskOrigin | None,
    task_type_id: uuid.UUID | None,
    period: str | None,
) -> TaskFilters:
    assignee: uuid.UUID | None = None
    if assignee_id not in (None, "none", "me"):
        try:
            assignee = uuid.UUID(str(assignee_id))
        except ValueError:
            raise ValidationFailed(
                "`assignee_id` is a user id, `me` or `none`.",
                errors=[
                    ValidationIssue(loc=["query", "assignee_id"], msg="not an id", type="uuid")
                ],
            ) from None
    return TaskFilters(
        entity_id=entity_id,
        assignee_id=me if assignee_id == "me" else assignee,
        unassigned=assignee_id == "none",
        stage=stage,
        status=status_,
        due_after=due_after,
        due_before=due_before,
        overdue_before=session_tz_today if overdue is True else None,
        not_overdue_before=session_tz_today if overdue is False else None,
        origin=origin,
        task_type_id=task_type_id,
        period=period,
    )


AssigneeQuery = Annotated[
    str | None,
    Query(max_length=36, description="A staff user's id, `me`, or `none` (unassigned)."),
]
StageQuery = Annotated[str | None, Query(max_length=100)]
DueAfter = Annotated[QueryDate | None, Query(description="Due on or after this date.")]
DueBefore = Annotated[QueryDate | None, Query(description="Due on or before this date.")]
OverdueQuery = Annotated[
    bool | None,
    Query(description="true: open and due before today (the firm's time zone); false: not."),
]
OriginQuery = Annotated[
    TaskOrigin | None, Query(description="`client`: only the tasks clients requested.")
]
PeriodQuery = Annotated[str | None, Query(max_length=10, examples=["2026-01"])]
StatusQuery = Annotated[TaskStatus | None, Query(alias="status")]


@router.get(
    "/v1/tasks",
    operation_id="tasks_list",
    summary="List the tasks the caller can see, firm-wide",
    description="Filters: `entity_id`, `assignee_id` (`me`, `none`), `stage`, `status`, "
    "`due_after`/`due_before`, `overdue`, `origin` (`client`: requested by clients), "
    "`task_type_id`, `period`. Each task carries its input slots and output documents, with "
    "`missing_inputs` and `undelivered_outputs`.",
    response_model=TaskPage,
    responses=problem_responses(400, 401, 403, 422),
)
async def list_tasks(
    session: SessionDep,
    principal: CanListTasks,
    page: PageDep,
    entity_id: uuid.UUID | None = None,
    assignee_id: AssigneeQuery = None,
    stage: StageQuery = None,
    task_status: StatusQuery = None,
    due_after: DueAfter = None,
    due_before: DueBefore = None,
    overdue: OverdueQuery = None,
    origin: OriginQuery = None,
    task_type_id: uuid.UUID | None = None,
    period: PeriodQuery = None,
    order_by: str = TASK_ORDERING.param(),
) -> TaskPage:
    today = local_today(await service.firm_time_zone(session, principal.firm_id))
    filters = _filters(
        today,
        entity_id=entity_id,
        assignee_id=assignee_id,
        me=principal.id,
        stage=stage,
        status_=task_status,
        due_after=due_after,
        due_before=due_before,
        overdue=overdue,
        origin=origin,
        task_type_id=task_type_id,
        period=period,
    )
    repository = TaskRepository(session, principal.firm_id)
    statement = repository.filtered(repository.readable_by(principal), filters)
    rows, cursor = await repository.page(statement, page, TASK_ORDERING, order_by)
    items = await service.read_tasks(session, principal.firm_id, list(rows))
    return TaskPage(items=items, next_cursor=cursor)


@router.get(
    "/v1/entities/{entity_id}/tasks",
    operation_id="entity_tasks_list",
    summary="List an entity's tasks",
    description="The same filters as `GET /v1/tasks` (without `entity_id`).",
    response_model=TaskPage,
    responses=problem_responses(400, 401, 403, 404, 422),
)
async def list_entity_tasks(
    session: SessionDep,
    context: CanViewEntityTasks,
    page: PageDep,
    assignee_id: AssigneeQuery = None,
    stage: StageQuery = None,
    task_status: StatusQuery = None,
    due_after: DueAfter = None,
    due_before: DueBefore = None,
    overdue: OverdueQuery = None,
    origin: OriginQuery = None,
    task_type_id: uuid.UUID | None = None,
    period: PeriodQuery = None,
    order_by: str = TASK_ORDERING.param(),
) -> TaskPage:
    principal = context.principal
    today = local_today(await service.firm_time_zone(session, principal.firm_id))
    filters = _filters(
        today,
        entity_id=context.entity.id,
        assignee_id=assignee_id,
        me=principal.id,
        stage=stage,
        status_=task_status,
        due_after=due_after,
        due_before=due_before,
        overdue=overdue,
        origin=origin,
        task_type_id=task_type_id,
        period=period,
    )
    repository = TaskRepository(session, principal.firm_id)
    statement = repository.filtered(repository.readable(), filters)
    rows, cursor = await repository.page(statement, page, TASK_ORDERING, order_by)
    items = await service.read_tasks(session, principal.firm_id, list(rows))
    return TaskPage(items=items, next_cursor=cursor)


@router.post(
    "/v1/entities/{entity_id}/tasks",
    operation_id="tasks_create",
    summary="Create a task on an entity, from a task type or ad hoc",
    description="From a type: its stages, input slots and output documents (their due "
    "dates from the type's rules); ad hoc: `stages` (default To do, In progress, Done) and "
    "any documents given. With a `period`, one task per entity, type and period (409 "
    "`task_period_exists`). The assignee must see the entity (422 "
    "`assignee_without_access`) and is notified.",
    status_code=status.HTTP_201_CREATED,
    response_model=TaskRead,
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def create_task(
    body: TaskCreate, response: Response, session: SessionDep, context: CanManageEntityTasks
) -> TaskRead:
    task = await service.create_task(session, context.principal.actor, context.entity, body)
    created(response, f"/v1/tasks/{task.id}", task.version)
    return await _one(session, task)


@router.get(
    "/v1/tasks/{task_id}",
    operation_id="tasks_get",
    summary="Get a task with its input slots and output documents",
    response_model=TaskRead,
    responses=problem_responses(304, 401, 403, 404, 422),
)
async def get_task(
    request: Request, response: Response, session: SessionDep, context: ViewableTask
) -> TaskRead:
    set_etag(request, response, context.task.version)
    return await _one(session, context.task)


@router.patch(
    "/v1/tasks/{task_id}",
    operation_id="tasks_update",
    summary="Change a task: title, description, due date, assignee, stage or status",
    description="Send `If-Match` with the task's ETag (412 when stale). Moving to the last "
    "stage (or `status: done`) marks it done; every stage move is a `task.advanced` event.",
    response_model=TaskRead,
    responses=problem_responses(401, 403, 404, 412, 422),
)
async def update_task(
    body: TaskUpdate,
    response: Response,
    session: SessionDep,
    context: ManageableTask,
    if_match: IfMatchHeader = None,
) -> TaskRead:
    task = context.task
    entity = await _entity(session, task)
    task = await service.update_task(session, context.principal, task, entity, body, if_match)
    updated(response, task.version)
    return await _one(session, task)


async def _entity(session: AsyncSession, task: Task) -> Entity:
    entity = await FirmEntities(session, task.firm_id).get(task.entity_id)
    assert entity is not None
    return entity


@router.post(
    "/v1/tasks/{task_id}/advance",
    operation_id="tasks_advance",
    summary="Move a task to its next stage (the last stage marks it done)",
    description="409 `task_not_open` for a done or cancelled task.",
    response_model=TaskRead,
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def advance_task(
    response: Response,
    session: SessionDep,
    context: ManageableTask,
    body: TaskAdvance | None = None,
) -> TaskRead:
    task = await service.advance_task(session, context.principal, context.task, body)
    updated(response, task.version)
    return await _one(session, task)


@router.post(
    "/v1/tasks/{task_id}/inputs",
    operation_id="task_inputs_create",
    summary="Add an input slot to a task (a document the client supplies)",
    status_code=status.HTTP_201_CREATED,
    response_model=TaskRead,
    responses=problem_responses(401, 403, 404, 422),
)
async def create_input(
    body: TaskInputCreate, response: Response, session: SessionDep, context: ManageableTask
) -> TaskRead:
    await service.add_input(session, context.principal, context.task, body)
    created(response, f"/v1/tasks/{context.task.id}")
    return await _one(session, context.task)


@router.post(
    "/v1/tasks/{task_id}/inputs/{input_id}/files",
    operation_id="task_input_files_upload",
    summary="Put a file into a task's input slot (staff; several files per slot)",
    description="`multipart/form-data` with one `file` field; the file becomes a file of the "
    "entity (same limits and type checks as every upload). The slot records who uploaded "
    "and when; the assignee is notified.",
    status_code=status.HTTP_201_CREATED,
    response_model=TaskRead,
    openapi_extra=upload_body(),
    responses=problem_responses(400, 401, 403, 404, 413, 415, 422),
)
async def upload_input_file(
    request: Request,
    response: Response,
    session: SessionDep,
    context: ManageableTask,
    slot: TaskInputDep,
    storage: StorageDep,
    runtime: RuntimeDep,
) -> TaskRead:
    received = await receive_upload(
        request, session, storage, UploadPolicy.from_settings(runtime.settings)
    )
    await service.put_input_file(session, context.principal.actor, context.task, slot, received)
    created(response, f"/v1/tasks/{context.task.id}")
    return await _one(session, context.task)


@router.post(
    "/v1/tasks/{task_id}/outputs",
    operation_id="task_outputs_create",
    summary="Add an output document to a task (a document the firm delivers)",
    status_code=status.HTTP_201_CREATED,
    response_model=TaskOutputRead,
    responses=problem_responses(401, 403, 404, 422),
)
async def create_output(
    body: TaskOutputCreate, response: Response, session: SessionDep, context: ManageableTask
) -> TaskOutputRead:
    output = await service.add_output(session, context.principal, context.task, body)
    created(response, f"/v1/tasks/{context.task.id}", output.version)
    return service.output_read(output)


@router.patch(
    "/v1/tasks/{task_id}/outputs/{output_id}",
    operation_id="task_outputs_update",
    summary="Change an output document: name, description, due date, visible_to_client",
    description="Hiding a delivered output from the client also stops sharing its file with "
    "the entity's contacts (and showing it shares it).",
    response_model=TaskOutputRead,
    responses=problem_responses(401, 403, 404, 412, 422),
)
async def update_output(
    body: TaskOutputUpdate,
    response: Response,
    session: SessionDep,
    context: ManageableTask,
    output: TaskOutputDep,
    if_match: IfMatchHeader = None,
) -> TaskOutputRead:
    output = await service.update_output(session, context.principal, output, body, if_match)
    updated(response, output.version)
    return service.output_read(output)


@router.post(
    "/v1/tasks/{task_id}/outputs/{output_id}/file",
    operation_id="task_outputs_deliver",
    summary="Deliver an output document: attach its file",
    description="`multipart/form-data` with one `file` field (same limits and type checks as "
    "every upload). The file becomes a file of the entity, shared with its contacts exactly "
    "when the output is `visible_to_client`; those contacts are notified. Delivering again "
    "adds a new version of the same file.",
    response_model=TaskOutputRead,
    openapi_extra=upload_body(),
    responses=problem_responses(400, 401, 403, 404, 413, 415, 422),
)
async def deliver_output(
    request: Request,
    response: Response,
    session: SessionDep,
    context: ManageableTask,
    output: TaskOutputDep,
    storage: StorageDep,
    runtime: RuntimeDep,
) -> TaskOutputRead:
    received = await receive_upload(
        request, session, storage, UploadPolicy.from_settings(runtime.settings)
    )
    output = await service.deliver_output(
        session, context.principal, context.task, output, received
    )
    updated(response, output.version)
    return service.output_read(output)
