from __future__ import annotations

import asyncio
import logging
from typing import Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel

from practice_api.core.errors import DATABASE_RETRY_AFTER_SECONDS, AppError, problem_responses
from practice_api.db import ping
from practice_api.runtime import Runtime, RuntimeDep

router = APIRouter(tags=["health"])
log = logging.getLogger("practice_api.health")


class Health(BaseModel):
    status: Literal["ok"] = "ok"


class NotReady(AppError):
    status, title, default_code = 503, "Service unavailable", "not_ready"

    def __init__(self, detail: str) -> None:
        super().__init__(detail, headers={"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)})


# /readyz answers within this, whatever the database does (a probe's timeout is often 2 s).
READY_TIMEOUT_SECONDS = 1.5


@router.get("/healthz", operation_id="health_live", summary="Liveness: the process answers")
async def healthz() -> Health:
    return Health()


@router.get(
    "/readyz",
    operation_id="health_ready",
    summary="Readiness: the database is reachable",
    description="Answers within 2 seconds: 503 (with `Retry-After`) when the database does not "
    "answer a trivial query in time.",
    responses={503: problem_responses(503)[503] | {"description": "Database unreachable"}},
)
async def readyz(request: Request, runtime: RuntimeDep) -> Health:
    # The probe runs as its own task: when the database does not answer, we answer at the
    # deadline and leave the probe (and the cleanup of its stuck connection, bounded by the
    # statement timeout) to finish in the background. One probe at a time per process.
    probe: asyncio.Task[None] | None = getattr(request.app.state, "ready_probe", None)
    if probe is None or probe.done():
        probe = asyncio.create_task(_probe(runtime))
        probe.add_done_callback(_retrieve)
        request.app.state.ready_probe = probe
    done, _ = await asyncio.wait({probe}, timeout=READY_TIMEOUT_SECONDS)
    if not done:
        log.warning("readiness: the database did not answer in %ss", READY_TIMEOUT_SECONDS)
        raise NotReady("The database did not answer in time.")
    error = probe.exception()
    if error is not None:
        log.warning("readiness: the database is not reachable: %r", error)
        raise NotReady("The database is not reachable.")
    return Health()


def _retrieve(task: asyncio.Task[None]) -> None:
    # A probe that failed after its request answered: its error is known, not "never retrieved".
    if not task.cancelled():
        task.exception()


async def _probe(runtime: Runtime) -> None:
    await ping(runtime.engine)
