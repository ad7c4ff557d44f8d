"""GLPI agent messages (its JSON protocol): parsing and replies.

The agent posts ``{"action": "contact", ...}`` first, then
``{"action": "inventory", "deviceid": ..., "content": {...}}`` with the same
sections as FusionInventory's XML, in lower case (inventory_format). Bodies
may be zlib- or gzip-compressed; the transport inflates them and compresses
the reply the same way.
"""

import json
from collections.abc import Mapping
from typing import Any

from muster.api.errors import MalformedBodyError
from muster.api.inventory.content import Content

# Hours before the agent contacts the server again on its own.
EXPIRATION_HOURS = 24


def parse(document: bytes) -> tuple[str, str | None, Content]:
    """Return the action, the device id and the content of a GLPI agent message."""
    try:
        message = json.loads(document)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MalformedBodyError(f"the body is not a GLPI agent JSON message: {exc}") from exc
    if not isinstance(message, dict):
        raise MalformedBodyError("a GLPI agent message is a JSON object with an action")
    action = str(message.get("action", "")).strip().lower()
    device = message.get("deviceid")
    content = message.get("content")
    return (
        action,
        str(device) if device else None,
        _upper(content) if isinstance(content, Mapping) else {},
    )


def _upper(value: Any) -> Any:
    """Upper-case the keys, so the content reads like FusionInventory's."""
    if isinstance(value, Mapping):
        return {str(key).upper(): _upper(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_upper(item) for item in value]
    return value


def reply(status: str, **fields: Any) -> bytes:
    """Build a reply the agent reads, e.g. reply("ok", expiration=24)."""
    return json.dumps({"status": status, **fields}).encode()
