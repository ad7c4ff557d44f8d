"""Tokens an API worker on PostgreSQL has checked, remembered until any token changes.

Every request names its token. Checking it is a round trip to the database,
as costly to a worker as the look-up the request asks for. On PostgreSQL a
worker remembers the valid tokens it has checked, and forgets all of them
when the database says a token changed: migration 0008's trigger notifies
the channel ``muster_tokens`` after a token is revoked, deleted or given
other scopes or sites, by whatever process. A revocation thus reaches every
worker as soon as the notification does, within milliseconds.

The cache is used only while its listening connection is up. When that
connection is lost, it forgets everything, checks every token in the
database again, and listens anew (after 1 s, doubling to a minute while the
server stays away). A check that was under way while a token changed is not
remembered: its answer may predate the change.

Unknown and revoked tokens are never remembered; they cost a read each.
"""

import asyncio
import contextlib
import logging

from muster.cmdb.tokens import Principal, digest_secret

logger = logging.getLogger(__name__)

CHANNEL = "muster_tokens"
FIRST_RETRY = 1.0
LAST_RETRY = 60.0


class TokenCache:
    """Valid tokens by their secret's digest, while the change channel is listened to."""

    def __init__(self, conninfo: str) -> None:
        self._conninfo = conninfo
        self._known: dict[str, Principal] = {}
        self._task: asyncio.Task[None] | None = None
        self.listening = False
        # Bumped each time everything is forgotten: a check started before the
        # bump may hold an answer from before the change.
        self.generation = 0

    def get(self, secret: str) -> Principal | None:
        """The remembered caller of this secret, or None (then check it in the database)."""
        if not self.listening:
            return None
        return self._known.get(digest_secret(secret))

    def put(self, secret: str, principal: Principal, generation: int) -> None:
        """Remember a caller checked in the database since ``generation`` began."""
        if self.listening and generation == self.generation:
            self._known[digest_secret(secret)] = principal

    def forget(self) -> None:
        """Forget every token."""
        self._known.clear()
        self.generation += 1

    async def open(self) -> None:
        """Start listening for changes; the cache is used once the listener is up."""
        self._task = asyncio.create_task(self._listen(), name="muster-token-changes")

    async def close(self) -> None:
        """Stop listening and forget everything."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self.listening = False
        self.forget()

    async def _listen(self) -> None:
        import psycopg

        delay = FIRST_RETRY
        while True:
            try:
                connection = await psycopg.AsyncConnection.connect(self._conninfo, autocommit=True)
                async with connection:
                    await connection.execute(f"LISTEN {CHANNEL}")
                    self.forget()
                    self.listening = True
                    delay = FIRST_RETRY
                    async for _notice in connection.notifies():
                        self.forget()
            except psycopg.Error as exc:
                logger.warning(
                    "checking every token in the database: the channel of token changes is "
                    "down (%s); listening again in %.0f s",
                    exc,
                    delay,
                )
            finally:
                self.listening = False
                self.forget()
            await asyncio.sleep(delay)
            delay = min(delay * 2, LAST_RETRY)
