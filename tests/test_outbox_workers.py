"""Two worker processes share one PostgreSQL outbox: nothing twice, nothing missing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_two_worker_processes_drain_the_outbox_without_duplicates(
    database_urls: dict[str, str | None],
) -> None:
    if database_urls.get("postgresql") is None:
        pytest.skip("needs PostgreSQL")
    from tests.conftest import POSTGRES_ADMIN_URL

    result = subprocess.run(
        [
            sys.executable,
            "scripts/bench_outbox.py",
            "--deliveries",
            "300",
            "--workers",
            "2",
            "--admin-url",
            POSTGRES_ADMIN_URL,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = dict(line.split(":", 1) for line in result.stdout.splitlines() if ":" in line)
    assert lines["duplicates"].strip() == "0"
    assert lines["missing"].strip() == "0"
    assert lines["delivered"].strip().startswith("300 rows")
    workers = dict(pair.split("=") for pair in lines["per worker"].strip().split(", "))
    assert set(workers) == {"worker-1", "worker-2"}  # both took a share
    assert sum(int(v) for v in workers.values()) == 300
