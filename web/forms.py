"""Task forms rendered from their JSON Schema, whatever the task: fields, choices, help, required
markers and conditions from the schema; submitted values coerced to the schema's types; the
engine's validation messages put next to their fields in the page's language.

Titles and descriptions in the deployed forms are looked up in the catalogue (web/process_texts.py
marks the bundled ones), so a form reads in Chinese or English; a text the catalogue does not know
is shown as the form has it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from engine.forms import resolve_references
from web.process_texts import text

TEXTAREA_FROM = 300  # strings allowed this long or longer get a text area
RADIO_UP_TO = 4  # choices shown as radio buttons (easier on a phone) up to this many
FORM_ERRORS = "_form"


@dataclass(frozen=True)
class Choice:
    """One option of a choice field."""

    value: str
    label: str


@dataclass
class FormField:
    """A field as the template draws it."""

    name: str
    kind: str  # text, textarea, number, integer, date, radio, select, boolean, checkboxes, roster
    label: str
    help: str = ""
    required: bool = False
    conditions: list[str] = field(default_factory=list)
    choices: list[Choice] = field(default_factory=list)
    value: str = ""
    values: list[str] = field(default_factory=list)  # checkboxes
    errors: list[str] = field(default_factory=list)
    attrs: dict[str, Any] = field(default_factory=dict)
    # Shown only while the field ``shown_when`` has one of ``shown_values`` (else not asked).
    shown_when: str = ""
    shown_values: list[str] = field(default_factory=list)


def fields_of(
    schema: Mapping[str, Any],
    values: Mapping[str, Any],
    errors: Mapping[str, list[str]] | None = None,
    *,
    choices: Mapping[str, list[Choice]] | None = None,
    data: Mapping[str, Any] | None = None,
) -> list[FormField]:
    """The fields of a form, filled with ``values`` (typed data or submitted strings), with the
    limits that apply to the task whose data is ``data`` (a date's earliest day); ``choices``: the
    people a person field (``x-roster``) may name, by field."""
    errors = errors or {}
    schema = resolve_references(schema, {}, data or {})
    required = set(schema.get("required", []))
    properties: Mapping[str, Any] = schema.get("properties", {})
    conditions = _conditions(schema)
    shown = _shown_when(schema)
    fields: list[FormField] = []
    for name, prop in properties.items():
        item = FormField(
            name=name,
            kind=_kind(prop),
            label=text(prop.get("title") or name),
            help=text(prop.get("description") or ""),
            required=name in required,
            conditions=conditions.get(name, []),
            errors=list(errors.get(name, [])),
        )
        if name in shown and name not in required:
            item.shown_when, item.shown_values = shown[name]
        _fill(item, prop, values.get(name))
        if choices and name in choices:
            item.kind, item.choices, item.attrs = "roster", list(choices[name]), {}
        fields.append(item)
    return fields


def form_errors(errors: Mapping[str, list[str]], schema: Mapping[str, Any]) -> list[str]:
    """Messages that belong to no field of the form (shown above it)."""
    properties = schema.get("properties", {})
    return [m for name, messages in errors.items() if name not in properties for m in messages]


def read_submission(schema: Mapping[str, Any], form: MultiDict[str, str]) -> dict[str, Any]:
    """The submitted values typed as the schema says; empty fields are left out, so a required
    one is reported missing.  A value that cannot be converted is passed on as typed, for the
    engine's validation to name."""
    data: dict[str, Any] = {}
    for name, prop in schema.get("properties", {}).items():
        kind = _kind(prop)
        if kind == "checkboxes":
            chosen = [v for v in form.getlist(name) if v]
            if chosen:
                data[name] = chosen
            continue
        raw = (form.get(name) or "").strip()
        if raw == "":
            continue
        data[name] = _coerce(kind, raw)
    return data


def prefill(schema: Mapping[str, Any], data: Mapping[str, Any]) -> dict[str, Any]:
    """The values of the process data a form's fields are filled with (matching names only)."""
    properties = schema.get("properties", {})
    return {name: data[name] for name in properties if data.get(name) is not None}


def translate_errors(field_errors: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    """The engine's messages (English, fixed phrases) in the page's language, by field."""
    return {name: [translate_message(m) for m in messages]
            for name, messages in field_errors.items()}


_MESSAGES: list[tuple[re.Pattern[str], Any]] = [
    (re.compile(r"^this field is required$"), lambda m: _("This field is required.")),
    (re.compile(r"^must not be empty$"), lambda m: _("This field is required.")),
    (re.compile(r"^must be of type (number)$"), lambda m: _("Enter a number.")),
    (re.compile(r"^must be of type (integer)$"), lambda m: _("Enter a whole number.")),
    (re.compile(r"^must be of type (boolean)$"), lambda m: _("Answer yes or no.")),
    (re.compile(r"^must be of type .*$"), lambda m: _("This value has the wrong kind.")),
    (re.compile(r"^must be one of: .*$"), lambda m: _("Choose one of the options.")),
    (re.compile(r"^must be at least (\d+) characters$"),
     lambda m: _("Enter at least %(count)s characters.", count=m.group(1))),
    (re.compile(r"^must be at most (\d+) characters$"),
     lambda m: _("Enter at most %(count)s characters.", count=m.group(1))),
    (re.compile(r"^must be at least (.+)$"),
     lambda m: _("Enter %(value)s or more.", value=_number(m.group(1)))),
    (re.compile(r"^must be at most (.+)$"),
     lambda m: _("Enter %(value)s or less.", value=_number(m.group(1)))),
    (re.compile(r"^is not a valid date$"), lambda m: _("Enter a date.")),
    (re.compile(r"^must be on or after (\d{4}-\d{2}-\d{2})$"),
     lambda m: _("Enter a date on or after %(date)s.", date=m.group(1))),
    (re.compile(r"^must be on or before (\d{4}-\d{2}-\d{2})$"),
     lambda m: _("Enter a date on or before %(date)s.", date=m.group(1))),
    (re.compile(r"^must be a multiple of 0?\.(0*1)$"),
     lambda m: _("Enter at most %(count)s decimal places.", count=len(m.group(1)))),
    (re.compile(r"^must be a multiple of (.+)$"),
     lambda m: _("Enter a multiple of %(value)s.", value=_number(m.group(1)))),
    (re.compile(r"^this answer is not allowed in the case's present state$"),
     lambda m: _("This answer is not possible at this stage of the case.")),
    (re.compile(r"^is not in the expected format$"),
     lambda m: _("This is not in the expected format.")),
    (re.compile(r"^this field is not part of the form$"),
     lambda m: _("This field is not part of the form.")),
    (re.compile(r".* is not valid under any of the given schemas$"),
     lambda m: _("Choose one of the options.")),
    (re.compile(r".* was expected$"), lambda m: _("This answer is not allowed here.")),
    (re.compile(r".* should not be valid under .*"),
     lambda m: _("Some of these answers do not go together; check the hints by the fields.")),
    (re.compile(r".* is too short$"), lambda m: _("Choose at least one.")),
]


def translate_message(message: str) -> str:
    """One engine message in the page's language: a form's own message (``errorMessage``) as the
    catalogue has it, a generic one for unknown phrasing."""
    for pattern, make in _MESSAGES:
        found = pattern.match(message)
        if found:
            return str(make(found))
    if not message.isascii() or text(message) != message:
        return text(message)
    return _("This value is not accepted.")


# -- schema reading ------------------------------------------------------------------------------

def _kind(prop: Mapping[str, Any]) -> str:
    kind = prop.get("type")
    if kind == "array":
        return "checkboxes"
    if kind == "boolean":
        return "boolean"
    if kind == "integer":
        return "integer"
    if kind == "number":
        return "number"
    if prop.get("oneOf") or prop.get("enum"):
        return "radio" if len(_raw_choices(prop)) <= RADIO_UP_TO else "select"
    if prop.get("format") == "date":
        return "date"
    if (prop.get("maxLength") or 0) >= TEXTAREA_FROM:
        return "textarea"
    return "text"


def _raw_choices(prop: Mapping[str, Any]) -> list[tuple[Any, str]]:
    if prop.get("oneOf"):
        return [(o.get("const"), o.get("title") or str(o.get("const")))
                for o in prop["oneOf"] if "const" in o]
    return [(v, str(v)) for v in prop.get("enum", [])]


def _choices(prop: Mapping[str, Any]) -> list[Choice]:
    return [Choice(_as_text(value), text(title)) for value, title in _raw_choices(prop)]


def _fill(item: FormField, prop: Mapping[str, Any], value: Any) -> None:
    kind = item.kind
    if kind == "checkboxes":
        item.choices = _choices(prop.get("items", {}))
        if isinstance(value, (list, tuple)):
            item.values = [_as_text(v) for v in value]
        elif isinstance(value, str) and value:
            item.values = [value]
        return
    if kind in ("radio", "select"):
        item.choices = _choices(prop)
    elif kind == "boolean":
        item.choices = [Choice("true", _("Yes")), Choice("false", _("No"))]
    item.value = "" if value is None else _as_text(value)
    if kind in ("text", "textarea") and prop.get("maxLength"):
        item.attrs["maxlength"] = prop["maxLength"]
    if kind in ("number", "integer"):
        for key in ("minimum", "maximum"):
            if isinstance(prop.get(key), (int, float)):
                item.attrs["min" if key == "minimum" else "max"] = prop[key]
        step = prop.get("multipleOf")
        item.attrs["step"] = "1" if kind == "integer" else (
            _number(str(step)) if isinstance(step, (int, float)) else "any")
        item.attrs["inputmode"] = "numeric" if kind == "integer" else "decimal"
    if kind == "date":
        for key, attr in (("formatMinimum", "min"), ("formatMaximum", "max")):
            if isinstance(prop.get(key), str):
                item.attrs[attr] = prop[key][:10]


def _conditions(schema: Mapping[str, Any]) -> dict[str, list[str]]:
    """Field -> "required when X is Y" hints from the schema's if/then rules."""
    properties = schema.get("properties", {})
    hints: dict[str, list[str]] = {}
    for rule in schema.get("allOf", []):
        when = (rule.get("if") or {}).get("properties") or {}
        then = rule.get("then") or {}
        if len(when) != 1 or not then.get("required"):
            continue
        (subject, test), = when.items()
        if "const" not in test or subject not in properties:
            continue
        label = text(properties[subject].get("title") or subject)
        answer = _answer_label(properties[subject], test["const"])
        for name in then["required"]:
            hints.setdefault(name, []).append(
                _("Required when “%(field)s” is “%(answer)s”.", field=label, answer=answer)
            )
    return hints


def _shown_when(schema: Mapping[str, Any]) -> dict[str, tuple[str, list[str]]]:
    """Field -> (subject, answers): fields the schema asks for only under if/then rules on one
    subject field, shown while that field has one of those answers."""
    found: dict[str, tuple[str, list[str]]] = {}
    mixed: set[str] = set()
    for rule in schema.get("allOf", []):
        when = (rule.get("if") or {}).get("properties") or {}
        then = rule.get("then") or {}
        if len(when) != 1:
            continue
        (subject, test), = when.items()
        if "const" not in test:
            continue
        for name in then.get("required", []):
            previous = found.get(name)
            if previous is not None and previous[0] != subject:
                mixed.add(name)
                continue
            answers = previous[1] if previous else []
            found[name] = (subject, [*answers, _as_text(test["const"])])
    return {name: shown for name, shown in found.items() if name not in mixed}


def _answer_label(prop: Mapping[str, Any], value: Any) -> str:
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    for choice_value, title in _raw_choices(prop):
        if choice_value == value:
            return text(title)
    return str(value)


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _coerce(kind: str, raw: str) -> Any:
    if kind == "boolean":
        return {"true": True, "false": False}.get(raw, raw)
    if kind == "integer":
        return int(raw) if re.fullmatch(r"[+-]?\d{1,15}", raw) else raw
    if kind == "number":
        if re.fullmatch(r"[+-]?\d{1,15}", raw):
            return int(raw)
        try:
            number = float(raw)
        except ValueError:
            return raw
        return number if number == number and abs(number) != float("inf") else raw
    return raw


def _number(value: str) -> str:
    try:
        number = float(value)
    except ValueError:
        return value
    return str(int(number)) if number.is_integer() else value
