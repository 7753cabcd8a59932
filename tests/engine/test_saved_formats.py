"""Saved-format samples: instances saved by this version must keep loading after upgrades.

SpiffWorkflow's format migrations have broken on instances with subprocesses before (pitfall 6),
so a saved instance waiting inside a call activity, with a timer on its boundary, is kept here as
written: before upgrading the library, this test must pass against the new version.
"""

from __future__ import annotations

from pathlib import Path

from SpiffWorkflow.util.task import TaskState

from engine.sandbox import SandboxedScriptEngine
from engine.serialization import dump_state, load_specs, load_state

SAMPLES = Path(__file__).parent / "data" / "states"


def test_an_instance_saved_inside_a_call_activity_loads_and_finishes():
    spec, subprocess_specs = load_specs((SAMPLES / "two_levels.specs.json").read_text())
    workflow = load_state((SAMPLES / "two_levels.state.json").read_text(), spec, subprocess_specs)
    workflow.script_engine = SandboxedScriptEngine()
    ready = workflow.get_tasks(state=TaskState.READY, manual=True)
    assert [t.task_spec.bpmn_id for t in ready] == ["handle"]
    assert ready[0].data["deadline"] == "2026-03-07T00:00:00+08:00"
    assert [e.name for e in workflow.waiting_events()] == ["First level expired"]
    ready[0].run()
    workflow.do_engine_steps()
    assert workflow.completed
    assert workflow.last_task is not None


def test_saving_a_loaded_sample_gives_back_the_same_state():
    text = (SAMPLES / "two_levels.state.json").read_text()
    spec, subprocess_specs = load_specs((SAMPLES / "two_levels.specs.json").read_text())
    assert dump_state(load_state(text, spec, subprocess_specs)) == text
