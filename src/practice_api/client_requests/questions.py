"""The questions of a client request and the rules their answers follow.

Eight types (``short_text``, ``long_text``, ``number``, ``date``, ``yes_no``,
``single_choice``, ``multiple_choice``, ``file_upload``), each a Pydantic model with a
prompt, help text, ``required`` and the options or limits its type has. A body's question
list is validated by Pydantic (errors point at the question: ``["body", "questions", 2,
"single_choice", "options"]``); ``prepare_questions`` then checks what spans questions
(unique ids) and gives each question a stable ``id`` the answers refer to.

``validate_answer`` is the one rule of what an answer may be (autosave, submit, CSV use
it); ``validate_answers`` checks many at once and answers one 422 listing each bad one;
``ensure_complete`` refuses a submission with required questions unanswered.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import secrets
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, TypeAdapter, model_validator

from practice_api.core.errors import ValidationFailed, ValidationIssue
from practice_api.core.schemas import InputModel

MAX_QUESTIONS = 200
QUESTION_TYPES = (
    "short_text",
    "long_text",
    "number",
    "date",
    "yes_no",
    "single_choice",
    "multiple_choice",
    "file_upload",
)
QuestionType = Literal[
    "short_text",
    "long_text",
    "number",
    "date",
    "yes_no",
    "single_choice",
    "multiple_choice",
    "file_upload",
]
QUESTION_ID_PATTERN = r"^[A-Za-z0-9_-]{1,40}$"
QuestionId = Annotated[str, StringConstraints(pattern=QUESTION_ID_PATTERN)]
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def new_question_id() -> str:
    return "q_" + secrets.token_hex(4)


class _Question(InputModel):
    id: QuestionId | None = Field(
        default=None,
        description="Stable id the answers refer to (letters, digits, `_`, `-`; up to 40). "
        "Optional on input: the server assigns one (`q_` and 8 hex digits) and keeps it when "
        "the question list is edited with the ids it returned.",
        examples=["q_1a2b3c4d"],
    )
    prompt: str = Field(min_length=1, max_length=1000, examples=["Did you move house in 2026?"])
    help_text: str = Field(default="", max_length=4000, description="Shown under the prompt.")
    required: bool = Field(default=False, description="Submission needs an answer.")


class ShortTextQuestion(_Question):
    """One line of text."""

    type: Literal["short_text"]
    max_length: int = Field(default=300, ge=1, le=1000, description="Characters.")


class LongTextQuestion(_Question):
    """Free text over several lines."""

    type: Literal["long_text"]
    max_length: int = Field(default=5000, ge=1, le=20_000, description="Characters.")


class NumberQuestion(_Question):
    """A number (JSON number), within optional bounds."""

    type: Literal["number"]
    min: float | None = Field(default=None, description="Smallest allowed answer.")
    max: float | None = Field(default=None, description="Largest allowed answer.")
    integer: bool = Field(default=False, description="Only whole numbers.")

    @model_validator(mode="after")
    def _bounds(self) -> NumberQuestion:
        for bound in (self.min, self.max):
            if bound is not None and not math.isfinite(bound):
                raise ValueError("min and max must be finite numbers")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("min must not be greater than max")
        return self


class DateQuestion(_Question):
    """A calendar date (`YYYY-MM-DD`), within optional bounds."""

    type: Literal["date"]
    min_date: dt.date | None = Field(default=None, description="Earliest allowed answer.")
    max_date: dt.date | None = Field(default=None, description="Latest allowed answer.")

    @model_validator(mode="after")
    def _bounds(self) -> DateQuestion:
        if self.min_date and self.max_date and self.min_date > self.max_date:
            raise ValueError("min_date must not be after max_date")
        return self


class YesNoQuestion(_Question):
    """Yes or no (JSON `true` / `false`)."""

    type: Literal["yes_no"]


class ChoiceOption(InputModel):
    value: str = Field(
        min_length=1, max_length=100, description="What the answer holds; unique per question."
    )
    label: str | None = Field(
        default=None, max_length=300, description="What the client reads; default: `value`."
    )


def _unique_options(options: Sequence[ChoiceOption]) -> None:
    seen: set[str] = set()
    for option in options:
        if option.value in seen:
            raise ValueError(f"option values must be unique: {option.value!r} is repeated")
        seen.add(option.value)


class SingleChoiceQuestion(_Question):
    """One option out of several."""

    type: Literal["single_choice"]
    options: list[ChoiceOption] = Field(min_length=2, max_length=100)

    @model_validator(mode="after")
    def _options(self) -> SingleChoiceQuestion:
        _unique_options(self.options)
        return self


class MultipleChoiceQuestion(_Question):
    """Any number of options, within optional bounds."""

    type: Literal["multiple_choice"]
    options: list[ChoiceOption] = Field(min_length=1, max_length=100)
    min_selections: int = Field(default=0, ge=0, le=100, description="At least this many.")
    max_selections: int | None = Field(
        default=None, ge=1, le=100, description="At most this many; default: every option."
    )

    @model_validator(mode="after")
    def _options(self) -> MultipleChoiceQuestion:
        _unique_options(self.options)
        if self.min_selections > len(self.options):
            raise ValueError("min_selections must not exceed the number of options")
        if self.max_selections is not None:
            if self.max_selections > len(self.options):
                raise ValueError("max_selections must not exceed the number of options")
            if self.min_selections > self.max_selections:
                raise ValueError("min_selections must not be greater than max_selections")
        return self


class FileUploadQuestion(_Question):
    """Files uploaded by the client (the answer lists their ids)."""

    type: Literal["file_upload"]
    max_files: int = Field(default=1, ge=1, le=20, description="Files per answer.")


Question = Annotated[
    ShortTextQuestion
    | LongTextQuestion
    | NumberQuestion
    | DateQuestion
    | YesNoQuestion
    | SingleChoiceQuestion
    | MultipleChoiceQuestion
    | FileUploadQuestion,
    Field(discriminator="type"),
]
QuestionModel = (
    ShortTextQuestion
    | LongTextQuestion
    | NumberQuestion
    | DateQuestion
    | YesNoQuestion
    | SingleChoiceQuestion
    | MultipleChoiceQuestion
    | FileUploadQuestion
)
Questions = Annotated[list[Question], Field(min_length=1, max_length=MAX_QUESTIONS)]
_QUESTION_LIST: TypeAdapter[list[QuestionModel]] = TypeAdapter(list[Question])


# --- the question list ------------------------------------------------------------------------


def prepare_questions(
    questions: Sequence[QuestionModel], loc: Sequence[str | int] = ("body", "questions")
) -> list[dict[str, Any]]:
    """The list as stored: ids checked unique (422 ``question_id_duplicate``, one error per
    repeated question), missing ids assigned."""
    issues: list[ValidationIssue] = []
    seen: set[str] = set()
    for index, question in enumerate(questions):
        if question.id is None:
            continue
        if question.id in seen:
            issues.append(
                ValidationIssue(
                    loc=[*loc, index, "id"],
                    msg=f"Question id {question.id!r} is used by an earlier question.",
                    type="question_id_duplicate",
                )
            )
        seen.add(question.id)
    if issues:
        raise ValidationFailed(
            "Each question needs its own id.", code="question_id_duplicate", errors=issues
        )
    out: list[dict[str, Any]] = []
    for question in questions:
        stored = question.model_dump(mode="json")
        if stored["id"] is None:
            new = new_question_id()
            while new in seen:
                new = new_question_id()
            seen.add(new)
            stored["id"] = new
        out.append(stored)
    return out


def load_questions(stored: Iterable[Mapping[str, Any]]) -> list[QuestionModel]:
    """The stored list as models (each with its id)."""
    return _QUESTION_LIST.validate_python(list(stored))


def by_id(questions: Iterable[QuestionModel]) -> dict[str, QuestionModel]:
    return {q.id: q for q in questions if q.id is not None}


# --- answers ----------------------------------------------------------------------------------


class AnswerError(ValueError):
    """Why a value is not an answer to its question (``type``: a short machine word)."""

    def __init__(self, message: str, type: str = "answer_invalid") -> None:
        super().__init__(message)
        self.message = message
        self.type = type


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _text(question: ShortTextQuestion | LongTextQuestion, value: Any) -> str | None:
    if not isinstance(value, str):
        raise AnswerError("The answer must be text.", "answer_type")
    if "\x00" in value:
        raise AnswerError("Text must not contain NUL characters.", "answer_type")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise AnswerError("Text must be valid Unicode.", "answer_type") from None
    value = value.strip()
    if isinstance(question, ShortTextQuestion) and ("\n" in value or "\r" in value):
        raise AnswerError("A short text answer is one line.", "answer_type")
    if len(value) > question.max_length:
        raise AnswerError(
            f"At most {question.max_length} characters ({len(value)} given).", "answer_too_long"
        )
    return value or None


def _number(question: NumberQuestion, given: Any) -> int | float:
    if not _is_number(given) or not math.isfinite(given):
        raise AnswerError("The answer must be a number.", "answer_type")
    value: int | float = given
    if question.integer:
        if value != int(value):
            raise AnswerError("The answer must be a whole number.", "answer_not_integer")
        value = int(value)
    if question.min is not None and value < question.min:
        raise AnswerError(f"The answer must be at least {question.min:g}.", "answer_out_of_range")
    if question.max is not None and value > question.max:
        raise AnswerError(f"The answer must be at most {question.max:g}.", "answer_out_of_range")
    return value


def _date(question: DateQuestion, value: Any) -> str:
    if not isinstance(value, str) or not _DATE.match(value):
        raise AnswerError("The answer must be a date, YYYY-MM-DD.", "answer_type")
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise AnswerError("The answer must be a real date, YYYY-MM-DD.", "answer_type") from None
    if question.min_date and day < question.min_date:
        raise AnswerError(
            f"The date must be on or after {question.min_date.isoformat()}.",
            "answer_out_of_range",
        )
    if question.max_date and day > question.max_date:
        raise AnswerError(
            f"The date must be on or before {question.max_date.isoformat()}.",
            "answer_out_of_range",
        )
    return day.isoformat()


def _option_values(question: SingleChoiceQuestion | MultipleChoiceQuestion) -> list[str]:
    return [o.value for o in question.options]


def _single(question: SingleChoiceQuestion, value: Any) -> str:
    if not isinstance(value, str):
        raise AnswerError("The answer must be one option's value.", "answer_type")
    if value not in _option_values(question):
        raise AnswerError(f"{value!r} is not one of the options.", "answer_unknown_option")
    return value


def _multiple(question: MultipleChoiceQuestion, value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise AnswerError("The answer must be a list of option values.", "answer_type")
    allowed = _option_values(question)
    unknown = [v for v in value if v not in allowed]
    if unknown:
        raise AnswerError(
            "Not among the options: " + ", ".join(repr(v) for v in unknown),
            "answer_unknown_option",
        )
    if len(set(value)) != len(value):
        raise AnswerError("An option is chosen at most once.", "answer_duplicate")
    if len(value) < question.min_selections:
        raise AnswerError(f"Choose at least {question.min_selections} options.", "answer_too_few")
    if question.max_selections is not None and len(value) > question.max_selections:
        raise AnswerError(f"Choose at most {question.max_selections} options.", "answer_too_many")
    return sorted(value, key=allowed.index)  # in the options' order


def _files(question: FileUploadQuestion, value: Any) -> list[str] | None:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise AnswerError("The answer must be a list of file ids.", "answer_type")
    try:
        ids = [str(uuid.UUID(v)) for v in value]
    except ValueError:
        raise AnswerError("The answer must be a list of file ids.", "answer_type") from None
    if len(set(ids)) != len(ids):
        raise AnswerError("A file is listed at most once.", "answer_duplicate")
    if len(ids) > question.max_files:
        raise AnswerError(f"At most {question.max_files} files.", "answer_too_many")
    return ids or None


def validate_answer(question: QuestionModel, value: Any) -> Any:
    """``value`` as stored for ``question`` (JSON), or ``None``: no answer (``null``, empty
    text, an empty file list clear it). Raises ``AnswerError`` when it cannot be one.

    Shapes: text types a string (trimmed); ``number`` a JSON number; ``date`` a
    ``YYYY-MM-DD`` string; ``yes_no`` a boolean; ``single_choice`` an option's value;
    ``multiple_choice`` a list of option values (stored in the options' order; ``[]`` is an
    answer: none of them); ``file_upload`` a list of file ids (that they exist and belong
    to the request is the caller's check).
    """
    if value is None:
        return None
    if isinstance(question, ShortTextQuestion | LongTextQuestion):
        return _text(question, value)
    if isinstance(question, NumberQuestion):
        return _number(question, value)
    if isinstance(question, DateQuestion):
        return _date(question, value)
    if isinstance(question, YesNoQuestion):
        if not isinstance(value, bool):
            raise AnswerError("The answer must be true or false.", "answer_type")
        return value
    if isinstance(question, SingleChoiceQuestion):
        return _single(question, value)
    if isinstance(question, MultipleChoiceQuestion):
        return _multiple(question, value)
    return _files(question, value)


def validate_answers(
    questions: Sequence[QuestionModel],
    answers: Mapping[str, Any],
    loc: Sequence[str | int] = ("body", "answers"),
) -> dict[str, Any]:
    """Every answer of ``answers`` (question id -> value) as stored (``None``: clear it).
    One 422 ``answer_invalid`` lists each bad answer (``loc``: ``[*loc, question_id]``;
    ``type``: why, e.g. ``answer_out_of_range``, ``unknown_question``)."""
    known = by_id(questions)
    out: dict[str, Any] = {}
    issues: list[ValidationIssue] = []
    for question_id, value in answers.items():
        question = known.get(question_id)
        if question is None:
            issues.append(
                ValidationIssue(
                    loc=[*loc, question_id],
                    msg="No question with that id in this request.",
                    type="unknown_question",
                )
            )
            continue
        try:
            out[question_id] = validate_answer(question, value)
        except AnswerError as error:
            issues.append(
                ValidationIssue(loc=[*loc, question_id], msg=error.message, type=error.type)
            )
    if issues:
        raise ValidationFailed(
            "Some answers are not valid for their questions.", code="answer_invalid", errors=issues
        )
    return out


def is_answered(value: Any) -> bool:
    """A stored answer counts (``false``, ``0`` and an empty multiple choice do)."""
    return value is not None and value != ""


def missing_required(
    questions: Sequence[QuestionModel], answers: Mapping[str, Any]
) -> list[QuestionModel]:
    """The required questions without an answer in ``answers`` (question id -> value)."""
    return [
        q
        for q in questions
        if q.required
        and q.id is not None
        and (not is_answered(answers.get(q.id)) or _empty_required_choice(q, answers.get(q.id)))
    ]


def _empty_required_choice(question: QuestionModel, value: Any) -> bool:
    # A required multiple choice needs at least one option chosen.
    return isinstance(question, MultipleChoiceQuestion) and value == []


def ensure_complete(
    questions: Sequence[QuestionModel],
    answers: Mapping[str, Any],
    loc: Sequence[str | int] = ("answers",),
) -> None:
    """422 ``required_answers_missing`` listing each required question left unanswered."""
    missing = missing_required(questions, answers)
    if missing:
        raise ValidationFailed(
            f"{len(missing)} required question(s) have no answer.",
            code="required_answers_missing",
            errors=[
                ValidationIssue(
                    loc=[*loc, str(q.id)], msg=f"Required: {q.prompt}", type="answer_missing"
                )
                for q in missing
            ],
        )
