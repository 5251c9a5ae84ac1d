"""Create ./.venv with the locked dependencies, once, and again whenever a lock changes.

Used by scripts/serve and scripts/test so a fresh machine needs nothing but Python 3.11+.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".practice-api-installed"


def _fingerprint(lock: Path) -> str:
    digest = hashlib.sha256()
    for path in (lock, ROOT / "pyproject.toml"):
        digest.update(path.read_bytes())
    return f"{lock.name}:{digest.hexdigest()}"


def ensure_environment(lock_name: str) -> Path:
    """Install ``lock_name`` (hash-checked) plus this project into .venv; return its bin dir."""
    if sys.version_info < (3, 11):  # noqa: UP036 - run by whatever python3 is on PATH
        sys.exit("practice-api needs Python 3.11 or newer.")
    lock = ROOT / lock_name
    wanted = _fingerprint(lock)
    installed = STAMP.read_text().splitlines() if STAMP.exists() else []
    dev_lock = ROOT / "requirements-dev.lock"
    # The dev lock is a superset of the runtime lock, so it serves both commands.
    if wanted in installed or _fingerprint(dev_lock) in installed:
        return BIN
    if not (BIN / "python").exists():
        print(f"creating {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    python = str(BIN / "python")
    print(f"installing locked dependencies from {lock_name}", flush=True)
    pip = [python, "-m", "pip", "install", "--disable-pip-version-check", "--quiet"]
    subprocess.run([*pip, "--require-hashes", "-r", str(lock)], check=True)
    subprocess.run([*pip, "--no-deps", "-e", str(ROOT)], check=True)
    STAMP.write_text(wanted + "\n")
    return BIN


SPEC_TOOLS = ROOT / "openapi"
NODE_BIN = SPEC_TOOLS / "node_modules" / ".bin"
NODE_STAMP = SPEC_TOOLS / "node_modules" / ".practice-api-installed"


def ensure_spec_tools() -> Path | None:
    """Install the pinned npm tools of openapi/package-lock.json into openapi/node_modules.

    Returns their bin dir, or None when npm is missing (the spec tests then skip, except
    in CI, where they fail). Reinstalls whenever the lock changes.
    """
    lock = SPEC_TOOLS / "package-lock.json"
    wanted = hashlib.sha256(lock.read_bytes()).hexdigest()
    if NODE_STAMP.exists() and NODE_STAMP.read_text().strip() == wanted:
        return NODE_BIN
    npm = shutil.which("npm")
    if npm is None:
        print("npm not found: the spec lint and client checks will be skipped", flush=True)
        return None
    print("installing the spec tools from openapi/package-lock.json", flush=True)
    subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"],
        cwd=SPEC_TOOLS,
        check=True,
    )
    NODE_STAMP.write_text(wanted + "\n")
    return NODE_BIN
