"""The API process runs a dispatcher (lifespan) that a commit wakes at once."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from tests.helpers import Api

# The dispatcher runs in its own task alongside the requests, and commits.
pytestmark = pytest.mark.committed


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    # A poll far longer than the test: only the after-commit kick can deliver in time.
    return {"run_dispatcher": True, "outbox_poll_seconds": 600}


async def test_commit_wakes_the_in_process_dispatcher(api: Api, app: Any) -> None:
    assert app.state.runtime.dispatcher is not None
    async with app.router.lifespan_context(app):
        admin = await api.sign_up_firm()
        staff = await api.add_staff(admin)
        deadline = time.monotonic() + 5
        items: list[Any] = []
        while time.monotonic() < deadline and not items:
            await asyncio.sleep(0.05)
            listed = await api.client.get("/v1/notifications", headers=staff.headers)
            items = listed.json()["items"]
        assert [i["type"] for i in items] == ["user.created"]
    # Shutdown stopped the loop and closed its HTTP client.
    assert app.state.runtime.dispatcher._task is None
