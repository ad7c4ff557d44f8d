"""``muster token``: API tokens for ticketing systems, agents and collectors."""

import typer

from muster.cli.common import console, new_app, open_database
from muster.cli.output import check_format, render

token_app = new_app("Create, list and revoke API tokens (secrets are shown once).")


@token_app.command("create")
def create_command(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Who or what uses it, e.g. helpdesk or agent-lincoln."),
    scope: list[str] = typer.Option(
        ..., "--scope", help="read, ingest or admin; repeat or separate with commas."
    ),
    site: list[str] = typer.Option(
        [], "--site", help="Bind an ingest-only token to this site; repeat for more."
    ),
) -> None:
    """Create a token and print its secret, which cannot be shown again."""
    from muster.cmdb.tokens import create_token, parse_scopes

    scopes = parse_scopes(scope)
    with open_database(ctx).session(writer=True) as session:
        token, secret = create_token(session, name, scopes, sites=site)
    bound = f", sites {', '.join(token.sites)}" if token.sites else ""
    scopes_text = ", ".join(token.scopes)
    console.print(f"token {token.name!r} (scopes {scopes_text}{bound})", highlight=False)
    console.print("secret (shown once, keep it safe):", highlight=False)
    typer.echo(secret)


@token_app.command("list")
def list_command(
    ctx: typer.Context,
    output_format: str = typer.Option("table", "--format", help="table, json or csv."),
) -> None:
    """List tokens: name, scopes, sites, when created, last used and revoked."""
    from muster.cmdb.tokens import list_tokens

    fmt = check_format(output_format)
    with open_database(ctx).session() as session:
        rows = list_tokens(session)
    columns = ("name", "scopes", "sites", "created_at", "last_used_at", "revoked_at")
    render(rows, columns, fmt, title=f"{len(rows)} tokens")


@token_app.command("revoke")
def revoke_command(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="The token's name."),
) -> None:
    """Revoke a token: requests with it are refused from now on."""
    from muster.cmdb.tokens import revoke_token

    with open_database(ctx).session(writer=True) as session:
        token = revoke_token(session, name)
    assert token.revoked_at is not None
    console.print(f"token {token.name!r} revoked at {token.revoked_at:%Y-%m-%d %H:%M} UTC")
