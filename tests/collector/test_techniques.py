"""The technique registry: every technique a profile may name, found under its own name."""

from muster.collector.profiles import LIVENESS_TECHNIQUES, TECHNIQUES
from muster.collector.techniques import REGISTRY


def test_registry_holds_every_technique_under_its_own_name_in_sweep_order() -> None:
    assert list(REGISTRY) == list(TECHNIQUES)
    assert {name: REGISTRY[name].name for name in REGISTRY} == {name: name for name in TECHNIQUES}
    assert {name for name in REGISTRY if REGISTRY[name].stage == "liveness"} == LIVENESS_TECHNIQUES
