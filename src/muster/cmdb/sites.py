"""Sites and their subnets: creating, changing and finding them."""

import ipaddress
import logging

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from muster.cmdb.errors import ConfigurationError, NotFoundError
from muster.cmdb.models import Site, Subnet
from muster.cmdb.observation import SiteCode

logger = logging.getLogger(__name__)

_SITE_CODE = TypeAdapter(SiteCode)


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
    site = session.scalar(
        select(Site).where(Site.code == normalised).options(selectinload(Site.subnets))
    )
    if site is None:
        raise NotFoundError(
            f"site {normalised!r} does not exist: add it with "
            f"`muster site add {normalised} --name NAME --subnet CIDR`"
        )
    return site


def list_sites(session: Session) -> list[Site]:
    """Return every site, by code."""
    query = select(Site).order_by(Site.code).options(selectinload(Site.subnets))
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
