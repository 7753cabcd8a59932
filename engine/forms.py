"""Validating the data submitted for a human task against the task's form (a JSON Schema)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jsonschema import Draft202012Validator

from engine.errors import FormValidationError


def validate_form_data(schema: Mapping[str, Any], data: Mapping[str, Any]) -> None:
    """Raise FormValidationError mapping each failing field to its messages."""
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    errors: dict[str, list[str]] = {}
    for error in sorted(validator.iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path]):
        if error.validator == "additionalProperties":
            # One entry per field the form does not have, under that field's own name.
            base = [str(p) for p in error.absolute_path]
            for name in sorted(set(error.instance) - set(error.schema.get("properties", {}))):
                errors.setdefault(".".join([*base, name]), []).append("this field is not part of the form")
            continue
        errors.setdefault(_field(error), []).append(_message(error))
    if errors:
        raise FormValidationError(errors)


def _field(error: Any) -> str:
    path = [str(p) for p in error.absolute_path]
    if error.validator == "required":
        # jsonschema reports a missing property on the object that requires it.
        missing = error.message.split("'")[1] if "'" in error.message else ""
        path.append(missing)
    return ".".join(path) or "_form"


def _message(error: Any) -> str:
    validator, value = error.validator, error.validator_value
    if validator == "required":
        return "this field is required"
    if validator == "type":
        return f"must be of type {value}"
    if validator == "enum":
        return "must be one of: " + ", ".join(str(v) for v in value)
    if validator == "minLength":
        return "must not be empty" if value == 1 else f"must be at least {value} characters"
    if validator == "maxLength":
        return f"must be at most {value} characters"
    if validator == "minimum":
        return f"must be at least {value}"
    if validator == "maximum":
        return f"must be at most {value}"
    if validator == "pattern":
        return "is not in the expected format"
    if validator == "format":
        return f"is not a valid {value}"
    return str(error.message)
