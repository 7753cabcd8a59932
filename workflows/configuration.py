"""The office's settings: product defaults that are not law, and how to override them.

DOMAIN.md's product defaults (mediation period per tier, the medical room's working-day period,
case-number formats, which court and office a case goes to) live here, never in the diagrams.  An
office overrides any of them with a JSON file (``office.json`` in the instance folder)::

    {"tier_periods": {"courtyard": {"days": 3, "unit": "CD"}},
     "room_periods": {"medical": {"days": 30, "unit": "WD"}, "labour": {"days": 15, "unit": "CD"}},
     "case_number_formats": {"people_mediation": "({year})渝荣调字第{seq:05d}号"},
     "chair_assignment_period": {"days": 3, "unit": "WD"},
     "task_periods": {"signing": {"days": 3, "unit": "WD"}},
     "extensions_per_tier": 3,
     "phone": "023-46789012",
     "materials": {"max_bytes": 10485760, "max_per_case": 60, "max_per_upload": 6},
     "sms": {"url": "https://sms.example.net/send", "token_env": "TIAOJIE_SMS_TOKEN",
             "sender": "荣昌调解"}}

``phone`` is the number residents are given on receipts and in messages; ``materials`` limits the
files added to a case; ``sms`` configures the text-message gateway (without it, messages to
parties wait in the outbox for staff to print or phone through).  ``task_periods`` bounds the
waiting human tasks named in ``DEFAULT_TASK_PERIODS``; ``extensions_per_tier`` caps the requests
to extend the mediation period at one tier.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from engine.runtime import EngineConfig
from workflows.deadlines import HolidayCalendar
from workflows.district import COURT, OFFICE, OFFICE_PHONE
from workflows.functions import process_functions
from workflows.materials import MaterialRules
from workflows.notices import SmsGateway
from workflows.numbering import DEFAULT_FORMATS, check_format
from workflows.assignment import bind_task
from workflows.organisation import TIERS, resolve_group

DEFAULT_TIER_PERIODS: Mapping[str, Mapping[str, Any]] = {
    "courtyard": {"days": 5, "unit": "CD"},
    "grid": {"days": 7, "unit": "CD"},
    "village": {"days": 10, "unit": "CD"},
    "town": {"days": 15, "unit": "CD"},
    "district": {"days": 30, "unit": "CD"},
}
DEFAULT_ROOM_PERIODS: Mapping[str, Mapping[str, Any]] = {"medical": {"days": 30, "unit": "WD"}}
# How long a committee chair has to assign a mediator after three dispatch rounds were not
# accepted, before the case goes up a tier (the acceptance rule's 3 working days, by analogy).
DEFAULT_CHAIR_ASSIGNMENT_PERIOD: Mapping[str, Any] = {"days": 3, "unit": "WD"}
# How long a person may leave a task that others wait on before the process moves on without
# them: the mediator drafting the agreement (then it goes back to the unit's queue), the parties
# signing it (then the unsigned agreement does not take effect), the parties choosing what to do
# after the court rejected their agreement (then the choice is recorded as not made).
DEFAULT_TASK_PERIODS: Mapping[str, Mapping[str, Any]] = {
    "drafting": {"days": 3, "unit": "WD"},
    "signing": {"days": 5, "unit": "WD"},
    "after_rejection": {"days": 15, "unit": "CD"},
}
# Requests to extend the mediation period one tier's mediator may make (agreed or not); a further
# request is refused with a message saying so.  An agreed extension never forces escalation.
DEFAULT_EXTENSIONS_PER_TIER = 2


class SettingsError(ValueError):
    """The office settings file is not usable; the message names each problem."""


@dataclass(frozen=True)
class OfficeSettings:
    """Product defaults an office may change."""

    tier_periods: Mapping[str, Mapping[str, Any]] = field(
        default_factory=lambda: dict(DEFAULT_TIER_PERIODS)
    )
    room_periods: Mapping[str, Mapping[str, Any]] = field(
        default_factory=lambda: dict(DEFAULT_ROOM_PERIODS)
    )
    case_number_formats: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_FORMATS))
    chair_assignment_period: Mapping[str, Any] = field(
        default_factory=lambda: dict(DEFAULT_CHAIR_ASSIGNMENT_PERIOD)
    )
    task_periods: Mapping[str, Mapping[str, Any]] = field(
        default_factory=lambda: dict(DEFAULT_TASK_PERIODS)
    )
    extensions_per_tier: int = DEFAULT_EXTENSIONS_PER_TIER
    office: str = OFFICE
    court: str = COURT
    phone: str = OFFICE_PHONE
    materials: MaterialRules = field(default_factory=MaterialRules)
    sms: SmsGateway | None = None

    @classmethod
    def load(cls, path: Path) -> OfficeSettings:
        """The defaults with the overrides in ``path`` (if the file exists)."""
        if not path.exists():
            return cls()
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise SettingsError(f"{path}: cannot be read as JSON: {exc}") from exc
        try:
            loaded = _SettingsSchema().load(raw)
        except ValidationError as exc:
            raise SettingsError(f"{path}: {_flatten(exc.messages)}") from exc
        base = cls()
        return replace(
            base,
            tier_periods={**base.tier_periods, **loaded.get("tier_periods", {})},
            room_periods={**base.room_periods, **loaded.get("room_periods", {})},
            case_number_formats={**base.case_number_formats, **loaded.get("case_number_formats", {})},
            chair_assignment_period=loaded.get("chair_assignment_period",
                                               base.chair_assignment_period),
            task_periods={**base.task_periods, **loaded.get("task_periods", {})},
            extensions_per_tier=loaded.get("extensions_per_tier", base.extensions_per_tier),
            office=loaded.get("office", base.office),
            court=loaded.get("court", base.court),
            phone=loaded.get("phone", base.phone),
            materials=replace(base.materials, **loaded.get("materials", {})),
            sms=SmsGateway(**loaded["sms"]) if loaded.get("sms") else None,
        )


def engine_config(
    *,
    clock: Callable[[], datetime],
    calendar: Callable[[], HolidayCalendar] | HolidayCalendar,
    after_step: Callable[..., None] | None = None,
) -> EngineConfig:
    """The engine as the mediation office runs it: legal-period functions, lanes bound to units."""
    return EngineConfig(
        functions=process_functions(calendar=calendar, clock=clock),
        resolve_group=resolve_group,
        bind_task=bind_task,
        clock=clock,
        after_step=after_step,
    )


class _PeriodSchema(Schema):
    days = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=365))
    unit = fields.String(required=True, validate=validate.OneOf(["CD", "WD"]))


class _MaterialsSchema(Schema):
    max_bytes = fields.Integer(strict=True, validate=validate.Range(min=1024, max=200 * 2**20))
    max_per_case = fields.Integer(strict=True, validate=validate.Range(min=1, max=10_000))
    max_per_upload = fields.Integer(strict=True, validate=validate.Range(min=1, max=50))


class _SmsSchema(Schema):
    url = fields.Url(required=True, schemes={"http", "https"}, require_tld=False)
    token_env = fields.String(load_default=None, validate=validate.Regexp(r"^[A-Z_][A-Z0-9_]*$"))
    sender = fields.String(load_default="", validate=validate.Length(max=20))
    timeout = fields.Float(load_default=5.0, validate=validate.Range(min=0.1, max=60))


class _SettingsSchema(Schema):
    tier_periods = fields.Dict(
        keys=fields.String(validate=validate.OneOf(TIERS)), values=fields.Nested(_PeriodSchema)
    )
    room_periods = fields.Dict(keys=fields.String(), values=fields.Nested(_PeriodSchema))
    case_number_formats = fields.Dict(keys=fields.String(), values=fields.String())
    chair_assignment_period = fields.Nested(_PeriodSchema)
    task_periods = fields.Dict(
        keys=fields.String(validate=validate.OneOf(list(DEFAULT_TASK_PERIODS))),
        values=fields.Nested(_PeriodSchema),
    )
    extensions_per_tier = fields.Integer(strict=True, validate=validate.Range(min=0, max=20))
    office = fields.String()
    court = fields.String()
    phone = fields.String(validate=validate.Regexp(r"^[0-9+\- ]{3,30}$"))
    materials = fields.Nested(_MaterialsSchema)
    sms = fields.Nested(_SmsSchema)

    @validates_schema
    def _formats(self, data: dict[str, Any], **_: Any) -> None:
        for kind, pattern in data.get("case_number_formats", {}).items():
            try:
                check_format(pattern)
            except ValueError as exc:
                raise ValidationError({"case_number_formats": {kind: [str(exc)]}}) from exc


def _flatten(messages: Any, prefix: str = "") -> str:
    if isinstance(messages, dict):
        return "; ".join(_flatten(v, f"{prefix}{k}.") for k, v in messages.items())
    if isinstance(messages, list):
        return f"{prefix.rstrip('.')}: " + ", ".join(str(m) for m in messages)
    return f"{prefix.rstrip('.')}: {messages}"
