"""Policy mechanics built from the permission matrix (``access.matrix.RULES``).

A domain builds its policies from its rows: ``firm_policy(action)`` here for firm-wide
actions; ``entities.policy.entity_policy(action)`` for actions on one entity, and so on.
``rule_for`` reads a row (an unknown action, or a row of another scope, fails at import
time); ``check`` applies it: 404 when the caller may not see the object, 403 when it sees
it but the row refuses.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

from fastapi import Depends

from practice_api.access.matrix import RULES, Level, Rule, Scope
from practice_api.access.principals import current_staff
from practice_api.core.errors import AppError, Forbidden
from practice_api.core.principals import Principal

L = TypeVar("L", bound=Level)


def rule_for(action: str, scope: Scope) -> Rule:
    rule = RULES[action]  # an unknown action fails at import time
    if rule.scope != scope:
        raise ValueError(f"{action} is a {rule.scope} action, not {scope}")
    return rule


def check(rule: Rule, level: L | None, not_found: Callable[[], AppError]) -> L:
    """The caller's ``level`` if the row allows it; 404 (``not_found``) when the caller may
    not see the object (``None``); 403 with the row's code when it sees it but may not."""
    if level is None:
        raise not_found()
    if not rule.allows(level):
        raise Forbidden(rule.forbidden_detail, code=rule.forbidden_code)
    return level


def firm_policy(action: str) -> Callable[..., Awaitable[Principal]]:
    """A dependency allowing ``action`` as its ``RULES`` row says (admin vs other staff)."""
    rule = rule_for(action, "firm")

    async def policy(principal: Annotated[Principal, Depends(current_staff)]) -> Principal:
        if not rule.allows("admin" if principal.is_admin else "none"):
            raise Forbidden(rule.forbidden_detail, code=rule.forbidden_code)
        return principal

    policy.__name__ = "can_" + action.replace(".", "_")
    return policy


__all__ = ["check", "firm_policy", "rule_for"]
