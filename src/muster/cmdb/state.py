"""The in-memory working set one ingest batch reconciles against.

Ingest loads every asset a batch's identifiers can reach, decides in memory,
and writes the outcome back in bulk (``store``). These classes hold that
state and its indexes; they know nothing of SQL.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from muster.cmdb.identity import Claim, Rule

Key = tuple[str, str, str]


@dataclass(eq=False, slots=True)
class IdentifierState:
    """An identifier row as ingest sees it; ``key`` is (type, scope, value)."""

    key: Key
    type: str
    scope: str
    value: str
    asset: "AssetState"
    usable: bool
    shared: bool
    note: str | None
    source: str
    first_seen: datetime
    last_seen: datetime
    id: int | None = None
    # Columns changed since the row was read, so only they are written.
    changed: set[str] = field(default_factory=set)

    def set_scope(self, scope: str) -> None:
        """Change the scope (a serial whose vendor became known), keeping the key right."""
        self.scope = scope
        self.key = (self.type, scope, self.value)
        self.changed.add("scope")

    @property
    def new(self) -> bool:
        """True until the row is written."""
        return self.id is None


@dataclass(eq=False, slots=True)
class AssetState:
    """An asset as ingest sees it: attribute values, provenance, identifiers."""

    id: int
    label: str
    values: dict[str, Any]
    provenance: dict[str, dict[str, Any]]
    first_seen: datetime
    last_seen: datetime
    new: bool = False
    identifiers: list[IdentifierState] = field(default_factory=list)
    seen_by: dict[str, list[datetime]] = field(default_factory=dict)
    seen_in_db: set[str] = field(default_factory=set)
    seen_dirty: set[str] = field(default_factory=set)
    merged_into: "AssetState | None" = None
    # Columns changed since the row was read, so only they are written.
    changed: set[str] = field(default_factory=set)

    def live(self) -> "AssetState":
        """Follow merges to the asset that now stands for this one."""
        asset = self
        while asset.merged_into is not None:
            asset = asset.merged_into
        return asset

    def usable_values(self, rule: Rule) -> set[str]:
        """Values of one identifier type that identify this asset."""
        label = rule.label
        return {i.value for i in self.identifiers if i.type == label and i.usable}

    def all_values(self, rule: Rule) -> set[str]:
        """Values of one identifier type seen on this asset, usable or not."""
        label = rule.label
        return {i.value for i in self.identifiers if i.type == label}

    def find(self, key: Key) -> IdentifierState | None:
        """Return this asset's identifier row with that key, if any."""
        for identifier in self.identifiers:
            if identifier.key == key:
                return identifier
        return None


@dataclass(slots=True)
class ChangeRecord:
    asset: AssetState
    field: str
    old: Any
    new: Any
    source: str
    observed_at: datetime
    observation: int
    note: str | None = None


@dataclass(slots=True)
class ConflictRecord:
    kind: str
    identifier_type: str
    identifier_value: str
    asset: AssetState
    other: AssetState | None
    observation: int
    detail: str
    created_at: datetime


@dataclass(slots=True)
class ObservationRecord:
    content_hash: str
    source: str
    observed_at: datetime
    site_code: str | None
    collector: str | None
    sweep_id: int | None
    asset: AssetState | None
    outcome: str
    rule: str | None
    payload: dict[str, Any]


@dataclass(slots=True)
class ChildOp:
    """Replace an asset's child list (interfaces, services, ...) or move another's to it.

    ``rows`` set means replace ``asset``'s list with them; ``rows`` None means
    move ``source_asset``'s list to ``asset``. Ops run in the order recorded.
    """

    asset: AssetState
    field: str
    rows: list[dict[str, Any]] | None
    source_asset: AssetState | None = None


@dataclass
class WorkingSet:
    """Everything one batch reads and writes, indexed for the identity rules."""

    assets: dict[int, AssetState] = field(default_factory=dict)
    new_assets: list[AssetState] = field(default_factory=list)
    usable: dict[Key, IdentifierState] = field(default_factory=dict)
    serials: dict[str, list[IdentifierState]] = field(default_factory=dict)
    shared: set[Key] = field(default_factory=set)
    new_identifiers: list[IdentifierState] = field(default_factory=list)
    dropped_identifiers: list[IdentifierState] = field(default_factory=list)
    changes: list[ChangeRecord] = field(default_factory=list)
    conflicts: list[ConflictRecord] = field(default_factory=list)
    observations: list[ObservationRecord] = field(default_factory=list)
    child_ops: list[ChildOp] = field(default_factory=list)
    merges: list[tuple[AssetState, AssetState]] = field(default_factory=list)
    open_conflicts: set[tuple[str, str, str]] = field(default_factory=set)

    def index(self, identifier: IdentifierState) -> None:
        """Make a loaded or new identifier findable by the rules."""
        if identifier.shared:
            self.shared.add(identifier.key)
        if not identifier.usable:
            return
        self.usable[identifier.key] = identifier
        if identifier.type == Rule.SERIAL.label:
            self.serials.setdefault(identifier.value, []).append(identifier)

    def unindex(self, identifier: IdentifierState) -> None:
        """Stop an identifier from matching (it became shared or was dropped)."""
        if self.usable.get(identifier.key) is identifier:
            del self.usable[identifier.key]
        if identifier.type == Rule.SERIAL.label:
            holders = self.serials.get(identifier.value, [])
            if identifier in holders:
                holders.remove(identifier)

    def release(self) -> None:
        """Break the asset-identifier reference cycles once the batch is written.

        Assets list their identifiers and identifiers point at their asset;
        without the lists the whole working set is freed by reference counting
        as soon as the batch is dropped, without the cyclic garbage collector.
        """
        for asset in (*self.assets.values(), *self.new_assets):
            asset.identifiers = []

    def holders(self, claim: Claim) -> list[IdentifierState]:
        """Usable identifiers matching a claim; serials match across unknown vendors."""
        if claim.rule is Rule.SERIAL:
            return [
                i
                for i in self.serials.get(claim.value, [])
                if not claim.scope or not i.scope or i.scope == claim.scope
            ]
        holder = self.usable.get(claim.key)
        return [] if holder is None else [holder]
