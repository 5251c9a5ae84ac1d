"""Bodies and answers of the client request templates routes, and of the answers export."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, ClassVar

from pydantic import Field, model_validator

from practice_api.client_requests.questions import Question, Questions, QuestionType
from practice_api.core.pagination import Page
from practice_api.core.schemas import InputModel, PatchModel, ReadModel

MAX_DUE_IN_DAYS = 3650


class ClientRequestTemplateCreate(InputModel):
    title: str = Field(min_length=1, max_length=300, examples=["Year-end questionnaire 2026"])
    description: str = Field(
        default="", max_length=5000, description="For staff choosing a template; not sent."
    )
    message: str = Field(
        default="",
        max_length=20000,
        description="The message of the requests made from it (plain text).",
    )
    questions: Questions
    due_in_days: int | None = Field(
        default=None,
        ge=0,
        le=MAX_DUE_IN_DAYS,
        description="A request made from it is due this many days after it is sent "
        "(in the firm's time zone); null: no due date.",
    )


class ClientRequestTemplateUpdate(PatchModel):
    nullable_fields: ClassVar[frozenset[str]] = frozenset({"due_in_days"})

    title: str | None = Field(default=None, min_length=1, max_length=300)
    description: str | None = Field(default=None, max_length=5000)
    message: str | None = Field(default=None, max_length=20000)
    questions: Questions | None = Field(
        default=None,
        description="The whole list. Keep the ids it returned for questions that stay, so "
        "the answers of requests already made from it still line up in the CSV.",
    )
    due_in_days: int | None = Field(default=None, ge=0, le=MAX_DUE_IN_DAYS)


class ClientRequestSaveAsTemplate(InputModel):
    title: str | None = Field(
        default=None, min_length=1, max_length=300, description="Default: the request's title."
    )
    description: str = Field(default="", max_length=5000)
    due_in_days: int | None = Field(
        default=None,
        ge=0,
        le=MAX_DUE_IN_DAYS,
        description="Default: the days from the request's creation to its due date.",
    )


class ClientRequestTemplateRead(ReadModel):
    id: uuid.UUID
    title: str
    description: str
    message: str
    questions: list[Question]
    due_in_days: int | None
    created_by_id: uuid.UUID | None
    created_by_name: str
    archived: bool = Field(description="Archived templates are not offered for new requests.")
    archived_at: dt.datetime | None
    request_count: int | None = Field(
        default=None, description="Requests made from it (on the single template only)."
    )
    created_at: dt.datetime
    updated_at: dt.datetime

    @model_validator(mode="before")
    @classmethod
    def _from_row(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return data
        values = {
            name: getattr(data, name)
            for name in cls.model_fields
            if name not in ("archived", "request_count")
        }
        return {**values, "archived": data.archived_at is not None}


class ClientRequestTemplatePage(Page[ClientRequestTemplateRead]):
    pass


# --- answers --------------------------------------------------------------------------------


class ExportedAnswerFile(ReadModel):
    id: uuid.UUID
    name: str | None = Field(description="The file's name; null when it was deleted.")
    size: int | None = None
    content_type: str | None = None


class ExportedAnswer(ReadModel):
    question_id: str
    question: str = Field(description="The question's prompt.")
    type: QuestionType
    required: bool
    value: Any = Field(
        description="The normalised answer (text, number, `YYYY-MM-DD`, true/false, the "
        "chosen option value or values, file ids); null when not answered."
    )
    display: str | None = Field(
        description="The answer as a person reads it (choice labels, `yes`/`no`, file names)."
    )
    answered_by: str | None = Field(description="Who saved it (a name).")
    answered_by_kind: str | None = Field(description="`contact`, `guest` or `staff`.")
    answered_at: dt.datetime | None
    files: list[ExportedAnswerFile] = Field(
        default_factory=list,
        description="A file question's files (download them with `GET /v1/files/{id}/content`).",
    )


class ClientRequestAnswers(ReadModel):
    """A request's answers (``GET /v1/client-requests/{id}/answers``)."""

    request_id: uuid.UUID
    title: str
    entity_id: uuid.UUID
    entity_name: str
    status: str
    template_id: uuid.UUID | None
    sent_at: dt.datetime = Field(description="When the request was sent (created).")
    submitted_at: dt.datetime | None
    submitted_by_name: str | None
    answers: list[ExportedAnswer] = Field(description="One per question, in the request's order.")


class ClientRequestAnswersPage(Page[ClientRequestAnswers]):
    pass
