"""The inventory report: every asset with where it is, what it is and when it was seen."""

import pandas as pd

from muster.reports.frames import CmdbFrames

INVENTORY_COLUMNS = (
    "asset_id",
    "site",
    "kind",
    "status",
    "hostname",
    "vendor",
    "model",
    "serial",
    "os_name",
    "cpu_cores",
    "memory_gib",
    "firmware_date",
    "first_seen",
    "last_seen",
)


def inventory(frames: CmdbFrames) -> pd.DataFrame:
    """Every asset, by site, kind and host name; memory in GiB."""
    assets = frames.assets
    codes = frames.sites.set_index("id")["code"]
    table = pd.DataFrame(
        {
            "asset_id": assets["id"].to_numpy(),
            "site": assets["site_id"].map(codes).to_numpy(),
            "kind": assets["kind"].to_numpy(),
            "status": assets["status"].to_numpy(),
            "hostname": assets["hostname"].to_numpy(),
            "vendor": assets["vendor"].to_numpy(),
            "model": assets["model"].to_numpy(),
            "serial": assets["serial"].to_numpy(),
            "os_name": assets["os_name"].to_numpy(),
            "cpu_cores": assets["cpu_cores"].array,
            "memory_gib": (assets["memory_bytes"].astype("Float64") / 1024**3).round(1).array,
            "firmware_date": assets["firmware_date"].dt.date.to_numpy(),
            "first_seen": assets["first_seen"].to_numpy(),
            "last_seen": assets["last_seen"].to_numpy(),
        }
    )
    table = table.sort_values(["site", "kind", "hostname", "asset_id"], na_position="last")
    return table[list(INVENTORY_COLUMNS)].reset_index(drop=True)


def inventory_summary(table: pd.DataFrame) -> pd.DataFrame:
    """Asset counts per site and kind, one column per status."""
    counts = (
        table.assign(site=table["site"].astype("object").fillna("(no site)"))
        .groupby(["site", "kind", "status"])
        .size()
        .unstack(fill_value=0)
    )
    counts["total"] = counts.sum(axis=1)
    return counts.reset_index()
