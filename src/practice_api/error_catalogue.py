"""Every problem ``code`` the API can answer, read from the source: the error-code table.

The codes come from
* ``raise SomeError("detail", code="...")`` of any ``AppError`` subclass (the status is the
  class's), and each class's ``default_code`` where it is raised without a ``code``;
* repositories' ``not_found_code`` / ``not_found_detail`` (404);
* the permission matrix's ``forbidden_code`` / ``forbidden_detail`` (403).

``python -m practice_api.error_catalogue --write docs/integrators.md`` rewrites the table
between its markers; tests/test_spec_error_codes.py fails when the table is stale.
"""

from __future__ import annotations

import argparse
import ast
from dataclasses import dataclass, field
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
START = "<!-- error-codes:start (generated: python -m practice_api.error_catalogue) -->"
END = "<!-- error-codes:end -->"


@dataclass
class ErrorCode:
    code: str
    status: int
    meanings: list[str] = field(default_factory=list)
    where: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class _ErrorClass:
    status: int
    title: str
    default_code: str


def _literal(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):  # an f-string: keep its literal parts
        return "".join(str(v.value) if isinstance(v, ast.Constant) else "…" for v in node.values)
    return None


def _class_fields(node: ast.ClassDef) -> dict[str, object]:
    values: dict[str, object] = {}
    for statement in node.body:
        if isinstance(statement, ast.Assign):
            for target in statement.targets:
                if isinstance(target, ast.Tuple) and isinstance(statement.value, ast.Tuple):
                    for name, value in zip(target.elts, statement.value.elts, strict=False):
                        if isinstance(name, ast.Name) and isinstance(value, ast.Constant):
                            values[name.id] = value.value
                elif isinstance(target, ast.Name) and isinstance(statement.value, ast.Constant):
                    values[target.id] = statement.value.value
        elif (
            isinstance(statement, ast.AnnAssign)
            and isinstance(statement.target, ast.Name)
            and isinstance(statement.value, ast.Constant)
        ):
            values[statement.target.id] = statement.value.value
    return values


def _name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def scan(package: Path = PACKAGE) -> dict[str, ErrorCode]:
    trees = {path: ast.parse(path.read_text(), str(path)) for path in sorted(package.rglob("*.py"))}
    classes: dict[str, ast.ClassDef] = {
        node.name: node
        for tree in trees.values()
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef)
    }
    errors: dict[str, _ErrorClass] = {}
    pending = True
    while pending:  # subclasses of AppError, however deep, inheriting what they do not set
        pending = False
        for name, node in classes.items():
            if name in errors:
                continue
            bases = [_name(b) for b in node.bases]
            parent = next((errors[b] for b in bases if b in errors), None)
            if parent is None and name != "AppError":
                continue
            own = _class_fields(node)
            errors[name] = _ErrorClass(
                status=int(own.get("status", parent.status if parent else 500)),  # type: ignore[call-overload]
                title=str(own.get("title", parent.title if parent else "Error")),
                default_code=str(own.get("default_code", parent.default_code if parent else "")),
            )
            pending = True

    # Factories such as ``def _malformed(detail, *, code="...") -> BadRequest`` count as
    # their class, with their ``code`` parameter's default.
    for tree in trees.values():
        for function in ast.walk(tree):
            if isinstance(function, ast.FunctionDef) and function.returns is not None:
                returned = _name(function.returns) or _literal(function.returns)
                if returned in errors and function.name not in errors:
                    arguments = function.args
                    defaults = dict(
                        zip(
                            [a.arg for a in arguments.kwonlyargs],
                            arguments.kw_defaults,
                            strict=False,
                        )
                    )
                    positional = arguments.posonlyargs + arguments.args
                    defaults.update(
                        zip(
                            [
                                a.arg
                                for a in positional[len(positional) - len(arguments.defaults) :]
                            ],
                            arguments.defaults,
                            strict=False,
                        )
                    )
                    parent = errors[returned]
                    default = _literal(defaults.get("code")) or parent.default_code
                    errors[function.name] = _ErrorClass(parent.status, parent.title, default)

    found: dict[str, ErrorCode] = {}

    def add(code: str, status: int, meaning: str | None, where: str) -> None:
        if status < 400:  # NotModified travels as an AppError but answers a bare 304
            return
        entry = found.setdefault(code, ErrorCode(code, status))
        if meaning and meaning not in entry.meanings:
            entry.meanings.append(meaning)
        entry.where.add(where)
        if status != entry.status:
            entry.status = min(entry.status, status)

    for path, tree in trees.items():
        where = str(path.relative_to(package.parent))
        for item in ast.walk(tree):
            if isinstance(item, ast.Call) and _name(item.func) in errors:
                cls = errors[_name(item.func) or ""]
                keywords = {k.arg: k.value for k in item.keywords if k.arg}
                detail = _literal(item.args[0]) if item.args else _literal(keywords.get("detail"))
                code = _literal(keywords.get("code")) if "code" in keywords else cls.default_code
                if code and "…" not in code:
                    add(code, cls.status, detail or cls.title, where)
            elif isinstance(item, ast.ClassDef):
                own = _class_fields(item)
                not_found = own.get("not_found_code")
                if isinstance(not_found, str):
                    text = own.get("not_found_detail")
                    add(not_found, 404, str(text) if text else None, where)
    from practice_api.access.matrix import RULES

    for rule in RULES.values():
        if any(outcome == "403" for outcome in rule.outcomes.values()):
            add(rule.forbidden_code, 403, rule.forbidden_detail, "practice_api/access/matrix.py")
    # Statuses FastAPI/Starlette raise that have no class of their own.
    add("route_not_found", 404, "No such route.", "practice_api/core/errors.py")
    return found


def markdown_table(codes: dict[str, ErrorCode]) -> str:
    lines = [
        START,
        "",
        "| status | `code` | meaning |",
        "| --- | --- | --- |",
    ]
    for entry in sorted(codes.values(), key=lambda e: (e.status, e.code)):
        meaning = " / ".join(m.strip().rstrip(".") for m in entry.meanings[:2]) or "-"
        lines.append(f"| {entry.status} | `{entry.code}` | {meaning.replace('|', '/')}. |")
    lines += ["", END]
    return "\n".join(lines)


def replace_table(document: str, table: str) -> str:
    if START not in document or END not in document:
        raise ValueError(f"the document needs the markers {START!r} and {END!r}")
    head, rest = document.split(START, 1)
    _, tail = rest.split(END, 1)
    return head + table + tail


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", type=Path, help="rewrite the table in this Markdown file")
    args = parser.parse_args()
    table = markdown_table(scan())
    if args.write:
        args.write.write_text(replace_table(args.write.read_text(), table))
    else:
        print(table)


if __name__ == "__main__":
    main()
