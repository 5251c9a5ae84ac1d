"""The permission matrix is the only place that says who may: every row is read by a
policy, and every route depends on a policy built from the row ``ROUTE_ACTIONS`` names."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Annotated, Any

import pytest
from fastapi import Depends, FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts

from practice_api.access import matrix, policy
from practice_api.access.matrix import ROUTE_ACTIONS, RULES, Rule
from practice_api.access.principals import current_staff
from practice_api.app import create_app
from practice_api.core.principals import Principal
from practice_api.settings import Settings


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    data_dir = tmp_path_factory.mktemp("rows")
    return create_app(Settings(environment="test", data_dir=data_dir, secret_key="r" * 40))


def unread_rows(rules: dict[str, Rule], read: Iterable[str]) -> list[str]:
    """Rows no policy read (``public`` rows need none: their routes take no principal)."""
    return sorted(
        action for action, rule in rules.items() if rule.scope != "public" and action not in read
    )


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for dependency in dependant.dependencies:
        if dependency.call is not None:
            yield dependency.call
        yield from _calls(dependency)


def rows_of(route: APIRoute) -> set[str]:
    """The rows the policies a route depends on decide by."""
    return {row for call in _calls(route.dependant) for row in policy.POLICY_ROWS.get(call, ())}


def test_every_row_is_read_by_a_policy(app: FastAPI) -> None:
    assert unread_rows(RULES, policy.READ_ACTIONS) == []


def misrouted(app: FastAPI) -> list[str]:
    """Routes whose policies do not decide by the row ``ROUTE_ACTIONS`` names."""
    wrong = []
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if not isinstance(route, APIRoute):
            continue  # the documentation pages: public
        name = route.operation_id or route.name
        action = ROUTE_ACTIONS[name]
        rows = rows_of(route)
        if RULES[action].scope == "public":
            if rows:
                wrong.append(f"{name}: public, but decided by {sorted(rows)}")
        elif action not in rows:
            wrong.append(f"{name}: {action} expected, decided by {sorted(rows)}")
    return wrong


def test_every_route_decides_by_its_row(app: FastAPI) -> None:
    checked = [c for c in iter_route_contexts(app.routes) if isinstance(c.original_route, APIRoute)]
    assert len(checked) > 100
    wrong = misrouted(app)
    assert wrong == [], "\n".join(wrong)


def test_a_row_nobody_reads_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    """A deliberately bad matrix: a row no policy reads is named; building its policy from
    a factory is what makes it read."""
    ghost = matrix._rule("firm", "ok    403   403    403    403  ok", "admin_required")
    rules = {**RULES, "ghosts.manage": ghost}
    monkeypatch.setattr(matrix, "RULES", rules)
    monkeypatch.setattr(policy, "RULES", rules)
    monkeypatch.setattr(policy, "READ_ACTIONS", set(policy.READ_ACTIONS))
    create_app(Settings(environment="test", data_dir=Path("/nonexistent"), secret_key="r" * 40))
    assert unread_rows(rules, policy.READ_ACTIONS) == ["ghosts.manage"]
    policy.firm_policy("ghosts.manage")
    assert unread_rows(rules, policy.READ_ACTIONS) == []


def test_a_route_without_its_policy_fails() -> None:
    """A deliberately bad app: a route that checks another row than ``ROUTE_ACTIONS`` says
    (or none) is named."""
    bad = FastAPI()

    @bad.delete("/v1/users/{user_id}", operation_id="users_delete")
    async def swapped(_: Annotated[Principal, Depends(policy.firm_policy("users.view"))]) -> None:
        """Deleting a user with the policy of reading one."""

    @bad.get("/v1/users", operation_id="users_list")
    async def unguarded(_: Annotated[Principal, Depends(current_staff)]) -> None:
        """No policy at all."""

    assert misrouted(bad) == [
        "users_delete: users.manage expected, decided by ['users.view']",
        "users_list: users.list expected, decided by []",
    ]
