"""The import layers of ARCHITECTURE.md ("Imports run one way"), as data and a checker.

Used by ``tests/test_import_layers.py``; kept apart so the checker can be pointed at a
deliberately bad package too. docs/architecture.md draws the same layers.

A tier is a list of groups. A module may import:

* anything in its own top-level package, and the packages of its own group;
* every package of an earlier tier;
* in an *ordered* tier, the packages of an earlier group of that tier.

So ``settings``, ``core``, ``db`` and ``runtime`` import no domain; ``access`` and
``events`` are mechanisms that import no domain and not each other; a domain uses only
the domains listed before it; ``portal`` reads several domains; the wiring (``app``,
``cli``, ``registry``) imports anything. Packages grouped together (``firms``, ``offices``,
``users`` are one "firm" room in ARCHITECTURE.md; an entity and its owner are one
capability) may import each other.

Besides, no router imports another router (a router is a module that builds an
``APIRouter``), and every top-level package must be placed: a new domain adds itself to
``DOMAINS`` (see docs/adding-a-resource.md).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Tier:
    name: str
    groups: tuple[tuple[str, ...], ...]
    ordered: bool


# settings and core are one group: settings builds core objects (the secret box), core's
# storage reads its settings; neither imports anything above.
FOUNDATION = Tier("foundation", (("__init__", "settings", "core"), ("db",), ("runtime",)), True)
MECHANISMS = Tier("mechanisms", (("access",), ("events",)), False)
DOMAINS = Tier(
    "domains",
    (
        ("health",),
        ("firms", "offices", "users"),
        ("owners", "entities"),
        ("shares",),
        ("contacts",),
        ("auth",),
        ("files",),
        ("discussions",),
        ("reminders",),
        ("file_requests",),
        ("tasks",),
        ("client_requests",),
        ("notifications",),
        ("webhooks",),
        ("activity",),
    ),
    True,
)
PORTAL = Tier("portal", (("portal",), ("client_area",)), True)
WIRING = Tier(
    "wiring",
    (("app", "cli", "registry", "models", "schema", "demo", "docs", "error_catalogue"),),
    False,
)
LAYERS: tuple[Tier, ...] = (FOUNDATION, MECHANISMS, DOMAINS, PORTAL, WIRING)

# Known exceptions, each with its reason (keep this short; move the module instead).
# module -> packages it may import against the order.
EXCEPTIONS: dict[str, frozenset[str]] = {}


def _rank(layers: tuple[Tier, ...]) -> dict[str, tuple[int, int, bool]]:
    """package -> (tier index, group index, tier is ordered)."""
    out: dict[str, tuple[int, int, bool]] = {}
    for t, tier in enumerate(layers):
        for g, group in enumerate(tier.groups):
            for package in group:
                out[package] = (t, g, tier.ordered)
    return out


def may_import(importer: str, imported: str, layers: tuple[Tier, ...] = LAYERS) -> bool:
    ranks = _rank(layers)
    if importer == imported:
        return True
    (ti, gi, ordered), (tj, gj, _) = ranks[importer], ranks[imported]
    if tj != ti:
        return tj < ti
    return gj == gi or (ordered and gj < gi)


@dataclass(frozen=True)
class Module:
    name: str  # e.g. pkg.users.router
    path: Path
    tree: ast.Module

    @property
    def package(self) -> str:
        """Its top-level package under the root (``__init__`` for the root itself)."""
        parts = self.name.split(".")
        return parts[1] if len(parts) > 1 else "__init__"

    @property
    def is_router(self) -> bool:
        return any(
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "APIRouter"
            for node in ast.walk(self.tree)
        )


def load_modules(source: Path, root: str) -> dict[str, Module]:
    """Every module of the package ``root`` found in the folder ``source``."""
    modules: dict[str, Module] = {}
    for path in sorted(source.rglob("*.py")):
        parts = [root, *path.relative_to(source).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join(parts)] = Module(".".join(parts), path, ast.parse(path.read_text()))
    return modules


def imported_names(module: Module) -> list[tuple[int, str]]:
    """(line, dotted name) of every import, TYPE_CHECKING and function-level ones included;
    ``from a import b`` yields ``a.b`` (a module, or a name in ``a``)."""
    found: list[tuple[int, str]] = []
    is_package = module.path.name == "__init__.py"
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.name.split(".")
                if not is_package:
                    base = base[:-1]
                base = base[: len(base) - (node.level - 1)]
                source = ".".join([*base, *([node.module] if node.module else [])])
            else:
                source = node.module or ""
            found += [(node.lineno, f"{source}.{alias.name}") for alias in node.names]
    return found


def violations(source: Path, root: str, layers: tuple[Tier, ...] = LAYERS) -> list[str]:
    """What breaks the layers in the package ``root`` (folder ``source``), one line each."""
    modules = load_modules(source, root)
    ranks = _rank(layers)
    problems: list[str] = []
    for package in sorted({m.package for m in modules.values()} - set(ranks)):
        problems.append(f"{root}.{package}: not placed in a layer (tests/import_layers.py)")
    for module in modules.values():
        if module.package not in ranks:
            continue
        for line, name in imported_names(module):
            parts = name.split(".")
            if parts[0] != root:
                continue
            imported = parts[1] if len(parts) > 1 else "__init__"
            if imported not in ranks:
                continue
            where = f"{module.path.name}:{line} {module.name} imports {name}"
            allowed = imported in EXCEPTIONS.get(module.name, frozenset())
            if not allowed and not may_import(module.package, imported, layers):
                problems.append(f"{where}: {module.package} may not import {imported}")
            if module.is_router:
                target = _module_of(name, modules)
                if target is not None and target.name != module.name and target.is_router:
                    problems.append(f"{where}: a router imports another router")
    return problems


def _module_of(name: str, modules: dict[str, Module]) -> Module | None:
    """The module ``name`` is (or lives in)."""
    while name:
        if name in modules:
            return modules[name]
        name = name.rpartition(".")[0]
    return None


# --- SQL stays in repositories (and services) -----------------------------------------------
#
# Routers are HTTP only, policies decide by matrix rows, and the portal tier composes what
# the domains' repositories answer: none of them builds or runs SQL. A "router" is a module
# that builds an ``APIRouter``; a "policy" is a module named ``policy`` (or ``*_policy``).

SQL_BUILDERS = frozenset(
    {
        "select", "insert", "update", "delete", "text", "union", "union_all",
        "exists", "func", "and_", "or_", "not_", "case", "true", "false", "null",
    }
)  # fmt: skip
SESSION_CALLS = frozenset(
    {"execute", "scalar", "scalars", "get", "stream", "stream_scalars", "merge", "refresh"}
)
NO_SQL_TIERS = ("portal",)

# Modules that still run SQL, to move into repositories (empty: keep it so; a new module
# never goes here).
SQL_EXCEPTIONS: frozenset[str] = frozenset()


def _runs_sql_module(module: Module, layers: tuple[Tier, ...]) -> bool:
    last = module.name.rsplit(".", 1)[-1]
    if module.is_router or last == "policy" or last.endswith("_policy"):
        return True
    tiers = {p for t in layers if t.name in NO_SQL_TIERS for g in t.groups for p in g}
    return module.package in tiers


def _session_name(node: ast.expr) -> bool:
    """``session`` or ``<anything>.session``."""
    return (isinstance(node, ast.Name) and node.id == "session") or (
        isinstance(node, ast.Attribute) and node.attr == "session"
    )


def sql_in_module(module: Module) -> list[str]:
    found: list[str] = []
    for node in ast.walk(module.tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sqlalchemy"):
            for alias in node.names:
                if alias.name in SQL_BUILDERS:
                    found.append(f"{node.lineno}: imports sqlalchemy {alias.name}")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "sqlalchemy" or alias.name.startswith("sqlalchemy."):
                    found.append(f"{node.lineno}: imports {alias.name}")
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in SESSION_CALLS
            and _session_name(node.func.value)
        ):
            found.append(f"{node.lineno}: calls session.{node.func.attr}")
    return found


def sql_violations(
    source: Path,
    root: str,
    layers: tuple[Tier, ...] = LAYERS,
    exceptions: frozenset[str] = SQL_EXCEPTIONS,
) -> list[str]:
    """Routers, policies and portal modules that build or run SQL, one line each."""
    problems: list[str] = []
    for module in load_modules(source, root).values():
        if not _runs_sql_module(module, layers) or module.name in exceptions:
            continue
        for where in sql_in_module(module):
            problems.append(
                f"{module.name}:{where}: SQL belongs in a repository (or a service), "
                "not in a router, a policy or the portal"
            )
    return problems


def registrations_on_import(source: Path, root: str) -> list[str]:
    """Module-level calls of a ``register...`` function outside ``registry.py``: a domain
    plugs in through ``registry.register_all()``, never as a side effect of an import."""
    problems: list[str] = []
    for module in load_modules(source, root).values():
        if module.name == f"{root}.registry":
            continue
        for statement in module.tree.body:
            if not (isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call)):
                continue
            func = statement.value.func
            name = (
                func.id
                if isinstance(func, ast.Name)
                else func.attr
                if isinstance(func, ast.Attribute)
                else ""
            )
            if "register" in name.lower():
                problems.append(
                    f"{module.name}:{statement.lineno}: calls {name} on import "
                    "(call it from registry.register_all())"
                )
    return problems
