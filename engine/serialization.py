"""Turning workflows into JSON and back, with their specs kept apart.

SpiffWorkflow's serializer embeds the process definition in every saved workflow (about two thirds
of the bytes).  Definitions are stored once per version, so instance state is saved without them
and the (cached) spec objects are handed back in when the state is loaded.
"""

from __future__ import annotations

import json

import orjson
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

from engine.errors import ExpressionError

STATE_FORMAT = "tiaojie-1"


class _StatelessWorkflowConverter(BpmnWorkflowConverter):
    """Converts a top-level workflow without its specs, which are supplied on restore."""

    def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        dct = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(  # type: ignore[override]
        self,
        dct: dict[str, Any],
        spec: BpmnProcessSpec | None = None,
        subprocess_specs: dict[str, BpmnProcessSpec] | None = None,
    ) -> BpmnWorkflow:
        if spec is None:
            raise ValueError("a saved instance can only be restored with its process spec")
        workflow = self.target_class(spec, subprocess_specs or {}, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


def _state_registry():  # type: ignore[no-untyped-def]
    config = dict(SPIFF_CONFIG)
    config[BpmnWorkflow] = _StatelessWorkflowConverter
    return BpmnWorkflowSerializer.configure(config)


_SPEC_SERIALIZER = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
_STATE_REGISTRY = _state_registry()


def spec_registry():  # type: ignore[no-untyped-def]
    """The registry that converts specs (what SpiffWorkflow's diff compares them with)."""
    return _SPEC_SERIALIZER.registry


def dump_specs(spec: BpmnProcessSpec, subprocess_specs: dict[str, BpmnProcessSpec]) -> str:
    """Serialize a process spec and the specs it calls to JSON."""
    registry = _SPEC_SERIALIZER.registry
    return json.dumps(
        {
            "format": STATE_FORMAT,
            "spec": registry.convert(spec),
            "subprocess_specs": {k: registry.convert(v) for k, v in subprocess_specs.items()},
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )


def load_specs(text: str) -> tuple[BpmnProcessSpec, dict[str, BpmnProcessSpec]]:
    """Restore what :func:`dump_specs` wrote."""
    dct = json.loads(text)
    registry = _SPEC_SERIALIZER.registry
    spec = registry.restore(dct["spec"])
    subprocess_specs = {k: registry.restore(v) for k, v in dct["subprocess_specs"].items()}
    return spec, subprocess_specs


def dump_state(workflow: BpmnWorkflow) -> str:
    """Serialize a workflow's state (tasks, data, subprocesses) without its specs."""
    dct = _STATE_REGISTRY.convert(workflow)
    dct["format"] = STATE_FORMAT
    try:
        return orjson.dumps(dct, default=_json_default, option=orjson.OPT_NON_STR_KEYS).decode()
    except orjson.JSONEncodeError as exc:  # a value that is not JSON (refused by _json_default)
        raise ExpressionError(f"the process data cannot be saved: {exc}") from exc


def load_state(
    text: str, spec: BpmnProcessSpec, subprocess_specs: dict[str, BpmnProcessSpec]
) -> BpmnWorkflow:
    """Restore a workflow saved by :func:`dump_state` onto its specs."""
    dct = orjson.loads(text)
    dct.pop("format", None)
    return _STATE_REGISTRY.restore(dct, spec=spec, subprocess_specs=subprocess_specs)


def _json_default(value: Any) -> Any:
    # Task data is JSON-like by contract; refusing here rolls the step back instead of saving a
    # value that would come back as something else.
    raise TypeError(f"task data holds a {type(value).__name__}, which cannot be saved as JSON")
