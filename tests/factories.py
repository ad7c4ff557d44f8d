"""Building Observations for tests with only the fields a test cares about."""

from datetime import UTC, datetime, timedelta
from typing import Any

from muster.cmdb.observation import Observation, parse_observation

T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


def observation(
    source: str = "agent",
    *,
    at: datetime | timedelta = T0,
    site: str | None = None,
    attributes: dict[str, Any] | None = None,
    **identifiers: Any,
) -> Observation:
    """An Observation from ``source`` at ``at`` (a time, or an offset from T0)."""
    when = T0 + at if isinstance(at, timedelta) else at
    data: dict[str, Any] = {
        "schema": "muster.observation/1",
        "source": source,
        "observed_at": when.isoformat(),
        "identifiers": identifiers,
        "attributes": attributes or {},
    }
    if site is not None:
        data["site"] = site
    return parse_observation(data)


def with_children(base: Observation, **children: Any) -> Observation:
    """A copy of an Observation with child lists (software=[...], ...) set."""
    data = base.to_json_dict()
    data.update(children)
    return parse_observation(data)
