"""Tiers, lanes bound to groups, and case numbers taken from the real database."""

from __future__ import annotations

import threading

import pytest

from engine.database import Database
from engine.views import LaneContext
from workflows.numbering import DEFAULT_FORMATS, check_format, current_serial, next_case_number
from workflows.organisation import (
    Membership,
    candidate_group,
    groups_of,
    next_tier,
    resolve_group,
)


def test_tiers_escalate_one_step_up_and_stop_at_the_district():
    assert [next_tier(t) for t in ("courtyard", "grid", "village", "town", "district")] == [
        "grid", "village", "town", "district", None,
    ]
    with pytest.raises(ValueError, match="unknown tier 'county'"):
        next_tier("county")


def test_lanes_bind_to_the_role_in_the_case_unit_or_its_court():
    data = {"org_unit": "GRID-0101", "court": "COURT-RC"}
    assert resolve_group(LaneContext("调解员", "mediate", "p", data)) == "mediator:GRID-0101"
    assert resolve_group(LaneContext("法官", "court_review", "p", data)) == "judge:COURT-RC"
    assert resolve_group(LaneContext("院长", "approve", "p", data)) == "court_president:COURT-RC"
    assert resolve_group(LaneContext("调度员", "dispatch", "p", {})) == "dispatcher"
    assert resolve_group(LaneContext("调度员", "designate_mediator", "p", {**data, "office": "RC-OFFICE"})) == (
        "dispatcher:RC-OFFICE"
    )
    assert resolve_group(LaneContext("Reviewers", "x", "p", data)) == "Reviewers"
    assert resolve_group(LaneContext(None, "x", "p", data)) is None


def test_a_mediator_sees_their_own_unit_queue_and_no_other():
    groups = groups_of([Membership("mediator", "GRID-0101")])
    assert candidate_group("mediator", "GRID-0101") in groups
    assert candidate_group("mediator", "GRID-0102") not in groups
    with pytest.raises(ValueError, match="unknown role 'boss'"):
        candidate_group("boss", "X")


def test_case_numbers_follow_their_format_and_restart_each_year(db: Database):
    with db.transaction() as s:
        first = next_case_number(s, "people_mediation", year=2026)
        second = next_case_number(s, "people_mediation", year=2026)
        court = next_case_number(s, "judicial_confirmation", year=2026)
        next_year = next_case_number(s, "people_mediation", year=2027)
    assert (first, second) == ("(2026)渝荣调字第00001号", "(2026)渝荣调字第00002号")
    assert court == "(2026)渝0151民特1号"
    assert next_year == "(2027)渝荣调字第00001号"
    with pytest.raises(ValueError, match="no case-number format for 'other'"):
        with db.transaction() as s:
            next_case_number(s, "other", year=2026)


def test_concurrent_intakes_never_share_a_case_number(db: Database):
    taken: list[str] = []
    barrier = threading.Barrier(5)

    def take() -> None:
        barrier.wait()
        for _ in range(4):
            with db.transaction() as s:
                taken.append(next_case_number(s, "pre_litigation", year=2026))

    threads = [threading.Thread(target=take) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(taken) == len(set(taken)) == 20
    with db.reading() as s:
        assert current_serial(s, "pre_litigation", 2026) == 20


@pytest.mark.parametrize(
    ("pattern", "phrase"),
    [("({year})第{number}号", "not valid"), ("({year})号", "must contain {seq}")],
)
def test_a_bad_number_format_is_refused_with_the_reason(pattern: str, phrase: str):
    with pytest.raises(ValueError, match=phrase):
        check_format(pattern)
    for good in DEFAULT_FORMATS.values():
        check_format(good)
