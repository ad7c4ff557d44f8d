"""Changing a site's sweep settings from the CLI or the API, validated as the config is.

Whatever the way in (``muster site add``, ``PATCH /api/v1/sites/CODE``, a
configuration file), a site's settings go through the same checks: known
profiles and techniques, a valid cron schedule, and no public subnet unless
the site allows public space.
"""

from typing import Any

import netaddr
from pydantic import ValidationError
from sqlalchemy.orm import Session

from muster.cmdb.errors import ConfigurationError
from muster.cmdb.models import Site
from muster.cmdb.observation import describe_validation_error
from muster.cmdb.sites import replace_exclusions, set_sweep_settings
from muster.collector.config import SweepDefaults
from muster.collector.scope import is_public


def check_public(code: str, subnets: list[str], allow_public: bool) -> None:
    """Refuse a public subnet on a site that does not allow public space."""
    for cidr in subnets:
        if not allow_public and is_public(netaddr.IPNetwork(cidr).network):
            raise ConfigurationError(
                f"site {code!r}: subnet {cidr} is public address space: allow public space "
                "(--allow-public, allow_public = true) if this site really uses it"
            )


def change_sweep_settings(session: Session, site: Site, changes: dict[str, Any]) -> None:
    """Apply changed sweep settings (and ``exclusions``) to a site, all or nothing."""
    changes = dict(changes)
    exclusions = changes.pop("exclusions", None)
    current = {name: getattr(site, name) for name in SweepDefaults.model_fields}
    try:
        merged = SweepDefaults.model_validate({**current, **changes}).model_dump()
    except ValidationError as exc:
        message = describe_validation_error(exc, where=f"site {site.code}")
        raise ConfigurationError(message) from exc
    check_public(site.code, [s.cidr for s in site.subnets], merged["allow_public"])
    set_sweep_settings(site, {name: merged[name] for name in changes})
    if exclusions is not None:
        replace_exclusions(session, site, exclusions)
