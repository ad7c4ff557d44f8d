"""The migrations build exactly the schema the models describe, on both backends."""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from muster.cmdb.db import SCHEMA_REVISION, Database, alembic_config
from muster.cmdb.models import Base, UtcDateTime


def test_migrations_match_models(database: Database) -> None:
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)

    assert differences == [], (
        "models and migrations differ: run scripts/new-migration 'what changed'"
    )


def test_database_is_at_head_revision(database: Database) -> None:
    assert database.current_revision() == database.head_revision()


def test_expected_revision_is_the_newest_migration(database: Database) -> None:
    assert database.head_revision() == SCHEMA_REVISION, (
        "a migration was added: set SCHEMA_REVISION in src/muster/cmdb/db.py to its revision"
    )


def test_downgrade_to_base_and_upgrade_again_round_trips(database: Database) -> None:
    config = alembic_config(database.engine)

    command.downgrade(config, "base")
    assert database.current_revision() is None
    command.upgrade(config, "head")

    assert database.current_revision() == database.head_revision()


def test_upgrade_stores_requirement_os_families_in_the_vocabulary(database: Database) -> None:
    config = alembic_config(database.engine)
    command.downgrade(config, "0004")
    site = sa.table("site", sa.column("id"), sa.column("code"), sa.column("name"),
                    sa.column("created_at", UtcDateTime()))  # fmt: skip
    line = sa.table("requirement", sa.column("id"), sa.column("site_id"), sa.column("kind"),
                    sa.column("count"), sa.column("os_family"))  # fmt: skip
    spellings = {1: "Windows", 2: "mac-OS", 3: "linux", 4: "beos", 5: None}
    with database.engine.begin() as connection:
        created = datetime(2026, 11, 1, tzinfo=UTC)
        connection.execute(sa.insert(site), [{"id": 1, "code": "lincoln-es", "name": "Lincoln",
                                              "created_at": created}])  # fmt: skip
        connection.execute(sa.insert(line), [
            {"id": i, "site_id": 1, "kind": "workstation", "count": 1, "os_family": family}
            for i, family in spellings.items()
        ])  # fmt: skip

    command.upgrade(config, "head")

    with database.engine.connect() as connection:
        stored = dict(connection.execute(sa.select(line.c.id, line.c.os_family)).all())
    assert stored == {1: "windows", 2: "macos", 3: "linux", 4: "beos", 5: None}


def test_asset_rows_have_room_to_be_updated_in_place(database: Database) -> None:
    with database.engine.connect() as connection:
        indexed = {
            column
            for index in sa.inspect(connection).get_indexes("asset")
            for column in index["column_names"]
        }
        postgres = connection.dialect.name == "postgresql"
        options = (
            postgres
            and connection.execute(
                sa.text("SELECT reloptions FROM pg_class WHERE relname = 'asset'")
            ).scalar_one()
        )
    assert "last_seen" not in indexed
    assert "hostname" in indexed
    if postgres:  # SQLite has no fill factor
        assert options == ["fillfactor=80"]
