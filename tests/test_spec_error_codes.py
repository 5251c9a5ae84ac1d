"""The error-code table in docs/integrators.md lists every `code` the code can answer.

Regenerate it with
.venv/bin/python -m practice_api.error_catalogue --write docs/integrators.md
"""

from __future__ import annotations

import re
from pathlib import Path

from practice_api.error_catalogue import PACKAGE, markdown_table, scan

DOC = Path(__file__).resolve().parent.parent / "docs" / "integrators.md"
REGENERATE = ".venv/bin/python -m practice_api.error_catalogue --write docs/integrators.md"


def test_the_table_in_the_integrators_guide_is_current() -> None:
    assert markdown_table(scan()) in DOC.read_text(), (
        f"docs/integrators.md: the error-code table is stale; run `{REGENERATE}`"
    )


def test_every_code_literal_in_the_source_is_in_the_table() -> None:
    """A `code="..."` the scanner cannot tie to an error class would be missing its status."""
    codes = set(scan())
    literals = {
        (match.group(1), str(path.relative_to(PACKAGE.parent)))
        for path in PACKAGE.rglob("*.py")
        for match in re.finditer(r'\b(?:code|_code)\s*=\s*"([a-z][a-z0-9_]*)"', path.read_text())
    }
    missing = sorted(f"{code} ({where})" for code, where in literals if code not in codes)
    assert not missing, (
        "codes raised in a way the error-code table cannot see (raise an AppError subclass "
        "with code=... directly):\n" + "\n".join(missing)
    )
