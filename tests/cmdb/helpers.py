"""Ingesting into a test CMDB and reading back what it holds, in plain data."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from muster.cmdb.db import Database
from muster.cmdb.ingest import ingest
from muster.cmdb.models import Asset, Change, Conflict
from muster.cmdb.observation import Observation
from muster.cmdb.reconcile import IngestSettings
from muster.cmdb.results import IngestReport
from muster.cmdb.sites import upsert_site


def run_ingest(
    database: Database,
    observations: Sequence[Observation],
    *,
    dry_run: bool = False,
    settings: IngestSettings | None = None,
    batch_size: int = 2000,
) -> IngestReport:
    """Ingest in one writer session, as the CLI and API do."""
    with database.session(writer=True) as session:
        return ingest(
            session, observations, dry_run=dry_run, settings=settings, batch_size=batch_size
        )


def add_site(database: Database, code: str, *subnets: str) -> None:
    """Create a site with subnets."""
    with database.session(writer=True) as session:
        upsert_site(session, code, name=code.title(), subnets=list(subnets))


def assets(database: Database) -> list[Asset]:
    """Every asset with identifiers loaded, by id."""
    with database.session() as session:
        query = select(Asset).options(selectinload(Asset.identifiers)).order_by(Asset.id)
        return list(session.scalars(query))


def usable_identifiers(asset: Asset) -> set[tuple[str, str]]:
    """The (type, value) pairs that identify an asset."""
    return {(i.type, i.value) for i in asset.identifiers if i.usable}


def identifiers_by_state(asset: Asset) -> dict[tuple[str, str], str]:
    """Every identifier of an asset: 'usable', 'shared' or the note saying why not usable."""
    return {
        (i.type, i.value): "usable" if i.usable else "shared" if i.shared else (i.note or "")
        for i in asset.identifiers
    }


def conflicts(database: Database) -> list[tuple[str, str, str]]:
    """Open conflicts as (kind, identifier type, value)."""
    with database.session() as session:
        rows = session.scalars(select(Conflict).order_by(Conflict.id))
        return [(c.kind, c.identifier_type, c.identifier_value) for c in rows]


def history(database: Database, asset_id: int) -> list[tuple[str, Any, Any]]:
    """An asset's Change rows as (field, old, new), oldest first, without the creation row."""
    with database.session() as session:
        rows = session.scalars(
            select(Change)
            .where(Change.asset_id == asset_id, Change.field != "created")
            .order_by(Change.observed_at, Change.id)
        )
        return [(c.field, c.old_value, c.new_value) for c in rows]
