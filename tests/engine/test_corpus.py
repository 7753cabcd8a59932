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

Trial runs (``TRIALS``): each process of each compiling bundle, started by ``web.composition.
trial_run`` (what ``tiaojie try`` runs) with the data shown.  No process raised anything but an
``EngineError`` or failed to reach a wait state.  DMN files and forms used by a bundle have no row
of their own: they run inside the processes below.

| file | process | data | outcome | note |
|---|---|---|---|---|
| SpiffWorkflow/…/bpmn/data/exclusive_gateway_no_default.bpmn | NoDefaultGateway | x=2 | running: task Activity_Greater | an untyped bpmn:task waits as a human task |
| SpiffWorkflow/…/bpmn/data/exclusive_gateway_no_default.bpmn | NoDefaultGateway | x=1 | error at Gateway_CheckValue: No conditions satisfied for Gateway_CheckValue. | no default flow, by design |
| SpiffWorkflow/…/bpmn/data/exclusive_gateway_no_default.bpmn | NoDefaultGateway | - | error at Gateway_CheckValue: name 'x' is not defined or not allowed | needs x |
| SpiffWorkflow/…/bpmn/data/timer-non-interrupt-boundary.bpmn | NonInterruptTimer | - | running: task Activity_Work; timer Event_0jyy8ao | "PT0.2S" non-interrupting timer |
| SpiffWorkflow/…/bpmn/data/lanes.bpmn | lanes | - | running: task Activity_A1 | - |
| SpiffWorkflow/…/bpmn/data/event-subprocess.bpmn | main | - | running: task set_data | - |
| SpiffWorkflow/…/bpmn/data/boundary_timer_on_task.bpmn | test_timer | - | running: task user_task; timer Event_0y4hbl0 | "PT0.002S" timer waits for the worker |
| SpiffWorkflow/…/dmn/data/collect_hit.dmn | corpus_caller | type='stooge' | completed | result [1, 2, 3, 4] |
| SpiffWorkflow/…/dmn/data/collect_hit.dmn | corpus_caller | - | error at decide_0: name 'type' is not defined or not allowed | the table's input is type |
| SpiffWorkflow/…/spiff/data/business_rule_task.bpmn | Process_bd2e724 | - | completed | with dmn/business_rules.dmn |
| camunda-bpm-examples/migration/…/exampleProcess.bpmn | exampleProcess | - | running: task UserTask_14494ua | - |
| camunda-bpm-examples/multi-tenancy/…/mainProcess.bpmn | mainProcess | - | running: task UserTask_0zlyiaz | the task of the called subProcess |
| camunda-bpm-examples/multi-tenancy/…/subProcess.bpmn | subProcess | - | running: task UserTask_0zlyiaz | - |
| camunda-bpm-examples/startevent/message-start/…/message_start_process.bpmn | Message_Start_Process | - | running: message instantiationMessage | started directly, it waits for its start message |
| camunda-bpm-examples/usertask/…/invoicePayment.bpmn | embeddedFormsBpmnEvents | - | running: task Task_16y91ka | - |
| sample-process-models/…/lanes/lanes.bpmn | Proccess_yhito9d | - | running: task initator_one | manual task |
| sample-process-models/…/manual-task-with-timer/manual_task_with_timer.bpmn | Process_ppiuwh1 | - | running: task Activity_00rjpvx; timer Event_03tamlt | manual task |
| sample-process-models/…/set-timeout/boom.bpmn | Proccess_a7pvjlm | - | error at Activity_14q23ir: name 'get_env' is not defined or not allowed | hot.dmn calls spiff-arena's get_env() |
| sample-process-models/…/submit-invoice/submit-invoice1.bpmn | Proccess_submit_invoice_1 | - | running: task Activity_0yes9h3 | its form requires six fields |
| sample-process-models/…/failing-process/failing_task.bpmn | Process_FailingProcess | - | error at Activity_FailingTask: unsupported operand type(s) for +: 'int' and 'str' (line 2) | fails by design |
| sample-process-models/…/simple-multi-instance-examples/simple-mi.bpmn | Process_ewlevoz | - | running: task Activity_03gpoh6 | manual task, multi-instance |

Completing the first ready task of these trials (``test_corpus_first_ready_task_can_be_completed``)
covers manual tasks and untyped ``bpmn:task`` elements as well as user tasks.
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


# --------------------------------------------------------------------------- trial runs
#
# Every process of every bundle that compiles is started with ``tiaojie try``'s own function,
# ``web.composition.trial_run``, and must reach a sensible first wait state: running and waiting
# for something (a person, a timer or a message), completed, or in error at a named element with a
# message in plain words.  ``TRIALS`` pins each outcome (see the module docstring table).

SPIFF_BPMN = "external/SpiffWorkflow/tests/SpiffWorkflow/bpmn/data"
SPIFF_DMN = "external/SpiffWorkflow/tests/SpiffWorkflow/dmn/data"
SPIFF_SPIFF = "external/SpiffWorkflow/tests/SpiffWorkflow/spiff/data"
CAMUNDA = "external/camunda-bpm-examples"
SAMPLES = "external/sample-process-models/misc"
# Python's exception class names, tracebacks and object reprs are not words for an administrator.
RUN_LEAKS = re.compile(r"Traceback|File \"|\b[A-Z]\w*(?:Error|Exception)\b|object has no "
                       r"attribute|0x[0-9a-f]{6,}|<[a-z_.]+ object")
TRIAL_TIMEOUT = 60


@dataclass(frozen=True)
class Trial:
    """One trial run of a corpus process and the outcome it is known to have."""

    bundle: str  # the bundle's root folder, relative to the corpus
    process: str
    data: dict
    outcome: str  # as summarised by ``summary``
    data_after: dict | None = None  # a subset of the instance data once it waits or ends

    @property
    def id(self) -> str:
        label = ",".join(f"{k}={v}" for k, v in self.data.items()) or "no data"
        return f"{self.bundle.split('/', 1)[-1]}::{self.process}[{label}]"


TRIALS = [
    Trial(SPIFF_BPMN, "NoDefaultGateway", {"x": 2}, "running: task Activity_Greater"),
    Trial(SPIFF_BPMN, "NoDefaultGateway", {"x": 1},
          "error at Gateway_CheckValue: No conditions satisfied for Gateway_CheckValue."),
    Trial(SPIFF_BPMN, "NoDefaultGateway", {},
          "error at Gateway_CheckValue: name 'x' is not defined or not allowed"),
    Trial(SPIFF_BPMN, "NonInterruptTimer", {}, "running: task Activity_Work; timer Event_0jyy8ao"),
    Trial(SPIFF_BPMN, "lanes", {}, "running: task Activity_A1"),
    Trial(SPIFF_BPMN, "main", {}, "running: task set_data"),
    Trial(SPIFF_BPMN, "test_timer", {}, "running: task user_task; timer Event_0y4hbl0"),
    Trial(SPIFF_DMN, "corpus_caller", {"type": "stooge"}, "completed",
          {"result": [1, 2, 3, 4], "name": ["Larry", "Mo", "Curly", "Shemp"]}),
    Trial(SPIFF_DMN, "corpus_caller", {},
          "error at decide_0: name 'type' is not defined or not allowed"),
    Trial(SPIFF_SPIFF, "Process_bd2e724", {}, "completed", {"question": "X", "answer": "Y"}),
    Trial(f"{CAMUNDA}/migration/migrate-on-deployment/src/main/resources", "exampleProcess", {},
          "running: task UserTask_14494ua"),
    Trial(f"{CAMUNDA}/multi-tenancy/tenant-identifier-shared-definitions/src/main/resources/"
          "processes/default", "mainProcess", {}, "running: task UserTask_0zlyiaz"),
    Trial(f"{CAMUNDA}/multi-tenancy/tenant-identifier-shared-definitions/src/main/resources/"
          "processes/default", "subProcess", {}, "running: task UserTask_0zlyiaz"),
    Trial(f"{CAMUNDA}/startevent/message-start/src/main/resources", "Message_Start_Process", {},
          "running: message instantiationMessage"),
    Trial(f"{CAMUNDA}/usertask/task-form-embedded-bpmn-events/src/main/resources",
          "embeddedFormsBpmnEvents", {}, "running: task Task_16y91ka"),
    Trial(f"{SAMPLES}/category_number_one/lanes", "Proccess_yhito9d", {},
          "running: task initator_one"),
    Trial(f"{SAMPLES}/category_number_one/manual-task-with-timer", "Process_ppiuwh1", {},
          "running: task Activity_00rjpvx; timer Event_03tamlt"),
    Trial(f"{SAMPLES}/category_number_one/set-timeout", "Proccess_a7pvjlm", {},
          "error at Activity_14q23ir: name 'get_env' is not defined or not allowed"),
    Trial(f"{SAMPLES}/documentation/submit-invoice", "Proccess_submit_invoice_1", {},
          "running: task Activity_0yes9h3"),
    Trial(f"{SAMPLES}/test/failing-process", "Process_FailingProcess", {},
          "error at Activity_FailingTask: unsupported operand type(s) for +: 'int' and 'str' "
          "(line 2)"),
    Trial(f"{SAMPLES}/test/simple-multi-instance-examples", "Process_ewlevoz", {},
          "running: task Activity_03gpoh6"),
]


@functools.cache
def compiled_bundles() -> dict[str, tuple[Path, tuple[Path, ...]]]:
    """Every bundle holding a file not known to be refused: its id, root and members."""
    found: dict[str, tuple[Path, tuple[Path, ...]]] = {}
    for path in FILES:
        if EXPECTED.get(relative(path), "compiled") != "compiled":
            continue
        root, members = bundle_members(path)
        found.setdefault(relative(root), (root, tuple(members)))
    return found


def bundle_files(root: Path, members: tuple[Path, ...]) -> dict[str, bytes]:
    """The files of a bundle under the keys it is compiled with (plus a caller for bare DMN)."""
    _, _, keys = compile_members(root, members)
    files = {keys[p]: p.read_bytes() for p in members}
    if not any(key.endswith(".bpmn") for key in files):
        files[CALLER] = caller_for(files)
    return files


def write_bundle(files: dict[str, bytes], folder: Path) -> Path:
    for key, content in files.items():
        (folder / key).parent.mkdir(parents=True, exist_ok=True)
        (folder / key).write_bytes(content)
    return folder


def summary(result: dict) -> str:
    """A trial's outcome in one line: what it waits for, or where it failed."""
    if result["status"] == "error":
        return f"error at {result['error']['element']}: {result['error']['message'].strip()}"
    if result["status"] != "running":
        return result["status"]
    waits = [
        (what, ", ".join(item[key] for item in result[field]))
        for what, field, key in (("task", "ready_tasks", "element"), ("timer", "timers", "element"),
                                 ("message", "awaited_messages", "message"))
        if result[field]
    ]
    return "running: " + "; ".join(f"{what} {items}" for what, items in waits)


def run_trial(folder: Path, bundle: Path, data: dict, process: str) -> dict:
    """``trial_run`` in a thread, so that a process that never reaches a wait state is reported."""
    import threading

    from web.composition import trial_run

    outcome: dict = {}

    def work() -> None:
        try:
            outcome["result"] = trial_run([bundle], data=data, process_id=process, folder=folder)
        except BaseException as exc:  # re-raised below, in the test's thread
            outcome["error"] = exc

    thread = threading.Thread(target=work, name=f"trial {process}", daemon=True)
    thread.start()
    thread.join(TRIAL_TIMEOUT)
    assert not thread.is_alive(), f"{process} did not reach a wait state in {TRIAL_TIMEOUT}s"
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]


def assert_sensible(result: dict, files: dict[str, bytes]) -> None:
    """The contract of every trial, whatever the process."""
    status = result["status"]
    assert status in ("running", "completed", "error"), status
    waits = result["ready_tasks"] or result["timers"] or result["awaited_messages"]
    if status == "error":
        element, message = result["error"]["element"], result["error"]["message"]
        assert element and any(f'id="{element}"'.encode() in f for f in files.values()), element
        assert message and message.strip(), result["error"]
        assert not RUN_LEAKS.search(message), message
    else:
        assert result["error"] is None, result["error"]
    if status == "running":
        assert waits, "running but waiting for nothing"
    if status == "completed":
        assert not waits, result


@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"the shared corpus is not at {CORPUS}")
@pytest.mark.parametrize("trial", TRIALS, ids=[t.id for t in TRIALS])
def test_corpus_process_trial_run_reaches_a_sensible_state(trial: Trial, tmp_path: Path) -> None:
    assert trial.bundle in compiled_bundles(), f"no compiling bundle {trial.bundle}"
    root, members = compiled_bundles()[trial.bundle]
    bundle, problems, _ = compile_members(root, members)
    assert bundle is not None, problems
    files = bundle_files(root, members)
    result = run_trial(tmp_path, write_bundle(files, tmp_path / "bundle"), trial.data, trial.process)
    assert result["process"] == trial.process
    assert result["startable"] == sorted(bundle.processes)
    assert_sensible(result, files)
    assert summary(result) == trial.outcome
    if trial.data_after is not None:
        assert {k: result["data"].get(k) for k in trial.data_after} == trial.data_after


@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"the shared corpus is not at {CORPUS}")
def test_every_startable_corpus_process_has_a_trial(tmp_path: Path) -> None:
    """New compiling bundles are tried with no data; known ones must be pinned in TRIALS."""
    pinned = {(t.bundle, t.process) for t in TRIALS}
    unpinned = []
    for name, (root, members) in compiled_bundles().items():
        bundle, _, _ = compile_members(root, members)
        if bundle is None:
            continue
        known = all(relative(p) in EXPECTED for p in members)
        for process in sorted(bundle.processes):
            if (name, process) in pinned:
                continue
            if known:
                unpinned.append(f"{name}::{process}")
                continue
            files = bundle_files(root, members)
            folder = tmp_path / f"{len(unpinned)}-{process}"
            folder.mkdir()
            result = run_trial(folder, write_bundle(files, folder / "bundle"), {}, process)
            assert_sensible(result, files)
    assert unpinned == [], "add these processes to TRIALS"


WITH_TASKS = [t for t in TRIALS if t.outcome.startswith("running: task")]


def _first_task(trial: Trial) -> str:
    return trial.outcome.split("task ", 1)[1].split(";")[0].split(",")[0]


@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"the shared corpus is not at {CORPUS}")
@pytest.mark.parametrize(
    "trial",
    WITH_TASKS,
    ids=[t.id for t in WITH_TASKS],
)
def test_corpus_first_ready_task_can_be_completed(trial: Trial, tmp_path: Path) -> None:
    """Completing the first ready task with no data advances the instance or is refused plainly."""
    from engine.database import Database
    from engine.errors import EngineError
    from engine.runtime import Engine
    from web.composition import upgrade

    root, members = compiled_bundles()[trial.bundle]
    database = Database(f"sqlite:///{tmp_path / 'trial.db'}")
    try:
        upgrade(database)
        engine = Engine(database)
        with engine.transaction() as session:
            engine.deploy(session, bundle_files(root, members), actor="corpus")
            view = engine.start(session, trial.process, data=trial.data, actor="corpus")
        task = view.ready_tasks[0]
        assert task.element_id == _first_task(trial)
        try:
            with engine.transaction() as session:
                after = engine.complete_task(session, task.id, data={}, actor="corpus")
        except EngineError as refused:  # e.g. a form that requires fields
            assert not RUN_LEAKS.search(str(refused)), refused
            return
        assert after.status in ("running", "completed", "error")
        if after.status == "error":
            assert after.error_element and not RUN_LEAKS.search(after.error_message or "")
    finally:
        database.dispose()
