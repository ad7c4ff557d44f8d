"""Asset rows updated in place: last_seen unindexed, and room left on PostgreSQL's pages

Every sighting moves an asset's last_seen. With last_seen indexed, each of
those updates wrote a new entry into every index of the asset table; on
PostgreSQL it could never be a HOT (heap-only) update. Without that index, and
with a fifth of each new page left free (fillfactor 80), an update that
changes no indexed column stays on its page and touches no index. Pages
written before this revision fill up as they are; they gain room as
(auto)vacuum clears them.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 12:27:44.411192
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ASSET_FILLFACTOR = 80


def upgrade() -> None:
    with op.batch_alter_table("asset", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_asset_last_seen"))
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE asset SET (fillfactor = {ASSET_FILLFACTOR})")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE asset RESET (fillfactor)")
    with op.batch_alter_table("asset", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_asset_last_seen"), ["last_seen"], unique=False)
