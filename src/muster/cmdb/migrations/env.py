"""Alembic environment: runs migrations on the engine Muster hands over."""

from alembic import context
from sqlalchemy import create_engine

from muster.cmdb.models import Base

config = context.config
engine = config.attributes.get("engine")
if engine is None:
    # Invoked through the alembic command line for development: needs sqlalchemy.url.
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "sqlite://")

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=True,
        compare_type=True,
    )
    context.run_migrations()
