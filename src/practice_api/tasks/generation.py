"""Recurring generation: each period's task for every entity subscribed to a recurring type.

A period's task is made once "today" (in the firm's time zone) reaches the period's first
day minus the firm's ``task_days_ahead``, for every period from the subscription's
``starts_on`` on (missed periods are caught up). Its due date and its output documents'
due dates follow the type's rules, on firm-local calendar dates.

Idempotent by construction: the task is inserted with ``ON CONFLICT DO NOTHING`` on the
unique key (entity, type, period), and only the insert that created the row adds the
document slots and the events, in the same transaction. Each task commits on its own, so
two workers racing (PostgreSQL: the second insert waits for the first transaction, then
does nothing; SQLite: writers queue) make one task, and a run that crashes half way leaves
whole tasks only; the next run makes the rest.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from practice_api.core.principals import Actor
from practice_api.core.repository import dialect_insert
from practice_api.core.time import local_today
from practice_api.entities.models import Entity
from practice_api.firms.models import Firm
from practice_api.runtime import Runtime
from practice_api.tasks.models import Task, TaskSubscription, TaskType
from practice_api.tasks.periods import Period, period_of, recurrence_due
from practice_api.tasks.service import TASK, add_documents

log = logging.getLogger("practice_api.tasks")

MAX_PERIODS_PER_RUN = 60  # per subscription: a misconfigured start never floods a run
FIRST_ROUND_AFTER_SECONDS = 5.0

# Tests set this to simulate a crash after some tasks (called after each commit).
after_task_hook: Callable[[uuid.UUID], Awaitable[None]] | None = None


async def _create_one(
    session: AsyncSession,
    firm: Firm,
    task_type: TaskType,
    subscription: TaskSubscription,
    period: Period,
) -> bool:
    """Insert the period's task unless it exists; True when this call created it."""
    recurrence = task_type.recurrence or {}
    due = recurrence_due(recurrence, period)
    statement = (
        dialect_insert(session, Task)
        .values(
            id=uuid.uuid4(),
            firm_id=firm.id,
            entity_id=subscription.entity_id,
            task_type_id=task_type.id,
            title=f"{task_type.name} {period.key}",
            due_date=due,
            due_key=due,
            assignee_id=subscription.assignee_id,
            stages=list(task_type.stages),
            stage=task_type.stages[0],
            status="open",
            origin="recurrence",
            period=period.key,
            created_by_kind="system",
            created_by_id=None,
            created_by_name="system",
        )
        .on_conflict_do_nothing(index_elements=["entity_id", "task_type_id", "period"])
        .returning(Task.id)
    )
    task_id = await session.scalar(statement)
    if task_id is None:
        return False
    task = await session.get(Task, task_id)
    assert task is not None
    add_documents(session, task, task_type.input_documents, task_type.output_documents)
    await session.flush()
    actor = Actor.system()
    await TASK.record(session, "task.created", actor, task)
    if task.assignee_id is not None:
        await TASK.record(session, "task.assigned", actor, task)
    return True


def periods_due(
    subscription: TaskSubscription, frequency: Any, horizon: dt.date, existing: set[str | None]
) -> list[Period]:
    """The periods from the subscription's start whose creation day has come."""
    out: list[Period] = []
    period = period_of(subscription.starts_on, frequency)
    for _ in range(MAX_PERIODS_PER_RUN * 10):
        if period.start > horizon or len(out) >= MAX_PERIODS_PER_RUN:
            break
        if period.key not in existing:
            out.append(period)
        period = period.next()
    return out


async def generate_for_firm(
    sessionmaker: async_sessionmaker[AsyncSession], firm_id: uuid.UUID
) -> int:
    created = 0
    async with sessionmaker() as session:
        firm = await session.get(Firm, firm_id)
        if firm is None:
            return 0
        horizon = local_today(firm.time_zone) + dt.timedelta(days=firm.task_days_ahead)
        rows = (
            await session.execute(
                select(TaskSubscription, TaskType)
                .join(TaskType, TaskType.id == TaskSubscription.task_type_id)
                .join(Entity, Entity.id == TaskSubscription.entity_id)
                .where(
                    TaskSubscription.firm_id == firm_id,
                    TaskType.archived_at.is_(None),
                    TaskType.recurrence.is_not(None),
                    Entity.status == "active",
                )
                .order_by(TaskSubscription.created_at, TaskSubscription.id)
            )
        ).all()
        existing: dict[tuple[uuid.UUID, uuid.UUID | None], set[str | None]] = {}
        for entity_id, type_id, key in await session.execute(
            select(Task.entity_id, Task.task_type_id, Task.period).where(
                Task.firm_id == firm_id, Task.period.is_not(None)
            )
        ):
            existing.setdefault((entity_id, type_id), set()).add(key)
        await session.commit()
        for subscription, task_type in rows:
            if not task_type.recurrence:
                continue
            known = existing.get((subscription.entity_id, task_type.id), set())
            frequency = task_type.recurrence["frequency"]
            for period in periods_due(subscription, frequency, horizon, known):
                made = await _create_one(session, firm, task_type, subscription, period)
                await session.commit()
                if made:
                    created += 1
                    if after_task_hook is not None:
                        await after_task_hook(subscription.entity_id)
    return created


async def generate_tasks(
    sessionmaker: async_sessionmaker[AsyncSession], firm_id: uuid.UUID | None = None
) -> int:
    """One generation round over every firm (or one); returns how many tasks it created."""
    async with sessionmaker() as session:
        statement = select(Firm.id).where(Firm.id.in_(select(TaskSubscription.firm_id).distinct()))
        if firm_id is not None:
            statement = statement.where(Firm.id == firm_id)
        firm_ids = list((await session.scalars(statement)).all())
    created = 0
    for one in firm_ids:
        created += await generate_for_firm(sessionmaker, one)
    return created


async def generate_periodically(runtime: Runtime, stop: asyncio.Event) -> None:
    """A generation round every ``task_generation_interval_seconds`` (0: never)."""
    interval = runtime.settings.task_generation_interval_seconds
    if not interval:
        return
    delay = min(FIRST_ROUND_AFTER_SECONDS, interval)
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), delay)
        if stop.is_set():
            return
        try:
            created = await generate_tasks(runtime.sessionmaker)
            if created:
                log.info("generated %d recurring task(s)", created)
        except Exception:
            log.exception("generating recurring tasks failed; retrying after the interval")
        delay = interval
