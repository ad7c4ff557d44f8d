"""A sweep's Observations go into the CMDB in batches while the sweep goes on."""

import asyncio

from muster.cmdb.db import Database
from muster.cmdb.sites import upsert_site
from muster.cmdb.views import get_sweep, list_assets
from muster.collector.ingestor import FLUSH_EVERY, Ingestor
from muster.collector.records import start_sweep
from tests.factories import observation


def test_a_burst_of_observations_is_stored_batch_after_batch_without_waiting_for_the_tick(
    database: Database,
) -> None:
    with database.session(writer=True) as session:
        site_id = upsert_site(session, "lab", name="Lab", subnets=["10.77.9.0/24"]).id
    sweep_id = start_sweep(database, site_id, techniques=["arp"], targets=254, trigger="cli")
    burst = [
        observation("arp", site="lab", ips=[f"10.77.9.{n}"], macs=[f"00:1b:21:77:09:{n:02x}"])
        for n in range(1, 101)
    ]
    ingestor = Ingestor(database, sweep_id, batch=25)

    async def burst_then_wait() -> tuple[int, int]:
        # A liveness round: the replies come at once, then the round waits for late ones.
        for item in burst:
            await ingestor.add(item)
        for _ in range(int(FLUSH_EVERY / 0.05) - 2):
            await asyncio.sleep(0.05)
            if ingestor.ingested == len(burst):
                break
        stored_while_waiting = ingestor.ingested, ingestor.pending
        await ingestor.drain()
        return stored_while_waiting

    assert asyncio.run(burst_then_wait()) == (100, 0)
    with database.session() as session:
        assert len(list_assets(session)) == 100
        assert get_sweep(session, sweep_id).observations == 100
