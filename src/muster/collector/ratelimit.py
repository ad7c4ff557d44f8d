"""The packet-rate limit: one token bucket per sweep, shared by its techniques."""

import asyncio
import time


class RateLimiter:
    """Let at most ``rate`` packets a second through, with bursts of up to ``burst``.

    Techniques await ``acquire(n)`` before sending n packets; waiters are
    served in arrival order so one technique cannot starve another.
    """

    def __init__(self, rate: float, burst: int | None = None) -> None:
        if rate <= 0:
            raise ValueError(f"rate {rate!r} must be positive")
        self.rate = float(rate)
        self.burst = float(burst if burst is not None else max(1, int(rate // 20)))
        self._tokens = self.burst
        self._stamp = time.monotonic()
        self._lock = asyncio.Lock()
        self.sent = 0

    def _refill(self) -> None:
        now = time.monotonic()
        self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now

    async def acquire(self, packets: int = 1) -> None:
        """Wait until ``packets`` may be sent."""
        async with self._lock:
            remaining = float(packets)
            while remaining > 0:
                self._refill()
                take = min(remaining, self._tokens)
                self._tokens -= take
                remaining -= take
                if remaining > 0:
                    await asyncio.sleep(min(remaining, self.burst) / self.rate)
            self.sent += packets
