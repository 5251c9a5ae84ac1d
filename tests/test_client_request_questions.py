"""The question types of client requests and what their answers may be (pure functions; the
API's 422s per question are in tests/test_client_requests.py)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from practice_api.client_requests.questions import (
    AnswerError,
    Question,
    QuestionModel,
    ensure_complete,
    load_questions,
    missing_required,
    prepare_questions,
    validate_answer,
    validate_answers,
)
from practice_api.core.errors import ValidationFailed

ADAPTER: TypeAdapter[QuestionModel] = TypeAdapter(Question)


def q(**fields: Any) -> QuestionModel:
    return ADAPTER.validate_python({"prompt": "Question?", **fields})


def test_each_type_keeps_its_limits_and_refuses_impossible_ones() -> None:
    assert q(type="short_text").max_length == 300  # type: ignore[union-attr]
    assert q(type="long_text").max_length == 5000  # type: ignore[union-attr]
    assert q(type="file_upload").max_files == 1  # type: ignore[union-attr]
    bad: list[dict[str, Any]] = [
        {"type": "nope"},
        {"type": "short_text", "prompt": ""},
        {"type": "short_text", "max_length": 0},
        {"type": "long_text", "max_length": 20_001},
        {"type": "number", "min": 5, "max": 1},
        {"type": "date", "min_date": "2026-02-01", "max_date": "2026-01-01"},
        {"type": "yes_no", "options": []},
        {"type": "single_choice", "options": [{"value": "a"}]},
        {"type": "single_choice", "options": [{"value": "a"}, {"value": "a"}]},
        {"type": "multiple_choice", "options": [{"value": "a"}], "min_selections": 2},
        {"type": "multiple_choice", "options": [{"value": "a"}], "max_selections": 2},
        {
            "type": "multiple_choice",
            "options": [{"value": "a"}, {"value": "b"}],
            "min_selections": 2,
            "max_selections": 1,
        },
        {"type": "file_upload", "max_files": 21},
        {"type": "short_text", "id": "has space"},
        {"type": "short_text", "required": "yes"},
    ]
    for fields in bad:
        with pytest.raises(ValidationError):
            q(**{"prompt": "Question?", **fields})


def test_ids_are_assigned_kept_and_unique() -> None:
    stored = prepare_questions([q(type="yes_no", id="moved"), q(type="yes_no")])
    assert stored[0]["id"] == "moved"
    assert stored[1]["id"].startswith("q_") and len(stored[1]["id"]) == 10
    assert [x.id for x in load_questions(stored)] == [s["id"] for s in stored]
    with pytest.raises(ValidationFailed) as caught:
        prepare_questions([q(type="yes_no", id="a"), q(type="yes_no"), q(type="date", id="a")])
    assert caught.value.errors is not None
    assert [e.loc for e in caught.value.errors] == [["body", "questions", 2, "id"]]


@pytest.mark.parametrize(
    ("question", "value", "stored"),
    [
        ({"type": "short_text"}, "  Paris ", "Paris"),
        ({"type": "short_text"}, "", None),
        ({"type": "long_text", "max_length": 10}, "line\nline", "line\nline"),
        ({"type": "number"}, 3.5, 3.5),
        ({"type": "number", "integer": True}, 4.0, 4),
        ({"type": "number", "min": 0, "max": 10}, 0, 0),
        ({"type": "date"}, "2026-02-28", "2026-02-28"),
        ({"type": "yes_no"}, False, False),
        ({"type": "single_choice", "options": [{"value": "a"}, {"value": "b"}]}, "b", "b"),
        (
            {"type": "multiple_choice", "options": [{"value": "a"}, {"value": "b"}]},
            ["b", "a"],
            ["a", "b"],
        ),
        ({"type": "multiple_choice", "options": [{"value": "a"}]}, [], []),
        (
            {"type": "file_upload", "max_files": 2},
            ["6F9619FF-8B86-D011-B42D-00CF4FC964FF"],
            ["6f9619ff-8b86-d011-b42d-00cf4fc964ff"],
        ),
        ({"type": "file_upload"}, [], None),
        ({"type": "yes_no"}, None, None),
    ],
)
def test_valid_answers_are_normalised(question: dict[str, Any], value: Any, stored: Any) -> None:
    assert validate_answer(q(**question), value) == stored


@pytest.mark.parametrize(
    ("question", "value", "why"),
    [
        ({"type": "short_text"}, 3, "answer_type"),
        ({"type": "short_text"}, "two\nlines", "answer_type"),
        ({"type": "short_text", "max_length": 3}, "four", "answer_too_long"),
        ({"type": "long_text"}, ["x"], "answer_type"),
        ({"type": "number"}, "3", "answer_type"),
        ({"type": "number"}, True, "answer_type"),
        ({"type": "number", "integer": True}, 2.5, "answer_not_integer"),
        ({"type": "number", "min": 1}, 0, "answer_out_of_range"),
        ({"type": "number", "max": 1}, 1.01, "answer_out_of_range"),
        ({"type": "date"}, "2026-02-30", "answer_type"),
        ({"type": "date"}, "26-02-01", "answer_type"),
        ({"type": "date", "min_date": "2026-01-01"}, "2025-12-31", "answer_out_of_range"),
        ({"type": "date", "max_date": "2026-01-01"}, "2026-01-02", "answer_out_of_range"),
        ({"type": "yes_no"}, "yes", "answer_type"),
        ({"type": "yes_no"}, 1, "answer_type"),
        (
            {"type": "single_choice", "options": [{"value": "a"}, {"value": "b"}]},
            "c",
            "answer_unknown_option",
        ),
        (
            {"type": "single_choice", "options": [{"value": "a"}, {"value": "b"}]},
            ["a"],
            "answer_type",
        ),
        ({"type": "multiple_choice", "options": [{"value": "a"}]}, ["a", "a"], "answer_duplicate"),
        ({"type": "multiple_choice", "options": [{"value": "a"}]}, ["z"], "answer_unknown_option"),
        (
            {
                "type": "multiple_choice",
                "options": [{"value": "a"}, {"value": "b"}],
                "min_selections": 2,
            },
            ["a"],
            "answer_too_few",
        ),
        (
            {
                "type": "multiple_choice",
                "options": [{"value": "a"}, {"value": "b"}],
                "max_selections": 1,
            },
            ["a", "b"],
            "answer_too_many",
        ),
        ({"type": "file_upload"}, ["not-an-id"], "answer_type"),
        ({"type": "file_upload"}, [str(uuid.uuid4()), str(uuid.uuid4())], "answer_too_many"),
    ],
)
def test_invalid_answers_say_why(question: dict[str, Any], value: Any, why: str) -> None:
    with pytest.raises(AnswerError) as caught:
        validate_answer(q(**question), value)
    assert caught.value.type == why


def test_many_answers_one_error_per_bad_answer_and_required_ones() -> None:
    questions = load_questions(
        prepare_questions(
            [
                q(type="short_text", id="name", required=True),
                q(type="number", id="kids", min=0),
                q(type="yes_no", id="moved", required=True),
                q(
                    type="multiple_choice",
                    id="income",
                    required=True,
                    options=[{"value": "wages"}, {"value": "rent"}],
                ),
            ]
        )
    )
    with pytest.raises(ValidationFailed) as caught:
        validate_answers(questions, {"name": "Ann", "kids": -1, "pets": 2})
    assert caught.value.code == "answer_invalid"
    assert sorted((tuple(e.loc), e.type) for e in caught.value.errors or []) == [
        (("body", "answers", "kids"), "answer_out_of_range"),
        (("body", "answers", "pets"), "unknown_question"),
    ]
    answers = validate_answers(questions, {"name": "Ann", "moved": False, "income": []})
    assert [m.id for m in missing_required(questions, answers)] == ["income"]
    with pytest.raises(ValidationFailed) as missing:
        ensure_complete(questions, {"moved": False})
    assert missing.value.code == "required_answers_missing"
    assert [e.loc for e in missing.value.errors or []] == [
        ["answers", "name"],
        ["answers", "income"],
    ]
    ensure_complete(questions, {"name": "Ann", "moved": True, "income": ["rent"]})
