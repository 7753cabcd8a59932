"""The triage table (bpmn/triage.dmn), run by the engine over every dispute type, amount band and
reporting tier: a case never starts below the tier where it was reported, every case gets a start
tier and a room, and personal-status matters are always flagged."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.database import Database
from engine.definitions import read_paths
from engine.runtime import Engine, EngineConfig
from workflows.organisation import DISPUTE_TYPES, TIERS

BPMN = Path(__file__).resolve().parents[2] / "bpmn"
TRIAGE_ONLY = Path(__file__).resolve().parent / "data" / "triage_only.bpmn"
# Each band's edges: no amount, small (<= 5000), medium (<= 50000), large (> 100000).
AMOUNTS = (0, 5000, 5000.01, 50000, 50001, 100000, 100000.01)
PERSONAL_STATUS = {"marriage", "adoption", "parentage"}
SPECIALTY_ROOMS = {
    "medical", "labour", "traffic", "construction", "financial", "family", "consumer",
    "property_management", "land", "debt", "tenancy", "general",
}


@pytest.fixture
def table(db: Database) -> dict[tuple[str, float, str], dict[str, object]]:
    """(dispute type, amount, reporting tier) -> the decision's outputs, for every combination."""
    engine = Engine(db, EngineConfig())
    with engine.transaction() as session:
        engine.deploy(session, read_paths([BPMN / "triage.dmn", TRIAGE_ONLY]), actor="test")
    found = {}
    with engine.transaction() as session:
        for kind in DISPUTE_TYPES:
            for amount in AMOUNTS:
                for origin in TIERS:
                    view = engine.start(session, "triage_only", actor="test", data={
                        "dispute_type": kind, "amount": amount, "origin_tier": origin})
                    assert view.status == "completed", view.error_message
                    found[(kind, amount, origin)] = {
                        k: view.data.get(k) for k in ("start_tier", "room", "personal_status")}
    return found


def test_no_case_starts_below_the_tier_where_it_was_reported(
    table: dict[tuple[str, float, str], dict[str, object]]
) -> None:
    below = {key: out["start_tier"] for key, out in table.items()
             if TIERS.index(str(out["start_tier"])) < TIERS.index(key[2])}
    assert below == {}
    # Every case gets a tier and a room, and personal-status matters are always flagged.
    for (kind, _amount, _origin), out in table.items():
        assert out["start_tier"] in TIERS
        assert out["room"] in SPECIALTY_ROOMS
        assert out["personal_status"] is (kind in PERSONAL_STATUS)
    # Small claims start where they were reported: never "mediated" up tiers by the same unit.
    assert {origin: table[("debt", 5000, origin)]["start_tier"] for origin in TIERS} == {
        "courtyard": "courtyard", "grid": "grid", "village": "village", "town": "town",
        "district": "district",
    }
    assert {origin: table[("neighbour", 50000, origin)]["start_tier"] for origin in TIERS} == {
        "courtyard": "village", "grid": "village", "village": "village", "town": "town",
        "district": "district",
    }
    assert table[("marriage", 0, "town")] == {
        "start_tier": "town", "room": "family", "personal_status": True}
    assert table[("consumer", 5000, "district")]["start_tier"] == "district"
    assert table[("medical", 0, "courtyard")]["start_tier"] == "district"
