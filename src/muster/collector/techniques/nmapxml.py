"""nmap's XML report, read into Observations (one per host that was up).

What nmap knows goes into the Observation as nmap said it: addresses, the
MAC, host names, open ports with the product and version ``-sV`` found, and
the best OS match of ``-O``. Kind, vendor and OS family are concluded by
``collector.classify`` from the OS classes and the open ports, with its
evidence kept; a "general purpose" class says nothing about the kind. The time of the
Observation is when nmap finished with the host, so a recorded report always
gives the same Observations.
"""

import logging
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from typing import Any

from muster.cmdb.errors import MusterError
from muster.cmdb.observation import Observation, parse_observation
from muster.collector.classify import DeviceFacts, NmapOsClass, classify

logger = logging.getLogger(__name__)

MIN_OS_ACCURACY = 90


class NmapReportError(MusterError):
    """nmap's XML report could not be read."""


def _text(element: ET.Element | None, name: str) -> str | None:
    if element is None:
        return None
    value = element.get(name)
    return value.strip() if value and value.strip() else None


def _services(host: ET.Element) -> list[dict[str, Any]]:
    services = []
    for port in host.iterfind("ports/port"):
        state = port.find("state")
        if state is None or state.get("state") != "open":
            continue
        service = port.find("service")
        version = " ".join(
            part for part in (_text(service, "version"), _text(service, "extrainfo")) if part
        )
        entry = {
            "protocol": port.get("protocol", "tcp"),
            "port": int(port.get("portid", "0")),
            "name": _text(service, "name"),
            "product": _text(service, "product"),
            "version": version or None,
        }
        services.append({k: v for k, v in entry.items() if v is not None})
    return services


def _os(host: ET.Element, open_ports: frozenset[int]) -> tuple[dict[str, Any], list[Any]]:
    """Return attributes and evidence from nmap's OS classes (if accurate) and open ports."""
    matches = [
        m for m in host.iterfind("os/osmatch") if int(m.get("accuracy", "0")) >= MIN_OS_ACCURACY
    ]
    attributes: dict[str, Any] = {}
    classes = []
    if matches:
        best = max(matches, key=lambda m: int(m.get("accuracy", "0")))
        for osclass in best.iterfind("osclass"):
            classes.append(
                NmapOsClass(
                    vendor=_text(osclass, "vendor"),
                    family=_text(osclass, "osfamily"),
                    device_type=_text(osclass, "type"),
                    accuracy=int(osclass.get("accuracy", best.get("accuracy", "0"))),
                )
            )
        first = best.find("osclass")
        if generation := _text(first, "osgen"):
            attributes["os_version"] = generation
    conclusion = classify(DeviceFacts(open_ports=open_ports, nmap_os_classes=tuple(classes)))
    for name in ("kind", "vendor", "os_name"):
        value = getattr(conclusion, name)
        if value is not None:
            attributes[name] = str(value)
    return attributes, [e.model_dump() for e in conclusion.evidence]


def _identifiers(host: ET.Element) -> dict[str, Any]:
    ips, macs = [], []
    for address in host.iterfind("address"):
        kind, value = address.get("addrtype"), address.get("addr")
        if value and kind in ("ipv4", "ipv6"):
            ips.append(value)
        elif value and kind == "mac":
            macs.append(value)
    identifiers: dict[str, Any] = {"ips": ips}
    if macs:
        identifiers["macs"] = macs
    names = [
        _text(h, "name") for h in host.iterfind("hostnames/hostname") if h.get("type") == "user"
    ] + [_text(h, "name") for h in host.iterfind("hostnames/hostname")]
    if hostname := next((n for n in names if n), None):
        identifiers["hostname"] = hostname
    return identifiers


def _silent(host: ET.Element) -> bool:
    """Tell a host that answered no port and gave no OS match: nmap learnt nothing of it.

    Such a host is one nmap assumed up (-Pn) or only saw answer ARP; the
    liveness stage already reported whatever there was to know.
    """
    states = {s.get("state") for s in host.iterfind("ports/port/state")}
    return not states & {"open", "closed", "unfiltered"} and host.find("os/osmatch") is None


def nmap_observations(
    xml: str,
    *,
    site: str | None,
    sweep_id: int | None = None,
    collector: str | None = None,
    with_services: bool = True,
) -> list[Observation]:
    """Read an nmap XML report into one ``nmap`` Observation per host that was up."""
    try:
        root = ET.fromstring(xml)  # noqa: S314 -- nmap's own output, run by us
    except ET.ParseError as exc:
        raise NmapReportError(f"nmap's XML report is not valid XML: {exc}") from exc
    observations = []
    for host in root.iterfind("host"):
        status = host.find("status")
        if status is None or status.get("state") != "up":
            continue
        identifiers = _identifiers(host)
        if not identifiers["ips"] or _silent(host):
            continue
        services = _services(host)
        open_ports = frozenset(s["port"] for s in services if s["protocol"] == "tcp")
        attributes, evidence = _os(host, open_ports)
        finished = int(host.get("endtime") or root.get("start") or 0)
        data: dict[str, Any] = {
            "schema": "muster.observation/1",
            "source": "nmap",
            "observed_at": datetime.fromtimestamp(finished, UTC).isoformat(),
            "identifiers": identifiers,
            "attributes": attributes,
            "evidence": evidence,
        }
        if with_services and host.find("ports") is not None:
            data["services"] = services
        for key, value in (("site", site), ("sweep_id", sweep_id), ("collector", collector)):
            if value is not None:
                data[key] = value
        observations.append(parse_observation(data, where=f"nmap host {identifiers['ips'][0]}"))
    logger.debug("nmap report: %d hosts up", len(observations))
    return observations
