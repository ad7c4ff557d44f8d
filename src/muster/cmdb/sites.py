"""Sites, their subnets and sweep settings: creating, changing and finding them.

Sweep settings (exclusions, SNMP credentials, profiles, rate limit, priority,
schedule) are stored as given; what their values mean is the collector's
business, which validates them before they get here.
"""

import ipaddress
import logging
from collections.abc import Sequence
from datetime import datetime

from pydantic import BaseModel, Field, TypeAdapter, ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from muster.cmdb.errors import (
    ConfigurationError,
    NotFoundError,
    StateConflictError,
)
from muster.cmdb.models import Asset, Exclusion, Site, SnmpCredential, Subnet
from muster.cmdb.observation import Observation, SiteCode

logger = logging.getLogger(__name__)

_SITE_CODE = TypeAdapter(SiteCode)
_SITE_LOADS = (
    selectinload(Site.subnets),
    selectinload(Site.exclusions),
    selectinload(Site.snmp_credentials),
)
# Site columns the collector's settings may set.
SWEEP_SETTINGS = (
    "profile",
    "techniques",
    "port_profile",
    "ports",
    "rate_limit",
    "priority",
    "allow_public",
    "schedule",
)


def normalise_site_code(code: str) -> str:
    """Return a site code in its stored form, or raise ConfigurationError saying why not."""
    try:
        return _SITE_CODE.validate_python(code)
    except ValidationError as exc:
        message = exc.errors(include_url=False)[0]["msg"].removeprefix("Value error, ")
        raise ConfigurationError(message) from exc


def normalise_subnet(cidr: str) -> str:
    """Return a subnet in canonical CIDR form, or raise ConfigurationError."""
    try:
        return str(ipaddress.ip_network(cidr.strip(), strict=False))
    except ValueError as exc:
        raise ConfigurationError(
            f"subnet {cidr!r} is not valid: expected CIDR notation such as 10.20.0.0/24"
        ) from exc


def get_site(session: Session, code: str) -> Site:
    """Return the site with this code, or raise NotFoundError naming how to add it."""
    normalised = normalise_site_code(code)
    site = session.scalar(select(Site).where(Site.code == normalised).options(*_SITE_LOADS))
    if site is None:
        raise NotFoundError(
            f"site {normalised!r} does not exist: add it with "
            f"`muster site add {normalised} --name NAME --subnet CIDR`"
        )
    return site


def list_sites(session: Session) -> list[Site]:
    """Return every site, by code."""
    query = select(Site).order_by(Site.code).options(*_SITE_LOADS)
    return list(session.scalars(query))


def upsert_site(
    session: Session,
    code: str,
    *,
    name: str | None = None,
    subnets: list[str] | None = None,
    contact: str | None = None,
) -> Site:
    """Create a site or update its name, contact and subnets (given subnets are added)."""
    normalised = normalise_site_code(code)
    cidrs = [normalise_subnet(cidr) for cidr in subnets or []]
    site = session.scalar(select(Site).where(Site.code == normalised))
    if site is None:
        site = Site(code=normalised, name=name or normalised, contact=contact)
        session.add(site)
        logger.info("created site %s", normalised)
    else:
        if name:
            site.name = name
        if contact:
            site.contact = contact
    existing = {subnet.cidr for subnet in site.subnets}
    for cidr in cidrs:
        if cidr not in existing:
            _refuse_overlap(session, normalised, cidr)
            site.subnets.append(Subnet(cidr=cidr))
            existing.add(cidr)
    session.flush()
    return site


def _refuse_overlap(session: Session, code: str, cidr: str) -> None:
    network = ipaddress.ip_network(cidr)
    for other_code, other_cidr in session.execute(
        select(Site.code, Subnet.cidr).join(Subnet.site).where(Site.code != code)
    ):
        other = ipaddress.ip_network(other_cidr)
        if other.version == network.version and network.overlaps(other):
            raise ConfigurationError(
                f"subnet {cidr} overlaps {other_cidr} of site {other_code!r}: an address must "
                "belong to one site; remove it there first or give a narrower subnet"
            )


class SiteView(BaseModel):
    """A site with its subnets and how many assets it holds."""

    code: str
    name: str
    contact: str | None
    subnets: list[str]
    assets: int
    created_at: datetime
    # How the collector sweeps it.
    exclusions: list[str] = Field(description="Ranges inside its subnets never swept.")
    profile: str = Field(description="Techniques: liveness, quick, standard or full.")
    techniques: list[str] | None = Field(description="Techniques instead of the profile's.")
    port_profile: str = Field(description="TCP ports: none, minimal, common or extended.")
    ports: list[int] | None = Field(description="TCP ports instead of the port profile's.")
    rate_limit: int = Field(description="Packets per second a sweep may send.")
    priority: int = Field(description="`muster sweep --all` sweeps higher priorities first.")
    allow_public: bool = Field(description="Whether sweeps may touch public address space.")
    schedule: str | None = Field(description="Cron expression of its scheduled sweeps.")


def site_view(session: Session, site: Site) -> SiteView:
    """Build the public view of a site."""
    count = session.scalar(select(func.count(Asset.id)).where(Asset.site_id == site.id)) or 0
    return SiteView(
        code=site.code,
        name=site.name,
        contact=site.contact,
        subnets=[subnet.cidr for subnet in site.subnets],
        assets=count,
        created_at=site.created_at,
        exclusions=[exclusion.cidr for exclusion in site.exclusions],
        **{name: getattr(site, name) for name in SWEEP_SETTINGS},
    )


def create_site(
    session: Session,
    code: str,
    *,
    name: str,
    subnets: Sequence[str] = (),
    contact: str | None = None,
) -> Site:
    """Create a new site; refuse a code that is taken."""
    normalised = normalise_site_code(code)
    if session.scalar(select(Site.id).where(Site.code == normalised)) is not None:
        raise StateConflictError(
            f"site {normalised!r} already exists: change it instead of creating it"
        )
    return upsert_site(session, normalised, name=name, subnets=list(subnets), contact=contact)


def update_site(
    session: Session,
    code: str,
    *,
    name: str | None = None,
    contact: str | None = None,
    subnets: Sequence[str] | None = None,
) -> Site:
    """Change a site's name or contact, or replace its set of subnets."""
    site = get_site(session, code)
    if name is not None:
        site.name = name
    if contact is not None:
        site.contact = contact
    if subnets is not None:
        wanted = list(dict.fromkeys(normalise_subnet(cidr) for cidr in subnets))
        for subnet in [s for s in site.subnets if s.cidr not in wanted]:
            site.subnets.remove(subnet)
        existing = {subnet.cidr for subnet in site.subnets}
        for cidr in wanted:
            if cidr not in existing:
                _refuse_overlap(session, site.code, cidr)
                site.subnets.append(Subnet(cidr=cidr))
        site.subnets.sort(key=lambda subnet: subnet.cidr)
    session.flush()
    logger.info("updated site %s", site.code)
    return site


def delete_site(session: Session, code: str) -> None:
    """Delete a site that no asset belongs to any more."""
    site = get_site(session, code)
    count = session.scalar(select(func.count(Asset.id)).where(Asset.site_id == site.id)) or 0
    if count:
        raise StateConflictError(
            f"site {site.code!r} still has {count} assets: retire or move them first"
        )
    session.delete(site)
    session.flush()
    logger.info("deleted site %s", site.code)


def placement(session: Session, observations: Sequence[Observation]) -> list[str | None]:
    """Return the site code each Observation would be placed at by ingest.

    An Observation's named site wins (an unknown code raises UnknownSiteError
    naming its position); otherwise the first of its addresses inside a
    site's subnet decides, and None means no site.
    """
    # The store (and reconcile) load here, not with every command that reads sites.
    from muster.cmdb.store import SiteDirectory

    directory = SiteDirectory.load(session.connection())
    return [
        directory.place(index, observation)[1] for index, observation in enumerate(observations)
    ]


def replace_subnets(session: Session, site: Site, subnets: list[str]) -> None:
    """Make a site's subnets exactly these (kept rows stay, others go)."""
    update_site(session, site.code, subnets=subnets)


def replace_exclusions(session: Session, site: Site, exclusions: list[str]) -> None:
    """Make a site's excluded ranges exactly these."""
    wanted = list(dict.fromkeys(normalise_subnet(cidr) for cidr in exclusions))
    for exclusion in list(site.exclusions):
        if exclusion.cidr not in wanted:
            site.exclusions.remove(exclusion)
    existing = {exclusion.cidr for exclusion in site.exclusions}
    site.exclusions.extend(Exclusion(cidr=cidr) for cidr in wanted if cidr not in existing)
    session.flush()


def add_exclusions(session: Session, site: Site, exclusions: list[str]) -> None:
    """Add excluded ranges to a site, keeping those it has."""
    current = [exclusion.cidr for exclusion in site.exclusions]
    replace_exclusions(session, site, current + exclusions)


def replace_snmp_credentials(
    session: Session, site: Site, credentials: list[dict[str, str | None]]
) -> None:
    """Make a site's SNMP credentials exactly these, tried in the order given.

    Each credential is a mapping of SnmpCredential columns; secrets are
    references (``env:NAME``, ``file:PATH``, ``value:TEXT``).
    """
    site.snmp_credentials.clear()
    session.flush()
    for position, columns in enumerate(credentials):
        site.snmp_credentials.append(SnmpCredential(position=position, **columns))
    session.flush()


def add_snmp_credentials(
    session: Session, site: Site, credentials: list[dict[str, str | None]]
) -> None:
    """Append SNMP credentials to a site's list, skipping ones it already has."""
    current = [_credential_columns(c) for c in site.snmp_credentials]
    merged = current + [c for c in credentials if c not in current]
    replace_snmp_credentials(session, site, merged)


def _credential_columns(credential: SnmpCredential) -> dict[str, str | None]:
    return {
        "version": credential.version,
        "community": credential.community,
        "user": credential.user,
        "auth_protocol": credential.auth_protocol,
        "auth_key": credential.auth_key,
        "priv_protocol": credential.priv_protocol,
        "priv_key": credential.priv_key,
    }


def set_sweep_settings(site: Site, settings: dict[str, object]) -> None:
    """Set a site's sweep settings (columns named in SWEEP_SETTINGS)."""
    for name, value in settings.items():
        if name not in SWEEP_SETTINGS:
            raise ConfigurationError(
                f"{name!r} is not a sweep setting: use one of {', '.join(SWEEP_SETTINGS)}"
            )
        if getattr(site, name) != value:
            setattr(site, name, value)
            logger.info("site %s: %s set", site.code, name)


def sites_by_priority(session: Session) -> list[Site]:
    """Return every site, highest priority first, then by code."""
    query = select(Site).order_by(Site.priority.desc(), Site.code).options(*_SITE_LOADS)
    return list(session.scalars(query))
