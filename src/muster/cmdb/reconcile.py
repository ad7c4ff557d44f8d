"""Reconciliation: the identity rules applied to one Observation at a time.

For each Observation the reconciler finds the assets its usable identifiers
point at, strongest rule first (``identity``). The strongest match that no
stronger identifier contradicts becomes the target; other matches merge into
it when nothing keeps them apart, and are otherwise recorded as conflicts:

- a strong identifier (UUID, machine ID, engine ID) or a MAC seen on two
  machines that stronger identifiers keep apart becomes *shared* on both and
  stops identifying anything (cloned VMs, a docking station's NIC);
- a host name or an address found on another machine moves to the target
  (renamed and re-addressed machines), with a conflict when two live machines
  claim one name.

Attributes then merge by source trust, then freshness (location-like fields
by freshness first); child lists are replaced as a set by a source that ranks
at least as high as the one that gave the current set. Every step leaves a
line in the Decision, so ingest can say why it did what it did.
"""

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import orjson

from muster.cmdb.identity import RULE_BY_LABEL, Claim, Rule, claims_of
from muster.cmdb.network import mac_vendor, split_hostname
from muster.cmdb.observation import Observation
from muster.cmdb.placeholders import is_placeholder_serial, is_placeholder_uuid
from muster.cmdb.results import Decision, FieldChange, Outcome
from muster.cmdb.sources import TRUST
from muster.cmdb.state import (
    AssetState,
    ChangeRecord,
    ChildOp,
    ConflictRecord,
    IdentifierState,
    ObservationRecord,
    WorkingSet,
)
from muster.cmdb.status import STAFF_STATUSES
from muster.cmdb.vendors import canonical_vendor

logger = logging.getLogger(__name__)

# Attributes of the Observation that become asset columns of the same name.
ATTRIBUTE_FIELDS = (
    "kind",
    "vendor",
    "model",
    "os_name",
    "os_version",
    "os_kernel",
    "arch",
    "cpu_model",
    "cpu_sockets",
    "cpu_cores",
    "cpu_threads",
    "memory_bytes",
    "virtual",
    "hypervisor",
    "chassis",
    "firmware",
    "firmware_date",
    "description",
    "location",
    "contact",
    "battery",
    "gateways",
    "switch",
    "switch_port",
    "vlan",
    "boot_time",
)
IDENTITY_FIELDS = ("hostname", "domain", "serial", "system_uuid")
CHILD_FIELDS = ("interfaces", "services", "software", "disks", "filesystems")
# Where a machine is now matters more than who said so.
FRESHNESS_FIRST = frozenset({"site_id", "switch", "switch_port", "vlan", "boot_time"})
# Changes every boot: kept current, not written to history.
VOLATILE = frozenset({"boot_time"})
# Hypervisors derive these serials from the VM's UUID.
VIRTUAL_SERIAL_PREFIXES = ("VMWARE-", "PARALLELS-")
# A vendor guessed from a NIC's OUI loses to any source that names the vendor.
OUI_SOURCE = "oui"
_RANK = {**{source.value: trust for source, trust in TRUST.items()}, OUI_SOURCE: 1}


@dataclass(frozen=True)
class IngestSettings:
    """Tunables of the identity rules."""

    # How long an address keeps pointing at the machine last seen on it: the
    # default lease of the Windows DHCP server, which most schools run.
    ip_lease: timedelta = timedelta(days=8)


@dataclass(slots=True)
class Prepared:
    """An Observation ready for reconciliation: claims and attribute values extracted."""

    index: int
    observation: Observation
    content_hash: str
    site_id: int | None
    site_code: str | None
    claims: list[Claim]
    attributes: dict[str, tuple[Any, str]]
    evidence: dict[str, list[str]]
    child_sets: dict[str, list[dict[str, Any]]]

    source: str
    at: datetime
    at_iso: str
    payload: dict[str, Any]


def prepare(
    index: int,
    observation: Observation,
    content_hash: str,
    payload: dict[str, Any],
    *,
    site_id: int | None,
    site_code: str | None,
) -> Prepared:
    """Extract claims, attribute values and child sets from a validated Observation."""
    source = observation.source.value
    vendor = canonical_vendor(observation.attributes.vendor or "")
    claims = claims_of(observation, site_id=site_id, vendor=vendor)
    attributes: dict[str, tuple[Any, str]] = {}
    for name in ATTRIBUTE_FIELDS:
        value = getattr(observation.attributes, name)
        if value is not None and not (name == "kind" and value == "unknown"):
            attributes[name] = (value, source)
    if vendor:
        attributes["vendor"] = (vendor, source)
    elif oui_vendor := _first_mac_vendor(claims):
        attributes["vendor"] = (oui_vendor, OUI_SOURCE)
    _identity_attributes(observation, attributes, source)
    if site_id is not None:
        attributes["site_id"] = (site_id, source)
    evidence: dict[str, list[str]] = {}
    for item in observation.evidence:
        evidence.setdefault(item.attribute, []).append(f"{item.value}: {item.reason}")
    child_sets = {}
    for name in CHILD_FIELDS:
        rows = getattr(observation, name)
        if rows is not None:
            dumped = [row.model_dump(mode="json") for row in rows]
            child_sets[name] = sorted(dumped, key=_row_key)
    return Prepared(
        index,
        observation,
        content_hash,
        site_id,
        site_code,
        claims,
        attributes,
        evidence,
        child_sets,
        source,
        observation.observed_at,
        observation.observed_at.isoformat(),
        payload,
    )


def _row_key(row: dict[str, Any]) -> bytes:
    return orjson.dumps(row, option=orjson.OPT_SORT_KEYS)


def _identity_attributes(
    observation: Observation, attributes: dict[str, tuple[Any, str]], source: str
) -> None:
    ids = observation.identifiers
    if ids.hostname:
        host, domain = split_hostname(ids.hostname)
        if not any(c.isspace() for c in host):
            attributes["hostname"] = (host, source)
            if domain:
                attributes["domain"] = (domain, source)
    # A placeholder is kept as an identifier (with why it is not used), never as the value.
    if ids.serial and not is_placeholder_serial(ids.serial):
        attributes["serial"] = (ids.serial.strip(), source)
    if ids.system_uuid and not is_placeholder_uuid(ids.system_uuid):
        attributes["system_uuid"] = (ids.system_uuid, source)


def _first_mac_vendor(claims: list[Claim]) -> str | None:
    for claim in claims:
        if claim.rule is Rule.MAC and claim.usable and (vendor := mac_vendor(claim.value)):
            return vendor
    return None


def _rank(field_name: str, source: str, at: datetime) -> tuple[Any, Any]:
    trust = _RANK.get(source, 0)
    return (at, trust) if field_name in FRESHNESS_FIRST else (trust, at)


def _sort_key(value: Any) -> str:
    return json.dumps(jsonable(value), sort_keys=True)


def jsonable(value: Any) -> Any:
    """Return a value as JSON can hold it (dates and times as ISO 8601)."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _wins(
    field_name: str,
    new: tuple[str, datetime, Any],
    current: dict[str, Any] | None,
    current_value: Any,
) -> bool:
    """Tell whether a new claim (source, time, value) beats the attribute's current one."""
    if current is None:
        return True
    new_rank = _rank(field_name, new[0], new[1])
    current_rank = _rank(field_name, current["source"], datetime.fromisoformat(current["at"]))
    if new_rank != current_rank:
        return new_rank > current_rank
    # Same source at the same instant with two values: settle it the same way every time.
    return _sort_key(new[2]) > _sort_key(current_value)


def outranks(field_name: str, entry: dict[str, Any], current: dict[str, Any] | None) -> bool:
    """Tell whether one provenance entry (source, at) beats another for an attribute."""
    if current is None:
        return True
    new_rank = _rank(field_name, entry["source"], datetime.fromisoformat(entry["at"]))
    current_rank = _rank(field_name, current["source"], datetime.fromisoformat(current["at"]))
    return new_rank > current_rank


def child_digest(rows: list[dict[str, Any]]) -> str:
    """Digest of a canonical child list, to tell a changed list from a repeated one."""
    return hashlib.sha256(orjson.dumps(rows, option=orjson.OPT_SORT_KEYS)).hexdigest()[:32]


@dataclass
class _Run:
    """What one Observation's reconciliation has done so far."""

    prepared: Prepared
    observation_ref: int
    changes: list[FieldChange] = field(default_factory=list)
    merged: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    shares: list[tuple[Claim, AssetState, str]] = field(default_factory=list)
    moves: list[tuple[Claim, IdentifierState, str]] = field(default_factory=list)
    touched_identity: bool = False


class Reconciler:
    """Applies Observations to a working set, one at a time, in the order given."""

    def __init__(
        self,
        working_set: WorkingSet,
        settings: IngestSettings,
        allocate_asset_id: Callable[[], int],
    ) -> None:
        self.ws = working_set
        self.settings = settings
        self._allocate_asset_id = allocate_asset_id
        self.targets: list[AssetState] = []

    def apply(self, prepared: Prepared) -> Decision:
        """Reconcile one Observation into the working set and explain the result."""
        run = _Run(prepared, observation_ref=len(self.ws.observations))
        usable = self._usable_claims(run)

        target, matched = self._match(run, usable)
        created = target is None
        if target is None:
            target = self._create(prepared)
        self._settle(run, target)
        self._attach(run, target, created)
        self._apply_attributes(run, target, created)
        self._apply_children(run, target, created)
        self._touch(run, target, created)

        outcome = self._outcome(run, created)
        self.targets.append(target)
        self.ws.observations.append(self._record(prepared, target, outcome, matched))
        # Built from values this module made, so pydantic's validation is skipped.
        return Decision.model_construct(
            index=prepared.index,
            outcome=outcome,
            asset_id=target.id,
            asset=target.label,
            rule=matched.rule.label if matched else "new",
            matched=matched.describe() if matched else None,
            changes=run.changes,
            merged=run.merged,
            conflicts=run.conflicts,
            ignored=run.ignored,
            notes=run.notes,
        )

    # -- matching -------------------------------------------------------------

    def _usable_claims(self, run: _Run) -> list[Claim]:
        usable = []
        for claim in run.prepared.claims:
            if not claim.usable:
                run.ignored.append(f"{claim.describe()}: {claim.problem}")
            elif claim.key in self.ws.shared:
                run.ignored.append(f"{claim.describe()}: shared by machines kept apart")
            else:
                usable.append(claim)
        return usable

    def _match(self, run: _Run, usable: list[Claim]) -> tuple[AssetState | None, Claim | None]:
        target: AssetState | None = None
        matched: Claim | None = None
        for claim, holder in self._candidates(run, usable):
            asset = holder.asset.live()
            if asset is target:
                continue
            as_primary = target is None
            partner = None if as_primary else target
            why = self._contradiction(asset, usable, claim.rule, partner, run.prepared.claims)
            if why is None and as_primary and _may_be_clone(claim.rule, run.prepared):
                why = self._clone_evidence(asset, run.prepared)
            if why is not None:
                self._contradicted(run, claim, holder, why)
            elif target is None:
                target, matched = asset, claim
            else:
                target = self._merge(run, target, asset, claim)
        return target, matched

    def _candidates(self, run: _Run, usable: list[Claim]) -> list[tuple[Claim, IdentifierState]]:
        candidates = []
        for claim in usable:
            holders = self.ws.holders(claim)
            if not holders:
                continue
            if len(holders) > 1:
                assets = {h.asset.live().label for h in holders}
                if len(assets) > 1:
                    labels = " and ".join(sorted(assets))
                    run.ignored.append(f"{claim.describe()}: held by {labels} of other vendors")
                    continue
            holder = holders[0]
            if claim.rule is Rule.IP and not self._ip_may_match(run, holder, usable):
                run.moves.append((claim, holder, "address re-used"))
                continue
            candidates.append((claim, holder))
        return candidates

    def _ip_may_match(self, run: _Run, holder: IdentifierState, usable: list[Claim]) -> bool:
        """Apply rule 5: an address identifies only when nothing stronger does, while fresh."""
        fresh = abs(run.prepared.at - holder.last_seen) <= self.settings.ip_lease
        holder_has_stronger = any(
            i.usable and _rule_of(i) < Rule.HOSTNAME for i in holder.asset.live().identifiers
        )
        observation_has_stronger = any(c.rule < Rule.HOSTNAME for c in usable)
        if observation_has_stronger:
            return fresh and not holder_has_stronger
        return fresh or not holder_has_stronger

    def _contradiction(
        self,
        asset: AssetState,
        usable: list[Claim],
        rule: Rule,
        partner: AssetState | None,
        claims: list[Claim],
    ) -> str | None:
        """Say why ``asset`` cannot be the machine observed (with ``partner``), or None."""
        for strong in (Rule.SERIAL, Rule.SYSTEM_UUID, Rule.MACHINE_ID, Rule.SNMP_ENGINE_ID):
            if partner is None and strong >= rule:
                break
            why = _disjoint(asset, usable, partner, strong)
            if why:
                return why
        if rule >= Rule.HOSTNAME and (why := _disjoint(asset, usable, partner, Rule.MAC)):
            return why
        if rule is Rule.IP:
            # Any NIC seen, even a virtual or randomised one, tells two machines apart.
            mine_macs = asset.all_values(Rule.MAC)
            theirs_macs = {c.value for c in claims if c.rule is Rule.MAC}
            if mine_macs and theirs_macs and mine_macs.isdisjoint(theirs_macs):
                return f"{asset.label} has NIC {min(mine_macs)}, this has {min(theirs_macs)}"
            theirs = next((c.value for c in usable if c.rule is Rule.HOSTNAME), None)
            if theirs is None and partner is not None:
                theirs = partner.values.get("hostname")
            mine = asset.values.get("hostname")
            if mine and theirs and mine != theirs:
                return f"{asset.label} is named {mine!r}, not {theirs!r}"
        return None

    def _clone_evidence(self, asset: AssetState, prepared: Prepared) -> str | None:
        """Detect a clone: the same UUID, but other NICs and another name."""
        theirs_macs = {c.value for c in prepared.claims if c.rule is Rule.MAC}
        mine_macs = asset.all_values(Rule.MAC)
        theirs_host = prepared.attributes.get("hostname", (None, ""))[0]
        mine_host = asset.values.get("hostname")
        if (
            mine_macs
            and theirs_macs
            and mine_macs.isdisjoint(theirs_macs)
            and mine_host
            and theirs_host
            and mine_host != theirs_host
        ):
            return (
                f"{asset.label} is {mine_host!r} with MACs {', '.join(sorted(mine_macs))}; "
                f"this is {theirs_host!r} with {', '.join(sorted(theirs_macs))}"
            )
        return None

    def _contradicted(self, run: _Run, claim: Claim, holder: IdentifierState, why: str) -> None:
        if claim.rule in (Rule.HOSTNAME, Rule.IP):
            run.moves.append((claim, holder, why))
        else:
            run.shares.append((claim, holder.asset.live(), why))

    # -- creating, merging, settling -----------------------------------------

    def _create(self, prepared: Prepared) -> AssetState:
        asset_id = self._allocate_asset_id()
        asset = AssetState(
            id=asset_id,
            label=f"#{asset_id}",
            new=True,
            values={"kind": "unknown", "status": "active"},
            provenance={},
            first_seen=prepared.at,
            last_seen=prepared.at,
        )
        self.ws.new_assets.append(asset)
        return asset

    def _merge(self, run: _Run, a: AssetState, b: AssetState, claim: Claim) -> AssetState:
        """Fold one asset into the other (the older survives) and return the survivor."""
        survivor, loser = sorted((a, b), key=lambda s: (s.first_seen, s.id))
        loser.merged_into = survivor
        self.ws.merges.append((loser, survivor))
        self._merge_identifiers(survivor, loser)
        for name, entry in loser.provenance.items():
            current = survivor.provenance.get(name)
            current_value = (
                (current or {}).get("digest")
                if name in CHILD_FIELDS
                else (survivor.values.get(name))
            )
            if not _wins(
                name, _entry_claim(entry, loser.values.get(name)), current, current_value
            ):
                continue
            survivor.provenance[name] = entry
            survivor.changed.add("provenance")
            if name in CHILD_FIELDS:
                self.ws.child_ops.append(ChildOp(survivor, name, None, source_asset=loser))
            elif survivor.values.get(name) != loser.values.get(name):
                self._change(run, survivor, name, survivor.values.get(name), loser.values[name])
                survivor.values[name] = loser.values[name]
                survivor.changed.add(name)
        for source, (first, last) in loser.seen_by.items():
            seen = survivor.seen_by.setdefault(source, [first, last])
            seen[0], seen[1] = min(seen[0], first), max(seen[1], last)
            survivor.seen_dirty.add(source)
        survivor.first_seen = min(survivor.first_seen, loser.first_seen)
        survivor.last_seen = max(survivor.last_seen, loser.last_seen)
        survivor.values["status"] = _merged_status(survivor, loser)
        survivor.changed.update(("first_seen", "last_seen", "status"))
        note = f"merged {loser.label} into {survivor.label}: same machine by {claim.describe()}"
        run.merged.append(loser.label)
        self._record_change(run, survivor, "merged", loser.label, survivor.label, note)
        logger.debug("%s", note)
        return survivor

    def _merge_identifiers(self, survivor: AssetState, loser: AssetState) -> None:
        for identifier in loser.identifiers:
            existing = survivor.find(identifier.key)
            if existing is None:
                identifier.asset = survivor
                identifier.changed.add("asset_id")
                survivor.identifiers.append(identifier)
                continue
            existing.first_seen = min(existing.first_seen, identifier.first_seen)
            existing.last_seen = max(existing.last_seen, identifier.last_seen)
            existing.changed.update(("first_seen", "last_seen"))
            self.ws.unindex(identifier)
            if existing.usable:
                self.ws.index(existing)
            self._drop(identifier)
        loser.identifiers = []

    def _drop(self, identifier: IdentifierState) -> None:
        if identifier.new:
            self.ws.new_identifiers.remove(identifier)
        else:
            self.ws.dropped_identifiers.append(identifier)

    def _settle(self, run: _Run, target: AssetState) -> None:
        """Share values two machines carry; move names and addresses to the target."""
        for claim, other, why in run.shares:
            if other is target:
                continue
            for holder in self.ws.holders(claim) + [
                i for i in other.identifiers if i.key == claim.key
            ]:
                self._mark_shared(holder, f"also on {target.label}")
            self.ws.shared.add(claim.key)
            kind = "shared_mac" if claim.rule is Rule.MAC else "clone"
            self._conflict(run, kind, claim, other, target, why)
        for claim, holder, why in run.moves:
            other = holder.asset.live()
            if other is target:
                continue
            if claim.rule is Rule.HOSTNAME and other.values.get("hostname") == claim.value:
                self._conflict(run, "duplicate_hostname", claim, other, target, why)
            other.identifiers.remove(holder)
            holder.asset = target
            holder.changed.add("asset_id")
            target.identifiers.append(holder)
            run.notes.append(f"{claim.describe()} moved from {other.label} ({why})")

    def _mark_shared(self, identifier: IdentifierState, note: str) -> None:
        self.ws.unindex(identifier)
        identifier.usable = False
        identifier.shared = True
        identifier.note = note
        identifier.changed.update(("usable", "shared", "note"))

    def _conflict(
        self, run: _Run, kind: str, claim: Claim, asset: AssetState, other: AssetState, why: str
    ) -> None:
        detail = f"{claim.describe()} is on {asset.label} and {other.label}: {why}"
        run.conflicts.append(f"{kind}: {detail}")
        key = (kind, claim.rule.label, claim.value)
        if key in self.ws.open_conflicts:
            return
        self.ws.open_conflicts.add(key)
        prepared = run.prepared
        self.ws.conflicts.append(
            ConflictRecord(
                kind,
                claim.rule.label,
                claim.value,
                asset,
                other,
                run.observation_ref,
                detail,
                prepared.at,
            )
        )
        logger.info("conflict %s: %s", kind, detail)

    # -- writing what was seen ------------------------------------------------

    def _attach(self, run: _Run, target: AssetState, created: bool) -> None:
        prepared = run.prepared
        for claim in prepared.claims:
            existing = self._own(target, claim)
            if existing is not None:
                self._touch_identifier(existing, prepared)
                continue
            if claim.key in self.ws.shared:
                self._add_identifier(
                    target,
                    claim,
                    prepared,
                    usable=False,
                    shared=True,
                    note="shared by machines kept apart",
                )
                continue
            if not claim.usable:
                self._add_identifier(target, claim, prepared, usable=False, note=claim.problem)
                continue
            elsewhere = [h for h in self.ws.holders(claim) if h.asset.live() is not target]
            if elsewhere:
                note = f"also on {elsewhere[0].asset.live().label}"
                self._add_identifier(target, claim, prepared, usable=False, note=note)
                continue
            self._add_identifier(target, claim, prepared, usable=True)
            if not created and claim.rule is not Rule.IP:
                self._record_change(run, target, "identifier", None, claim.describe(), None)
                run.notes.append(f"identifier added: {claim.describe()}")
                run.touched_identity = True

    def _own(self, target: AssetState, claim: Claim) -> IdentifierState | None:
        """Return the target's row for a claim; a serial of unknown vendor is the same row."""
        if claim.rule is not Rule.SERIAL:
            return target.find(claim.key)
        for identifier in target.identifiers:
            if (
                identifier.type == claim.rule.label
                and identifier.value == claim.value
                and (identifier.scope == claim.scope or not identifier.scope or not claim.scope)
            ):
                if claim.scope and not identifier.scope and identifier.usable:
                    self.ws.unindex(identifier)
                    identifier.set_scope(claim.scope)
                    self.ws.index(identifier)
                return identifier
        return None

    def _touch_identifier(self, identifier: IdentifierState, prepared: Prepared) -> None:
        if prepared.at > identifier.last_seen:
            identifier.last_seen = prepared.at
            identifier.changed.add("last_seen")
        if prepared.at < identifier.first_seen:
            identifier.first_seen = prepared.at
            identifier.changed.add("first_seen")

    def _add_identifier(
        self,
        target: AssetState,
        claim: Claim,
        prepared: Prepared,
        *,
        usable: bool,
        shared: bool = False,
        note: str | None = None,
    ) -> None:
        rule, scope, value = claim.key
        identifier = IdentifierState(
            claim.key,
            rule,
            scope,
            value,
            target,
            usable,
            shared,
            note,
            prepared.source,
            prepared.at,
            prepared.at,
        )
        target.identifiers.append(identifier)
        self.ws.new_identifiers.append(identifier)
        self.ws.index(identifier)

    def _apply_attributes(self, run: _Run, target: AssetState, created: bool) -> None:
        prepared = run.prepared
        for name, (value, source) in prepared.attributes.items():
            current = target.provenance.get(name)
            if not _wins(name, (source, prepared.at, value), current, target.values.get(name)):
                continue
            entry: dict[str, Any] = {"source": source, "at": prepared.at_iso}
            if name in prepared.evidence:
                entry["evidence"] = prepared.evidence[name]
            target.provenance[name] = entry
            target.changed.add("provenance")
            old = target.values.get(name)
            if old != value:
                target.values[name] = value
                target.changed.add(name)
                if not created and name not in VOLATILE:
                    self._change(run, target, name, old, value)

    def _apply_children(self, run: _Run, target: AssetState, created: bool) -> None:
        prepared = run.prepared
        for name, rows in prepared.child_sets.items():
            digest = child_digest(rows)
            current = target.provenance.get(name)
            current_digest = current.get("digest") if current else None
            if not _wins(name, (prepared.source, prepared.at, digest), current, current_digest):
                continue
            target.provenance[name] = {
                "source": prepared.source,
                "at": prepared.at_iso,
                "digest": digest,
                "count": len(rows),
            }
            target.changed.add("provenance")
            if digest == current_digest:
                continue
            self.ws.child_ops.append(ChildOp(target, name, rows))
            if not created:
                old_count = current.get("count") if current else None
                self._change(run, target, name, old_count, len(rows), "replaced as a set")

    def _touch(self, run: _Run, target: AssetState, created: bool) -> None:
        prepared = run.prepared
        if target.values.get("status") == "missing" and prepared.at > target.last_seen:
            target.values["status"] = "active"
            target.changed.add("status")
            self._change(
                run, target, "status", "missing", "active", f"seen again by {prepared.source}"
            )
        elif target.values.get("status") in STAFF_STATUSES:
            run.notes.append(f"{target.label} is marked {target.values['status']}")
        if prepared.at < target.first_seen or prepared.at > target.last_seen:
            target.first_seen = min(target.first_seen, prepared.at)
            target.last_seen = max(target.last_seen, prepared.at)
            target.changed.update(("first_seen", "last_seen"))
        seen = target.seen_by.get(prepared.source)
        if seen is None:
            target.seen_by[prepared.source] = [prepared.at, prepared.at]
            target.seen_dirty.add(prepared.source)
        elif prepared.at < seen[0] or prepared.at > seen[1]:
            seen[0], seen[1] = min(seen[0], prepared.at), max(seen[1], prepared.at)
            target.seen_dirty.add(prepared.source)
        if created:
            snapshot = {k: jsonable(v) for k, v in sorted(target.values.items()) if v is not None}
            self._record_change(
                run, target, "created", None, snapshot, f"first seen by {prepared.source}"
            )

    def _change(
        self, run: _Run, asset: AssetState, name: str, old: Any, new: Any, note: str | None = None
    ) -> None:
        run.changes.append(
            FieldChange.model_construct(field=name, old=jsonable(old), new=jsonable(new))
        )
        self._record_change(run, asset, name, old, new, note)

    def _record_change(
        self, run: _Run, asset: AssetState, name: str, old: Any, new: Any, note: str | None
    ) -> None:
        prepared = run.prepared
        self.ws.changes.append(
            ChangeRecord(
                asset,
                name,
                jsonable(old),
                jsonable(new),
                prepared.source,
                prepared.at,
                run.observation_ref,
                note,
            )
        )

    def _outcome(self, run: _Run, created: bool) -> Outcome:
        if run.conflicts:
            return "conflict"
        if created:
            return "created"
        if run.changes or run.merged or run.touched_identity:
            return "updated"
        return "unchanged"

    def _record(
        self, prepared: Prepared, target: AssetState, outcome: str, matched: Claim | None
    ) -> ObservationRecord:
        observation = prepared.observation
        return ObservationRecord(
            content_hash=prepared.content_hash,
            source=prepared.source,
            observed_at=prepared.at,
            site_code=prepared.site_code,
            collector=observation.collector,
            sweep_id=observation.sweep_id,
            asset=target,
            outcome=outcome,
            rule=matched.rule.label if matched else "new",
            payload=prepared.payload,
        )


def _may_be_clone(rule: Rule, prepared: Prepared) -> bool:
    """Whether a strong match could be a clone: UUID-like always, a serial only on VMs.

    A physical machine's serial is burned in; a virtual machine's serial is
    often derived from its UUID and copied with it when the VM is cloned.
    """
    if not rule.is_strong:
        return False
    if rule is not Rule.SERIAL:
        return True
    if prepared.observation.attributes.virtual:
        return True
    macs = [c for c in prepared.claims if c.rule is Rule.MAC]
    serial = next((c.value for c in prepared.claims if c.rule is Rule.SERIAL), "")
    return serial.startswith(VIRTUAL_SERIAL_PREFIXES) or (
        bool(macs) and all((c.problem or "").endswith("virtual NIC") for c in macs)
    )


def _rule_of(identifier: IdentifierState) -> Rule:
    return RULE_BY_LABEL[identifier.type]


def _entry_claim(entry: dict[str, Any], value: Any) -> tuple[str, datetime, Any]:
    compared = entry.get("digest", value)
    return (entry["source"], datetime.fromisoformat(entry["at"]), compared)


def _disjoint(
    asset: AssetState, usable: list[Claim], partner: AssetState | None, rule: Rule
) -> str | None:
    mine = asset.usable_values(rule)
    theirs = {c.value for c in usable if c.rule is rule}
    if partner is not None:
        theirs |= partner.usable_values(rule)
    if mine and theirs and mine.isdisjoint(theirs):
        return (
            f"{asset.label} has {rule.label} {', '.join(sorted(mine))}, "
            f"this has {', '.join(sorted(theirs))}"
        )
    return None


def _merged_status(survivor: AssetState, loser: AssetState) -> str:
    statuses: tuple[str, str] = (
        survivor.values.get("status") or "active",
        loser.values.get("status") or "active",
    )
    for status in statuses:
        if status in STAFF_STATUSES:
            return status
    return "active" if "active" in statuses else statuses[0]
