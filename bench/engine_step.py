"""Benchmark: a raw SpiffWorkflow step against the engine's persisted step, on the same process.

A *step* is one task completion: restore the instance, complete its ready user task with data,
advance to the next wait state, save.  The raw step does that in memory with SpiffWorkflow's own
JSON round trip (spec included, as the library saves it); the persisted step goes through
``Engine.complete_task`` in its own SQLite transaction (lock, load, act, advance, save state, task
projection and audit, commit).  Prints ``name: value unit`` lines and the ratio last.

Usage: python bench/engine_step.py [--cases N] [--database-url URL]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lxml import etree  # noqa: E402
from SpiffWorkflow.bpmn import BpmnWorkflow  # noqa: E402
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer  # noqa: E402
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser  # noqa: E402
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG  # noqa: E402
from SpiffWorkflow.util.task import TaskState  # noqa: E402

from engine.database import Database  # noqa: E402
from engine.runtime import Engine  # noqa: E402
from engine.sandbox import SandboxedScriptEngine  # noqa: E402
from web.composition import upgrade  # noqa: E402

BPMN = ROOT / "bench" / "data" / "simple_case.bpmn"
PROCESS = "simple_case"
STEP_DATA = {"amount": 5000, "note": "agreed to pay in two instalments"}


def raw_steps(cases: int) -> tuple[list[float], int]:
    """Seconds per raw step (JSON load, complete, advance, JSON save) and the saved size."""
    parser = SpiffBpmnParser()
    parser.add_bpmn_xml(etree.parse(str(BPMN)), filename=BPMN.name)
    spec = parser.get_spec(PROCESS)
    serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
    script_engine = SandboxedScriptEngine()
    timings: list[float] = []
    size = 0
    for _ in range(cases):
        workflow = BpmnWorkflow(spec, {}, script_engine=script_engine)
        workflow.do_engine_steps()
        saved = serializer.serialize_json(workflow)
        while True:
            began = time.perf_counter()
            workflow = serializer.deserialize_json(saved)
            workflow.script_engine = script_engine
            ready = workflow.get_tasks(state=TaskState.READY, manual=True)
            if not ready:
                break
            task = ready[0]
            task.task_spec.add_data_from_form(task, dict(STEP_DATA))
            task.run()
            workflow.refresh_timers()
            workflow.do_engine_steps()
            saved = serializer.serialize_json(workflow)
            timings.append(time.perf_counter() - began)
            size = max(size, len(saved))
    return timings, size


def persisted_steps(cases: int, url: str) -> tuple[list[float], float, int]:
    """Seconds per persisted completion, completions per second overall, and the state size."""
    database = Database(url)
    upgrade(database)
    engine = Engine(database)
    with engine.transaction() as session:
        engine.deploy(session, {BPMN.name: BPMN.read_bytes()}, actor="bench")
    timings: list[float] = []
    size = 0
    overall = time.perf_counter()
    for index in range(cases):
        with engine.transaction() as session:
            view = engine.start(session, PROCESS, data={"case": index}, actor="bench")
        while view.ready_tasks:
            task_id = view.ready_tasks[0].id
            began = time.perf_counter()
            with engine.transaction() as session:
                view = engine.complete_task(session, task_id, data=dict(STEP_DATA), actor="bench")
            timings.append(time.perf_counter() - began)
    elapsed = time.perf_counter() - overall
    from sqlalchemy import func, select

    from engine.models import ProcessInstance

    with database.reading() as session:
        size = session.scalar(select(func.max(func.length(ProcessInstance.state)))) or 0
    database.dispose()
    return timings, len(timings) / sum(timings), size


def main() -> None:
    """Run both measurements and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=300)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()

    raw_steps(20)  # warm up imports and caches
    raw, raw_size = raw_steps(args.cases)
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{Path(folder) / 'bench.db'}"
        persisted, rate, state_size = persisted_steps(args.cases, url)

    raw_ms = statistics.median(raw) * 1000
    persisted_ms = statistics.median(persisted) * 1000
    print(f"raw_step_median: {raw_ms:.3f} ms")
    print(f"raw_state_with_spec: {raw_size} bytes")
    print(f"persisted_step_median: {persisted_ms:.3f} ms")
    print(f"persisted_step_p95: {statistics.quantiles(persisted, n=20)[18] * 1000:.3f} ms")
    print(f"persisted_task_completions: {rate:.0f} /s")
    print(f"instance_state: {state_size} bytes")
    print(f"ratio_persisted_vs_raw: {persisted_ms / raw_ms:.2f}")


if __name__ == "__main__":
    main()
