"""Daily digests (filled in by the digest step)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from practice_api.events import render
from practice_api.events.models import Delivery


async def digest_contents(
    session: AsyncSession, digests: Sequence[Delivery]
) -> dict[uuid.UUID, tuple[list[render.DigestEntry], list[str]]]:
    return {}
