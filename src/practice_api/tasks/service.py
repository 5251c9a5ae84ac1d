"""Task use cases: the firm's task types, entity subscriptions, tasks and their documents.

Callers have authorized the principal (``tasks.policy``); these functions validate, write
through the session in the caller's transaction, and record events (activity log,
notifications, webhooks). Recurring generation lives in ``tasks.generation``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from practice_api.core.errors import Conflict, NotFound, ValidationFailed, ValidationIssue
from practice_api.core.etag import check_if_match
from practice_api.core.principals import Actor, Principal
from practice_api.core.repository import dialect_insert
from practice_api.core.time import local_today, utcnow
from practice_api.entities.models import Entity
from practice_api.entities.visibility import entity_access
from practice_api.events.service import EventSubject, apply_changes, record_event
from practice_api.files import service as files
from practice_api.files.models import FileDocument
from practice_api.files.upload import ReceivedFile
from practice_api.firms.models import Firm
from practice_api.tasks.models import (
    Task,
    TaskInput,
    TaskInputFile,
    TaskOutput,
    TaskOutputReadMark,
    TaskSubscription,
    TaskType,
)
from practice_api.tasks.periods import Period, output_due, parse_period, recurrence_due
from practice_api.tasks.repository import TaskRepository, TaskTypeRepository
from practice_api.tasks.schemas import (
    DEFAULT_STAGES,
    InputDocumentSpec,
    SubscriptionPut,
    TaskAdvance,
    TaskCreate,
    TaskInputRead,
    TaskOutputCreate,
    TaskOutputRead,
    TaskOutputUpdate,
    TaskRead,
    TaskTypeCreate,
    TaskTypeUpdate,
    TaskUpdate,
)
from practice_api.users.models import User


@dataclass(frozen=True)
class TaskContext:
    task: Task
    principal: Principal


async def firm_time_zone(session: AsyncSession, firm_id: uuid.UUID) -> str:
    return str(await session.scalar(select(Firm.time_zone).where(Firm.id == firm_id)) or "UTC")


# --- task types -------------------------------------------------------------------------


TASK_TYPE: EventSubject[TaskType] = EventSubject(
    "task_type", lambda task_type: {"task_type_id": task_type.id, "name": task_type.name}
)


def _dump(items: list[Any] | None) -> list[dict[str, Any]]:
    return [item.model_dump(mode="json") for item in items or []]


async def create_type(
    session: AsyncSession, principal: Principal, data: TaskTypeCreate
) -> TaskType:
    task_type = TaskTypeRepository(session, principal.firm_id).add(
        TaskType(
            firm_id=principal.firm_id,
            name=data.name,
            description=data.description,
            stages=list(data.stages),
            input_documents=_dump(data.input_documents),
            output_documents=_dump(data.output_documents),
            client_requestable=data.client_requestable,
            recurrence=data.recurrence.model_dump(mode="json") if data.recurrence else None,
        )
    )
    await session.flush()
    await TASK_TYPE.record(session, "task_type.created", principal.actor, task_type)
    return task_type


async def update_type(
    session: AsyncSession,
    principal: Principal,
    task_type: TaskType,
    data: TaskTypeUpdate,
    if_match: str | None,
) -> TaskType:
    check_if_match(if_match, task_type.version)
    changes: dict[str, Any] = {}
    for name in data.model_fields_set:
        value = getattr(data, name)
        if name in ("input_documents", "output_documents"):
            value = _dump(value)
        elif name == "recurrence":
            value = value.model_dump(mode="json") if value is not None else None
        elif name == "stages":
            value = list(value)
        changes[name] = value
    diff = apply_changes(task_type, changes)
    if diff:
        await session.flush()
        await TASK_TYPE.record(
            session, "task_type.updated", principal.actor, task_type, changes=diff
        )
    return task_type


async def set_type_archived(
    session: AsyncSession, principal: Principal, task_type: TaskType, archived: bool
) -> TaskType:
    if (task_type.archived_at is not None) == archived:
        return task_type
    task_type.archived_at = utcnow() if archived else None
    await session.flush()
    name = "task_type.archived" if archived else "task_type.unarchived"
    await TASK_TYPE.record(session, name, principal.actor, task_type)
    return task_type


async def live_type(session: AsyncSession, firm_id: uuid.UUID, type_id: uuid.UUID) -> TaskType:
    """A task type of the firm that is not archived (422 otherwise: the body names it)."""
    task_type = await TaskTypeRepository(session, firm_id).get(type_id)
    if task_type is None or task_type.archived_at is not None:
        raise ValidationFailed(
            "No task type in use with that id (archived types make no new tasks).",
            code="task_type_not_found",
            errors=[ValidationIssue(loc=["body", "task_type_id"], msg="unknown", type="task_type")],
        )
    return task_type


# --- subscriptions ----------------------------------------------------------------------


async def subscribe(
    session: AsyncSession,
    principal: Principal,
    entity: Entity,
    task_type: TaskType,
    data: SubscriptionPut,
) -> tuple[TaskSubscription, bool]:
    """Subscribe the entity to a recurring type; an existing subscription is updated."""
    if task_type.archived_at is not None or task_type.recurrence is None:
        raise Conflict(
            "Only task types in use with a recurrence take subscriptions.",
            code="task_type_not_recurring",
        )
    if data.assignee_id is not None:
        await check_assignee(session, entity, data.assignee_id, loc="assignee_id")
    starts_on = data.starts_on or local_today(await firm_time_zone(session, entity.firm_id))
    existing = await session.scalar(
        select(TaskSubscription).where(
            TaskSubscription.entity_id == entity.id,
            TaskSubscription.task_type_id == task_type.id,
        )
    )
    if existing is not None:
        existing.starts_on = starts_on
        existing.assignee_id = data.assignee_id
        await session.flush()
        return existing, False
    subscription = TaskSubscription(
        firm_id=entity.firm_id,
        entity_id=entity.id,
        task_type_id=task_type.id,
        starts_on=starts_on,
        assignee_id=data.assignee_id,
    )
    session.add(subscription)
    await session.flush()
    await record_event(
        session,
        type="task_subscription.created",
        firm_id=entity.firm_id,
        actor=principal.actor,
        entity_id=entity.id,
        subject=("task_type", task_type.id),
        payload={
            "task_type_id": task_type.id,
            "task_type_name": task_type.name,
            "starts_on": starts_on,
        },
    )
    return subscription, True


async def unsubscribe(
    session: AsyncSession, principal: Principal, entity: Entity, task_type: TaskType
) -> None:
    subscription = await session.scalar(
        select(TaskSubscription).where(
            TaskSubscription.entity_id == entity.id,
            TaskSubscription.task_type_id == task_type.id,
        )
    )
    if subscription is None:
        raise NotFound(
            "This entity is not subscribed to that task type.",
            code="task_subscription_not_found",
        )
    await session.delete(subscription)
    await record_event(
        session,
        type="task_subscription.deleted",
        firm_id=entity.firm_id,
        actor=principal.actor,
        entity_id=entity.id,
        subject=("task_type", task_type.id),
        payload={"task_type_id": task_type.id, "task_type_name": task_type.name},
    )
    await session.flush()


# --- tasks ------------------------------------------------------------------------------


TASK: EventSubject[Task] = EventSubject(
    "task",
    lambda task: {
        "task_id": task.id,
        "title": task.title,
        "task_type_id": task.task_type_id,
        "stage": task.stage,
        "status": task.status,
        "origin": task.origin,
        "period": task.period,
        "due_date": task.due_date,
        "assignee_id": task.assignee_id,
    },
    entity=lambda task: task.entity_id,
)


async def check_assignee(
    session: AsyncSession, entity: Entity, user_id: uuid.UUID, *, loc: str = "assignee_id"
) -> None:
    """The assignee is an active staff user of the firm who sees the entity (422 else)."""
    user = await session.get(User, user_id)
    access = None
    if user is not None and user.firm_id == entity.firm_id and user.is_active:
        as_principal = Principal(
            kind="staff",
            id=user.id,
            firm_id=user.firm_id,
            session_id=uuid.uuid4(),
            name=user.name,
            email=user.email,
            role="admin" if user.role == "admin" else "staff",
        )
        access = await entity_access(session, as_principal, entity)
    if access is None:
        raise ValidationFailed(
            "The assignee must be an active staff user with access to the entity.",
            code="assignee_without_access",
            errors=[ValidationIssue(loc=["body", loc], msg="no access", type="assignee")],
        )


def _unknown_stage(stage: str) -> ValidationFailed:
    return ValidationFailed(
        f"{stage!r} is not one of the task's stages.",
        code="unknown_stage",
        errors=[ValidationIssue(loc=["body", "stage"], msg="unknown stage", type="stage")],
    )


def _slots(task: Task, specs: list[dict[str, Any]], start: int = 0) -> list[TaskInput]:
    return [
        TaskInput(
            firm_id=task.firm_id,
            task_id=task.id,
            name=spec["name"],
            description=spec.get("description"),
            required=bool(spec.get("required", True)),
            position=start + i,
        )
        for i, spec in enumerate(specs)
    ]


def _outputs(
    task: Task, specs: list[dict[str, Any]], period: Period | None, start: int = 0
) -> list[TaskOutput]:
    return [
        TaskOutput(
            firm_id=task.firm_id,
            task_id=task.id,
            entity_id=task.entity_id,
            name=spec["name"],
            description=spec.get("description"),
            due_date=(
                dt.date.fromisoformat(spec["due_date"])
                if spec.get("due_date")
                else output_due(spec.get("due_rule"), period, task.due_date)
            ),
            visible_to_client=bool(spec.get("visible_to_client", True)),
            position=start + i,
        )
        for i, spec in enumerate(specs)
    ]


def add_documents(
    session: AsyncSession,
    task: Task,
    inputs: list[dict[str, Any]],
    outputs: list[dict[str, Any]],
) -> None:
    """The task's input slots and output documents (from its type, plus its own)."""
    period = parse_period(task.period) if task.period else None
    session.add_all(_slots(task, inputs))
    session.add_all(_outputs(task, outputs, period))


async def create_task(
    session: AsyncSession,
    actor: Actor,
    entity: Entity,
    data: TaskCreate,
    *,
    origin: str = "staff",
    requested_by_contact_id: uuid.UUID | None = None,
) -> Task:
    task_type = (
        await live_type(session, entity.firm_id, data.task_type_id) if data.task_type_id else None
    )
    if task_type is not None and data.stages is not None:
        raise ValidationFailed(
            "A task of a type takes the type's stages.",
            code="stages_from_type",
            errors=[ValidationIssue(loc=["body", "stages"], msg="not allowed", type="stages")],
        )
    stages = list(task_type.stages if task_type else data.stages or DEFAULT_STAGES)
    stage = data.stage or stages[0]
    if stage not in stages:
        raise _unknown_stage(stage)
    if data.assignee_id is not None:
        await check_assignee(session, entity, data.assignee_id)
    period = parse_period(data.period) if data.period else None
    due_date = data.due_date
    if due_date is None and period is not None and task_type and task_type.recurrence:
        due_date = recurrence_due(task_type.recurrence, period)
    if period is not None and task_type is not None:
        taken = await session.scalar(
            select(Task.id).where(
                Task.entity_id == entity.id,
                Task.task_type_id == task_type.id,
                Task.period == period.key,
            )
        )
        if taken is not None:
            raise Conflict(
                f"This entity already has a {task_type.name} task for {period.key}.",
                code="task_period_exists",
            )
    done = stage == stages[-1] and len(stages) > 1
    task = Task(
        firm_id=entity.firm_id,
        entity_id=entity.id,
        task_type_id=task_type.id if task_type else None,
        title=data.title or (task_type.name if task_type else "Task"),
        description=data.description if data.description is not None else None,
        due_date=due_date,
        assignee_id=data.assignee_id,
        stages=stages,
        stage=stage,
        status="done" if done else "open",
        completed_at=utcnow() if done else None,
        origin=origin,
        period=period.key if period else None,
        requested_by_contact_id=requested_by_contact_id,
        created_by_kind=actor.kind,
        created_by_id=actor.id,
        created_by_name=actor.name,
    )
    session.add(task)
    await session.flush()
    add_documents(
        session,
        task,
        [*(task_type.input_documents if task_type else []), *_dump(data.input_documents)],
        [
            *(task_type.output_documents if task_type else []),
            *_dump(data.output_documents),
        ],
    )
    await session.flush()
    await TASK.record(session, "task.created", actor, task)
    if task.assignee_id is not None:
        await TASK.record(session, "task.assigned", actor, task)
    return task


async def _move(
    session: AsyncSession, actor: Actor, task: Task, to_stage: str, note: str | None = None
) -> None:
    from_stage = task.stage
    task.stage = to_stage
    became_done = to_stage == task.stages[-1] and task.status != "done"
    if became_done:
        task.status = "done"
        task.completed_at = utcnow()
    elif task.status == "done":
        task.status = "open"
        task.completed_at = None
    await session.flush()
    await TASK.record(
        session, "task.advanced", actor, task, from_stage=from_stage, to_stage=to_stage, note=note
    )
    if became_done:
        await TASK.record(session, "task.done", actor, task)


async def update_task(
    session: AsyncSession,
    principal: Principal,
    task: Task,
    entity: Entity,
    data: TaskUpdate,
    if_match: str | None,
) -> Task:
    check_if_match(if_match, task.version)
    changes = data.changes()
    stage = changes.pop("stage", None)
    if stage is not None and stage not in task.stages:
        raise _unknown_stage(stage)
    if changes.get("assignee_id") is not None:
        await check_assignee(session, entity, changes["assignee_id"])
    status = changes.get("status")
    if status == "done" and stage is None and task.status != "done":
        stage = task.stages[-1]
        changes.pop("status")
    diff = apply_changes(task, changes)
    if "status" in diff:
        task.completed_at = utcnow() if task.status == "done" else None
    if diff:
        await session.flush()
        await TASK.record(session, "task.updated", principal.actor, task, changes=diff)
        if "assignee_id" in diff and task.assignee_id is not None:
            await TASK.record(session, "task.assigned", principal.actor, task)
    if stage is not None and stage != task.stage:
        await _move(session, principal.actor, task, stage)
    return task


async def advance_task(
    session: AsyncSession, principal: Principal, task: Task, data: TaskAdvance | None
) -> Task:
    """To the next stage; reaching the last one marks the task done."""
    if task.status != "open":
        raise Conflict(f"The task is {task.status}; only open tasks advance.", code="task_not_open")
    if next_stage(task) is None:
        raise Conflict("The task is at its last stage.", code="task_at_last_stage")
    await advance_to_next(session, principal.actor, task, data.note if data else None)
    return task


def next_stage(task: Task) -> str | None:
    """The stage after the task's current one (``None``: it is at its last stage)."""
    index = task.stages.index(task.stage) if task.stage in task.stages else -1
    return task.stages[index + 1] if index + 1 < len(task.stages) else None


async def advance_to_next(
    session: AsyncSession, actor: Actor, task: Task, note: str | None = None
) -> bool:
    """Move an open task one stage on (``task.advanced`` in the activity, ``task.done`` on
    the last stage), in the caller's transaction; ``False`` when it cannot move (not open,
    or at its last stage). Other domains use it: a submitted client request advances its
    linked task."""
    stage = next_stage(task)
    if task.status != "open" or stage is None:
        return False
    await _move(session, actor, task, stage, note)
    return True


async def add_input(
    session: AsyncSession, principal: Principal, task: Task, spec: InputDocumentSpec
) -> TaskInput:
    count = len((await TaskRepository(session, task.firm_id).inputs_of([task.id]))[task.id])
    slot = _slots(task, [spec.model_dump(mode="json")], start=count)[0]
    session.add(slot)
    await session.flush()
    task.updated_at = utcnow()
    return slot


async def add_output(
    session: AsyncSession, principal: Principal, task: Task, spec: TaskOutputCreate
) -> TaskOutput:
    count = len((await TaskRepository(session, task.firm_id).outputs_of([task.id]))[task.id])
    period = parse_period(task.period) if task.period else None
    output = _outputs(task, [spec.model_dump(mode="json")], period, start=count)[0]
    session.add(output)
    await session.flush()
    return output


async def _sync_sharing(session: AsyncSession, output: TaskOutput, actor: Actor) -> None:
    """The delivered file is shown to the entity's contacts exactly when the output is."""
    if output.file_id is None:
        return
    document = await session.get(FileDocument, output.file_id)
    if document is not None and document.shared_with_contacts != output.visible_to_client:
        await files.set_sharing(
            session,
            document=document,
            shared_with_contacts=output.visible_to_client,
            actor=actor,
        )


async def update_output(
    session: AsyncSession,
    principal: Principal,
    output: TaskOutput,
    data: TaskOutputUpdate,
    if_match: str | None,
) -> TaskOutput:
    check_if_match(if_match, output.version)
    changes = data.changes()
    for name, value in changes.items():
        setattr(output, name, value)
    await session.flush()
    if "visible_to_client" in changes:
        await _sync_sharing(session, output, principal.actor)
    return output


async def mark_output_read(session: AsyncSession, contact: Principal, output: TaskOutput) -> None:
    """The contact read the output document. Idempotent: the first read counts (two racing
    reads make one row)."""
    await session.execute(
        dialect_insert(session, TaskOutputReadMark)
        .values(output_id=output.id, contact_id=contact.id, firm_id=contact.firm_id)
        .on_conflict_do_nothing(index_elements=["output_id", "contact_id"])
    )


async def put_input_file(
    session: AsyncSession, actor: Actor, task: Task, slot: TaskInput, received: ReceivedFile
) -> TaskInputFile:
    """A new file of the task's entity, filed into the input slot (several are allowed)."""
    document, _ = await files.add_file(
        session,
        firm_id=task.firm_id,
        entity_id=task.entity_id,
        actor=actor,
        received=received,
    )
    link = TaskInputFile(
        firm_id=task.firm_id,
        task_id=task.id,
        input_id=slot.id,
        file_id=document.id,
        uploaded_by_kind=actor.kind,
        uploaded_by_id=actor.id,
        uploaded_by_name=actor.name,
    )
    session.add(link)
    await session.flush()
    await record_event(
        session,
        type="task.input_received",
        firm_id=task.firm_id,
        actor=actor,
        entity_id=task.entity_id,
        subject=("task", task.id),
        payload={
            "task_id": task.id,
            "title": task.title,
            "input_id": slot.id,
            "document_name": slot.name,
            "file_id": document.id,
            "file_name": received.name,
        },
    )
    return link


async def deliver_output(
    session: AsyncSession,
    principal: Principal,
    task: Task,
    output: TaskOutput,
    received: ReceivedFile,
) -> TaskOutput:
    """Attach the output's file (a new file of the entity); a second delivery replaces the
    file with a new version of the same file."""
    actor = principal.actor
    current = await session.get(FileDocument, output.file_id) if output.file_id else None
    if output.file_id is not None and current is not None:
        document, _ = await files.add_version(
            session, firm_id=task.firm_id, file_id=output.file_id, actor=actor, received=received
        )
    else:
        document, _ = await files.add_file(
            session,
            firm_id=task.firm_id,
            entity_id=task.entity_id,
            actor=actor,
            received=received,
            shared_with_contacts=output.visible_to_client,
        )
    output.file_id = document.id
    output.delivered_at = utcnow()
    output.delivered_by_id = principal.id
    output.delivered_by_name = principal.name
    await session.flush()
    await _sync_sharing(session, output, actor)
    await record_event(
        session,
        type="task.output_delivered",
        firm_id=task.firm_id,
        actor=actor,
        entity_id=task.entity_id,
        subject=("task", task.id),
        payload={
            "task_id": task.id,
            "title": task.title,
            "output_id": output.id,
            "document_name": output.name,
            "file_id": document.id,
            "file_name": received.name,
            "due_date": output.due_date,
            "visible_to_client": output.visible_to_client,
        },
    )
    return output


# --- reads ------------------------------------------------------------------------------


def output_read(output: TaskOutput) -> TaskOutputRead:
    return TaskOutputRead(
        id=output.id,
        task_id=output.task_id,
        name=output.name,
        description=output.description,
        due_date=output.due_date,
        visible_to_client=output.visible_to_client,
        delivered=output.file_id is not None,
        file_id=output.file_id,
        delivered_at=output.delivered_at,
        delivered_by_name=output.delivered_by_name,
        version=output.version,
    )


async def read_tasks(
    session: AsyncSession, firm_id: uuid.UUID, tasks: list[Task]
) -> list[TaskRead]:
    """Tasks with their documents, in a fixed number of statements."""
    if not tasks:
        return []
    repository = TaskRepository(session, firm_id)
    ids = [t.id for t in tasks]
    inputs = await repository.inputs_of(ids)
    input_files = await repository.input_files_of(ids)
    outputs = await repository.outputs_of(ids)
    today = local_today(await firm_time_zone(session, firm_id))
    out = []
    for task in tasks:
        slots = [
            TaskInputRead(
                id=slot.id,
                name=slot.name,
                description=slot.description,
                required=slot.required,
                filled=bool(input_files.get(slot.id)),
                files=input_files.get(slot.id, []),
            )
            for slot in inputs.get(task.id, [])
        ]
        delivered = [output_read(o) for o in outputs.get(task.id, [])]
        out.append(
            TaskRead(
                id=task.id,
                entity_id=task.entity_id,
                task_type_id=task.task_type_id,
                title=task.title,
                description=task.description,
                due_date=task.due_date,
                overdue=task.status == "open"
                and task.due_date is not None
                and task.due_date < today,
                assignee_id=task.assignee_id,
                stages=list(task.stages),
                stage=task.stage,
                status=task.status,
                origin=task.origin,
                period=task.period,
                requested_by_contact_id=task.requested_by_contact_id,
                created_by_kind=task.created_by_kind,
                created_by_name=task.created_by_name,
                completed_at=task.completed_at,
                inputs=slots,
                outputs=delivered,
                missing_inputs=[s.id for s in slots if s.required and not s.filled],
                undelivered_outputs=[o.id for o in delivered if not o.delivered],
                version=task.version,
                created_at=task.created_at,
                updated_at=task.updated_at,
            )
        )
    return out
