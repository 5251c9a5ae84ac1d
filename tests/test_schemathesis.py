"""Schemathesis in CI: every check, positive and negative data, stateful links, as an admin,
a staff user and a portal contact, on PostgreSQL, 0 failures (see tests/fuzz.py).

Bounded for CI (PRACTICE_FUZZ_EXAMPLES examples, PRACTICE_FUZZ_SECONDS per role); the long
run is ``python3 scripts/fuzz --max-examples 100 --max-time 1800``. The spec is the app's
own (tests/test_openapi.py fails on drift), so routes added later are covered with no work.
"""

from __future__ import annotations

import os

import pytest

from tests import fuzz
from tests.conftest import mark_backend_used

MAX_EXAMPLES = int(os.environ.get("PRACTICE_FUZZ_EXAMPLES", "3"))
SECONDS_PER_ROLE = int(os.environ.get("PRACTICE_FUZZ_SECONDS", "45"))


def test_schemathesis_as_admin_staff_and_contact(
    database_urls: dict[str, str | None],
) -> None:
    if database_urls.get("postgresql") is None:
        pytest.skip("Schemathesis runs on PostgreSQL")
    mark_backend_used("postgresql")
    results = fuzz.run(
        max_examples=MAX_EXAMPLES,
        max_time=SECONDS_PER_ROLE,
        workers=2,
        roles=list(fuzz.ROLES),
        report_dir=None,
        extra=[],
        # The examples phase (schema examples, also checked by tests/test_spec_examples.py)
        # is left to the long run, so the time goes to coverage, fuzzing and stateful links.
        phases="coverage,fuzzing,stateful",
    )
    summary = {r.role: (r.returncode, round(r.seconds)) for r in results}
    assert [r.role for r in results] == list(fuzz.ROLES), summary
    assert all(r.returncode == 0 for r in results), summary
