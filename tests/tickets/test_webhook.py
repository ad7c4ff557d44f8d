"""The signed webhook against a real receiver process on 127.0.0.1, and ticket links.

Each test runs on SQLite and on PostgreSQL (the ``database`` fixture).
"""

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

import pandas as pd
from sqlalchemy import select
from typer.testing import CliRunner

from muster.cli.main import app
from muster.cmdb.db import Database
from muster.cmdb.events import list_events
from muster.cmdb.ingest import ingest
from muster.cmdb.models import OutboxEvent
from muster.cmdb.tickets import TicketLinkCreate, link_ticket
from muster.reports.frames import load_frames
from muster.reports.gaps import gap_report
from muster.reports.records import gaps_json
from muster.tickets.gapcheck import check
from muster.tickets.webhook import deliver_pending
from tests.factories import observation
from tests.reports.district import AS_OF, build_district
from tests.tickets.conftest import SECRET, Receiver, received_by, webhook_settings


def _check(database: Database) -> list[OutboxEvent]:
    with database.session(writer=True) as session:
        _missing, events = check(session, now=AS_OF)
        return events


def test_webhook_delivers_signed_events_retrying_a_failed_attempt(
    database: Database, start_receiver: Callable[..., Receiver]
) -> None:
    build_district(database)  # marks ap-n2 missing: one asset.missing event
    _check(database)  # marks ws-n6 missing; five gap lines are short
    url, log = start_receiver(fail_first=1)

    report = deliver_pending(database, webhook_settings(url))

    received = received_by(log)
    assert [r["status"] for r in received] == [503] + [204] * 7
    assert all(r["verified"] for r in received)
    accepted = [r["body"] for r in received if r["status"] == 204]
    assert [b["type"] for b in accepted] == ["asset.missing"] * 2 + ["gap_line.opened"] * 5
    assert [b["data"]["hostname"] for b in accepted[:2]] == ["ap-n2", "ws-n6"]
    opened = {(b["data"]["site"], b["data"]["kind"], b["data"]["label"]): b["data"]["shortfall"]
              for b in accepted[2:]}  # fmt: skip
    assert opened == {
        ("north-es", "access_point", None): 1,
        ("north-es", "workstation", "classrooms"): 1,
        ("north-es", "workstation", "lab"): 1,
        ("south-es", "printer", None): 1,
        ("south-es", "workstation", None): 1,
    }
    assert [int(r["delivery"]) for r in received[1:]] == report.delivered
    with database.session() as session:
        events = list_events(session)
    assert [(e.attempts, e.delivered_at is not None) for e in events][:2] == [(2, True), (1, True)]
    assert not report.failed


def test_gap_line_closes_when_its_shortfall_is_filled(
    database: Database, start_receiver: Callable[..., Receiver]
) -> None:
    build_district(database)
    _check(database)
    url, log = start_receiver()
    deliver_pending(database, webhook_settings(url))
    printer = observation("snmp", at=AS_OF - timedelta(hours=1), site="south-es",
                          macs=["3c:d9:2b:00:00:42"], attributes={"kind": "printer"})  # fmt: skip
    with database.session(writer=True) as session:
        ingest(session, [printer])

    events = _check(database)
    deliver_pending(database, webhook_settings(url))

    assert [(e.type, e.payload["data"]["kind"]) for e in events] == [
        ("gap_line.closed", "printer")
    ]
    last = received_by(log)[-1]["body"]
    assert (last["type"], last["data"]["site"], last["data"]["shortfall"]) == (
        "gap_line.closed", "south-es", 0,
    )  # fmt: skip
    assert _check(database) == []


def test_webhook_refused_for_a_bad_signature_keeps_the_event_for_later(
    database: Database, start_receiver: Callable[..., Receiver]
) -> None:
    build_district(database)
    wrong_url, wrong_log = start_receiver(secret="another-secret")
    settings = replace(webhook_settings(wrong_url), retry_later=timedelta(0))

    refused = deliver_pending(database, settings)

    assert [r["status"] for r in received_by(wrong_log)] == [401, 401, 401]
    [(event_id, error)] = refused.failed.items()
    assert "answered 401" in error
    with database.session() as session:
        event = session.scalars(select(OutboxEvent).where(OutboxEvent.id == event_id)).one()
        assert (event.attempts, event.delivered_at, event.failed) == (3, None, False)
    url, log = start_receiver()
    delivered = deliver_pending(database, webhook_settings(url))
    assert delivered.delivered == [event_id]
    assert received_by(log)[0]["body"]["data"]["hostname"] == "ap-n2"


def test_ticket_links_show_on_gap_lines_and_in_webhook_events(
    database: Database, start_receiver: Callable[..., Receiver]
) -> None:
    ids = build_district(database)
    with database.session(writer=True) as session:
        for link in (
            TicketLinkCreate(system="jira", key="IT-7", site="south-es", kind="printer",
                             url="https://tickets.example/IT-7", status="open"),
            TicketLinkCreate(system="jira", key="IT-9", asset_id=ids["ws-n5"], status="open"),
        ):  # fmt: skip
            link_ticket(session, link)
    url, log = start_receiver()

    _check(database)
    deliver_pending(database, webhook_settings(url))

    with database.session() as session:
        report = gap_report(load_frames(session), as_of=pd.Timestamp(AS_OF))
    printer = next(line for line in gaps_json(report)["lines"] if line["kind"] == "printer")
    assert printer["tickets"] == [
        {"system": "jira", "key": "IT-7", "url": "https://tickets.example/IT-7", "status": "open"}
    ]
    assert report.asset_tickets["asset_id"].tolist() == [ids["ws-n5"]]
    event = next(r["body"] for r in received_by(log) if r["body"]["data"].get("kind") == "printer")
    assert [t["key"] for t in event["data"]["tickets"]] == ["IT-7"]


def test_events_deliver_command_signs_with_the_secret_from_the_environment(
    database: Database, start_receiver: Callable[..., Receiver]
) -> None:
    build_district(database)
    url, log = start_receiver()
    env = {"MUSTER_DATABASE_URL": database.url, "MUSTER_WEBHOOK_URL": url,
           "MUSTER_WEBHOOK_SECRET": SECRET, "COLUMNS": "200"}  # fmt: skip

    result = CliRunner(env=env).invoke(app, ["events", "deliver"], catch_exceptions=False)

    assert result.exit_code == 0, result.output
    assert "1 events delivered" in result.output
    [received] = received_by(log)
    assert (received["verified"], received["event"]) == (True, "asset.missing")
    listed = CliRunner(env=env).invoke(app, ["events", "list"], catch_exceptions=False)
    assert "asset.missing" in listed.output
    assert "pending" not in listed.output
