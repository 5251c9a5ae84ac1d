"""Who may do what with task types and tasks: rows ``task_types.*`` and ``tasks.*`` of
``access.matrix``.

A task's access is its entity's: the task is loaded firm-scoped, then the caller's access
level on the task's entity decides (no access: 404 ``task_not_found``; visible but not
allowed: 403 from the matrix row).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession

from practice_api.access.matrix import Level
from practice_api.access.policy import firm_policy, object_policy
from practice_api.core.errors import NotFound
from practice_api.core.principals import Principal
from practice_api.db import SessionDep
from practice_api.entities.policy import EntityContext, entity_policy
from practice_api.entities.repository import FirmEntities
from practice_api.entities.visibility import entity_access
from practice_api.tasks.models import Task, TaskInput, TaskOutput, TaskType
from practice_api.tasks.repository import TaskRepository, TaskTypeRepository
from practice_api.tasks.service import TaskContext

can_list_task_types = firm_policy("task_types.list")
can_view_task_types = firm_policy("task_types.view")
can_create_task_types = firm_policy("task_types.create")
can_manage_task_types = firm_policy("task_types.manage")
can_generate = firm_policy("tasks.generate")
can_list_tasks = firm_policy("tasks.list_firm")
can_view_entity_tasks = entity_policy("tasks.view")
can_manage_entity_tasks = entity_policy("tasks.manage")


async def _task_type(
    task_type_id: uuid.UUID, session: SessionDep, principal: Principal
) -> TaskType:
    return await TaskTypeRepository(session, principal.firm_id).get_or_404(task_type_id)


async def viewable_task_type(
    task_type_id: uuid.UUID,
    session: SessionDep,
    principal: Annotated[Principal, Depends(can_view_task_types)],
) -> TaskType:
    return await _task_type(task_type_id, session, principal)


async def manageable_task_type(
    task_type_id: uuid.UUID,
    session: SessionDep,
    principal: Annotated[Principal, Depends(can_manage_task_types)],
) -> TaskType:
    return await _task_type(task_type_id, session, principal)


async def _load_task(
    session: AsyncSession, principal: Principal, task_id: uuid.UUID
) -> Task | None:
    return await TaskRepository(session, principal.firm_id).get(task_id)


async def _task_level(session: AsyncSession, principal: Principal, task: Task) -> Level | None:
    """The caller's level on the task's entity (``None``: 404 ``task_not_found``)."""
    entity = await FirmEntities(session, principal.firm_id).get(task.entity_id)
    return await entity_access(session, principal, entity) if entity else None


def _task_context(task: Task, principal: Principal, _level: Level) -> TaskContext:
    return TaskContext(task=task, principal=principal)


def task_policy(action: str) -> Callable[..., Awaitable[TaskContext]]:
    return object_policy(
        action,
        "entity",
        param="task_id",
        load=_load_task,
        level=_task_level,
        build=_task_context,
        not_found=TaskRepository.not_found,
    )


viewable_task = task_policy("tasks.view")
manageable_task = task_policy("tasks.manage")


async def task_input(
    input_id: uuid.UUID,
    session: SessionDep,
    context: Annotated[TaskContext, Depends(manageable_task)],
) -> TaskInput:
    slot = await TaskRepository(session, context.principal.firm_id).input_of(
        context.task.id, input_id
    )
    if slot is None:
        raise NotFound("No input slot with that id on this task.", code="task_input_not_found")
    return slot


async def task_output(
    output_id: uuid.UUID,
    session: SessionDep,
    context: Annotated[TaskContext, Depends(manageable_task)],
) -> TaskOutput:
    output = await TaskRepository(session, context.principal.firm_id).output_of(
        context.task.id, output_id
    )
    if output is None:
        raise NotFound(
            "No output document with that id on this task.", code="task_output_not_found"
        )
    return output


CanListTaskTypes = Annotated[Principal, Depends(can_list_task_types)]
CanCreateTaskTypes = Annotated[Principal, Depends(can_create_task_types)]
CanGenerateTasks = Annotated[Principal, Depends(can_generate)]
CanListTasks = Annotated[Principal, Depends(can_list_tasks)]
ViewableTaskType = Annotated[TaskType, Depends(viewable_task_type)]
ManageableTaskType = Annotated[TaskType, Depends(manageable_task_type)]
CanViewEntityTasks = Annotated[EntityContext, Depends(can_view_entity_tasks)]
CanManageEntityTasks = Annotated[EntityContext, Depends(can_manage_entity_tasks)]
ViewableTask = Annotated[TaskContext, Depends(viewable_task)]
ManageableTask = Annotated[TaskContext, Depends(manageable_task)]
TaskInputDep = Annotated[TaskInput, Depends(task_input)]
TaskOutputDep = Annotated[TaskOutput, Depends(task_output)]
