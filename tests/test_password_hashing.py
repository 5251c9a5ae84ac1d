"""Sign-in hashes run in low-priority threads, never on the event loop (bench:
scripts/bench_signin.py; the limiter's own test is in tests/test_performance.py)."""

from __future__ import annotations

import os
import sys
import threading

import pytest

from practice_api.core.security import HASHING_NICE_INCREMENT, PasswordHasher


@pytest.mark.skipif(sys.platform != "linux", reason="per-thread priorities are Linux's")
async def test_hashing_threads_run_at_a_lower_priority_than_the_event_loop() -> None:
    hasher = PasswordHasher(1, concurrency=1)
    hashed = hasher.hash("correct horse")
    loop_nice = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    seen: list[tuple[int, int]] = []
    verify = hasher.verify

    def observed(password: str, stored: str | None) -> bool:
        thread = threading.get_native_id()
        seen.append((thread, os.getpriority(os.PRIO_PROCESS, thread)))
        return verify(password, stored)

    hasher.verify = observed  # type: ignore[method-assign]
    try:
        assert await hasher.averify("correct horse", hashed)
        assert not await hasher.averify("wrong", hashed)
    finally:
        hasher.close()
    expected = min(19, loop_nice + HASHING_NICE_INCREMENT)
    assert [nice for _, nice in seen] == [expected, expected]
    assert threading.get_native_id() not in {thread for thread, _ in seen}
    # The loop's own thread (and so the process) keeps its priority.
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == loop_nice
