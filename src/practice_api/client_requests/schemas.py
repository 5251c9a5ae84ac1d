"""Request and response models of the staff routes of client requests."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

from pydantic import BaseModel, EmailStr, Field

from practice_api.client_requests.models import DEFAULT_LINK_LIFETIME_DAYS
from practice_api.client_requests.questions import Question, Questions
from practice_api.core.pagination import Page
from practice_api.core.schemas import InputModel, PatchModel
from practice_api.reminders.schemas import ReminderOverride, ReminderState

TEXT_DESCRIPTION = (
    "Plain text, kept exactly as written; never rendered as HTML or Markdown (line breaks "
    "reach the e-mail as they are)."
)
MAX_RECIPIENTS = 50
RequestStatus = Literal["pending", "in_progress", "submitted", "completed", "cancelled"]
Audience = Literal["portal", "guest"]
WaitingOn = Literal["contact", "guest", "staff"]


class ClientRequestGuest(InputModel):
    name: str = Field(min_length=1, max_length=200, examples=["Sam Spouse"])
    email: EmailStr = Field(description="Where the link (and the one-time code) is sent.")


class ClientRequestSecurity(InputModel):
    """Guest links only (portal contacts sign in)."""

    link_lifetime_days: int = Field(
        default=DEFAULT_LINK_LIFETIME_DAYS,
        ge=1,
        le=365,
        description="A guest link opens the questionnaire for this many days after it is "
        "issued. Changing it moves the expiry of every live link to that many days from now.",
    )
    one_time_code: bool = Field(
        default=False,
        description="Before the questionnaire opens, a code is e-mailed to the guest and "
        "must be entered.",
    )


class ClientRequestCreate(InputModel):
    template_id: uuid.UUID | None = Field(
        default=None,
        description="Start from a firm template (`/v1/client-request-templates`): its title, "
        "message, questions (with their ids, so the answers join the template's CSV) and due "
        "rule, each replaced by the field given here. An archived or unknown template: 422 "
        "`client_request_template_not_found`.",
    )
    title: str | None = Field(
        default=None,
        min_length=1,
        max_length=300,
        description="Required unless `template_id` gives it.",
        examples=["Tax return 2026: a few questions"],
    )
    message: str = Field(default="", max_length=20_000, description=TEXT_DESCRIPTION)
    questions: Questions | None = Field(
        default=None,
        description="1 to 200 questions (required unless `template_id` gives them); a bad one "
        'answers 422 with `loc` `["body", "questions", <index>, <type>, <field>]`.',
    )
    audience: Audience = Field(
        description="`portal`: contacts with access to the entity (`contact_ids`); `guest`: "
        "people without an account, by name and e-mail (`guests`), who answer by a secret link."
    )
    contact_ids: list[uuid.UUID] | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_RECIPIENTS,
        description="`portal` only: contacts with access to the entity (422 "
        "`recipient_without_access` otherwise).",
    )
    guests: list[ClientRequestGuest] | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_RECIPIENTS,
        description="`guest` only: one secret link each (in the response, once: "
        "`recipients[].link_token`).",
    )
    due_date: dt.date | None = Field(default=None, description="In the firm's time zone.")
    reminders: ReminderOverride | None = Field(
        default=None, description="This request's own reminder schedule; default: the firm's."
    )
    responsible_id: uuid.UUID | None = Field(
        default=None,
        description="The staff user who follows the request (notified when it is started and "
        "submitted); default: the entity's responsible.",
    )
    task_id: uuid.UUID | None = Field(
        default=None, description="A task of the same entity the request belongs to."
    )
    auto_advance: bool = Field(
        default=False,
        description="With `task_id`: the task moves to its next stage when the answers are "
        "submitted.",
    )
    security: ClientRequestSecurity = Field(default_factory=ClientRequestSecurity)


class ClientRequestUpdate(PatchModel):
    """While `pending` everything may change; once answers exist (`in_progress`,
    `submitted`) `questions` and `audience` are refused (409 `client_request_locked`). A
    completed or cancelled request does not change (409 `client_request_closed`)."""

    nullable_fields = frozenset({"due_date", "reminders", "responsible_id", "task_id"})

    title: str | None = Field(default=None, min_length=1, max_length=300)
    message: str | None = Field(default=None, max_length=20_000)
    questions: Questions | None = Field(
        default=None,
        description="The whole list; questions keep their answers' ids when sent with the "
        "`id` they were given.",
    )
    audience: Audience | None = None
    contact_ids: list[uuid.UUID] | None = Field(
        default=None, min_length=1, max_length=MAX_RECIPIENTS, description="The whole set."
    )
    guests: list[ClientRequestGuest] | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_RECIPIENTS,
        description="The whole list; a guest already there (same e-mail) keeps their link, a "
        "new one gets a link (in the response, once).",
    )
    due_date: dt.date | None = None
    reminders: ReminderOverride | None = None
    responsible_id: uuid.UUID | None = None
    task_id: uuid.UUID | None = None
    auto_advance: bool | None = None
    security: ClientRequestSecurity | None = None


class ClientRequestReopen(InputModel):
    note: str = Field(
        min_length=1, max_length=5000, description="What to change; shown to the recipients."
    )


class ClientRequestCancel(InputModel):
    reason: str | None = Field(default=None, max_length=5000)


class ClientRequestRecipientRead(BaseModel):
    id: uuid.UUID
    kind: Literal["contact", "guest"]
    contact_id: uuid.UUID | None
    name: str
    email: str
    link_expires_at: dt.datetime | None = Field(description="Guests: when the link expires.")
    link_revoked_at: dt.datetime | None = Field(description="Guests: when staff revoked it.")
    link_active: bool | None = Field(description="Guests: the link opens the questionnaire now.")
    link_token: str | None = Field(
        default=None,
        description="Guests: the secret of the link, shown only in the answer that issued it "
        "(create, update, `POST .../link`); the questionnaire is at "
        "`/v1/public/client-requests/{link_token}`. Never stored in clear.",
    )
    last_opened_at: dt.datetime | None = None


class ClientRequestAnswerRead(BaseModel):
    question_id: str
    value: Any = Field(description="As the question's type says (see the question types).")
    answered_by_kind: str
    answered_by_name: str
    updated_at: dt.datetime


class ClientRequestProgress(BaseModel):
    questions: int
    answered: int
    required_missing: int = Field(description="Required questions without an answer.")


class ClientRequestRead(BaseModel):
    id: uuid.UUID
    entity_id: uuid.UUID
    entity_name: str
    title: str
    message: str = Field(description=TEXT_DESCRIPTION)
    status: RequestStatus
    audience: Audience
    waiting_on: WaitingOn | None = Field(
        description="Whose turn it is: the portal contacts or guests (pending, in progress), "
        "staff (submitted); null when completed or cancelled."
    )
    due_date: dt.date | None
    overdue: bool = Field(description="Past its due date (firm time zone) and still open.")
    progress: ClientRequestProgress
    questions: list[Question] | None = Field(
        default=None, description="On single reads; lists leave them out."
    )
    answers: list[ClientRequestAnswerRead] | None = Field(
        default=None, description="On single reads: the saved answers."
    )
    recipients: list[ClientRequestRecipientRead] | None = Field(
        default=None, description="On single reads and on create."
    )
    reminders: ReminderState | None = None
    security: ClientRequestSecurity
    responsible_id: uuid.UUID | None
    task_id: uuid.UUID | None
    auto_advance: bool
    template_id: uuid.UUID | None = Field(
        default=None, description="The firm template it was made from."
    )
    reopen_note: str | None
    cancel_reason: str | None
    created_by_id: uuid.UUID | None
    created_by_name: str
    submitted_by_name: str | None
    started_at: dt.datetime | None
    submitted_at: dt.datetime | None
    completed_at: dt.datetime | None
    cancelled_at: dt.datetime | None
    reopened_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime


class ClientRequestPage(Page[ClientRequestRead]):
    pass
