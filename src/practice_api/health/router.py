from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import text

from practice_api.core.errors import AppError, problem_responses
from practice_api.runtime import RuntimeDep

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: Literal["ok"] = "ok"


class NotReady(AppError):
    status, title, default_code = 503, "Service unavailable", "not_ready"


@router.get("/healthz", operation_id="health_live", summary="Liveness: the process answers")
async def healthz() -> Health:
    return Health()


@router.get(
    "/readyz",
    operation_id="health_ready",
    summary="Readiness: the database is reachable",
    responses={503: problem_responses(422)[422] | {"description": "Database unreachable"}},
)
async def readyz(runtime: RuntimeDep) -> Health:
    try:
        async with runtime.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception as exc:
        raise NotReady("The database is not reachable.") from exc
    return Health()
