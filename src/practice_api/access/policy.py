"""The policy factories: every "who may" is built here from a row of the permission matrix
(``access.matrix.RULES``); no policy decides on its own and no route body checks.

* ``firm_policy(action)``: firm-wide actions (admin vs other staff).
* ``object_policy(action, scope, ...)``: one object named by a path parameter, loaded
  through what the principal may read, the principal's level on it checked against the
  row: entities (``entities.policy.entity_policy``), contacts of the address book, portal
  objects (``portal.policy``).
* ``child_policy(parent, ...)``: an object that belongs to another (a share, a grant, a
  group, a discussion of an entity): the parent's row decides, one loader finds the child.
* ``principal_policy(action)``: one's own data (``signed_in`` rows).
* ``guest_policy(action, ...)``: a secret link (``guest`` rows, client requests).

``rule_for`` reads a row (an unknown action, or a row of another scope, fails at import
time) and remembers it was read; ``check`` applies it: 404 when the caller may not see the
object, 403 when it sees it but the row refuses.
"""

from __future__ import annotations

import inspect
import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession

from practice_api.access.matrix import RULES, Level, Rule, Scope
from practice_api.access.principals import current_contact, current_principal, current_staff
from practice_api.core.errors import AppError, Forbidden
from practice_api.core.principals import Principal
from practice_api.db import SessionDep

L = TypeVar("L", bound=Level)


def rule_for(action: str, scope: Scope) -> Rule:
    rule = RULES[action]  # an unknown action fails at import time
    if rule.scope != scope:
        raise ValueError(f"{action} is a {rule.scope} action, not {scope}")
    READ_ACTIONS.add(action)
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
    decides_by(policy, action)
    return policy


# ---------------------------------------------------------------------------------------
# Factories. Each builds a FastAPI dependency from one matrix row; the domains give them
# the loaders (how to find the object the principal may read) and the level function.

Obj = TypeVar("Obj")
Ctx = TypeVar("Ctx")
Parent = TypeVar("Parent")
Child = TypeVar("Child")

Loader = Callable[[AsyncSession, Principal, uuid.UUID], Awaitable[Obj | None]]
LevelOf = Callable[[AsyncSession, Principal, Obj], Awaitable[Level | None]]

# The actions whose rows a factory read (``tests/test_matrix_rows.py`` compares with RULES),
# and the rows each policy a factory built decides by (the test compares them with
# ``ROUTE_ACTIONS``, route by route).
READ_ACTIONS: set[str] = set()
POLICY_ROWS: dict[Callable[..., Any], tuple[str, ...]] = {}


def decides_by(policy: Callable[..., Any], *actions: str) -> None:
    """Record that ``policy`` decides by these rows (factories do; a hand-written policy
    that reads rows itself says so)."""
    POLICY_ROWS[policy] = actions


def _named(
    policy: Callable[..., Any],
    name: str,
    parameters: list[inspect.Parameter],
    *actions: str,
) -> None:
    policy.__name__ = name
    policy.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    if actions:
        decides_by(policy, *actions)


def _parameter(name: str, annotation: Any) -> inspect.Parameter:
    return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation)


def object_policy(
    action: str,
    scope: Scope,
    *,
    param: str,
    load: Loader[Obj],
    level: LevelOf[Obj],
    build: Callable[[Obj, Principal, Level], Ctx],
    not_found: Callable[[], AppError],
    principal: Callable[..., Awaitable[Principal]] = current_staff,
    allowed: Callable[[Ctx], bool] | None = None,
) -> Callable[..., Awaitable[Ctx]]:
    """A dependency for ``action`` on the object named by the path parameter ``param``.

    ``load`` finds it among what the principal may read (``None``: 404 ``not_found``);
    ``level`` is the principal's column of the matrix on it (``None``: 404); the row
    decides (403 with its code). ``allowed`` is a further condition of the same row (a
    portal contact's role), refused with the row's 403.
    """
    rule = rule_for(action, scope)

    async def policy(**kwargs: Any) -> Ctx:
        session: AsyncSession = kwargs["session"]
        caller: Principal = kwargs["principal"]
        found = await load(session, caller, kwargs[param])
        if found is None:
            raise not_found()
        granted = check(rule, await level(session, caller, found), not_found)
        context = build(found, caller, granted)
        if allowed is not None and not allowed(context):
            raise Forbidden(rule.forbidden_detail, code=rule.forbidden_code)
        return context

    _named(
        policy,
        "can_" + action.replace(".", "_"),
        [
            _parameter(param, uuid.UUID),
            _parameter("session", SessionDep),
            _parameter("principal", Annotated[Principal, Depends(principal)]),
        ],
        action,
    )
    return policy


def child_policy(
    parent: Callable[..., Awaitable[Parent]],
    *,
    param: str,
    load: Callable[[AsyncSession, Parent, uuid.UUID], Awaitable[Child | None]],
    build: Callable[[Parent, Child], Ctx],
    not_found: Callable[[], AppError],
    allowed: tuple[str, Callable[[AsyncSession, Ctx], Awaitable[bool]]] | None = None,
) -> Callable[..., Awaitable[Ctx]]:
    """A dependency for an object that belongs to another (a share, a contact's grant, a
    group or a discussion of an entity): the parent's policy decides who may (its row), then
    ``load`` finds the child under that parent (``None``: 404 ``not_found``).

    ``allowed=(action, condition)``: a further condition of the row ``action`` checked once
    the child is found (404 first), refused with that row's 403 (a portal contact's role).
    """
    rule = rule_for(allowed[0], RULES[allowed[0]].scope) if allowed is not None else None

    async def policy(**kwargs: Any) -> Ctx:
        context: Parent = kwargs["context"]
        session: AsyncSession = kwargs["session"]
        child = await load(session, context, kwargs[param])
        if child is None:
            raise not_found()
        built = build(context, child)
        if allowed is not None and rule is not None and not await allowed[1](session, built):
            raise Forbidden(rule.forbidden_detail, code=rule.forbidden_code)
        return built

    _named(
        policy,
        f"{getattr(parent, '__name__', 'policy')}_{param.removesuffix('_id')}",
        [
            _parameter(param, uuid.UUID),
            _parameter("session", SessionDep),
            _parameter("context", Annotated[Any, Depends(parent)]),
        ],
        *((allowed[0],) if allowed is not None else ()),
    )
    return policy


def principal_policy(action: str) -> Callable[..., Awaitable[Principal]]:
    """A row about the caller's own data: ``signed_in`` (every signed-in principal, staff or
    contact) or a ``portal`` row with no object (any contact: ``portal.self``)."""
    scope = RULES[action].scope
    rule_for(action, "portal" if scope == "portal" else "signed_in")
    who = current_contact if scope == "portal" else current_principal

    async def policy(**kwargs: Any) -> Principal:
        principal: Principal = kwargs["principal"]
        return principal

    _named(
        policy,
        "can_" + action.replace(".", "_"),
        [_parameter("principal", Annotated[Principal, Depends(who)])],
        action,
    )
    return policy


def guest_policy(
    action: str,
    *,
    param: str,
    load: Callable[[AsyncSession, str], Awaitable[Obj | None]],
    not_found: Callable[[], AppError],
) -> Callable[..., Awaitable[Obj]]:
    """A ``guest`` row: no bearer token; the secret in the path parameter ``param`` (a
    client request's link) is the only credential and names one object. ``load`` finds the
    object the secret opens (``None``, e.g. unknown, expired or revoked: 404)."""
    rule_for(action, "guest")

    async def policy(**kwargs: Any) -> Obj:
        found = await load(kwargs["session"], kwargs[param])
        if found is None:
            raise not_found()
        return found

    _named(
        policy,
        "can_" + action.replace(".", "_"),
        [_parameter(param, str), _parameter("session", SessionDep)],
        action,
    )
    return policy
