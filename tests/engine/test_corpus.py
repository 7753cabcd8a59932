"""Every BPMN/DMN file of the shared corpus compiles, or is refused in plain, located words.

Bundles: a folder is compiled as one bundle, together with sub-folders that hold no BPMN file
(``dmn/``); a folder holding only DMN gets a generated caller process (one business rule task per
decision) so its decisions are compiled too.  ``miwg/Reference`` holds independent interchange
test cases, so each of its files is a bundle of its own.  Run with ``-s`` to print the current
table from ``test_corpus_summary``; ``EXPECTED`` pins each file's outcome.

21 of 61 files compile: everything SpiffWorkflow 3.2 can actually run.  Every refusal is a
feature tiaojie does not support (Java/job-worker implementations, JUEL/FEEL, data stores,
decision graphs, sub-processes without start event), a descriptive (non-executable) model, or a
model that is incomplete or schema-invalid as published.

| file | outcome | why |
|---|---|---|
| SpiffWorkflow/tests/SpiffWorkflow/bpmn/data/Invalid-Workflows/non-executable-process.bpmn | refused | no executable process (negative test fixture) |
| SpiffWorkflow/tests/SpiffWorkflow/bpmn/data/boundary_timer_on_task.bpmn | compiled | - |
| SpiffWorkflow/tests/SpiffWorkflow/bpmn/data/event-subprocess.bpmn | compiled | - |
| SpiffWorkflow/tests/SpiffWorkflow/bpmn/data/exclusive_gateway_no_default.bpmn | compiled | warning: gateway without default flow |
| SpiffWorkflow/tests/SpiffWorkflow/bpmn/data/lanes.bpmn | compiled | - |
| SpiffWorkflow/tests/SpiffWorkflow/bpmn/data/timer-non-interrupt-boundary.bpmn | compiled | - |
| SpiffWorkflow/tests/SpiffWorkflow/dmn/data/collect_hit.dmn | compiled | with a generated caller |
| SpiffWorkflow/tests/SpiffWorkflow/spiff/data/business_rule_task.bpmn | compiled | with dmn/business_rules.dmn |
| SpiffWorkflow/tests/SpiffWorkflow/spiff/data/dmn/business_rules.dmn | compiled | - |
| bpmn-js-examples/modeler/resources/newDiagram.bpmn | refused | no executable process (empty modeler diagram) |
| bpmn-js-examples/starter/diagram.bpmn | refused | no executable process (descriptive) |
| bpmn-js-examples/theming/resources/kitchen-sink.bpmn | refused | symbol showcase: empty timers, schema errors, tasks without implementation |
| camunda-8-benchmark/…/bpmn/complex_decision.dmn | refused | refused with its bundle (the Zeebe processes) |
| camunda-8-benchmark/…/bpmn/complex_process.bpmn | refused | Zeebe multi-instance, zeebe:calledElement, job workers, unquoted timer |
| camunda-8-benchmark/…/bpmn/complex_subprocess.bpmn | refused | Zeebe decision call and job worker |
| camunda-8-benchmark/…/bpmn/typical_process.bpmn | refused | Zeebe job workers, unquoted timers, FEEL conditions |
| camunda-bpm-examples/bpmn-model-api/parse-bpmn/…/process.bpmn | refused | JUEL service expression, JUEL conditions, Groovy script, listener |
| camunda-bpm-examples/clients/java/order-handling/order-handling.bpmn | refused | Camunda external tasks, cron timer, JUEL condition |
| camunda-bpm-examples/dmn-engine/dmn-engine-drg/…/org/camunda/bpm/example/drg/dinnerDecisions.dmn | refused | decision requirements graph (2 decisions in one file) |
| camunda-bpm-examples/migration/migrate-on-deployment/…/exampleProcess.bpmn | compiled | warning: ignored camunda attributes |
| camunda-bpm-examples/multi-tenancy/tenant-identifier-shared-definitions/…/processes/default/mainProcess.bpmn | compiled | calls subProcess.bpmn |
| camunda-bpm-examples/multi-tenancy/tenant-identifier-shared-definitions/…/processes/default/subProcess.bpmn | compiled | - |
| camunda-bpm-examples/process-engine-plugin/failed-job-retry-profile/…/retry-example.bpmn | refused | Java delegates |
| camunda-bpm-examples/spring-boot-starter/external-task-client/loan-granting-spring-boot-webapp/…/bpmn/loan-granting.bpmn | refused | external tasks, camunda:inputOutput, camunda:collection, JUEL, cron timer |
| camunda-bpm-examples/startevent/message-start/…/message_start_process.bpmn | compiled | - |
| camunda-bpm-examples/usertask/task-form-embedded-bpmn-events/…/invoicePayment.bpmn | compiled | - |
| sample-process-models/misc/category_number_one/call-activity/call_activity_test.bpmn | refused | calls a process of another spiff-arena model |
| sample-process-models/misc/category_number_one/call-activity/callable_process.bpmn | refused | calls a process of another spiff-arena model |
| sample-process-models/misc/category_number_one/call-activity/callable_process_and_calls.bpmn | refused | refused with its bundle (the two files above) |
| sample-process-models/misc/category_number_one/lanes/lanes.bpmn | compiled | - |
| sample-process-models/misc/category_number_one/manual-task-with-timer/manual_task_with_timer.bpmn | compiled | - |
| sample-process-models/misc/category_number_one/set-timeout/boom.bpmn | compiled | its DMN calls get_env(), a spiff-arena function: fails at run time |
| sample-process-models/misc/category_number_one/set-timeout/hot.dmn | compiled | - |
| sample-process-models/misc/documentation/submit-invoice/check-amounts.dmn | compiled | - |
| sample-process-models/misc/documentation/submit-invoice/submit-invoice1.bpmn | compiled | forms resolved; service operators need the runtime |
| sample-process-models/misc/test/a30/A.3.0.bpmn | refused | sub-process without start event (SpiffWorkflow needs one) |
| sample-process-models/misc/test/c10/C.1.0.bpmn | refused | empty timer, gateways without conditions, service task without implementation |
| sample-process-models/misc/test/failing-process/failing_task.bpmn | compiled | its script fails at run time, by design |
| sample-process-models/misc/test/process-with-message-receive/message_receive.bpmn | refused | correlation property without retrieval expression (schema-invalid) |
| sample-process-models/misc/test/simple-multi-instance-examples/simple-mi.bpmn | compiled | - |
| miwg/Reference/A.1.0.bpmn | refused | no executable process (layout test) |
| miwg/Reference/A.2.0.bpmn | refused | no executable process (layout test) |
| miwg/Reference/A.2.1.bpmn | refused | no executable process (layout test) |
| miwg/Reference/A.3.0.bpmn | refused | no executable process (layout test) |
| miwg/Reference/A.4.0.bpmn | refused | no executable process (layout test) |
| miwg/Reference/A.4.1.bpmn | refused | no executable process (layout test) |
| miwg/Reference/B.1.0.bpmn | refused | no executable process (descriptive conformance) |
| miwg/Reference/B.2.0.bpmn | refused | no executable process (analytic conformance) |
| miwg/Reference/C.1.0.bpmn | refused | Activiti delegate, JUEL conditions (descriptive pool ignored) |
| miwg/Reference/C.1.1.bpmn | refused | data store, Activiti delegate, XPath conditions |
| miwg/Reference/C.2.0.bpmn | refused | no executable process (collaboration) |
| miwg/Reference/C.3.0.bpmn | refused | sub-process without start event, gateways without conditions, unquoted timer |
| miwg/Reference/C.4.0.bpmn | refused | data stores, gateways without conditions |
| miwg/Reference/C.5.0.bpmn | refused | data stores, gateways without conditions |
| miwg/Reference/C.6.0.bpmn | refused | empty timers, service tasks without implementation, process data inputs |
| miwg/Reference/C.7.0.bpmn | refused | process data outputs, service tasks without implementation |
| miwg/Reference/C.8.0.bpmn | refused | no executable process |
| miwg/Reference/C.8.1.bpmn | refused | Zeebe job workers and I/O mappings, FEEL conditions |
| miwg/Reference/C.9.0.bpmn | refused | Zeebe I/O mappings, job workers, FEEL conditions |
| miwg/Reference/C.9.1.bpmn | refused | Zeebe message correlation, external tasks, unquoted timers |
| miwg/Reference/C.9.2.bpmn | refused | Zeebe correlation and multi-instance, unquoted timers, FEEL |
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from engine import xmlsafe
from engine.definitions import FILE_KINDS, CompiledBundle, compile_bundle
from engine.errors import DefinitionError, Problem

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
# Folders whose files are independent models (interchange test cases), not one deployment.
INDEPENDENT_MODELS = ("miwg/Reference",)
CALLER = "_generated_caller.bpmn"
LEAKS = re.compile(r"Traceback|KeyError|ValueError|TypeError|AttributeError|IndexError|"
                   r"object has no attribute|NoneType|Exception\b|File \"|0x[0-9a-f]{6,}")

NOT_EXECUTABLE = "executable (isExecutable=\"false\"): tiaojie only deploys executable processes"
# The outcome each file is known to have: "compiled", or a phrase of the reason it is refused.
EXPECTED = {
    "external/SpiffWorkflow/tests/SpiffWorkflow/bpmn/data/Invalid-Workflows/non-executable-process.bpmn":
        NOT_EXECUTABLE,
    "external/SpiffWorkflow/tests/SpiffWorkflow/bpmn/data/boundary_timer_on_task.bpmn":
        "compiled",
    "external/SpiffWorkflow/tests/SpiffWorkflow/bpmn/data/event-subprocess.bpmn":
        "compiled",
    "external/SpiffWorkflow/tests/SpiffWorkflow/bpmn/data/exclusive_gateway_no_default.bpmn":
        "compiled",
    "external/SpiffWorkflow/tests/SpiffWorkflow/bpmn/data/lanes.bpmn":
        "compiled",
    "external/SpiffWorkflow/tests/SpiffWorkflow/bpmn/data/timer-non-interrupt-boundary.bpmn":
        "compiled",
    "external/SpiffWorkflow/tests/SpiffWorkflow/dmn/data/collect_hit.dmn":
        "compiled",
    "external/SpiffWorkflow/tests/SpiffWorkflow/spiff/data/business_rule_task.bpmn":
        "compiled",
    "external/SpiffWorkflow/tests/SpiffWorkflow/spiff/data/dmn/business_rules.dmn":
        "compiled",
    "external/bpmn-js-examples/modeler/resources/newDiagram.bpmn":
        NOT_EXECUTABLE,
    "external/bpmn-js-examples/starter/diagram.bpmn":
        NOT_EXECUTABLE,
    "external/bpmn-js-examples/theming/resources/kitchen-sink.bpmn":
        "has no timeDate, timeDuration or timeCycle",
    "external/camunda-8-benchmark/src/main/resources/bpmn/complex_decision.dmn":
        "refused with its bundle",
    "external/camunda-8-benchmark/src/main/resources/bpmn/complex_process.bpmn":
        "zeebe:loopCharacteristics",
    "external/camunda-8-benchmark/src/main/resources/bpmn/complex_subprocess.bpmn":
        "zeebe:calledDecision",
    "external/camunda-8-benchmark/src/main/resources/bpmn/typical_process.bpmn":
        "job worker",
    "external/camunda-bpm-examples/bpmn-model-api/parse-bpmn/src/test/resources/process.bpmn":
        "(camunda:expression)",
    "external/camunda-bpm-examples/clients/java/order-handling/order-handling.bpmn":
        'type "external"',
    "external/camunda-bpm-examples/dmn-engine/dmn-engine-drg/src/main/resources/org/camunda/bpm/example/drg/dinnerDecisions.dmn":
        "holds 2 decisions",
    "external/camunda-bpm-examples/migration/migrate-on-deployment/src/main/resources/exampleProcess.bpmn":
        "compiled",
    "external/camunda-bpm-examples/multi-tenancy/tenant-identifier-shared-definitions/src/main/resources/processes/default/mainProcess.bpmn":
        "compiled",
    "external/camunda-bpm-examples/multi-tenancy/tenant-identifier-shared-definitions/src/main/resources/processes/default/subProcess.bpmn":
        "compiled",
    "external/camunda-bpm-examples/process-engine-plugin/failed-job-retry-profile/src/main/resources/retry-example.bpmn":
        "(camunda:class)",
    "external/camunda-bpm-examples/spring-boot-starter/external-task-client/loan-granting-spring-boot-webapp/src/main/resources/bpmn/loan-granting.bpmn":
        'type "external"',
    "external/camunda-bpm-examples/startevent/message-start/src/main/resources/message_start_process.bpmn":
        "compiled",
    "external/camunda-bpm-examples/usertask/task-form-embedded-bpmn-events/src/main/resources/invoicePayment.bpmn":
        "compiled",
    "external/sample-process-models/misc/category_number_one/call-activity/call_activity_test.bpmn":
        "calls process 'empty_workflow_with_user_task', which is not in the bundle",
    "external/sample-process-models/misc/category_number_one/call-activity/callable_process.bpmn":
        "calls process 'test_form', which is not in the bundle",
    "external/sample-process-models/misc/category_number_one/call-activity/callable_process_and_calls.bpmn":
        "refused with its bundle",
    "external/sample-process-models/misc/category_number_one/lanes/lanes.bpmn":
        "compiled",
    "external/sample-process-models/misc/category_number_one/manual-task-with-timer/manual_task_with_timer.bpmn":
        "compiled",
    "external/sample-process-models/misc/category_number_one/set-timeout/boom.bpmn":
        "compiled",
    "external/sample-process-models/misc/category_number_one/set-timeout/hot.dmn":
        "compiled",
    "external/sample-process-models/misc/documentation/submit-invoice/check-amounts.dmn":
        "compiled",
    "external/sample-process-models/misc/documentation/submit-invoice/submit-invoice1.bpmn":
        "compiled",
    "external/sample-process-models/misc/test/a30/A.3.0.bpmn":
        "must contain exactly one start event (found 0)",
    "external/sample-process-models/misc/test/c10/C.1.0.bpmn":
        "has no timeDate, timeDuration or timeCycle",
    "external/sample-process-models/misc/test/failing-process/failing_task.bpmn":
        "compiled",
    "external/sample-process-models/misc/test/process-with-message-receive/message_receive.bpmn":
        "does not follow the BPMN 2.0 schema: element bpmn:correlationProperty",
    "external/sample-process-models/misc/test/simple-multi-instance-examples/simple-mi.bpmn":
        "compiled",
    "miwg/Reference/A.1.0.bpmn":
        NOT_EXECUTABLE,
    "miwg/Reference/A.2.0.bpmn":
        NOT_EXECUTABLE,
    "miwg/Reference/A.2.1.bpmn":
        NOT_EXECUTABLE,
    "miwg/Reference/A.3.0.bpmn":
        NOT_EXECUTABLE,
    "miwg/Reference/A.4.0.bpmn":
        NOT_EXECUTABLE,
    "miwg/Reference/A.4.1.bpmn":
        NOT_EXECUTABLE,
    "miwg/Reference/B.1.0.bpmn":
        NOT_EXECUTABLE,
    "miwg/Reference/B.2.0.bpmn":
        NOT_EXECUTABLE,
    "miwg/Reference/C.1.0.bpmn":
        "(activiti:delegateExpression)",
    "miwg/Reference/C.1.1.bpmn":
        "data store 'Financial Accounting System' is not supported",
    "miwg/Reference/C.2.0.bpmn":
        NOT_EXECUTABLE,
    "miwg/Reference/C.3.0.bpmn":
        "must contain exactly one start event (found 0)",
    "miwg/Reference/C.4.0.bpmn":
        "data store 'Employee Details' is not supported",
    "miwg/Reference/C.5.0.bpmn":
        "data store 'Bank System' is not supported",
    "miwg/Reference/C.6.0.bpmn":
        "the timer's timeDate is empty",
    "miwg/Reference/C.7.0.bpmn":
        "writes 'Advertisement', a data output",
    "miwg/Reference/C.8.0.bpmn":
        NOT_EXECUTABLE,
    "miwg/Reference/C.8.1.bpmn":
        "zeebe:taskDefinition",
    "miwg/Reference/C.9.0.bpmn":
        "zeebe:ioMapping",
    "miwg/Reference/C.9.1.bpmn":
        "zeebe:subscription",
    "miwg/Reference/C.9.2.bpmn":
        "zeebe:subscription",
}


@dataclass(frozen=True)
class Outcome:
    """What happened to one corpus file."""

    compiled: bool
    detail: str  # process ids when compiled, else the first reason concerning the file


def definition_files() -> list[Path]:
    """Every .bpmn and .dmn file of the corpus, in path order."""
    if not CORPUS.is_dir():
        return []
    return sorted(p for p in CORPUS.rglob("*") if p.suffix in (".bpmn", ".dmn"))


def relative(path: Path) -> str:
    """``path`` relative to the corpus, '/'-separated."""
    return path.relative_to(CORPUS).as_posix()


def has_bpmn(folder: Path) -> bool:
    """Whether ``folder`` itself holds a BPMN file."""
    return any(p.suffix == ".bpmn" for p in folder.iterdir() if p.is_file())


def bundle_root(path: Path) -> Path:
    """The folder whose bundle ``path`` belongs to.

    A folder is a bundle together with the sub-folders below it that hold no BPMN file (decision
    and form folders); a BPMN-less folder with no BPMN parent stands alone.
    """
    folder = path.parent
    while not has_bpmn(folder) and folder.parent != CORPUS and has_bpmn(folder.parent):
        folder = folder.parent
    return folder


def bundle_members(path: Path) -> tuple[Path, list[Path]]:
    """The root and files of the bundle ``path`` is compiled in."""
    if relative(path.parent) in INDEPENDENT_MODELS:
        return path, [path]
    root = bundle_root(path)
    members = [p for p in sorted(root.rglob("*"))
               if p.is_file() and p.suffix in FILE_KINDS and bundle_root(p) == root
               and relative(p.parent) not in INDEPENDENT_MODELS]
    return root, members


def caller_for(files: dict[str, bytes]) -> bytes:
    """A BPMN process calling every decision of ``files``, for folders that hold only DMN."""
    decisions: list[str] = []
    for key, data in files.items():
        try:
            root = xmlsafe.parse_xml(data, filename=key).getroot()
        except DefinitionError:
            continue
        decisions += [n.get("id") for n in root.iter() if isinstance(n.tag, str)
                      and n.tag.endswith("}decision") and n.get("id")]
    steps, flows, previous = [], [], "start"
    for number, decision in enumerate(decisions):
        task = f"decide_{number}"
        steps.append(f'<bpmn:businessRuleTask id="{task}"><bpmn:extensionElements>'
                     f"<spiffworkflow:calledDecisionId>{decision}</spiffworkflow:calledDecisionId>"
                     "</bpmn:extensionElements></bpmn:businessRuleTask>")
        flows.append(f'<bpmn:sequenceFlow id="to_{task}" sourceRef="{previous}" '
                     f'targetRef="{task}"/>')
        previous = task
    flows.append(f'<bpmn:sequenceFlow id="to_end" sourceRef="{previous}" targetRef="end"/>')
    return ('<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
            'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="caller" '
            'targetNamespace="http://tiaojie.example/corpus"><bpmn:process id="corpus_caller" '
            'isExecutable="true"><bpmn:startEvent id="start"/>' + "".join(steps)
            + '<bpmn:endEvent id="end"/>' + "".join(flows)
            + "</bpmn:process></bpmn:definitions>").encode()


@functools.cache
def compile_members(
    root: Path, members: tuple[Path, ...]
) -> tuple[CompiledBundle | None, tuple[Problem, ...], dict[Path, str]]:
    """Compile one bundle (keys relative to ``root``'s folder), once per test session."""
    base = root.parent if root.is_file() else root
    keys = {p: p.relative_to(base).as_posix() for p in members}
    files = {keys[p]: p.read_bytes() for p in members}
    if not any(key.endswith(".bpmn") for key in files):
        files[CALLER] = caller_for(files)
    try:
        return compile_bundle(files), (), keys
    except DefinitionError as error:
        return None, tuple(error.problems), keys


def outcome_of(path: Path) -> tuple[Outcome, tuple[Problem, ...]]:
    """What compiling ``path``'s bundle did to ``path``."""
    root, members = bundle_members(path)
    bundle, problems, keys = compile_members(root, tuple(members))
    key = keys[path]
    if bundle is not None:
        mine = sorted(pid for pid, p in bundle.processes.items() if p.spec.file == key)
        detail = ", ".join(mine) if mine else "used by the bundle"
        return Outcome(True, detail), problems
    own = [p for p in problems if p.file == key]
    if own:
        return Outcome(False, own[0].reason), problems
    return Outcome(False, f"refused with its bundle: {problems[0]}"), problems


FILES = definition_files()


@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"the shared corpus is not at {CORPUS}")
@pytest.mark.parametrize("path", FILES, ids=[relative(p) for p in FILES])
def test_corpus_file_compiles_or_is_refused_in_plain_words(path: Path) -> None:
    outcome, problems = outcome_of(path)
    for problem in problems:
        assert problem.file, problem
        assert problem.reason and not LEAKS.search(problem.reason), str(problem)
    expected = EXPECTED.get(relative(path))
    if expected is None:
        return  # a file added to the corpus later: the contract above is all we know
    if expected == "compiled":
        assert outcome.compiled, outcome.detail
    else:
        assert not outcome.compiled
        assert expected in outcome.detail


@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"the shared corpus is not at {CORPUS}")
def test_corpus_summary() -> None:
    """Print the outcome table (run with -s); every file of the corpus has an expectation."""
    lines = ["| file | outcome |", "|---|---|"]
    for path in FILES:
        outcome, _ = outcome_of(path)
        verdict = ("compiled: " if outcome.compiled else "refused: ") + outcome.detail
        lines.append(f"| `{relative(path)}` | {verdict} |")
    compiled = sum(1 for path in FILES if outcome_of(path)[0].compiled)
    print("\n".join([*lines, "", f"{compiled} of {len(FILES)} files compile."]))
