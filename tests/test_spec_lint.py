"""openapi/openapi.json is clean under Spectral (spectral:oas) and Redocly (recommended).

A rule that does not fit is turned off in openapi/.spectral.yaml or openapi/redocly.yaml,
with its reason on the line above. Most findings on a new route are
fixed in the route itself (summary, docstring, ``problem_responses(...)``) or in
``core/openapi.py`` (``TAG_DESCRIPTIONS``) and ``core/openapi_examples.py`` (``FIXTURES``).
"""

from __future__ import annotations

import json

from tests.spec_tools import SPEC_FILE, run, tool


def test_spectral_finds_nothing() -> None:
    result = run(
        tool("spectral"), "lint", "-r", ".spectral.yaml", "-f", "json", "-q", SPEC_FILE.name
    )
    findings = json.loads(result.stdout or "[]")
    lines = [f"{f['code']} at {'.'.join(map(str, f['path']))}: {f['message']}" for f in findings]
    assert not lines, "Spectral (openapi/.spectral.yaml):\n" + "\n".join(lines[:50])
    assert result.returncode == 0, result.stderr


def test_redocly_finds_nothing() -> None:
    result = run(tool("redocly"), "lint", "--format=json", "--max-problems=1000", SPEC_FILE.name)
    report = json.loads(result.stdout)
    lines = [
        f"{p['ruleId']} ({p['severity']}) at "
        f"{', '.join(loc.get('pointer', '') for loc in p.get('location', []))}: {p['message']}"
        for p in report["problems"]
        if p.get("ignored") is not True
    ]
    assert not lines, "Redocly (openapi/redocly.yaml):\n" + "\n".join(lines[:50])
