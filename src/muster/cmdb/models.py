"""The CMDB's tables, in the operators' words.

Invariants the schema itself enforces:

- a Site's code is unique; a Subnet belongs to one Site and is listed once per Site;
- a usable Identifier is held by exactly one Asset: no two assets share a
  usable (type, scope, value); a value seen on two machines that stronger
  identifiers keep apart (a cloned VM's UUID, a dock's MAC) is flagged
  ``shared`` on each and is no longer usable;
- an Observation's content hash is unique, so the same Observation is stored once;
- children (Interface, Service, Software, Disk, Filesystem), Changes and
  per-source sightings go when their Asset goes.

Times are stored in UTC and come back time-zone aware.
"""

from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator, TypeEngine

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """A timestamp stored as naive UTC and returned as an aware UTC datetime."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r} given where UTC was expected")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class JsonDocument(TypeDecorator[Any]):
    """JSON: JSONB on PostgreSQL, JSON text on SQLite."""

    impl = JSON
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(JSONB())
        return dialect.type_descriptor(JSON())


def utcnow() -> datetime:
    """Return the current time in UTC."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UtcDateTime,
        dict[str, Any]: JsonDocument,
    }


class Site(Base):
    """A school or building. Its code is unique and is what users type."""

    __tablename__ = "site"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    contact: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # How the collector sweeps this site (see collector.config for the meanings).
    profile: Mapped[str] = mapped_column(String(32), default="standard", server_default="standard")
    techniques: Mapped[list[str] | None] = mapped_column(JsonDocument)
    port_profile: Mapped[str] = mapped_column(
        String(32), default="common", server_default="common"
    )
    ports: Mapped[list[int] | None] = mapped_column(JsonDocument)
    rate_limit: Mapped[int] = mapped_column(Integer, default=300, server_default=text("300"))
    priority: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    allow_public: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    schedule: Mapped[str | None] = mapped_column(String(128))

    subnets: Mapped[list["Subnet"]] = relationship(
        back_populates="site", cascade="all, delete-orphan", order_by="Subnet.cidr"
    )
    exclusions: Mapped[list["Exclusion"]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="Exclusion.cidr"
    )
    snmp_credentials: Mapped[list["SnmpCredential"]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="SnmpCredential.position"
    )


class Subnet(Base):
    """An address range of a site, in CIDR notation."""

    __tablename__ = "subnet"
    __table_args__ = (UniqueConstraint("site_id", "cidr"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"), index=True)
    cidr: Mapped[str] = mapped_column(String(64))

    site: Mapped[Site] = relationship(back_populates="subnets")


class Exclusion(Base):
    """An address range inside a site's subnets that sweeps must never touch."""

    __tablename__ = "exclusion"
    __table_args__ = (UniqueConstraint("site_id", "cidr"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"), index=True)
    cidr: Mapped[str] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(String(255))


class SnmpCredential(Base):
    """An SNMP community (v2c) or user (v3) to try on a site's devices, in ``position`` order.

    Secrets are references, never printed: ``env:NAME`` (an environment
    variable), ``file:PATH`` (a file's first line) or ``value:TEXT`` (given on
    the command line and kept here).
    """

    __tablename__ = "snmp_credential"
    __table_args__ = (UniqueConstraint("site_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    version: Mapped[str] = mapped_column(String(4))
    community: Mapped[str | None] = mapped_column(String(1024))
    user: Mapped[str | None] = mapped_column(String(255))
    auth_protocol: Mapped[str | None] = mapped_column(String(16))
    auth_key: Mapped[str | None] = mapped_column(String(1024))
    priv_protocol: Mapped[str | None] = mapped_column(String(16))
    priv_key: Mapped[str | None] = mapped_column(String(1024))


class Asset(Base):
    """One real machine, whatever saw it. Attribute columns hold the winning values."""

    __tablename__ = "asset"
    # Ids of merged-away assets are never handed out again: tickets may name them.
    __table_args__ = {"sqlite_autoincrement": True}  # noqa: RUF012

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int | None] = mapped_column(
        ForeignKey("site.id", ondelete="SET NULL"), index=True
    )
    kind: Mapped[str] = mapped_column(String(32), default="unknown", index=True)
    status: Mapped[str] = mapped_column(String(16), default="active", index=True)
    hostname: Mapped[str | None] = mapped_column(String(255), index=True)
    domain: Mapped[str | None] = mapped_column(String(255))
    serial: Mapped[str | None] = mapped_column(String(255), index=True)
    system_uuid: Mapped[str | None] = mapped_column(String(36))
    vendor: Mapped[str | None] = mapped_column(String(255))
    model: Mapped[str | None] = mapped_column(String(255))
    os_name: Mapped[str | None] = mapped_column(String(255))
    os_version: Mapped[str | None] = mapped_column(String(255))
    os_kernel: Mapped[str | None] = mapped_column(String(255))
    arch: Mapped[str | None] = mapped_column(String(64))
    cpu_model: Mapped[str | None] = mapped_column(String(255))
    cpu_sockets: Mapped[int | None] = mapped_column(Integer)
    cpu_cores: Mapped[int | None] = mapped_column(Integer)
    cpu_threads: Mapped[int | None] = mapped_column(Integer)
    memory_bytes: Mapped[int | None] = mapped_column(BigInteger)
    virtual: Mapped[bool | None] = mapped_column(Boolean)
    hypervisor: Mapped[str | None] = mapped_column(String(255))
    chassis: Mapped[str | None] = mapped_column(String(255))
    firmware: Mapped[str | None] = mapped_column(String(255))
    firmware_date: Mapped[date | None] = mapped_column(Date)
    description: Mapped[str | None] = mapped_column(Text)
    location: Mapped[str | None] = mapped_column(String(255))
    contact: Mapped[str | None] = mapped_column(String(255))
    battery: Mapped[bool | None] = mapped_column(Boolean)
    gateways: Mapped[list[str] | None] = mapped_column(JsonDocument)
    switch: Mapped[str | None] = mapped_column(String(255))
    switch_port: Mapped[str | None] = mapped_column(String(255))
    vlan: Mapped[int | None] = mapped_column(Integer)
    boot_time: Mapped[datetime | None] = mapped_column()
    first_seen: Mapped[datetime] = mapped_column()
    # Not indexed: every sighting moves it, and an index on it made each of
    # those updates rewrite all the asset's index entries (on PostgreSQL, no
    # HOT update). Filters and sorts on it scan the table.
    last_seen: Mapped[datetime] = mapped_column()
    # field -> {"source", "at", and for child sets "digest", for kind "evidence"}:
    # which source's value each attribute holds and since when.
    provenance: Mapped[dict[str, Any]] = mapped_column(default=dict)

    site: Mapped[Site | None] = relationship()
    identifiers: Mapped[list["Identifier"]] = relationship(
        back_populates="asset", cascade="all, delete-orphan", passive_deletes=True
    )
    interfaces: Mapped[list["Interface"]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="Interface.name"
    )
    services: Mapped[list["Service"]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="Service.port"
    )
    software: Mapped[list["Software"]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="Software.name"
    )
    disks: Mapped[list["Disk"]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="Disk.name"
    )
    filesystems: Mapped[list["Filesystem"]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="Filesystem.mountpoint"
    )
    changes: Mapped[list["Change"]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="Change.id"
    )
    sources: Mapped[list["AssetSource"]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="AssetSource.source"
    )


class Identifier(Base):
    """A (type, scope, value) seen on an asset.

    ``scope`` is the vendor for serials, the site id for host names and
    addresses (empty when no site is known), and empty for the globally unique
    types. ``usable`` is false for placeholders, virtual MACs and values
    ``shared`` by machines that stronger identifiers keep apart; such rows are
    kept so that look-ups by them still work, and ``note`` says why.
    """

    __tablename__ = "identifier"
    __table_args__ = (
        Index(
            "uq_identifier_usable",
            "type",
            "scope",
            "value",
            unique=True,
            sqlite_where=text("usable = 1"),
            postgresql_where=text("usable = true"),
        ),
        Index("ix_identifier_value", "value"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("asset.id", ondelete="CASCADE"), index=True)
    type: Mapped[str] = mapped_column(String(16))
    scope: Mapped[str] = mapped_column(String(255), default="")
    value: Mapped[str] = mapped_column(String(255))
    usable: Mapped[bool] = mapped_column(Boolean)
    shared: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    note: Mapped[str | None] = mapped_column(String(255))
    source: Mapped[str] = mapped_column(String(16))
    first_seen: Mapped[datetime] = mapped_column()
    last_seen: Mapped[datetime] = mapped_column()

    asset: Mapped[Asset] = relationship(back_populates="identifiers")


class Interface(Base):
    """A network interface of an asset."""

    __tablename__ = "interface"

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("asset.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    mac: Mapped[str | None] = mapped_column(String(17), index=True)
    ips: Mapped[list[str]] = mapped_column(JsonDocument, default=list)
    speed_bps: Mapped[int | None] = mapped_column(BigInteger)
    oper_status: Mapped[str | None] = mapped_column(String(8))
    admin_status: Mapped[str | None] = mapped_column(String(8))
    description: Mapped[str | None] = mapped_column(String(255))


class Service(Base):
    """A port on which an asset answered."""

    __tablename__ = "service"

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("asset.id", ondelete="CASCADE"), index=True)
    protocol: Mapped[str] = mapped_column(String(3))
    port: Mapped[int] = mapped_column(Integer)
    name: Mapped[str | None] = mapped_column(String(255))
    product: Mapped[str | None] = mapped_column(String(255))
    version: Mapped[str | None] = mapped_column(String(255))


class Software(Base):
    """A package or program installed on an asset."""

    __tablename__ = "software"

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("asset.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(255), index=True)
    version: Mapped[str | None] = mapped_column(String(255))
    vendor: Mapped[str | None] = mapped_column(String(255))
    arch: Mapped[str | None] = mapped_column(String(64))
    package_manager: Mapped[str | None] = mapped_column(String(32))


class Disk(Base):
    """A disk of an asset."""

    __tablename__ = "disk"

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("asset.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    model: Mapped[str | None] = mapped_column(String(255))
    serial: Mapped[str | None] = mapped_column(String(255))
    size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    media: Mapped[str | None] = mapped_column(String(16))


class Filesystem(Base):
    """A mounted filesystem of an asset."""

    __tablename__ = "filesystem"

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("asset.id", ondelete="CASCADE"), index=True)
    mountpoint: Mapped[str] = mapped_column(String(255))
    device: Mapped[str | None] = mapped_column(String(255))
    fstype: Mapped[str | None] = mapped_column(String(64))
    size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    used_bytes: Mapped[int | None] = mapped_column(BigInteger)


class AssetSource(Base):
    """When each source first and last saw an asset."""

    __tablename__ = "asset_source"

    asset_id: Mapped[int] = mapped_column(
        ForeignKey("asset.id", ondelete="CASCADE"), primary_key=True
    )
    source: Mapped[str] = mapped_column(String(16), primary_key=True)
    first_seen: Mapped[datetime] = mapped_column()
    last_seen: Mapped[datetime] = mapped_column()


class Sweep(Base):
    """One run of the collector over a site."""

    __tablename__ = "sweep"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int | None] = mapped_column(
        ForeignKey("site.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[str] = mapped_column(String(16), default="running")
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column()
    techniques: Mapped[list[str]] = mapped_column(JsonDocument, default=list)
    targets: Mapped[int] = mapped_column(Integer, default=0)
    alive: Mapped[int] = mapped_column(Integer, default=0)
    observations: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[list[str]] = mapped_column(JsonDocument, default=list)
    # Progress while running, what started it (cli, schedule, api), and a heartbeat
    # that tells a running sweep from one whose process died.
    probed: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    total: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    heartbeat_at: Mapped[datetime | None] = mapped_column()
    trigger: Mapped[str] = mapped_column(String(16), default="cli", server_default="cli")


class Observation(Base):
    """An Observation as received, with its provenance and what ingest made of it."""

    __tablename__ = "observation"

    id: Mapped[int] = mapped_column(primary_key=True)
    content_hash: Mapped[str] = mapped_column(String(64), unique=True)
    source: Mapped[str] = mapped_column(String(16))
    observed_at: Mapped[datetime] = mapped_column(index=True)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    site_code: Mapped[str | None] = mapped_column(String(32))
    collector: Mapped[str | None] = mapped_column(String(255))
    sweep_id: Mapped[int | None] = mapped_column(ForeignKey("sweep.id", ondelete="SET NULL"))
    asset_id: Mapped[int | None] = mapped_column(
        ForeignKey("asset.id", ondelete="SET NULL"), index=True
    )
    outcome: Mapped[str] = mapped_column(String(16))
    rule: Mapped[str | None] = mapped_column(String(16))
    payload: Mapped[dict[str, Any]] = mapped_column()


class Change(Base):
    """One attribute of one asset changed: old and new value, who said so, when."""

    __tablename__ = "change"

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("asset.id", ondelete="CASCADE"), index=True)
    field: Mapped[str] = mapped_column(String(32))
    old_value: Mapped[Any] = mapped_column(JsonDocument, nullable=True)
    new_value: Mapped[Any] = mapped_column(JsonDocument, nullable=True)
    source: Mapped[str] = mapped_column(String(16))
    observed_at: Mapped[datetime] = mapped_column()
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    observation_id: Mapped[int | None] = mapped_column(
        ForeignKey("observation.id", ondelete="SET NULL")
    )
    note: Mapped[str | None] = mapped_column(Text)


class Conflict(Base):
    """Evidence that identifiers disagree, kept for a person to review."""

    __tablename__ = "conflict"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    identifier_type: Mapped[str] = mapped_column(String(16))
    identifier_value: Mapped[str] = mapped_column(String(255))
    asset_id: Mapped[int | None] = mapped_column(
        ForeignKey("asset.id", ondelete="CASCADE"), index=True
    )
    other_asset_id: Mapped[int | None] = mapped_column(ForeignKey("asset.id", ondelete="CASCADE"))
    observation_id: Mapped[int | None] = mapped_column(
        ForeignKey("observation.id", ondelete="SET NULL")
    )
    detail: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column()
    resolved_at: Mapped[datetime | None] = mapped_column()
    resolution: Mapped[str | None] = mapped_column(Text)


class Requirement(Base):
    """What a site needs: a count of one kind, optionally with a minimum spec."""

    __tablename__ = "requirement"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    count: Mapped[int] = mapped_column(Integer)
    min_memory_bytes: Mapped[int | None] = mapped_column(BigInteger)
    min_cpu_cores: Mapped[int | None] = mapped_column(Integer)
    os_family: Mapped[str | None] = mapped_column(String(64))
    max_age_years: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)
    # Tells lines of one kind apart at a site ("classrooms", "lab").
    label: Mapped[str | None] = mapped_column(String(64))
    # Set when a template made this line; re-applying the template replaces it.
    template_id: Mapped[int | None] = mapped_column(
        ForeignKey("requirement_template.id", ondelete="CASCADE"), index=True
    )


class TicketLink(Base):
    """An external ticket tied to an asset or to a gap line (site and kind)."""

    __tablename__ = "ticket_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    system: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(128))
    url: Mapped[str | None] = mapped_column(String(1024))
    status: Mapped[str | None] = mapped_column(String(64))
    asset_id: Mapped[int | None] = mapped_column(
        ForeignKey("asset.id", ondelete="CASCADE"), index=True
    )
    site_id: Mapped[int | None] = mapped_column(
        ForeignKey("site.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # A gap line may also be named by its requirement, when a site has several of a kind.
    requirement_id: Mapped[int | None] = mapped_column(
        ForeignKey("requirement.id", ondelete="CASCADE"), index=True
    )


class ApiToken(Base):
    """A credential for the REST API. Only the SHA-256 of its secret is stored.

    The name is unique. ``scopes`` holds some of ``read``, ``ingest`` and
    ``admin``; ``sites`` (site codes) binds an ingest-only token to those
    sites, empty meaning any site. A revoked token stays listed, unusable.
    """

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    secret_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[list[str]] = mapped_column(JsonDocument, default=list)
    sites: Mapped[list[str]] = mapped_column(JsonDocument, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()


class IdempotencyKey(Base):
    """An ingest request done under an Idempotency-Key, and the response it got.

    A key is unique per token; ``request_digest`` tells a replay of the same
    batch from a different batch sent under the same key.
    """

    __tablename__ = "idempotency_key"
    __table_args__ = (UniqueConstraint("token_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token_id: Mapped[int] = mapped_column(ForeignKey("api_token.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(255))
    request_digest: Mapped[str] = mapped_column(String(64))
    response: Mapped[dict[str, Any]] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class RequirementTemplate(Base):
    """A named set of requirement lines applied to many sites with per-site quantities.

    Its name is unique. At a site, a line asks for ``base_count`` plus
    ``per_unit_count`` times the site's quantity of the line's ``unit``
    (an elementary school: one projector per classroom; 30 lab workstations
    plus one per classroom).
    """

    __tablename__ = "requirement_template"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    lines: Mapped[list["RequirementTemplateLine"]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="RequirementTemplateLine.id"
    )


class RequirementTemplateLine(Base):
    """One line of a template: a kind, how many (fixed and per unit), an optional spec."""

    __tablename__ = "requirement_template_line"

    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(
        ForeignKey("requirement_template.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(32))
    label: Mapped[str | None] = mapped_column(String(64))
    base_count: Mapped[int] = mapped_column(Integer, default=0)
    unit: Mapped[str | None] = mapped_column(String(32))
    per_unit_count: Mapped[int] = mapped_column(Integer, default=0)
    min_memory_bytes: Mapped[int | None] = mapped_column(BigInteger)
    min_cpu_cores: Mapped[int | None] = mapped_column(Integer)
    os_family: Mapped[str | None] = mapped_column(String(64))
    max_age_years: Mapped[int | None] = mapped_column(Integer)


class SiteTemplate(Base):
    """A template applied to a site, with the site's quantities (e.g. classrooms = 24).

    One row per (site, template); the requirement lines it made carry the template's id.
    """

    __tablename__ = "site_template"

    site_id: Mapped[int] = mapped_column(
        ForeignKey("site.id", ondelete="CASCADE"), primary_key=True
    )
    template_id: Mapped[int] = mapped_column(
        ForeignKey("requirement_template.id", ondelete="CASCADE"), primary_key=True
    )
    quantities: Mapped[dict[str, Any]] = mapped_column(default=dict)
    applied_at: Mapped[datetime] = mapped_column(default=utcnow)


class GapState(Base):
    """Whether a gap line (a requirement) was open when last checked, to tell when it changes."""

    __tablename__ = "gap_state"

    requirement_id: Mapped[int] = mapped_column(
        ForeignKey("requirement.id", ondelete="CASCADE"), primary_key=True
    )
    open: Mapped[bool] = mapped_column(Boolean)
    shortfall: Mapped[int] = mapped_column(Integer)
    changed_at: Mapped[datetime] = mapped_column()


class OutboxEvent(Base):
    """An event for the webhook, written in the transaction that caused it, sent later.

    Delivery retries until ``delivered_at`` is set or ``attempts`` reaches the
    limit; the payload is the JSON body sent, as documented in the README.
    """

    __tablename__ = "outbox_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    type: Mapped[str] = mapped_column(String(32), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    delivered_at: Mapped[datetime | None] = mapped_column()
    failed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    last_error: Mapped[str | None] = mapped_column(Text)


class ScheduledJob(Base):
    """A scheduled sweep as APScheduler's SQLAlchemy job store keeps it (its own layout)."""

    __tablename__ = "apscheduler_jobs"

    id: Mapped[str] = mapped_column(String(191), primary_key=True)
    next_run_time: Mapped[float | None] = mapped_column(Float(25), index=True)
    job_state: Mapped[bytes] = mapped_column(LargeBinary)
