"""Policies for firm-wide actions (no entity involved), from the permission matrix."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends

from practice_api.access.matrix import RULES
from practice_api.auth.principals import Principal, current_staff
from practice_api.core.errors import Forbidden


def firm_policy(action: str) -> Callable[..., Awaitable[Principal]]:
    """A dependency allowing ``action`` as its ``RULES`` row says (admin vs other staff)."""
    rule = RULES[action]  # an unknown action fails at import time
    if rule.scope != "firm":
        raise ValueError(f"{action} is a {rule.scope} action, not firm")

    async def policy(principal: Annotated[Principal, Depends(current_staff)]) -> Principal:
        if not rule.allows("admin" if principal.is_admin else "none"):
            raise Forbidden(rule.forbidden_detail, code=rule.forbidden_code)
        return principal

    policy.__name__ = "can_" + action.replace(".", "_")
    return policy
