"""The long-lived objects of one running app, built once in ``create_app``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Protocol

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from practice_api.core.security import PasswordHasher, TokenCodec
from practice_api.core.storage import ObjectStorage
from practice_api.settings import Settings


class BackgroundDispatcher(Protocol):
    """The in-process outbox dispatcher (``events.dispatcher.Dispatcher``), as the app uses it."""

    async def wake(self) -> None: ...

    def start(self) -> None: ...

    async def stop(self) -> None: ...


@dataclass
class Runtime:
    settings: Settings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    hasher: PasswordHasher
    tokens: TokenCodec
    # Where uploaded files live (local folder or S3), from PRACTICE_STORAGE_URL.
    storage: ObjectStorage
    # The in-process outbox dispatcher (None when PRACTICE_RUN_DISPATCHER=false).
    dispatcher: BackgroundDispatcher | None = None


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
