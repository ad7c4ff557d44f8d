"""Read-side of the CMDB: assets and conflicts as the CLI, API and reports show them.

Each view is a pydantic model documented once and returned the same on every
path, apart from the ORM rows it is built from.
"""

import contextlib
from datetime import datetime
from functools import partial
from typing import Any, TypeVar

from pydantic import BaseModel, Field
from sqlalchemy import Select, and_, bindparam, func, or_, select
from sqlalchemy.orm import Session, aliased, selectinload

from muster.cmdb.errors import NotFoundError, StateConflictError
from muster.cmdb.models import Asset, Change, Conflict, Identifier, Site, Sweep
from muster.cmdb.network import canonical_mac, split_hostname
from muster.cmdb.plain import PlainRead, PlainSelect
from muster.cmdb.tickets import TicketLinkView, tickets_of_asset


class AssetSummary(BaseModel):
    """An asset as one line of a list."""

    id: int
    site: str | None
    kind: str
    status: str
    hostname: str | None
    vendor: str | None
    model: str | None
    serial: str | None
    os_name: str | None
    macs: list[str]
    ips: list[str]
    first_seen: datetime
    last_seen: datetime


class IdentifierView(BaseModel):
    """One identifier of an asset, and whether it may identify it."""

    type: str
    value: str
    scope: str
    usable: bool
    shared: bool
    note: str | None
    source: str
    first_seen: datetime
    last_seen: datetime


class ChangeView(BaseModel):
    """One line of an asset's history."""

    field: str
    old: Any
    new: Any
    source: str
    observed_at: datetime
    note: str | None


class ConflictView(BaseModel):
    """A disagreement between identifiers, for a person to review."""

    id: int
    kind: str
    status: str
    identifier_type: str
    identifier_value: str
    asset_id: int | None
    other_asset_id: int | None
    detail: str
    created_at: datetime
    resolved_at: datetime | None = None
    resolution: str | None


class AssetDetail(AssetSummary):
    """An asset with everything known about it."""

    domain: str | None
    system_uuid: str | None
    os_version: str | None
    cpu_model: str | None
    cpu_cores: int | None
    memory_bytes: int | None
    virtual: bool | None
    switch: str | None
    switch_port: str | None
    attributes: dict[str, Any] = Field(description="Every attribute column, by name.")
    provenance: dict[str, Any] = Field(description="Which source each attribute came from.")
    seen_by: dict[str, tuple[datetime, datetime]] = Field(
        description="First and last sighting per source."
    )
    identifiers: list[IdentifierView]
    interfaces: list[dict[str, Any]]
    services: list[dict[str, Any]]
    software: list[dict[str, Any]]
    disks: list[dict[str, Any]]
    filesystems: list[dict[str, Any]]
    history: list[ChangeView]
    conflicts: list[ConflictView]
    tickets: list[TicketLinkView] = Field(
        default_factory=list, description="External tickets tied to the asset."
    )


_CHILD_COLUMNS = {
    "interfaces": (
        "name",
        "mac",
        "ips",
        "speed_bps",
        "oper_status",
        "admin_status",
        "description",
    ),
    "services": ("protocol", "port", "name", "product", "version"),
    "software": ("name", "version", "vendor", "arch", "package_manager"),
    "disks": ("name", "model", "serial", "size_bytes", "media"),
    "filesystems": ("mountpoint", "device", "fstype", "size_bytes", "used_bytes"),
}
_ATTRIBUTE_COLUMNS = tuple(
    c.name
    for c in Asset.__table__.columns
    if c.name not in ("id", "site_id", "provenance", "first_seen", "last_seen")
)


def asset_query(
    *, site: str | None = None, kind: str | None = None, status: str | None = None
) -> Select[Asset]:
    """Return a query of assets filtered by site code, kind and status."""
    query = select(Asset).options(selectinload(Asset.identifiers), selectinload(Asset.site))
    if site is not None:
        query = query.join(Asset.site).where(Site.code == site.lower())
    if kind is not None:
        query = query.where(Asset.kind == kind)
    if status is not None:
        query = query.where(Asset.status == status)
    return query.order_by(Asset.id)


def summarise(asset: Asset) -> AssetSummary:
    """Build the list view of an asset (its identifiers must be loaded)."""
    macs = sorted({i.value for i in asset.identifiers if i.type == "mac"})
    ips = sorted({i.value for i in asset.identifiers if i.type == "ip"})
    return AssetSummary(
        id=asset.id,
        site=asset.site.code if asset.site else None,
        kind=asset.kind,
        status=asset.status,
        hostname=asset.hostname,
        vendor=asset.vendor,
        model=asset.model,
        serial=asset.serial,
        os_name=asset.os_name,
        macs=macs,
        ips=ips,
        first_seen=asset.first_seen,
        last_seen=asset.last_seen,
    )


def list_assets(
    session: Session,
    *,
    site: str | None = None,
    kind: str | None = None,
    status: str | None = None,
) -> list[AssetSummary]:
    """Return assets as list views, by id."""
    query = asset_query(site=site, kind=kind, status=status)
    return [summarise(asset) for asset in session.scalars(query)]


def find_asset(session: Session, reference: str) -> Asset:
    """Find one asset by id (``12`` or ``#12``), serial, MAC, host name or address."""
    text = reference.strip()
    if text.lstrip("#").isdigit():
        asset = session.get(Asset, int(text.lstrip("#")))
        if asset is not None:
            return asset
    candidates = {text, text.upper(), text.lower(), split_hostname(text)[0]}
    with contextlib.suppress(ValueError):
        candidates.add(canonical_mac(text))
    query = (
        select(Identifier.asset_id, Identifier.type)
        .where(Identifier.value.in_(candidates))
        .order_by(Identifier.usable.desc(), Identifier.last_seen.desc())
    )
    matches = list(dict.fromkeys(asset_id for asset_id, _type in session.execute(query)))
    if not matches:
        raise NotFoundError(
            f"no asset matches {reference!r}: give an asset id, serial, MAC, host name or "
            "address (`muster assets list` shows them)"
        )
    if len(matches) > 1:
        listed = ", ".join(f"#{asset_id}" for asset_id in matches[:10])
        raise NotFoundError(
            f"{reference!r} matches several assets ({listed}): give one of their ids"
        )
    asset = session.get(Asset, matches[0])
    assert asset is not None
    return asset


def describe_asset(session: Session, asset: Asset) -> AssetDetail:
    """Build the full view of one asset, with identifiers, children and history."""
    summary = summarise(asset)
    children = {
        name: [
            {column: getattr(row, column) for column in columns} for row in getattr(asset, name)
        ]
        for name, columns in _CHILD_COLUMNS.items()
    }
    conflicts = session.scalars(
        select(Conflict)
        .where(or_(Conflict.asset_id == asset.id, Conflict.other_asset_id == asset.id))
        .order_by(Conflict.id)
    )
    history = session.scalars(
        select(Change).where(Change.asset_id == asset.id).order_by(Change.observed_at, Change.id)
    )
    return AssetDetail(
        **summary.model_dump(),
        domain=asset.domain,
        system_uuid=asset.system_uuid,
        os_version=asset.os_version,
        cpu_model=asset.cpu_model,
        cpu_cores=asset.cpu_cores,
        memory_bytes=asset.memory_bytes,
        virtual=asset.virtual,
        switch=asset.switch,
        switch_port=asset.switch_port,
        attributes={name: getattr(asset, name) for name in _ATTRIBUTE_COLUMNS},
        provenance=asset.provenance,
        seen_by={s.source: (s.first_seen, s.last_seen) for s in asset.sources},
        identifiers=[
            IdentifierView.model_validate(i, from_attributes=True)
            for i in sorted(asset.identifiers, key=lambda i: (i.type, i.value))
        ],
        history=[
            ChangeView(
                field=c.field,
                old=c.old_value,
                new=c.new_value,
                source=c.source,
                observed_at=c.observed_at,
                note=c.note,
            )
            for c in history
        ],
        conflicts=[ConflictView.model_validate(c, from_attributes=True) for c in conflicts],
        tickets=tickets_of_asset(session, asset.id),
        **children,
    )


def list_conflicts(session: Session, *, include_resolved: bool = False) -> list[ConflictView]:
    """Return conflicts, open ones only unless asked for all."""
    query = select(Conflict).order_by(Conflict.id)
    if not include_resolved:
        query = query.where(Conflict.status == "open")
    return [ConflictView.model_validate(c, from_attributes=True) for c in session.scalars(query)]


def count_assets(session: Session) -> int:
    """Return how many assets the CMDB holds."""
    return session.scalar(select(func.count(Asset.id))) or 0


# -- filtering, sorting and paging assets -------------------------------------

ASSET_SORT_KEYS = (
    "id",
    "hostname",
    "serial",
    "kind",
    "status",
    "vendor",
    "model",
    "first_seen",
    "last_seen",
)


class AssetFilter(BaseModel):
    """Which assets a list shows; every criterion given must hold."""

    site: str | None = None
    kind: str | None = None
    status: str | None = None
    vendor: str | None = None
    model: str | None = None
    text: str | None = Field(None, description="Words found in names, serials, vendors, models.")
    serial: str | None = None
    mac: str | None = None
    ip: str | None = None
    hostname: str | None = None
    seen_after: datetime | None = None
    seen_before: datetime | None = None


_Query = TypeVar("_Query", bound=Select[Any])


def _with_identifier(query: _Query, kind: str, values: set[str]) -> _Query:
    held = select(Identifier.asset_id).where(Identifier.type == kind, Identifier.value.in_(values))
    return query.where(Asset.id.in_(held))


def _filtered(query: _Query, criteria: AssetFilter) -> _Query:
    if criteria.site is not None:
        query = query.where(
            Asset.site_id.in_(select(Site.id).where(Site.code == criteria.site.lower()))
        )
    for column, value in ((Asset.kind, criteria.kind), (Asset.status, criteria.status)):
        if value is not None:
            query = query.where(column == value)
    for loose, value in ((Asset.vendor, criteria.vendor), (Asset.model, criteria.model)):
        if value is not None:
            query = query.where(func.lower(loose).contains(value.lower(), autoescape=True))
    if criteria.text:
        for word in criteria.text.lower().split():
            columns = (Asset.hostname, Asset.serial, Asset.vendor, Asset.model, Asset.os_name)
            query = query.where(
                or_(*(func.lower(c).contains(word, autoescape=True) for c in columns))
            )
    if criteria.serial is not None:
        query = _with_identifier(query, "serial", {criteria.serial.strip().upper()})
    if criteria.mac is not None:
        query = _with_identifier(query, "mac", {canonical_mac(criteria.mac)})
    if criteria.ip is not None:
        query = _with_identifier(query, "ip", {criteria.ip.strip()})
    if criteria.hostname is not None:
        query = _with_identifier(query, "hostname", {split_hostname(criteria.hostname)[0]})
    if criteria.seen_after is not None:
        query = query.where(Asset.last_seen >= criteria.seen_after)
    if criteria.seen_before is not None:
        query = query.where(Asset.last_seen < criteria.seen_before)
    return query


def page_assets(
    session: Session,
    criteria: AssetFilter,
    *,
    sort: str = "id",
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[AssetSummary], int]:
    """Return one page of assets matching ``criteria``, and how many match in all.

    ``sort`` is one of ASSET_SORT_KEYS, with a leading ``-`` for descending;
    ties are broken by id so pages never overlap.
    """
    name = sort.removeprefix("-")
    if name not in ASSET_SORT_KEYS:
        raise ValueError(f"sort {sort!r} is not known: use one of {', '.join(ASSET_SORT_KEYS)}")
    column = getattr(Asset, name)
    order = column.desc() if sort.startswith("-") else column.asc()
    total = session.scalar(_filtered(select(func.count(Asset.id)), criteria)) or 0
    query = _filtered(
        select(Asset).options(selectinload(Asset.identifiers), selectinload(Asset.site)),
        criteria,
    )
    assets = session.scalars(query.order_by(order, Asset.id).limit(limit).offset(offset))
    return [summarise(asset) for asset in assets], total


# A look-up is the hottest read of the API: one plain statement (see plain.py),
# a row per MAC or IP address of each asset holding the identifier.
_HELD = aliased(Identifier, name="held")
_ADDRESS = aliased(Identifier, name="address")
_LOOKUP = PlainSelect(
    select(
        _HELD.asset_id,
        Site.code,
        Asset.kind,
        Asset.status,
        Asset.hostname,
        Asset.vendor,
        Asset.model,
        Asset.serial,
        Asset.os_name,
        Asset.first_seen,
        Asset.last_seen,
        _ADDRESS.type,
        _ADDRESS.value,
    )
    .join(Asset, Asset.id == _HELD.asset_id)
    .outerjoin(Site, Asset.site_id == Site.id)
    .outerjoin(
        _ADDRESS,
        and_(
            _ADDRESS.asset_id == _HELD.asset_id,
            or_(_ADDRESS.type == "mac", _ADDRESS.type == "ip"),
        ),
    )
    .where(_HELD.type == bindparam("kind"), _HELD.value == bindparam("value"))
    .order_by(_HELD.usable.desc(), _HELD.last_seen.desc(), _HELD.asset_id, _ADDRESS.value)
)


def asset_lookup(kind: str, value: str) -> PlainRead[AssetSummary]:
    """The read that finds the one asset holding an identifier (serial, mac, ip or hostname).

    Its answer raises NotFoundError when none holds it and StateConflictError
    when several do (a MAC shared by machines kept apart, say), listing them.
    """
    if kind == "serial":
        wanted = value.strip().upper()
    elif kind == "mac":
        wanted = canonical_mac(value)
    elif kind == "hostname":
        wanted = split_hostname(value)[0]
    else:
        wanted = value.strip()
    return PlainRead(_LOOKUP, {"kind": kind, "value": wanted}, partial(_held_by, kind, value))


def _held_by(kind: str, value: str, rows: list[tuple[Any, ...]]) -> AssetSummary:
    matches = list(dict.fromkeys(row[0] for row in rows))
    if not matches:
        raise NotFoundError(f"no asset has {kind} {value!r}")
    if len(matches) > 1:
        listed = ", ".join(f"#{asset_id}" for asset_id in matches[:10])
        raise StateConflictError(
            f"{kind} {value!r} is held by several assets ({listed}): ask for one by id"
        )
    row = rows[0]
    addresses = {(r[11], r[12]) for r in rows if r[11] is not None}
    return AssetSummary(
        id=row[0],
        site=row[1],
        kind=row[2],
        status=row[3],
        hostname=row[4],
        vendor=row[5],
        model=row[6],
        serial=row[7],
        os_name=row[8],
        macs=sorted(v for t, v in addresses if t == "mac"),
        ips=sorted(v for t, v in addresses if t == "ip"),
        first_seen=row[9],
        last_seen=row[10],
    )


# -- sweeps -------------------------------------------------------------------


class SweepView(BaseModel):
    """One run of the collector over a site, and how far it got."""

    id: int
    site: str | None
    status: str
    started_at: datetime
    finished_at: datetime | None
    techniques: list[str]
    targets: int
    alive: int
    observations: int
    errors: list[str]
    trigger: str = Field(description="What started it: cli, schedule or api.")
    probed: int = Field(description="Probes done so far, of ``total``: its progress.")
    total: int = Field(description="Probes planned so far; grows when live hosts are found.")


def _sweep_query() -> Select[Sweep, str]:
    return select(Sweep, Site.code).outerjoin(Site, Sweep.site_id == Site.id)


def _sweep_view(sweep: Sweep, code: str | None) -> SweepView:
    return SweepView(
        id=sweep.id,
        site=code,
        status=sweep.status,
        started_at=sweep.started_at,
        finished_at=sweep.finished_at,
        techniques=list(sweep.techniques),
        targets=sweep.targets,
        alive=sweep.alive,
        observations=sweep.observations,
        errors=list(sweep.errors),
        trigger=sweep.trigger,
        probed=sweep.probed,
        total=sweep.total,
    )


def list_sweeps(
    session: Session,
    *,
    site: str | None = None,
    status: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[SweepView], int]:
    """Return one page of sweeps, newest first, and how many match in all."""
    query = _sweep_query()
    if site is not None:
        query = query.where(Site.code == site.lower())
    if status is not None:
        query = query.where(Sweep.status == status)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.execute(query.order_by(Sweep.id.desc()).limit(limit).offset(offset))
    return [_sweep_view(sweep, code) for sweep, code in rows], total


def get_sweep(session: Session, sweep_id: int) -> SweepView:
    """Return one sweep, or raise NotFoundError."""
    row = session.execute(_sweep_query().where(Sweep.id == sweep_id)).first()
    if row is None:
        raise NotFoundError(f"sweep {sweep_id} does not exist")
    return _sweep_view(row[0], row[1])


def get_conflict(session: Session, conflict_id: int) -> ConflictView:
    """Return one conflict, or raise NotFoundError."""
    conflict = session.get(Conflict, conflict_id)
    if conflict is None:
        raise NotFoundError(f"conflict {conflict_id} does not exist")
    return ConflictView.model_validate(conflict, from_attributes=True)


def page_conflicts(
    session: Session, *, status: str | None = "open", limit: int = 50, offset: int = 0
) -> tuple[list[ConflictView], int]:
    """Return one page of conflicts by id, open ones unless another status is asked."""
    query = select(Conflict)
    if status is not None:
        query = query.where(Conflict.status == status)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Conflict.id).limit(limit).offset(offset))
    return [ConflictView.model_validate(c, from_attributes=True) for c in rows], total


def known_sweeps(session: Session, sweep_ids: set[int]) -> set[int]:
    """Return which of these sweep ids exist."""
    if not sweep_ids:
        return set()
    return set(session.scalars(select(Sweep.id).where(Sweep.id.in_(sorted(sweep_ids)))))
