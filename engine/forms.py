"""Validating the data submitted for a human task against the task's form (a JSON Schema).

Forms are JSON Schemas (draft 2020-12).  A few additions let a form state rules that depend on
more than one field, or on the case the task belongs to:

``{"$data": "name"}``
    in place of any keyword's value: the value of the submitted field ``name``, or else of
    ``name`` in the task's data (a dotted name reads into objects).  A keyword whose reference
    finds nothing is left out.  Example: ``"formatMinimum": {"$data": "ruled_on"}``.
``formatMinimum`` / ``formatMaximum``
    the earliest / latest value of a ``"format": "date"`` field (an ISO date; a date-time counts
    by its date in China Standard Time).
``taskData``
    a schema the task's data must satisfy for the answer to be accepted; it fails where it
    stands, so inside ``then`` it refuses one answer while the case is not in that condition.
    Example: refuse ``"outcome": "extend"`` once ``extensions_left`` is 0.
``errorMessage``
    the message to give instead of the generic one when a keyword of this schema fails: a text
    for all its keywords, or texts by keyword (``{"maximum": "..."}``).

``multipleOf`` is checked in decimal arithmetic, so 0.29 is a multiple of 0.01 (in binary
floating point it is not).  Messages are short English phrases (``must be at least 3``) that the
application translates; an ``errorMessage`` is passed on as written.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from jsonschema import Draft202012Validator, validators
from jsonschema.exceptions import SchemaError, ValidationError

from engine.clock import SHANGHAI
from engine.errors import FormValidationError

DATA_REFERENCE = "$data"
_REFUSED = "taskDataRefused"  # what a failed ``taskData`` becomes before validation
_MISSING = object()


def validate_form_data(
    schema: Mapping[str, Any],
    data: Mapping[str, Any],
    *,
    context: Mapping[str, Any] | None = None,
) -> None:
    """Raise FormValidationError mapping each failing field to its messages.

    ``context`` is the task's data: what ``$data`` references and ``taskData`` rules read.
    """
    resolved = resolve_references(schema, data, context or {})
    if resolved is schema:  # nothing to work out: the same validator serves every submission
        validator = _remember("form", schema, lambda: _FormValidator(
            schema, format_checker=Draft202012Validator.FORMAT_CHECKER))
    else:
        validator = _FormValidator(resolved, format_checker=Draft202012Validator.FORMAT_CHECKER)
    errors: dict[str, list[str]] = {}
    for error in sorted(validator.iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path]):
        if error.validator == "additionalProperties":
            # One entry per field the form does not have, under that field's own name.
            base = [str(p) for p in error.absolute_path]
            for name in sorted(set(error.instance) - set(error.schema.get("properties", {}))):
                errors.setdefault(".".join([*base, name]), []).append("this field is not part of the form")
            continue
        messages = errors.setdefault(_field(error), [])
        message = _custom_message(error) or _message(error)
        if message not in messages:
            messages.append(message)
    if errors:
        raise FormValidationError(errors)


def resolve_references(
    schema: Mapping[str, Any], data: Mapping[str, Any], context: Mapping[str, Any]
) -> Mapping[str, Any]:
    """``schema`` with its ``$data`` references and ``taskData`` rules worked out for this task.

    A renderer may use it too, to show the limits that apply (a date field's earliest day).  A
    schema without additions is returned as it is (not to be changed).
    """
    if not _has_additions(schema):
        return schema
    return dict(_resolve(schema, data, context))


def schema_problem(schema: Any) -> str | None:
    """Why ``schema`` is not a usable form (None when it is): the JSON Schema check, with the
    additions above taken into account."""
    if not isinstance(schema, dict):
        return "a form must be a JSON Schema object"
    try:
        Draft202012Validator.check_schema(_without_references(schema))
        for rule in _task_data_rules(schema):
            Draft202012Validator.check_schema(rule)
    except SchemaError as error:
        where = "/".join(str(p) for p in error.absolute_path) or "the top level"
        return f"not a valid JSON Schema at {where}: {_shorten(error.message, 200)}"
    except RecursionError:
        return "not a usable JSON Schema: nested too deeply"
    return None


# -- the additions -------------------------------------------------------------------------------


def _resolve(node: Any, data: Mapping[str, Any], context: Mapping[str, Any]) -> Any:
    if isinstance(node, list):
        return [_resolve(item, data, context) for item in node]
    if not isinstance(node, dict):
        return node
    resolved: dict[str, Any] = {}
    for key, value in node.items():
        if key == "taskData" and isinstance(value, dict):
            if not _task_data_accepts(value, context):
                resolved[_REFUSED] = True
            continue
        if _is_reference(value):
            found = _lookup(value[DATA_REFERENCE], data, context)
            if found is not _MISSING:
                resolved[key] = found
            continue
        resolved[key] = _resolve(value, data, context)
    return resolved


def _is_reference(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {DATA_REFERENCE} and \
        isinstance(value[DATA_REFERENCE], str)


def _lookup(name: str, data: Mapping[str, Any], context: Mapping[str, Any]) -> Any:
    for source in (data, context):
        found: Any = source
        for part in name.split("."):
            if not isinstance(found, Mapping) or part not in found:
                found = _MISSING
                break
            found = found[part]
        if found is not _MISSING and found is not None:
            return found
    return _MISSING


def _task_data_accepts(rule: Mapping[str, Any], context: Mapping[str, Any]) -> bool:
    return bool(_remember("validator", rule, lambda: _FormValidator(rule)).is_valid(dict(context)))


# Deployed forms are long-lived objects: what is learnt about one is kept by its identity (with a
# reference to it, so that the identity cannot be reused while the entry lives).
_KNOWN: dict[tuple[str, int], tuple[Any, Any]] = {}
_KNOWN_LIMIT = 512


def _remember(kind: str, schema: Any, make: Any) -> Any:
    key = (kind, id(schema))
    found = _KNOWN.get(key)
    if found is None or found[0] is not schema:
        if len(_KNOWN) >= _KNOWN_LIMIT:
            _KNOWN.clear()
        found = (schema, make())
        _KNOWN[key] = found
    return found[1]


def _has_additions(schema: Mapping[str, Any]) -> bool:
    return bool(_remember("additions", schema, lambda: _mentions_additions(schema)))


def _mentions_additions(node: Any) -> bool:
    if isinstance(node, list):
        return any(_mentions_additions(item) for item in node)
    if isinstance(node, dict):
        return "taskData" in node or _is_reference(node) or any(
            _mentions_additions(value) for value in node.values())
    return False


def _without_references(node: Any) -> Any:
    if isinstance(node, list):
        return [_without_references(item) for item in node]
    if not isinstance(node, dict):
        return node
    return {key: _without_references(value) for key, value in node.items()
            if not _is_reference(value) and key != "taskData"}


def _task_data_rules(node: Any) -> Iterator[Any]:
    if isinstance(node, list):
        for item in node:
            yield from _task_data_rules(item)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key == "taskData":
                yield value
            else:
                yield from _task_data_rules(value)


def _date_bound(bound: str, earliest: bool) -> Any:
    def check(
        validator: Any, limit: Any, instance: Any, schema: Mapping[str, Any]
    ) -> Iterator[Any]:
        if not isinstance(instance, str):
            return
        value, boundary = _as_date(instance), _as_date(limit)
        if value is None or boundary is None:
            return  # a malformed date is the format check's to report
        if (value < boundary) if earliest else (value > boundary):
            relation = "on or after" if earliest else "on or before"
            yield ValidationError(f"must be {relation} {boundary.isoformat()}")
    check.__name__ = bound
    return check


def _as_date(value: Any) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        if "T" in value or " " in value.strip():
            moment = datetime.fromisoformat(value)
            if moment.tzinfo is not None:
                moment = moment.astimezone(SHANGHAI)
            return moment.date()
        return date.fromisoformat(value)
    except ValueError:
        return None


def _multiple_of(
    validator: Any, step: Any, instance: Any, schema: Mapping[str, Any]
) -> Iterator[Any]:
    if not validator.is_type(instance, "number"):
        return
    try:
        remainder = Decimal(str(instance)) % Decimal(str(step))
    except (InvalidOperation, ArithmeticError):
        yield ValidationError(f"must be a multiple of {step}")
        return
    if remainder != 0:
        yield ValidationError(f"must be a multiple of {step}")


def _refused(validator: Any, value: Any, instance: Any, schema: Mapping[str, Any]) -> Iterator[Any]:
    if value:
        yield ValidationError("this answer is not allowed in the case's present state")


_FormValidator = validators.extend(
    Draft202012Validator,
    {
        "formatMinimum": _date_bound("formatMinimum", earliest=True),
        "formatMaximum": _date_bound("formatMaximum", earliest=False),
        "multipleOf": _multiple_of,
        _REFUSED: _refused,
    },
)


# -- messages ------------------------------------------------------------------------------------


def _field(error: Any) -> str:
    path = [str(p) for p in error.absolute_path]
    if error.validator == "required":
        # jsonschema reports a missing property on the object that requires it.
        missing = error.message.split("'")[1] if "'" in error.message else ""
        path.append(missing)
    return ".".join(path) or "_form"


def _custom_message(error: Any) -> str | None:
    custom = error.schema.get("errorMessage") if isinstance(error.schema, dict) else None
    validator = "taskData" if error.validator == _REFUSED else error.validator
    if isinstance(custom, str) and custom:
        return custom
    if isinstance(custom, dict) and isinstance(custom.get(validator), str):
        return str(custom[validator])
    return None


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


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
