"""The migrations build exactly the schema the models describe, on both backends."""

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from muster.cmdb.db import Database, alembic_config
from muster.cmdb.models import Base


def test_migrations_match_models(database: Database) -> None:
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)

    assert differences == [], (
        "models and migrations differ: run scripts/new-migration 'what changed'"
    )


def test_database_is_at_head_revision(database: Database) -> None:
    assert database.current_revision() == database.head_revision()


def test_downgrade_to_base_and_upgrade_again_round_trips(database: Database) -> None:
    config = alembic_config(database.engine)

    command.downgrade(config, "base")
    assert database.current_revision() is None
    command.upgrade(config, "head")

    assert database.current_revision() == database.head_revision()
