"""Performance guarantees that are properties, not timings (benchmarks: scripts/bench_*.py)."""

from __future__ import annotations

import asyncio
import threading
import time

from practice_api.core.security import PasswordHasher, hashing_concurrency


async def test_sign_in_hashing_runs_off_the_loop_behind_a_limiter() -> None:
    hasher = PasswordHasher(1, concurrency=2)
    hashed = hasher.hash("correct horse")
    loop_thread = threading.get_ident()
    threads: set[int] = set()
    slow_verify = hasher.verify

    def verify(password: str, stored: str | None) -> bool:
        threads.add(threading.get_ident())
        time.sleep(0.05)  # long enough for the eight calls to overlap if nothing limits them
        return slow_verify(password, stored)

    hasher.verify = verify  # type: ignore[method-assign]
    try:
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.005)
                ticks += 1

        ticking = asyncio.create_task(ticker())
        results = await asyncio.gather(
            *(hasher.averify("correct horse" if n % 2 else "wrong", hashed) for n in range(8))
        )
        ticking.cancel()
    finally:
        hasher.close()
    assert results == [n % 2 == 1 for n in range(8)]
    assert hasher.peak == 2  # never more hashes at once than the limiter allows
    assert hasher.running == 0
    assert loop_thread not in threads
    assert ticks >= 10  # the event loop kept running while four rounds of hashes ran


def test_hashing_concurrency_is_sized_to_memory() -> None:
    assert hashing_concurrency() >= 1
    # A hash that would need more memory than the machine has still gets one slot.
    assert hashing_concurrency(memory_kib=2**40) == 1
