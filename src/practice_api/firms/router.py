from __future__ import annotations

from fastapi import APIRouter, Request, Response, status

from practice_api.core.errors import problem_responses
from practice_api.core.etag import IfMatchHeader, set_etag
from practice_api.core.http import created, updated
from practice_api.db import SessionDep
from practice_api.firms import service
from practice_api.firms.policy import CanManageFirm, CanViewFirm
from practice_api.firms.schemas import FirmRead, FirmSignup, FirmSignupResult, FirmUpdate
from practice_api.runtime import RuntimeDep
from practice_api.users.schemas import UserRead

router = APIRouter(prefix="/v1", tags=["firms"])


@router.post(
    "/firms",
    operation_id="firms_sign_up",
    summary="Sign up a new firm with its first admin",
    status_code=status.HTTP_201_CREATED,
    response_model=FirmSignupResult,
    responses=problem_responses(403, 409, 422),
)
async def sign_up(
    body: FirmSignup, session: SessionDep, runtime: RuntimeDep, response: Response
) -> FirmSignupResult:
    firm, admin = await service.sign_up(
        session, body, runtime.hasher, allowed=runtime.settings.signup_allowed
    )
    created(response, "/v1/firm", firm.version)
    return FirmSignupResult(
        firm=FirmRead.model_validate(firm), admin=UserRead.model_validate(admin)
    )


@router.get(
    "/firm",
    operation_id="firm_get",
    summary="The caller's firm and its settings",
    response_model=FirmRead,
    responses=problem_responses(304, 401, 403),
)
async def get_firm(
    request: Request, response: Response, session: SessionDep, principal: CanViewFirm
) -> FirmRead:
    firm = await service.get_firm(session, principal)
    set_etag(request, response, firm.version)
    return FirmRead.model_validate(firm)


@router.patch(
    "/firm",
    operation_id="firm_update",
    summary="Change the firm's name or settings (admins)",
    response_model=FirmRead,
    responses=problem_responses(401, 403, 412, 422),
)
async def update_firm(
    body: FirmUpdate,
    response: Response,
    session: SessionDep,
    principal: CanManageFirm,
    if_match: IfMatchHeader = None,
) -> FirmRead:
    firm = await service.update_firm(session, principal, body, if_match)
    updated(response, firm.version)
    return FirmRead.model_validate(firm)
