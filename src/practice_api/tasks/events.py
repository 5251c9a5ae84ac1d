"""Event types of tasks, and who hears of them.

* ``task.assigned``: the new assignee (in-app and e-mail).
* ``task.input_received``: the task's assignee (in-app and e-mail), when a file fills an
  input slot (a contact's upload, or staff's).
* ``task.output_delivered``: when the output is ``visible_to_client``, the active contacts
  with access to the entity (in-app and e-mail, through their own preferences).
* Everything else (created, updated, advanced, done, task types, subscriptions) goes to the
  activity log and to webhooks.
"""

from __future__ import annotations

import datetime as dt
import uuid

from pydantic import Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from practice_api.contacts.models import Contact, EntityContact
from practice_api.entities.events import entity_owner_user
from practice_api.events.catalogue import (
    IN_APP_AND_EMAIL,
    ChangesPayload,
    EventType,
    Payload,
    Recipient,
    payload_users,
    text,
)
from practice_api.events.links import register_link_kind
from practice_api.events.models import Event
from practice_api.events.registry import EventRegistry
from practice_api.tasks.models import Task


class TaskTypePayload(ChangesPayload):
    task_type_id: uuid.UUID
    name: str | None = None


class TaskSubscriptionPayload(Payload):
    task_type_id: uuid.UUID
    task_type_name: str | None = None
    starts_on: dt.date | None = None


class TaskPayload(ChangesPayload):
    task_id: uuid.UUID
    title: str | None = None
    task_type_id: uuid.UUID | None = None
    stage: str | None = None
    status: str | None = None
    origin: str | None = Field(default=None, description="staff, client or recurrence")
    period: str | None = None
    due_date: dt.date | None = None
    assignee_id: uuid.UUID | None = Field(default=None, description="The assigned staff user.")
    from_stage: str | None = Field(default=None, description="On a stage move: where it was.")
    to_stage: str | None = Field(default=None, description="On a stage move: where it is.")
    note: str | None = None


class TaskDocumentPayload(Payload):
    task_id: uuid.UUID
    title: str | None = None
    input_id: uuid.UUID | None = Field(default=None, description="The filled input slot.")
    output_id: uuid.UUID | None = Field(default=None, description="The delivered output.")
    document_name: str | None = None
    file_id: uuid.UUID | None = None
    file_name: str | None = None
    due_date: dt.date | None = None
    visible_to_client: bool | None = None


async def task_assignee(session: AsyncSession, event: Event) -> list[Recipient]:
    """The task's assignee as it is now; an unassigned task: the entity's owner user."""
    try:
        task_id = uuid.UUID(str(event.payload.get("task_id")))
    except ValueError:
        return []
    assignee = await session.scalar(
        select(Task.assignee_id).where(Task.id == task_id, Task.firm_id == event.firm_id)
    )
    if assignee is None:
        return await entity_owner_user(session, event)
    return [Recipient("staff", assignee)]


async def entity_contacts_if_visible(session: AsyncSession, event: Event) -> list[Recipient]:
    """The active contacts with access to the entity, when the output is for the client."""
    if event.entity_id is None or not event.payload.get("visible_to_client"):
        return []
    ids = await session.scalars(
        select(Contact.id)
        .join(EntityContact, EntityContact.contact_id == Contact.id)
        .where(
            EntityContact.entity_id == event.entity_id,
            Contact.firm_id == event.firm_id,
            Contact.portal_status == "active",
        )
    )
    return [Recipient("contact", contact_id) for contact_id in ids]


TYPES = [
    EventType(
        "task_type.created",
        "A task type was added to the firm's catalogue.",
        TaskTypePayload,
        text("{actor} added the task type {name}"),
        link="task_type",
    ),
    EventType(
        "task_type.updated",
        "A task type changed (new tasks use the new stages and documents).",
        TaskTypePayload,
        text("{actor} changed the task type {name}"),
        link="task_type",
    ),
    EventType(
        "task_type.archived",
        "A task type was archived: no new tasks; existing ones stay.",
        TaskTypePayload,
        text("{actor} archived the task type {name}"),
        link="task_type",
    ),
    EventType(
        "task_type.unarchived",
        "An archived task type was put back in use.",
        TaskTypePayload,
        text("{actor} put the task type {name} back in use"),
        link="task_type",
    ),
    EventType(
        "task_subscription.created",
        "An entity was subscribed to a recurring task type.",
        TaskSubscriptionPayload,
        text("{actor} subscribed a client to {task_type_name}"),
    ),
    EventType(
        "task_subscription.deleted",
        "An entity's subscription to a recurring task type ended (its tasks stay).",
        TaskSubscriptionPayload,
        text("{actor} unsubscribed a client from {task_type_name}"),
    ),
    EventType(
        "task.created",
        "A task was created: by staff, requested by a client, or generated for a period.",
        TaskPayload,
        text("{actor} created the task {title}"),
        link="task",
    ),
    EventType(
        "task.assigned",
        "A task was assigned to a staff user.",
        TaskPayload,
        text("{actor} assigned you the task {title}"),
        payload_users("assignee_id"),
        IN_APP_AND_EMAIL,
        audience_text="the new assignee",
        link="task",
    ),
    EventType(
        "task.updated",
        "A task's title, description, due date, assignee or status changed (see `changes`).",
        TaskPayload,
        text("{actor} changed the task {title}"),
        link="task",
    ),
    EventType(
        "task.advanced",
        "A task moved to another stage (`from_stage` -> `to_stage`).",
        TaskPayload,
        text("{actor} moved the task {title} to {to_stage}"),
        link="task",
    ),
    EventType(
        "task.done",
        "A task reached its last stage (done).",
        TaskPayload,
        text("{actor} completed the task {title}"),
        link="task",
    ),
    EventType(
        "task.input_received",
        "A file was put into a task's input slot (by a contact or by staff).",
        TaskDocumentPayload,
        text("{actor} supplied {document_name} for {title}"),
        task_assignee,
        IN_APP_AND_EMAIL,
        audience_text="the task's assignee (unassigned: the entity's owner user)",
        link="task",
    ),
    EventType(
        "task.output_delivered",
        "Staff attached the file of a task's output document.",
        TaskDocumentPayload,
        text("{actor} delivered {document_name}"),
        entity_contacts_if_visible,
        IN_APP_AND_EMAIL,
        audience_text="when the output is visible to the client: the active contacts with "
        "access to the entity (through their preferences)",
        link="task_output",
    ),
]


def register(events: EventRegistry) -> None:
    events.event_types(TYPES)
    register_link_kind("task_type", staff="/settings/task-types/{task_type_id}")
    register_link_kind(
        "task", staff="/tasks/{task_id}", portal="/clients/{entity_id}/tasks/{task_id}"
    )
    register_link_kind("task_output", staff="/tasks/{task_id}", portal="/documents/{output_id}")
