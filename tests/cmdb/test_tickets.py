"""Ticket links in the CMDB: their targets, and the tickets an asset.missing event carries.

Each test runs on SQLite and on PostgreSQL (the ``database`` fixture).
"""

from datetime import timedelta

import pytest
from pydantic import ValidationError

from muster.cmdb.db import Database
from muster.cmdb.errors import NotFoundError
from muster.cmdb.events import list_events
from muster.cmdb.status import mark_missing
from muster.cmdb.tickets import (
    TicketLinkCreate,
    TicketLinkUpdate,
    link_ticket,
    list_tickets,
    unlink_ticket,
    update_ticket,
)
from tests.cmdb.helpers import add_site, run_ingest
from tests.factories import T0, observation


def _laptop(database: Database) -> int:
    add_site(database, "lincoln-es")
    [decision] = run_ingest(
        database, [observation("agent", site="lincoln-es", serial="5CG1", hostname="lab-a")]
    ).decisions
    assert decision.asset_id is not None
    return decision.asset_id


def test_asset_missing_event_carries_the_asset_tickets(database: Database) -> None:
    asset_id = _laptop(database)
    with database.session(writer=True) as session:
        for key, status in (("IT-1", "open"), ("IT-2", None)):
            link = TicketLinkCreate(system="jira", key=key, status=status, asset_id=asset_id)
            link_ticket(session, link)

    with database.session(writer=True) as session:
        mark_missing(session, now=T0 + timedelta(days=8))

    with database.session() as session:
        [event] = list_events(session)
    assert (event.type, event.payload["data"]["tickets"]) == (
        "asset.missing",
        [
            {"system": "jira", "key": "IT-1", "url": None, "status": "open"},
            {"system": "jira", "key": "IT-2", "url": None, "status": None},
        ],
    )


def test_link_ticket_to_unknown_requirement_says_how_to_find_ids(database: Database) -> None:
    link = TicketLinkCreate(system="jira", key="IT-1", requirement_id=42)

    with pytest.raises(NotFoundError) as caught, database.session(writer=True) as session:
        link_ticket(session, link)

    assert str(caught.value) == (
        "requirement #42 does not exist: `muster requirement list` shows them"
    )


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({}, "a ticket links to exactly one of an asset (asset_id), a requirement line "
             "(requirement_id), or a site (site); got none"),
        ({"site": "lincoln-es", "requirement_id": 3}, "got requirement_id and site"),
        ({"site": "lincoln-es", "kind": "unknown"}, "'unknown' is not a kind a site can need"),
        ({"site": "lincoln-es", "key": "  "}, "key\n  String should have at least 1 character"),
    ],
    ids=["no-target", "two-targets", "unknown-kind", "blank-key"],
)  # fmt: skip
def test_ticket_link_refuses_bad_targets_and_blank_keys(
    values: dict[str, object], message: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        TicketLinkCreate.model_validate({"system": "jira", "key": "IT-1", **values})

    assert message in str(caught.value)


def test_update_then_unlink_ticket_of_a_site(database: Database) -> None:
    add_site(database, "lincoln-es")
    with database.session(writer=True) as session:
        link = link_ticket(session, TicketLinkCreate(system="glpi", key="42", site="lincoln-es"))

    with database.session(writer=True) as session:
        changed = update_ticket(session, link.id, TicketLinkUpdate(status="solved"))
    with database.session(writer=True) as session:
        unlink_ticket(session, link.id)

    assert (changed.site, changed.kind, changed.status) == ("lincoln-es", None, "solved")
    with database.session() as session:
        assert list_tickets(session) == ([], 0)
