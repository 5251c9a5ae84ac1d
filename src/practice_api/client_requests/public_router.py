"""Guests answer a client request through its secret link: no account, no bearer token.

The token in the path is the only credential and opens this one questionnaire and
nothing else: the firm's name, the request's title, message and questions, the answers
and the files the guest uploaded. An unknown, expired or revoked link (or a cancelled
request) is 404 ``client_request_link_invalid``. Every call is rate limited per address
and per link (429 with ``Retry-After``). When the request asks for a one-time code, ask for
it (``POST .../code``: e-mailed), exchange it (``POST .../code/verify``) for a session, and
send the session in ``X-Guest-Session``; without it the questionnaire answers 401
``guest_code_required``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response, status
from sqlalchemy.ext.asyncio import AsyncSession

from practice_api.client_requests import answering
from practice_api.client_requests.answering import Answerer
from practice_api.client_requests.answering_policy import (
    CanAnswerAsGuest,
    GuestLink,
    guest_rate_limit,
)
from practice_api.client_requests.answering_schemas import (
    AnswerRead,
    AnswersUpdate,
    CodeCheck,
    CodeSent,
    GuestSession,
    Questionnaire,
)
from practice_api.client_requests.models import ClientRequest
from practice_api.client_requests.questions import QUESTION_ID_PATTERN
from practice_api.core.errors import problem_responses
from practice_api.core.etag import set_etag
from practice_api.core.http import created
from practice_api.db import SessionDep
from practice_api.files.transfer import StorageDep, receive_upload, upload_body
from practice_api.files.upload import UploadPolicy
from practice_api.runtime import RuntimeDep

router = APIRouter(
    prefix="/v1/public/client-requests/{token}",
    tags=["guests"],
    dependencies=[Depends(guest_rate_limit)],
)

QuestionIdPath = Annotated[
    str, Path(pattern=QUESTION_ID_PATTERN, description="The question's `id`.")
]


async def _read(session: AsyncSession, answerer: Answerer, request: ClientRequest) -> Questionnaire:
    return await answering.questionnaire(session, request, answerer)


@router.get(
    "",
    operation_id="public_client_requests_get",
    summary="The questionnaire a guest link opens, with the answers saved so far",
    description="No bearer token: the link is the credential. Shows the firm's name, the "
    "request's title, message and questions, the saved answers and the files this guest "
    "uploaded; nothing else of the firm or its client.",
    response_model=Questionnaire,
    responses=problem_responses(304, 401, 404, 429),
)
async def get_request(
    request: Request, response: Response, session: SessionDep, context: CanAnswerAsGuest
) -> Questionnaire:
    set_etag(request, response, context.request.version)
    return await _read(session, context.answerer, context.request)


@router.patch(
    "/answers",
    operation_id="public_client_requests_answers_update",
    summary="Autosave a guest's answers (any subset)",
    description="As `PATCH /v1/portal/client-requests/{request_id}/answers`.",
    response_model=Questionnaire,
    responses=problem_responses(400, 401, 404, 409, 422, 429),
)
async def save_answers(
    body: AnswersUpdate, session: SessionDep, context: CanAnswerAsGuest
) -> Questionnaire:
    saved = await answering.save_answers(session, context.request, context.answerer, body)
    return await _read(session, context.answerer, saved)


@router.post(
    "/submit",
    operation_id="public_client_requests_submit",
    summary="Submit a guest's answers (they are locked)",
    description="As `POST /v1/portal/client-requests/{request_id}/submit`.",
    response_model=Questionnaire,
    responses=problem_responses(401, 404, 409, 422, 429),
)
async def submit(session: SessionDep, context: CanAnswerAsGuest) -> Questionnaire:
    submitted = await answering.submit(session, context.request, context.answerer)
    return await _read(session, context.answerer, submitted)


@router.post(
    "/questions/{question_id}/files",
    operation_id="public_client_request_files_upload",
    summary="Upload a file as (part of) a guest's answer to a file question",
    description="As `POST /v1/portal/client-requests/{request_id}/questions/{question_id}/"
    "files`. The guest sees only the files it uploaded.",
    status_code=status.HTTP_201_CREATED,
    response_model=AnswerRead,
    openapi_extra=upload_body(),
    responses=problem_responses(400, 401, 404, 409, 413, 415, 422, 429),
)
async def upload(
    token: str,
    question_id: QuestionIdPath,
    request: Request,
    response: Response,
    session: SessionDep,
    context: CanAnswerAsGuest,
    storage: StorageDep,
    runtime: RuntimeDep,
) -> AnswerRead:
    question = answering.file_question(context.request, question_id)
    await answering.ensure_room(session, context.request, question)
    received = await receive_upload(
        request, session, storage, UploadPolicy.from_settings(runtime.settings)
    )
    answer = await answering.add_upload(
        session, context.request, context.answerer, question_id, received
    )
    created(response, f"/v1/public/client-requests/{token}")
    return answer


@router.post(
    "/code",
    operation_id="public_client_requests_code_send",
    summary="E-mail a one-time code to the guest (requests that ask for one)",
    description="A 6-digit code goes to the guest's address; it works for "
    "`PRACTICE_GUEST_CODE_TTL_SECONDS` (10 minutes) and replaces any earlier one. A few per "
    "link per 15 minutes (429). 409 `guest_code_not_required` when the request asks for no "
    "code.",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=CodeSent,
    responses=problem_responses(404, 409, 429),
)
async def send_code(session: SessionDep, runtime: RuntimeDep, context: GuestLink) -> CodeSent:
    return await answering.send_code(session, runtime, context.request, context.answerer.recipient)


@router.post(
    "/code/verify",
    operation_id="public_client_requests_code_verify",
    summary="Exchange the e-mailed code for a guest session",
    description="The answer's `session` goes in the `X-Guest-Session` header of the "
    "questionnaire calls on this link (it opens nothing else) until `expires_at`. A wrong "
    "code: 422 `guest_code_invalid` with `attempts_left`; after the last attempt, or once "
    "the code expired: 409 `guest_code_expired` (ask for a new one).",
    response_model=GuestSession,
    responses=problem_responses(404, 409, 422, 429),
)
async def verify_code(
    body: CodeCheck, session: SessionDep, runtime: RuntimeDep, context: GuestLink
) -> GuestSession:
    return await answering.verify_code(
        session, runtime, context.request, context.answerer.recipient, body.code
    )
