"""Liveness rounds (ARP, ICMP): late answers, retries and the scope guard, against simulated hosts.

Each simulated host answers a request after its own delay, or ignores the
requests it is told to lose; nothing goes on a network. The addresses are
loopback ones, which the collector tests' safety net lets through.
"""

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field

from muster.collector.ratelimit import RateLimiter
from muster.collector.scope import Scope
from muster.collector.techniques.base import ProbeContext
from muster.collector.techniques.rounds import MIN_RETRY_WAIT, MIN_SETTLE, Rounds

NET = "127.0.9"


@dataclass
class Host:
    """How a simulated host answers: after ``delay`` seconds, except the requests it loses."""

    delay: float = 0.001
    loses: set[int] = field(default_factory=set)  # rounds whose request it never answers


@dataclass
class Swept:
    found: set[str]
    asked: Counter[str]
    seconds: float
    context: ProbeContext


def sweep(
    hosts: dict[str, Host],
    targets: list[str],
    *,
    retries: int = 1,
    exclusions: tuple[str, ...] = (),
) -> Swept:
    scope = Scope("lab", (f"{NET}.0/24",), exclusions)
    context = ProbeContext(scope=scope, limiter=RateLimiter(10000), retries=retries)
    asked: Counter[str] = Counter()

    async def run() -> set[str]:
        loop = asyncio.get_running_loop()

        def send(address: str, round_: int) -> None:
            asked[address] += 1
            host = hosts.get(address)
            if host is None or round_ in host.loses:
                return
            loop.call_later(host.delay, answer, address)

        def answer(address: str) -> None:
            rounds.replies.put_nowait((address, None, time.time()))

        rounds: Rounds[None] = Rounds(context, send)
        return {address async for address, _reply in rounds.sweep(targets)}

    start = time.monotonic()
    found = asyncio.run(run())
    return Swept(found, asked, time.monotonic() - start, context)


def addresses(first: int, last: int) -> list[str]:
    return [f"{NET}.{n}" for n in range(first, last + 1)]


def test_late_hosts_are_found_in_the_last_round_and_silent_ones_asked_again() -> None:
    quick = {address: Host() for address in addresses(1, 100)}
    late = {
        # Answers the first request only after the retry has gone out.
        f"{NET}.101": Host(delay=MIN_RETRY_WAIT + 0.07),
        # Loses the first request; answers the retry just inside the last round's wait.
        f"{NET}.102": Host(delay=MIN_SETTLE * 0.75, loses={0}),
        # Answers nothing but the retry.
        f"{NET}.103": Host(loses={0}),
    }

    swept = sweep(quick | late, addresses(1, 200))

    assert swept.found == set(quick) | set(late)
    assert {swept.asked[address] for address in quick} == {1}
    assert {swept.asked[address] for address in addresses(101, 200)} == {2}


def test_every_request_gets_the_settle_time_to_be_answered_without_retries() -> None:
    hosts = {f"{NET}.1": Host(), f"{NET}.2": Host(delay=MIN_SETTLE * 0.75)}

    swept = sweep(hosts, addresses(1, 10), retries=0)

    assert swept.found == set(hosts)
    assert set(swept.asked.values()) == {1}


def test_a_fast_segment_waits_a_short_while_before_retrying_and_the_settle_time_once() -> None:
    hosts = {address: Host() for address in addresses(1, 200)}

    swept = sweep(hosts, addresses(1, 254))

    assert swept.found == set(hosts)
    # The round before the retry ends after MIN_RETRY_WAIT of silence, the last after MIN_SETTLE.
    assert MIN_SETTLE + MIN_RETRY_WAIT <= swept.seconds < 2 * MIN_SETTLE


def test_rounds_never_ask_an_address_the_scope_guard_refuses() -> None:
    hosts = {address: Host() for address in addresses(1, 20)}

    swept = sweep(hosts, addresses(1, 20), exclusions=(f"{NET}.5/32",))

    assert f"{NET}.5" not in swept.asked
    assert swept.found == set(hosts) - {f"{NET}.5"}
    assert any("refused to send to 127.0.9.5" in error for error in swept.context.errors)
