"""Portal contacts answer the client requests addressed to them (contact tokens only).

The list puts the requests waiting for the contact first; a request is the questionnaire
with its saved answers; answers are autosaved in any subset and submitted once complete.
The same shapes answer guests under ``/v1/public/client-requests/{token}``.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response, status
from sqlalchemy.ext.asyncio import AsyncSession

from practice_api.client_requests import answering
from practice_api.client_requests.answering import Answerer
from practice_api.client_requests.answering_policy import CanAnswerInPortal, PortalContact
from practice_api.client_requests.answering_schemas import (
    AnswerRead,
    AnswersUpdate,
    PortalClientRequestPage,
    PortalQuestionnaire,
)
from practice_api.client_requests.models import ClientRequest
from practice_api.client_requests.questions import QUESTION_ID_PATTERN
from practice_api.core.errors import problem_responses
from practice_api.core.etag import set_etag
from practice_api.core.http import created
from practice_api.core.pagination import PageParams, page_params
from practice_api.db import SessionDep
from practice_api.files.transfer import StorageDep, receive_upload, upload_body
from practice_api.files.upload import UploadPolicy
from practice_api.runtime import RuntimeDep

router = APIRouter(prefix="/v1/portal/client-requests", tags=["portal"])

QuestionIdPath = Annotated[
    str, Path(pattern=QUESTION_ID_PATTERN, description="The question's `id`.")
]


async def _read(
    session: AsyncSession, answerer: Answerer, request: ClientRequest
) -> PortalQuestionnaire:
    read = await answering.questionnaire(session, request, answerer)
    assert isinstance(read, PortalQuestionnaire)
    return read


@router.get(
    "",
    operation_id="portal_client_requests_list",
    summary="The client requests (questionnaires) addressed to the contact, waiting first",
    description="Ordered: requests waiting for answers (`pending`, `in_progress`) first, then "
    "newest first. `waiting` counts the contact's requests that wait for it.",
    response_model=PortalClientRequestPage,
    responses=problem_responses(400, 401, 403, 422),
)
async def list_requests(
    session: SessionDep,
    principal: PortalContact,
    page: Annotated[PageParams, Depends(page_params)],
) -> PortalClientRequestPage:
    return await answering.portal_page(session, principal, page)


@router.get(
    "/{request_id}",
    operation_id="portal_client_requests_get",
    summary="A client request addressed to the contact: the questionnaire and saved answers",
    description="Resume from any device: every answer saved so far is here, and "
    "`missing_required` names the required questions still unanswered.",
    response_model=PortalQuestionnaire,
    responses=problem_responses(304, 401, 403, 404, 422),
)
async def get_request(
    request: Request, response: Response, session: SessionDep, context: CanAnswerInPortal
) -> PortalQuestionnaire:
    set_etag(request, response, context.request.version)
    return await _read(session, context.answerer, context.request)


@router.patch(
    "/{request_id}/answers",
    operation_id="portal_client_requests_answers_update",
    summary="Autosave answers (any subset)",
    description="Each answer is checked against its question (one 422 `answer_invalid` lists "
    "every bad one, with the question id in `loc`; nothing is saved then). Answers not sent "
    "are kept; `null` clears one. The first saved answer moves the request from `pending` to "
    "`in_progress`. After submission: 409 `client_request_not_open`.",
    response_model=PortalQuestionnaire,
    responses=problem_responses(400, 401, 403, 404, 409, 422),
)
async def save_answers(
    body: AnswersUpdate, session: SessionDep, context: CanAnswerInPortal
) -> PortalQuestionnaire:
    saved = await answering.save_answers(session, context.request, context.answerer, body)
    return await _read(session, context.answerer, saved)


@router.post(
    "/{request_id}/submit",
    operation_id="portal_client_requests_submit",
    summary="Submit the answers (they are locked)",
    description="422 `required_answers_missing` lists each required question without an "
    "answer. Submitted answers can no longer change (409 `client_request_not_open`) unless "
    "staff reopen the request. A linked task set to advance moves to its next stage.",
    response_model=PortalQuestionnaire,
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def submit(session: SessionDep, context: CanAnswerInPortal) -> PortalQuestionnaire:
    submitted = await answering.submit(session, context.request, context.answerer)
    return await _read(session, context.answerer, submitted)


@router.post(
    "/{request_id}/questions/{question_id}/files",
    operation_id="portal_client_request_files_upload",
    summary="Upload a file as (part of) the answer to a file question",
    description="`multipart/form-data` with one `file` field, the limits of every upload "
    "(413, 415). The file is kept with the entity's files (staff see it there) and added to "
    "the answer. 404 `question_not_found`; 422 `question_not_file_upload`; 409 "
    "`answer_files_full` past the question's `max_files`, `client_request_not_open` after "
    "submission.",
    status_code=status.HTTP_201_CREATED,
    response_model=AnswerRead,
    openapi_extra=upload_body(),
    responses=problem_responses(400, 401, 403, 404, 409, 413, 415, 422),
)
async def upload(
    request_id: uuid.UUID,
    question_id: QuestionIdPath,
    request: Request,
    response: Response,
    session: SessionDep,
    context: CanAnswerInPortal,
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
    created(response, f"/v1/portal/client-requests/{request_id}")
    return answer
