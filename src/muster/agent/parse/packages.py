"""Installed packages: dpkg's status database and ``rpm -qa`` output."""

import re

from muster.agent.facts import PackageFacts

# Stanzas of dpkg's status file are separated by blank lines; continuation
# lines of multi-line fields start with a space, so never match these keys.
_STANZA_BREAK = re.compile(r"\n[ \t]*\n")
_DPKG_FIELDS = ("Package:", "Status:", "Version:", "Architecture:")

# rpm lists the keys it trusts as pseudo-packages; they are not software.
_RPM_PSEUDO_PACKAGES = frozenset({"gpg-pubkey"})


def parse_dpkg_status(text: str) -> list[PackageFacts]:
    """Return the packages dpkg's status file marks installed, as ``dpkg-query -W`` does.

    A package whose files were removed but whose configuration remains
    (status ``config-files``) is not installed and is left out. Only the four
    fields needed are looked at; the rest of each stanza (descriptions,
    conffiles) is skipped unparsed, since a desktop's status file runs to
    tens of thousands of lines.
    """
    packages = []
    for stanza in _STANZA_BREAK.split(text):
        record = {}
        for line in stanza.splitlines():
            if line.startswith(_DPKG_FIELDS):
                key, _, value = line.partition(":")
                record[key] = value.strip()
        package = _dpkg_package(record)
        if package is not None:
            packages.append(package)
    return sorted(packages, key=lambda p: (p.name, p.arch or ""))


def _dpkg_package(record: dict[str, str]) -> PackageFacts | None:
    status = record.get("Status", "").split()
    if len(status) != 3 or status[2] != "installed" or "Package" not in record:
        return None
    return PackageFacts(
        name=record["Package"],
        version=record.get("Version") or None,
        arch=record.get("Architecture") or None,
        vendor=None,
        manager="dpkg",
    )


def parse_rpm_query(text: str) -> list[PackageFacts]:
    """Parse the output of the agent's ``rpm -qa --queryformat`` (name, version, arch, vendor)."""
    packages = []
    for line in text.splitlines():
        columns = [_rpm_value(column) for column in line.split("\t")]
        if len(columns) < 4:
            continue
        name, version, arch, vendor = columns[:4]
        if name is None or name in _RPM_PSEUDO_PACKAGES:
            continue
        packages.append(
            PackageFacts(name=name, version=version, arch=arch, vendor=vendor, manager="rpm")
        )
    return sorted(packages, key=lambda p: (p.name, p.arch or "", p.version or ""))


def _rpm_value(text: str) -> str | None:
    value = text.strip()
    return None if value in ("", "(none)") else value
