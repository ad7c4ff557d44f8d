"""ASGI middleware that guards every request body: size limit and Content-Encoding.

A body over the limit is refused with 413 before a route sees it; a gzip or
deflate body (``Content-Encoding``) is inflated here, within the decompressed
limit, so routes and their validation only ever see plain content.
"""

import json
import logging

from fastapi import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from muster.api.body import inflate
from muster.api.errors import ApiError, PayloadTooLargeError
from muster.api.problems import MEDIA_TYPE, TITLES, TYPE_BASE, status_of
from muster.api.settings import ApiSettings

logger = logging.getLogger(__name__)


class BodyGuard:
    """Refuse oversized bodies and inflate compressed ones before routing."""

    def __init__(self, app: ASGIApp, settings: ApiSettings) -> None:
        self.app = app
        self.settings = settings
        self.max_body = settings.max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        encoding = headers.get(b"content-encoding", b"").decode("latin-1").strip().lower()
        try:
            self._check_length(headers)
            if encoding in ("", "identity"):
                await self.app(scope, self._limited(receive), send)
                return
            body = await self._read(receive)
            plain = inflate(body, encoding, self.settings.max_decompressed_bytes)
        except ApiError as exc:
            await _send_problem(send, status_of(exc), str(exc))
            return
        scope = dict(scope)
        scope["headers"] = [
            (name, value)
            for name, value in scope["headers"]
            if name not in (b"content-encoding", b"content-length")
        ] + [(b"content-length", str(len(plain)).encode())]
        await self.app(scope, _replay(plain), send)

    def _check_length(self, headers: dict[bytes, bytes]) -> None:
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body:
            raise self._too_large()

    def _too_large(self) -> PayloadTooLargeError:
        return PayloadTooLargeError(
            f"the body is over the limit of {self.settings.max_body_bytes} bytes: "
            "send smaller batches, or compress them with gzip"
        )

    async def _read(self, receive: Receive) -> bytes:
        parts: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.settings.max_body_bytes:
                raise self._too_large()
            parts.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(parts)

    def _limited(self, receive: Receive) -> Receive:
        """Pass the body through, failing it once it passes the limit (chunked uploads)."""
        size = 0
        limit = self.settings.max_body_bytes

        async def limited() -> Message:
            nonlocal size
            message = await receive()
            if message["type"] == "http.request":
                size += len(message.get("body", b""))
                if size > limit:
                    # FastAPI turns other errors raised while reading a body into 400.
                    raise HTTPException(413, str(self._too_large()))
            return message

        return limited


def _replay(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


async def _send_problem(send: Send, status: int, detail: str) -> None:
    title = TITLES.get(status, "Error")
    body = json.dumps(
        {
            "type": TYPE_BASE + title.lower().replace(" ", "-"),
            "title": title,
            "status": status,
            "detail": detail,
            "errors": [],
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", MEDIA_TYPE.encode()),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
