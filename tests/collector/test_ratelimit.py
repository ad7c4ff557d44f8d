"""The packet-rate limit: a sweep's techniques together never send faster than the site allows."""

import asyncio
import time

import pytest

from muster.collector.ratelimit import RateLimiter


def test_rate_limiter_holds_senders_to_the_rate_after_the_burst() -> None:
    limiter = RateLimiter(100)  # bursts of 5

    async def send(count: int) -> None:
        for _ in range(count):
            await limiter.acquire()

    async def two_techniques() -> None:
        await asyncio.wait_for(asyncio.gather(send(20), send(20)), timeout=10)

    start = time.monotonic()
    asyncio.run(two_techniques())
    elapsed = time.monotonic() - start

    # 40 packets, 5 at once, then 100 a second: at least 0.35 s whoever sends them.
    assert elapsed >= 0.34
    assert limiter.sent == 40


def test_rate_limiter_refuses_a_rate_that_is_not_positive() -> None:
    with pytest.raises(ValueError, match=r"rate 0 must be positive"):
        RateLimiter(0)
