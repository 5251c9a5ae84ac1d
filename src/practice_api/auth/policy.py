"""Firm-level permissions: what only an admin may do."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends

from practice_api.auth.principals import Principal, current_staff
from practice_api.core.errors import Forbidden


def admin_only(action: str) -> Callable[[Principal], Awaitable[Principal]]:
    """A policy dependency allowing ``action`` to firm admins only (403 for others)."""

    async def policy(principal: Annotated[Principal, Depends(current_staff)]) -> Principal:
        if not principal.is_admin:
            raise Forbidden(f"Only firm admins may {action}.", code="admin_required")
        return principal

    policy.__name__ = "can_" + action.replace(" ", "_")
    return policy
