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


class RawRunner:
    """Raw SpiffWorkflow steps: JSON load, complete, advance, JSON save (spec included)."""

    def __init__(self) -> None:
        parser = SpiffBpmnParser()
        parser.add_bpmn_xml(etree.parse(str(BPMN)), filename=BPMN.name)
        self.spec = parser.get_spec(PROCESS)
        self.serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
        self.script_engine = SandboxedScriptEngine()
        self.size = 0

    def run(self, cases: int) -> list[float]:
        """Run ``cases`` instances to the end; return seconds per step."""
        timings: list[float] = []
        for _ in range(cases):
            workflow = BpmnWorkflow(self.spec, {}, script_engine=self.script_engine)
            workflow.do_engine_steps()
            saved = self.serializer.serialize_json(workflow)
            while True:
                began = time.perf_counter()
                workflow = self.serializer.deserialize_json(saved)
                workflow.script_engine = self.script_engine
                ready = workflow.get_tasks(state=TaskState.READY, manual=True)
                if not ready:
                    break
                task = ready[0]
                task.task_spec.add_data_from_form(task, dict(STEP_DATA))
                task.run()
                workflow.refresh_timers()
                workflow.do_engine_steps()
                saved = self.serializer.serialize_json(workflow)
                timings.append(time.perf_counter() - began)
                self.size = max(self.size, len(saved))
        return timings


class PersistedRunner:
    """Persisted steps through Engine.complete_task, one transaction each."""

    def __init__(self, url: str) -> None:
        self.database = Database(url)
        upgrade(self.database)
        self.engine = Engine(self.database)
        with self.engine.transaction() as session:
            self.engine.deploy(session, {BPMN.name: BPMN.read_bytes()}, actor="bench")
        self.started = 0

    def run(self, cases: int) -> list[float]:
        """Start ``cases`` instances and complete their tasks; return seconds per completion."""
        timings: list[float] = []
        for _ in range(cases):
            self.started += 1
            with self.engine.transaction() as session:
                view = self.engine.start(session, PROCESS, data={"case": self.started}, actor="bench")
            while view.ready_tasks:
                task_id = view.ready_tasks[0].id
                began = time.perf_counter()
                with self.engine.transaction() as session:
                    view = self.engine.complete_task(
                        session, task_id, data=dict(STEP_DATA), actor="bench"
                    )
                timings.append(time.perf_counter() - began)
        return timings

    def state_size(self) -> int:
        """The largest saved instance state, in bytes."""
        from sqlalchemy import func, select

        from engine.models import ProcessInstance

        with self.database.reading() as session:
            return session.scalar(select(func.max(func.length(ProcessInstance.state)))) or 0


def main() -> None:
    """Run both measurements, interleaved in batches so both see the same machine, and print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=300)
    parser.add_argument("--batch", type=int, default=20)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()

    raw_runner = RawRunner()
    raw_runner.run(10)  # warm up imports and caches
    raw: list[float] = []
    persisted: list[float] = []
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{Path(folder) / 'bench.db'}"
        runner = PersistedRunner(url)
        runner.run(5)
        overall = 0.0
        for _ in range(max(1, args.cases // args.batch)):
            raw.extend(raw_runner.run(args.batch))
            began = time.perf_counter()
            batch = runner.run(args.batch)
            overall += time.perf_counter() - began
            persisted.extend(batch)
        state_size = runner.state_size()
        runner.database.dispose()

    raw_ms = statistics.median(raw) * 1000
    persisted_ms = statistics.median(persisted) * 1000
    print(f"database: {'sqlite (file, WAL)' if args.database_url is None else args.database_url.split(':')[0]}")
    print(f"raw_step_median: {raw_ms:.3f} ms")
    print(f"raw_state_with_spec: {raw_runner.size} bytes")
    print(f"persisted_step_median: {persisted_ms:.3f} ms")
    print(f"persisted_step_p95: {statistics.quantiles(persisted, n=20)[18] * 1000:.3f} ms")
    print(f"persisted_task_completions: {len(persisted) / sum(persisted):.0f} /s")
    print(f"instance_state: {state_size} bytes")
    print(f"ratio_persisted_vs_raw: {persisted_ms / raw_ms:.2f}")


if __name__ == "__main__":
    main()
