from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Form, Request, Response, status
from pydantic import BaseModel

from practice_api.access.sessions import end_session
from practice_api.auth import service
from practice_api.auth.policy import CanUseOwnSession
from practice_api.auth.schemas import TokenPair
from practice_api.core.client_address import client_address
from practice_api.core.errors import BadRequest, problem_responses
from practice_api.db import SessionDep
from practice_api.runtime import RuntimeDep

router = APIRouter(prefix="/v1", tags=["auth"])


class Me(BaseModel):
    kind: Literal["staff", "contact"]
    id: uuid.UUID
    firm_id: uuid.UUID
    name: str
    email: str
    role: Literal["admin", "staff"] | None


@router.post(
    "/auth/token",
    operation_id="auth_token",
    summary="Sign in (password grant) or refresh tokens (refresh_token grant)",
    description="OAuth2 token endpoint (form-encoded), so Swagger UI's Authorize works. "
    "Staff users and portal contacts both sign in here: a staff account with the e-mail is "
    "tried first, then portal contacts; contact tokens open only `/v1/portal/...` routes "
    "(and the caller's own `/v1/me`, `/v1/notifications`). "
    "Refresh tokens rotate: each one works once; presenting a used one ends the session.",
    response_model=TokenPair,
    responses=problem_responses(400, 401, 422, 429),
)
async def token(
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    grant_type: Annotated[Literal["password", "refresh_token"], Form()] = "password",
    username: Annotated[str | None, Form(max_length=320, description="E-mail")] = None,
    password: Annotated[str | None, Form(max_length=128)] = None,
    refresh_token: Annotated[str | None, Form(max_length=200)] = None,
    scope: Annotated[str, Form(max_length=200)] = "",
    firm_id: Annotated[
        uuid.UUID | None,
        Form(
            description="Only for a portal contact whose e-mail has access at several firms "
            "(answer 400 `firm_id_required` lists them)."
        ),
    ] = None,
) -> TokenPair:
    if grant_type == "password":
        if not username or password is None:
            raise BadRequest("username and password are required.", code="credentials_missing")
        address = client_address(request, runtime.settings.trusted_proxies)
        return await service.sign_in(session, runtime, username, password, address, firm_id)
    if not refresh_token:
        raise BadRequest("refresh_token is required.", code="refresh_token_missing")
    return await service.refresh(session, runtime, refresh_token)


@router.post(
    "/auth/logout",
    operation_id="auth_logout",
    summary="Sign out: end the session of this token (its refresh tokens stop working)",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(401, 422),
)
async def logout(session: SessionDep, principal: CanUseOwnSession) -> Response:
    await end_session(session, principal.session_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/me",
    operation_id="me_get",
    summary="Who am I",
    response_model=Me,
    responses=problem_responses(401),
)
async def me(principal: CanUseOwnSession) -> Me:
    return Me(
        kind=principal.kind,
        id=principal.id,
        firm_id=principal.firm_id,
        name=principal.name,
        email=principal.email,
        role=principal.role,
    )
