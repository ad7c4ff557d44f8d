"""PostgreSQL tells listening API workers when a token is revoked or changed

An API worker on PostgreSQL remembers the tokens it has checked (see
muster/cmdb/tokencache.py) and forgets them all when this trigger notifies the
channel ``muster_tokens``: after a statement that revokes, deletes or changes
the secret, scopes or sites of a token, whoever runs it (muster token revoke,
another worker, an administrator's own SQL). Recording a token's last use
notifies nothing. SQLite has no such channel; workers there check each token
on every request.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 19:45:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        "CREATE FUNCTION muster_tokens_changed() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN PERFORM pg_notify('muster_tokens', ''); RETURN NULL; END $$"
    )
    op.execute(
        "CREATE TRIGGER api_token_changed "
        "AFTER UPDATE OF secret_sha256, scopes, sites, revoked_at OR DELETE ON api_token "
        "FOR EACH STATEMENT EXECUTE FUNCTION muster_tokens_changed()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER api_token_changed ON api_token")
    op.execute("DROP FUNCTION muster_tokens_changed()")
