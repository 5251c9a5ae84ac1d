"""What the people answering a client request send and read: portal contacts under
``/v1/portal/client-requests`` and guests under ``/v1/public/client-requests/{token}``, in
the same shapes (the portal's carry the entity too)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from pydantic import BaseModel, Field

from practice_api.client_requests.questions import MAX_QUESTIONS, Question
from practice_api.core.schemas import InputModel

ANSWER_VALUE_DESCRIPTION = (
    "By the question's type: `short_text` / `long_text` a string; `number` a JSON number; "
    "`date` `YYYY-MM-DD`; `yes_no` `true` / `false`; `single_choice` an option's `value`; "
    "`multiple_choice` a list of option values; `file_upload` the list of file ids (files "
    "are added by uploading to the question; a shorter list removes files). `null` clears."
)


class AnswersUpdate(InputModel):
    """Autosave: any subset of the answers, by question id."""

    answers: dict[str, Any] = Field(
        min_length=1,
        max_length=MAX_QUESTIONS,
        description="Question id -> answer. " + ANSWER_VALUE_DESCRIPTION,
        examples=[{"q_moved": True, "q_new_address": "12 Rue Cler, Paris"}],
    )


class AnswerFile(BaseModel):
    """A file uploaded as (part of) an answer: a file of the request's entity."""

    id: uuid.UUID
    name: str
    size: int
    content_type: str
    uploaded_by_name: str
    uploaded_at: dt.datetime


class AnswerRead(BaseModel):
    question_id: str
    value: Any = Field(description=ANSWER_VALUE_DESCRIPTION)
    files: list[AnswerFile] | None = Field(
        default=None, description="`file_upload` questions: the files the answer lists."
    )
    answered_by_name: str
    updated_at: dt.datetime


class Questionnaire(BaseModel):
    """The questionnaire as the person answering sees it: no more than the firm's name and
    the request's own content."""

    id: uuid.UUID
    firm_name: str
    title: str
    message: str
    status: str = Field(
        description="`pending` (nobody answered yet), `in_progress` (answers saved), "
        "`submitted` (answers locked), `completed`; a guest link of a cancelled request no "
        "longer opens."
    )
    waiting: bool = Field(description="Open: it waits for answers (pending or in progress).")
    due_date: dt.date | None
    reopen_note: str | None = Field(
        default=None, description="Why staff reopened the submitted answers, while reopened."
    )
    questions: list[Question]
    answers: list[AnswerRead] = Field(description="The saved answers (autosaved).")
    missing_required: list[str] = Field(
        description="Ids of the required questions without an answer (submit refuses them)."
    )
    submitted_at: dt.datetime | None
    submitted_by_name: str | None


class PortalQuestionnaire(Questionnaire):
    entity_id: uuid.UUID
    entity_name: str


class PortalClientRequestSummary(BaseModel):
    id: uuid.UUID
    entity_id: uuid.UUID
    entity_name: str
    title: str
    status: str
    waiting: bool = Field(description="It waits for the contact's answers.")
    due_date: dt.date | None
    question_count: int
    answered_count: int
    created_at: dt.datetime
    submitted_at: dt.datetime | None


class PortalClientRequestPage(BaseModel):
    items: list[PortalClientRequestSummary]
    next_cursor: str | None
    waiting: int = Field(description="How many of the contact's requests wait for answers.")


class CodeSent(BaseModel):
    sent_to: str = Field(description="The guest's e-mail address, partly masked.")
    expires_at: dt.datetime


class CodeCheck(InputModel):
    code: str = Field(
        pattern=r"^[0-9]{6}$", description="The 6 digits of the e-mailed code.", examples=["042917"]
    )


class GuestSession(BaseModel):
    session: str = Field(
        description="Send it in the `X-Guest-Session` header with every call on this link."
    )
    expires_at: dt.datetime
