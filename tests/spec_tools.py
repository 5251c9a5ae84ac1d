"""The pinned npm tools of openapi/package.json, for the spec tests.

``scripts/test`` installs them (``scripts/_bootstrap.ensure_spec_tools``). Without npm the
tests that need them skip locally and fail in CI.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SPEC_DIR = ROOT / "openapi"
SPEC_FILE = SPEC_DIR / "openapi.json"
NODE_BIN = SPEC_DIR / "node_modules" / ".bin"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def tool(name: str) -> Path:
    path = NODE_BIN / name
    if not path.exists():
        message = f"{path} is missing: run `python3 scripts/test --version` (needs npm)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return path


def run(
    *args: str | Path, cwd: Path = SPEC_DIR, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "NO_COLOR": "1",
        "REDOCLY_TELEMETRY": "off",
        "REDOCLY_SUPPRESS_UPDATE_NOTICE": "true",
    }
    return subprocess.run(
        [str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env
    )
