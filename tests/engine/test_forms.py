"""Form validation: JSON Schema with the additions for rules that span fields or read the task's
data ($data references, date bounds, taskData, errorMessage) and exact decimal steps."""

from __future__ import annotations

from typing import Any

import pytest

from engine.errors import FormValidationError
from engine.forms import resolve_references, schema_problem, validate_form_data


def errors(schema: dict[str, Any], data: dict[str, Any], context: dict[str, Any] | None = None
           ) -> dict[str, list[str]]:
    try:
        validate_form_data(schema, data, context=context)
    except FormValidationError as refused:
        return refused.field_errors
    return {}


AGREEMENT = {
    "type": "object",
    "properties": {
        "signed_on": {"type": "string", "format": "date"},
        "deadline": {"type": "string", "format": "date",
                     "formatMinimum": {"$data": "signed_on"}},
        "amount": {"type": "number", "minimum": 0, "multipleOf": 0.01},
    },
}


def test_a_date_may_not_come_before_another_field_or_a_date_of_the_task() -> None:
    assert errors(AGREEMENT, {"signed_on": "2026-03-05", "deadline": "2026-03-04"}) == {
        "deadline": ["must be on or after 2026-03-05"]}
    assert errors(AGREEMENT, {"signed_on": "2026-03-05", "deadline": "2026-03-05"}) == {}
    # Not in the form: read from the task's data (a date-time counts by its Shanghai date).
    assert errors(AGREEMENT, {"deadline": "2026-03-04"},
                  {"signed_on": "2026-03-04T16:30:00+00:00"}) == {
        "deadline": ["must be on or after 2026-03-05"]}
    # Nothing to compare with: no bound.
    assert errors(AGREEMENT, {"deadline": "2020-01-01"}, {}) == {}
    latest = {"properties": {"on": {"type": "string", "format": "date",
                                    "formatMaximum": "2026-03-31"}}}
    assert errors(latest, {"on": "2026-04-01"}) == {"on": ["must be on or before 2026-03-31"]}


def test_decimal_steps_are_exact() -> None:
    for fine in (0.29, 1500.5, 2000, 0.01, 99999999.99):
        assert errors(AGREEMENT, {"amount": fine}) == {}, fine
    assert errors(AGREEMENT, {"amount": 10.123}) == {"amount": ["must be a multiple of 0.01"]}


def test_task_data_rules_refuse_an_answer_while_the_case_does_not_allow_it() -> None:
    schema = {
        "type": "object",
        "properties": {"outcome": {"enum": ["agreement", "extend"]}},
        "allOf": [{
            "if": {"properties": {"outcome": {"const": "extend"}}, "required": ["outcome"]},
            "then": {"properties": {"outcome": {
                "taskData": {"properties": {"extensions_left": {"exclusiveMinimum": 0}}},
                "errorMessage": "本级延期次数已达上限",
            }}},
        }],
    }
    assert errors(schema, {"outcome": "extend"}, {"extensions_left": 1}) == {}
    assert errors(schema, {"outcome": "extend"}, {"extensions_left": 0}) == {
        "outcome": ["本级延期次数已达上限"]}
    assert errors(schema, {"outcome": "agreement"}, {"extensions_left": 0}) == {}
    del schema["allOf"][0]["then"]["properties"]["outcome"]["errorMessage"]
    assert errors(schema, {"outcome": "extend"}, {"extensions_left": 0}) == {
        "outcome": ["this answer is not allowed in the case's present state"]}


def test_error_messages_by_keyword_replace_the_generic_ones() -> None:
    schema = {"properties": {"days": {"type": "integer", "minimum": 1,
                                      "maximum": {"$data": "days_left"},
                                      "errorMessage": {"maximum": "超过可延长的天数"}}}}
    assert errors(schema, {"days": 5}, {"days_left": 3}) == {"days": ["超过可延长的天数"]}
    assert errors(schema, {"days": 0}, {"days_left": 3}) == {"days": ["must be at least 1"]}
    assert errors(schema, {"days": 3}, {"days_left": 3}) == {}


def test_resolved_schemas_show_the_limits_that_apply() -> None:
    resolved = resolve_references(AGREEMENT, {}, {"signed_on": "2026-03-05"})
    assert resolved["properties"]["deadline"]["formatMinimum"] == "2026-03-05"
    assert "formatMinimum" not in resolve_references(AGREEMENT, {}, {})["properties"]["deadline"]
    # The form as deployed is not changed.
    assert AGREEMENT["properties"]["deadline"]["formatMinimum"] == {"$data": "signed_on"}


@pytest.mark.parametrize("schema, problem", [
    (AGREEMENT, None),
    ({"properties": {"n": {"maximum": {"$data": "limit"}}}}, None),
    ({"properties": {"n": {"taskData": {"type": "nonsense"}}}}, "not a valid JSON Schema"),
    ({"properties": {"n": {"maximum": "ten"}}}, "not a valid JSON Schema at properties/n/maximum"),
    ([], "a form must be a JSON Schema object"),
])
def test_the_definition_check_knows_the_additions(schema: Any, problem: str | None) -> None:
    found = schema_problem(schema)
    assert (found is None) if problem is None else (problem in (found or "")), found
