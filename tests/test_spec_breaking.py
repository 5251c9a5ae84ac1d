"""The breaking-change gate: openapi/openapi.json against the last released spec.

api-smart-diff (openapi/tools/breaking-changes.mjs) classifies every difference; a
breaking one (removed path, operation or property, newly required parameter or field,
narrowed enum, changed type, renamed component) fails unless ``info.version`` has a new
major (``API_VERSION`` in core/openapi.py). Additions pass. openapi/released/v<major>.json is
replaced only at a release (README, "Versioning and deprecation").
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.spec_tools import SPEC_DIR, SPEC_FILE, run, tool

RELEASED = SPEC_DIR / "released"


def _latest_release() -> Path:
    def major(path: Path) -> int:
        return int(path.stem.removeprefix("v"))

    return max(RELEASED.glob("v*.json"), key=major)


def _gate(released: Path, current: Path) -> tuple[int, str]:
    tool("openapi-typescript")  # the npm tools are installed (skips or fails otherwise)
    result = run("node", "tools/breaking-changes.mjs", released, current)
    return result.returncode, result.stdout + result.stderr


def test_no_breaking_change_since_the_last_release() -> None:
    code, report = _gate(_latest_release(), SPEC_FILE)
    assert code == 0, report


def test_the_gate_catches_a_break_and_lets_a_new_major_through(tmp_path: Path) -> None:
    spec = json.loads(SPEC_FILE.read_text())
    spec["paths"].pop("/v1/entities")
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(spec))
    code, report = _gate(_latest_release(), broken)
    assert code == 1 and "BREAKING remove at /paths/~1v1~1entities" in report, report

    major = int(spec["info"]["version"].split(".")[0])
    spec["info"]["version"] = f"{major + 1}.0.0"
    broken.write_text(json.dumps(spec))
    code, report = _gate(_latest_release(), broken)
    assert code == 0, report
