"""The firm's client request templates (staff): list, add, read, edit, archive."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response, status

from practice_api.client_requests import answers_export
from practice_api.client_requests import template_service as service
from practice_api.client_requests.policy import CanViewRequest
from practice_api.client_requests.template_policy import (
    CanCreateTemplates,
    CanListTemplates,
    CanManageTemplates,
    CanViewTemplates,
    ManageableTemplate,
    ViewableTemplate,
)
from practice_api.client_requests.template_schemas import (
    ClientRequestAnswers,
    ClientRequestAnswersPage,
    ClientRequestSaveAsTemplate,
    ClientRequestTemplateCreate,
    ClientRequestTemplatePage,
    ClientRequestTemplateRead,
    ClientRequestTemplateUpdate,
)
from practice_api.client_requests.template_service import TEMPLATE_ORDERING, TemplateRepository
from practice_api.core import csv_export
from practice_api.core.errors import problem_responses
from practice_api.core.etag import IfMatchHeader, set_etag
from practice_api.core.http import created, updated
from practice_api.core.pagination import PageParams, page_params
from practice_api.db import SessionDep

router = APIRouter()
TEMPLATES: list[str | Enum] = ["client-request-templates"]
PageDep = Annotated[PageParams, Depends(page_params)]


@router.get(
    "/v1/client-request-templates",
    tags=TEMPLATES,
    operation_id="client_request_templates_list",
    summary="List the firm's client request templates",
    response_model=ClientRequestTemplatePage,
    responses=problem_responses(400, 401, 403, 422),
)
async def list_templates(
    session: SessionDep,
    principal: CanListTemplates,
    page: PageDep,
    archived: Annotated[
        bool | None,
        Query(description="true: only archived; false: only in use. Default: both."),
    ] = None,
    q: Annotated[
        str | None, Query(min_length=1, max_length=200, description="Words of the title.")
    ] = None,
    order_by: str = TEMPLATE_ORDERING.param(),
) -> ClientRequestTemplatePage:
    repository = TemplateRepository(session, principal.firm_id)
    statement = repository.listing(archived=archived, q=q)
    rows, cursor = await repository.page(statement, page, TEMPLATE_ORDERING, order_by)
    return ClientRequestTemplatePage(
        items=[ClientRequestTemplateRead.model_validate(r) for r in rows], next_cursor=cursor
    )


@router.post(
    "/v1/client-request-templates",
    tags=TEMPLATES,
    operation_id="client_request_templates_create",
    summary="Add a client request template (title, message, questions)",
    description="The questions follow the same schema and rules as a request's (eight "
    "types; 422 names each bad question). Requests made with `template_id` start from it.",
    status_code=status.HTTP_201_CREATED,
    response_model=ClientRequestTemplateRead,
    responses=problem_responses(401, 403, 422),
)
async def create_template(
    body: ClientRequestTemplateCreate,
    response: Response,
    session: SessionDep,
    principal: CanCreateTemplates,
) -> ClientRequestTemplateRead:
    template = await service.create(session, principal, body)
    created(response, f"/v1/client-request-templates/{template.id}", template.version)
    return ClientRequestTemplateRead.model_validate(template)


@router.get(
    "/v1/client-request-templates/{template_id}",
    tags=TEMPLATES,
    operation_id="client_request_templates_get",
    summary="Get a client request template (with how many requests were made from it)",
    response_model=ClientRequestTemplateRead,
    responses=problem_responses(304, 401, 403, 404, 422),
)
async def get_template(
    request: Request, response: Response, session: SessionDep, template: ViewableTemplate
) -> ClientRequestTemplateRead:
    set_etag(request, response, template.version)
    counts = await service.request_counts(session, template.firm_id, [template.id])
    read = ClientRequestTemplateRead.model_validate(template)
    read.request_count = counts.get(template.id, 0)
    return read


@router.patch(
    "/v1/client-request-templates/{template_id}",
    tags=TEMPLATES,
    operation_id="client_request_templates_update",
    summary="Change a client request template (requests already made keep their questions)",
    response_model=ClientRequestTemplateRead,
    responses=problem_responses(401, 403, 404, 412, 422),
)
async def update_template(
    body: ClientRequestTemplateUpdate,
    response: Response,
    session: SessionDep,
    template: ManageableTemplate,
    principal: CanManageTemplates,
    if_match: IfMatchHeader = None,
) -> ClientRequestTemplateRead:
    template = await service.update(session, principal, template, body, if_match)
    updated(response, template.version)
    return ClientRequestTemplateRead.model_validate(template)


@router.post(
    "/v1/client-request-templates/{template_id}/archive",
    tags=TEMPLATES,
    operation_id="client_request_templates_archive",
    summary="Archive a client request template: no new requests from it; old ones stay",
    response_model=ClientRequestTemplateRead,
    responses=problem_responses(401, 403, 404, 422),
)
async def archive_template(
    response: Response,
    session: SessionDep,
    template: ManageableTemplate,
    principal: CanManageTemplates,
) -> ClientRequestTemplateRead:
    template = await service.set_archived(session, principal, template, True)
    updated(response, template.version)
    return ClientRequestTemplateRead.model_validate(template)


@router.post(
    "/v1/client-request-templates/{template_id}/unarchive",
    tags=TEMPLATES,
    operation_id="client_request_templates_unarchive",
    summary="Put an archived client request template back in use",
    response_model=ClientRequestTemplateRead,
    responses=problem_responses(401, 403, 404, 422),
)
async def unarchive_template(
    response: Response,
    session: SessionDep,
    template: ManageableTemplate,
    principal: CanManageTemplates,
) -> ClientRequestTemplateRead:
    template = await service.set_archived(session, principal, template, False)
    updated(response, template.version)
    return ClientRequestTemplateRead.model_validate(template)


@router.get(
    "/v1/client-request-templates/{template_id}/answers",
    tags=TEMPLATES,
    operation_id="client_request_templates_answers",
    summary="Every client's answers to the requests made from a template (JSON pages or CSV)",
    description="The requests made from the template on the clients the caller sees (admins: "
    "all), oldest first. JSON: pages of requests, each with its answers. CSV (`Accept: "
    "text/csv` or `format=csv`): every such request in one file, a line per request and a "
    "column per question (the template's questions, then any a request had besides); "
    "cells that would run as spreadsheet formulas start with an apostrophe.",
    response_model=ClientRequestAnswersPage,
    responses={
        **problem_responses(400, 401, 403, 404, 422),
        200: csv_export.OPENAPI_CONTENT,
    },
)
async def template_answers(
    request: Request,
    session: SessionDep,
    template: ViewableTemplate,
    principal: CanViewTemplates,
    page: PageDep,
    format: Annotated[
        Literal["json", "csv"] | None,
        Query(description="`csv`: the CSV file (as `Accept: text/csv`)."),
    ] = None,
) -> ClientRequestAnswersPage | Response:
    if format == "csv" or (format is None and csv_export.wants_csv(request.headers.get("accept"))):
        reads = await answers_export.all_template_answers(session, principal, template)
        return csv_export.response(
            answers_export.template_rows(template, reads),
            f"{template.title[:60]}-answers.csv",
        )
    items, cursor = await answers_export.template_page(session, principal, template, page)
    return ClientRequestAnswersPage(items=items, next_cursor=cursor)


# --- on one request -------------------------------------------------------------------------

REQUESTS: list[str | Enum] = ["client-requests"]


@router.post(
    "/v1/client-requests/{request_id}/save-as-template",
    tags=REQUESTS,
    operation_id="client_requests_save_as_template",
    summary="Save a request's questions (and message) as a new firm template",
    description="The new template keeps the questions' ids, so this request's answers line "
    "up with those of the requests made from the template in its CSV. Anyone who may read "
    "the request may do it (templates are the firm's, not the client's).",
    status_code=status.HTTP_201_CREATED,
    response_model=ClientRequestTemplateRead,
    responses=problem_responses(401, 403, 404, 422),
)
async def save_as_template(
    body: ClientRequestSaveAsTemplate,
    response: Response,
    session: SessionDep,
    context: CanViewRequest,
) -> ClientRequestTemplateRead:
    template = await service.save_as_template(session, context.principal, context.request, body)
    created(response, f"/v1/client-request-templates/{template.id}", template.version)
    return ClientRequestTemplateRead.model_validate(template)


@router.get(
    "/v1/client-requests/{request_id}/answers",
    tags=REQUESTS,
    operation_id="client_requests_answers",
    summary="A request's answers (JSON, or CSV with `Accept: text/csv`)",
    description="One entry per question in the request's order: the prompt, its type, the "
    "stored `value`, a `display` text (choice labels, yes/no, file names), who saved it and "
    "when, and a file question's files. CSV (`Accept: text/csv` or `format=csv`): a header "
    "line, then a line per question; cells that would run as spreadsheet formulas start "
    "with an apostrophe.",
    response_model=ClientRequestAnswers,
    responses={**problem_responses(401, 403, 404, 422), 200: csv_export.OPENAPI_CONTENT},
)
async def request_answers(
    request: Request,
    session: SessionDep,
    context: CanViewRequest,
    format: Annotated[
        Literal["json", "csv"] | None,
        Query(description="`csv`: the CSV file (as `Accept: text/csv`)."),
    ] = None,
) -> ClientRequestAnswers | Response:
    [read] = await answers_export.answers_of(session, [context.request])
    if format == "csv" or (format is None and csv_export.wants_csv(request.headers.get("accept"))):
        return csv_export.response(
            answers_export.single_rows(read), f"{read.title[:60]}-answers.csv"
        )
    return read
