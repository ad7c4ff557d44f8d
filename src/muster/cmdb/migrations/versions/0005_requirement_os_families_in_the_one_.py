"""requirement OS families in the one vocabulary

Lines written through the API before it checked OS families may spell one
freely ("Windows", "mac-os"); this stores them as the vocabulary's words.
A value naming no family is kept as it is: the gap report counts no asset
as meeting it, as before, and changing the line asks for a valid family.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 18:54:45.897101
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The vocabulary as of this revision, kept here so the migration never changes.
FAMILIES = ("windows", "macos", "chromeos", "ios", "android", "linux", "bsd")


def upgrade() -> None:
    connection = op.get_bind()
    for name in ("requirement", "requirement_template_line"):
        table = sa.table(name, sa.column("os_family", sa.String))
        spellings = connection.scalars(
            sa.select(table.c.os_family).distinct().where(table.c.os_family.is_not(None))
        ).all()
        for spelling in spellings:
            word = spelling.strip().lower().replace("-", "").replace(" ", "").replace("_", "")
            if word in FAMILIES and word != spelling:
                connection.execute(
                    sa.update(table).where(table.c.os_family == spelling).values(os_family=word)
                )


def downgrade() -> None:
    # The old spellings meant the same families; nothing to restore.
    pass
