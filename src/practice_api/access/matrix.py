"""The permission matrix: every action x every access level, in one table.

Columns (who calls):

* ``admin``: a firm admin.
* ``owner``: the entity's responsible (its owner user), a non-admin staff user.
* ``editor`` / ``viewer``: a staff user the entity is shared with, by role.
* ``none``: a staff user of the same firm with no access to the entity.
* ``other_firm``: an admin of another firm (tenancy: it must never reach our data).

Outcomes: ``ok`` (2xx), ``403`` (visible but not allowed), ``404`` (not visible).

For ``entity`` actions the column is the caller's access level on that entity
(``access.levels.entity_access``); for ``firm`` actions the non-admin columns are all just
"staff" and must agree. Policies are built from this table (``access.policy``), so a route
gets its rule by naming its action; ``ROUTE_ACTIONS`` classifies every route of the API, and
``tests/test_permission_matrix.py`` calls every route as every column and compares.

Later issues add rows (contacts, files, requests, portal) and classify their routes here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

Level = Literal["admin", "owner", "editor", "viewer", "none", "other_firm"]
LEVELS: tuple[Level, ...] = get_args(Level)
Outcome = Literal["ok", "403", "404"]
Scope = Literal["public", "signed_in", "firm", "entity"]


@dataclass(frozen=True)
class Rule:
    scope: Scope
    outcomes: dict[Level, Outcome]
    forbidden_code: str = "forbidden"
    forbidden_detail: str = "You may not do this."

    def allows(self, level: Level) -> bool:
        return self.outcomes[level] == "ok"


def _rule(scope: Scope, grid: str, code: str = "forbidden", detail: str = "") -> Rule:
    cells = grid.split()
    if len(cells) != len(LEVELS) or any(c not in get_args(Outcome) for c in cells):
        raise ValueError(f"bad matrix row {grid!r}")
    outcomes: dict[Level, Outcome] = dict(zip(LEVELS, cells, strict=True))  # type: ignore[arg-type]
    return Rule(scope, outcomes, code, detail or "You may not do this.")


_ADMIN = "admin_required"

# fmt: off
RULES: dict[str, Rule] = {
    # action                   scope         admin owner editor viewer none other_firm
    "public":            _rule("public",    "ok    ok    ok     ok     ok   ok"),
    "self":              _rule("signed_in", "ok    ok    ok     ok     ok   ok"),
    # foundation: firm, offices, users
    "firm.view":         _rule("firm",      "ok    ok    ok     ok     ok   ok"),
    "firm.manage":       _rule("firm",      "ok    403   403    403    403  ok", _ADMIN),
    "offices.list":      _rule("firm",      "ok    ok    ok     ok     ok   ok"),
    "offices.view":      _rule("firm",      "ok    ok    ok     ok     ok   404"),
    "offices.create":    _rule("firm",      "ok    403   403    403    403  ok", _ADMIN),
    "offices.manage":    _rule("firm",      "ok    403   403    403    403  404", _ADMIN),
    "users.list":        _rule("firm",      "ok    ok    ok     ok     ok   ok"),
    "users.view":        _rule("firm",      "ok    ok    ok     ok     ok   404"),
    "users.create":      _rule("firm",      "ok    403   403    403    403  ok", _ADMIN),
    "users.manage":      _rule("firm",      "ok    403   403    403    403  404", _ADMIN),
    # entities
    "entities.list":     _rule("firm",      "ok    ok    ok     ok     ok   ok"),
    "entities.create":   _rule("firm",      "ok    ok    ok     ok     ok   ok"),
    "entity.view":       _rule("entity",    "ok    ok    ok     ok     404  404"),
    "entity.update":     _rule("entity",    "ok    ok    ok     403    404  404",
                               "entity_update_forbidden",
                               "Only the responsible, editors and admins may change this entity."),
    "entity.delete":     _rule("entity",    "ok    ok    403    403    404  404",
                               "entity_delete_forbidden",
                               "Only the responsible and admins may delete this entity."),
    "entity.change_owner": _rule("entity",  "ok    ok    403    403    404  404",
                               "owner_change_forbidden",
                               "Only the responsible and admins may change the owner."),
    # the owner list (address book)
    "owners.list":       _rule("firm",      "ok    ok    ok     ok     ok   ok"),
    "owners.view":       _rule("firm",      "ok    ok    ok     ok     ok   404"),
    "owners.create":     _rule("firm",      "ok    403   403    403    403  ok", _ADMIN,
                               "Only firm admins may manage the owner list."),
    "owners.manage":     _rule("firm",      "ok    403   403    403    403  404", _ADMIN,
                               "Only firm admins may manage the owner list."),
    "owners.transfer":   _rule("firm",      "ok    403   403    403    403  404", _ADMIN,
                               "Only firm admins may transfer entities between owners."),
}
# fmt: on
