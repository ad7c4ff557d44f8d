"""Does an asset meet a requirement line's spec? Vectorised over (asset, line) pairs.

- memory: the asset reports at least 90 % of the minimum, because operating
  systems report installed memory less what firmware and integrated graphics
  reserve (an 8 GiB machine reports about 7.6 GiB);
- cores: at least the minimum of physical cores;
- OS family: read from the OS name (``muster.cmdb.osfamily``);
- age: the firmware (BIOS) release date is the proxy for the machine's age,
  the one date every agent and many SNMP devices report: a line with
  ``max_age_years = 6`` takes machines whose firmware is dated at most six
  calendar years before the report's day.

Specs are compared on integer codes and floats, pair by pair, with no
Python loop over assets. An attribute the CMDB does not know fails the filter that needs it: the
asset is counted unusable with reason ``spec_unknown``, not ``below_spec``,
so the drill-down tells "too weak" from "not inventoried by an agent yet".
"""

import numpy as np
import pandas as pd

from muster.cmdb.osfamily import OsFamily, family_of

MEMORY_TOLERANCE = 0.9
SPEC_COLUMNS = ("min_memory_bytes", "min_cpu_cores", "os_family", "max_age_years")
_FAMILIES = pd.Index([family.value for family in OsFamily])


def os_families(os_names: pd.Series) -> pd.Series:
    """Map OS names to family values (NA where not recognised).

    A district has a few dozen distinct OS names among its thousands of
    assets, so each distinct name is read once and the result spread back.
    """
    codes, names = pd.factorize(os_names, use_na_sentinel=True)
    families = np.array([family_of(str(name)) for name in names] + [None], dtype="object")
    mapped = families[codes]  # code -1 (no name) takes the trailing None
    return pd.Series(mapped, index=os_names.index, dtype="object").fillna(pd.NA)


def day_number(days: pd.Series) -> np.ndarray:
    """Dates as yyyymmdd integers (-1 where unknown), for exact calendar comparisons."""
    stamp = pd.DatetimeIndex(days)
    number = np.asarray(stamp.year * 10000 + stamp.month * 100 + stamp.day, dtype="float64")
    days_or_unknown: np.ndarray = np.nan_to_num(number, nan=-1).astype("int64")
    return days_or_unknown


def _floats(values: pd.Series) -> np.ndarray:
    return values.to_numpy(dtype="float64", na_value=np.nan)


def asset_spec(assets: pd.DataFrame) -> dict[str, np.ndarray]:
    """The attributes specs judge, per asset: NaN or -1 where unknown."""
    return {
        "memory": _floats(assets["memory_bytes"]),
        "cores": _floats(assets["cpu_cores"]),
        "family": _FAMILIES.get_indexer(pd.Index(os_families(assets["os_name"]).fillna(""))),
        "firmware_day": day_number(assets["firmware_date"]),
    }


def line_spec(lines: pd.DataFrame) -> dict[str, np.ndarray]:
    """The filters of each line: NaN or -1 where the line does not ask."""
    return {
        "min_memory": _floats(lines["min_memory_bytes"]),
        "min_cores": _floats(lines["min_cpu_cores"]),
        "family": _family_codes(lines["os_family"]),
        "max_age": _floats(lines["max_age_years"]),
    }


def _family_codes(wanted: pd.Series) -> np.ndarray:
    """Family codes lines ask for: -1 for none; a family no asset has when not recognised.

    Lines are stored in the vocabulary's words, but one stored before input
    was checked may name no family at all: it must match nothing rather than
    be ignored.
    """
    key = wanted.fillna("").astype(str)
    codes = _FAMILIES.get_indexer(pd.Index(key))
    unknown: np.ndarray = np.where((key != "").to_numpy() & (codes < 0), len(_FAMILIES), codes)
    return unknown


def check_spec(
    have: dict[str, np.ndarray], want: dict[str, np.ndarray], as_of: pd.Timestamp
) -> tuple[np.ndarray, np.ndarray]:
    """Return (meets, unknown) per pair; ``unknown``: failed only for want of an attribute."""
    checks = (
        _threshold(have["memory"], np.floor(want["min_memory"] * MEMORY_TOLERANCE)),
        _threshold(have["cores"], want["min_cores"]),
        _family(have["family"], want["family"]),
        _age(have["firmware_day"], want["max_age"], as_of),
    )
    meets = np.logical_and.reduce([ok for ok, _ in checks])
    unknown = np.logical_or.reduce([missing for _, missing in checks]) & ~meets
    return meets, unknown


def _threshold(value: np.ndarray, minimum: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    asked = ~np.isnan(minimum)
    known = ~np.isnan(value)
    with np.errstate(invalid="ignore"):
        enough = known & (value >= minimum)
    return ~asked | enough, asked & ~known


def _family(family: np.ndarray, wanted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    asked = wanted >= 0
    known = family >= 0
    return ~asked | (known & (family == wanted)), asked & ~known


def _age(
    firmware_day: np.ndarray, max_age: np.ndarray, as_of: pd.Timestamp
) -> tuple[np.ndarray, np.ndarray]:
    asked = ~np.isnan(max_age)
    known = firmware_day >= 0
    years = np.nan_to_num(max_age).astype("int64")
    oldest = (as_of.year - years) * 10000 + as_of.month * 100 + as_of.day
    return ~asked | (known & (firmware_day >= oldest)), asked & ~known
