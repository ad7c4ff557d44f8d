"""What ingest tells its caller: one explained Decision per Observation."""

from typing import Any, Literal

from pydantic import BaseModel, Field

Outcome = Literal["created", "updated", "unchanged", "conflict"]


class FieldChange(BaseModel):
    """One attribute of the asset changed."""

    field: str
    old: Any = None
    new: Any = None


class Decision(BaseModel):
    """What ingest did with one Observation, and why."""

    index: int = Field(description="Position of the Observation in the batch, from 0.")
    outcome: Outcome
    asset_id: int | None = Field(description="The asset it now belongs to.")
    asset: str = Field(description="The asset as shown to people, e.g. #12.")
    rule: str = Field(description="Identity rule that matched, 'new' or 'duplicate'.")
    matched: str | None = Field(None, description="The identifier that matched.")
    changes: list[FieldChange] = Field(default_factory=list)
    merged: list[str] = Field(default_factory=list, description="Assets merged into it.")
    conflicts: list[str] = Field(default_factory=list)
    ignored: list[str] = Field(
        default_factory=list, description="Identifiers not used for identity, and why."
    )
    notes: list[str] = Field(default_factory=list)

    @property
    def explanation(self) -> str:
        """One paragraph saying what happened and why."""
        if self.rule == "duplicate":
            head = f"unchanged: already ingested, belongs to {self.asset}"
        elif self.rule == "new":
            head = f"created {self.asset}: no usable identifier matched a known asset"
        else:
            head = f"{self.outcome}: matched {self.asset} by {self.matched}"
        parts = [head]
        parts += [f"merged {merged}" for merged in self.merged]
        parts += [f"{c.field}: {c.old!r} -> {c.new!r}" for c in self.changes]
        parts += [f"conflict: {conflict}" for conflict in self.conflicts]
        parts += [f"not used: {ignored}" for ignored in self.ignored]
        parts += self.notes
        return "; ".join(parts)


class IngestReport(BaseModel):
    """The decisions for a batch, in the order the Observations were given."""

    dry_run: bool
    decisions: list[Decision]

    def counts(self) -> dict[str, int]:
        """How many Observations ended in each outcome."""
        totals = {"created": 0, "updated": 0, "unchanged": 0, "conflict": 0}
        for decision in self.decisions:
            totals[decision.outcome] += 1
        return totals
