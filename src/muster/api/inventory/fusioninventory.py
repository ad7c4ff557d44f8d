"""FusionInventory agent 2.6 messages (the OCS XML protocol): parsing and replies.

The agent posts ``<REQUEST><QUERY>PROLOG</QUERY>...`` first and sends its
inventory (``QUERY`` INVENTORY, the machine under ``CONTENT``) only when the
server answers ``<RESPONSE>SEND</RESPONSE>``. Bodies are usually
zlib-compressed; the transport (``routes.inventory``) inflates them and
compresses the reply the same way.
"""

from typing import Any
from xml.etree.ElementTree import Element

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException

from muster.api.errors import MalformedBodyError
from muster.api.inventory.content import Content

# Hours before the agent contacts the server again on its own.
PROLOG_FREQ_HOURS = 24


def parse(document: bytes) -> tuple[str, str | None, Content]:
    """Return the query, the device id and the content of a FusionInventory message."""
    try:
        root = ElementTree.fromstring(document)
    except (ElementTree.ParseError, DefusedXmlException) as exc:
        raise MalformedBodyError(f"the body is not a FusionInventory XML message: {exc}") from exc
    if root.tag != "REQUEST":
        raise MalformedBodyError(
            f"the XML root is <{root.tag}>, not <REQUEST>: this is not a FusionInventory message"
        )
    query = (root.findtext("QUERY") or "").strip().upper()
    device = (root.findtext("DEVICEID") or "").strip() or None
    content = root.find("CONTENT")
    return query, device, {} if content is None else _sections(content)


def _sections(content: Element) -> dict[str, Any]:
    """Turn CONTENT's children into sections: one record, or a list for repeated tags."""
    sections: dict[str, Any] = {}
    for child in content:
        value: Any = _fields(child) if len(child) else (child.text or "").strip()
        if child.tag in sections:
            existing = sections[child.tag]
            if not isinstance(existing, list):
                sections[child.tag] = existing = [existing]
            existing.append(value)
        else:
            sections[child.tag] = value
    return sections


def _fields(element: Element) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for child in element:
        # Nested lists (a group's members, say) are not mapped; the first value will do.
        fields.setdefault(child.tag, _fields(child) if len(child) else (child.text or "").strip())
    return fields


def reply(**fields: str) -> bytes:
    """Build a ``<REPLY>`` the agent reads, e.g. reply(RESPONSE="SEND")."""
    root = Element("REPLY")
    for name, value in fields.items():
        child = Element(name)
        child.text = value
        root.append(child)
    body: bytes = ElementTree.tostring(root, encoding="UTF-8", xml_declaration=True)
    return body
