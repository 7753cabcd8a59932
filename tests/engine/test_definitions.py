"""Compiling definition bundles: what compiles, and exactly what an administrator is told when not.

The valid bundle lives in ``data/definitions/valid``; every problem case is that bundle with one
small edit, so each expected line is located by a marker in the edited text rather than by a
hard-coded line number.
"""

from __future__ import annotations

import random
import re
import time
from pathlib import Path

import pytest
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from engine import definitions, xmlsafe
from engine.definitions import (
    MAX_FILE_BYTES,
    CompiledBundle,
    check_paths,
    compile_bundle,
    content_hash,
    read_paths,
)
from engine.errors import DefinitionError, Problem

VALID = Path(__file__).parent / "data" / "definitions" / "valid"
MEDIATION = "mediation.bpmn"
LEAKS = re.compile(r"Traceback|KeyError|ValueError|TypeError|AttributeError|IndexError|"
                   r"object has no attribute|NoneType|Exception\b|File \"")


# --------------------------------------------------------------------------- helpers


def valid_files() -> dict[str, bytes]:
    """The valid bundle, read fresh."""
    return read_paths([VALID])


def edit(files: dict[str, bytes], key: str, old: str, new: str) -> dict[str, bytes]:
    """A copy of ``files`` with the single occurrence of ``old`` in ``key`` replaced."""
    text = files[key].decode()
    assert text.count(old) == 1, f"{old!r} must occur once in {key}"
    return {**files, key: text.replace(old, new).encode()}


def line_of(files: dict[str, bytes], key: str, marker: str) -> int:
    """The 1-based line where ``marker`` first occurs in ``key``."""
    text = files[key].decode()
    return text.count("\n", 0, text.index(marker)) + 1


def problems_of(files: dict[str, bytes], **kwargs: object) -> list[Problem]:
    """The problems compile_bundle reports for ``files`` (it must refuse them)."""
    with pytest.raises(DefinitionError) as info:
        compile_bundle(files, **kwargs)  # type: ignore[arg-type]
    return info.value.problems


def assert_plain(problems: list[Problem]) -> None:
    """Every problem names a file and speaks plain words, not Python internals."""
    assert problems
    for problem in problems:
        assert problem.file
        assert problem.reason
        assert not LEAKS.search(problem.reason), problem


def bpmn(body: str, *, extra_ns: str = "", top: str = "") -> bytes:
    """A one-process BPMN file around ``body`` (flow elements of process 'p')."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" {extra_ns}
    id="defs" targetNamespace="http://tiaojie.example/test">{top}
  <bpmn:process id="p" isExecutable="true">
    <bpmn:startEvent id="s"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="work" />
{body}
    <bpmn:sequenceFlow id="f2" sourceRef="work" targetRef="e" />
    <bpmn:endEvent id="e"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>
""".encode()


# --------------------------------------------------------------------------- the valid bundle


def test_valid_bundle_compiles_with_forms_decisions_and_called_processes() -> None:
    files = valid_files()
    bundle = compile_bundle(files)
    assert isinstance(bundle, CompiledBundle)
    assert sorted(bundle.files) == ["decisions/tier.dmn", "forms/apply.json",
                                    "forms/apply_ui.json", MEDIATION, "review.bpmn"]
    assert sorted(bundle.processes) == ["mediation", "review"]
    mediation = bundle.processes["mediation"]
    assert (mediation.process_id, mediation.name) == ("mediation", "Mediation")
    assert sorted(mediation.subprocess_specs) == ["review"]
    assert mediation.forms == {"fill_application": "forms/apply.json"}
    assert mediation.ui_schemas == {"fill_application": "forms/apply_ui.json"}
    assert bundle.processes["review"].name == "Court review"
    assert bundle.warnings == []


def test_compiled_spec_runs_through_decision_gateway_and_call_activity() -> None:
    mediation = compile_bundle(valid_files()).processes["mediation"]
    workflow = BpmnWorkflow(mediation.spec, mediation.subprocess_specs)
    workflow.do_engine_steps()
    [task] = workflow.get_tasks(state=TaskState.READY, manual=True)
    assert task.task_spec.bpmn_id == "fill_application"
    task.task_spec.add_data_from_form(task, {"amount": 5000})
    task.run()
    workflow.refresh_timers()
    workflow.do_engine_steps()
    [task] = workflow.get_tasks(state=TaskState.READY, manual=True)
    assert task.task_spec.bpmn_id == "review_case"
    assert task.data["tier"] == "court"


def test_identical_content_gives_identical_hash_whatever_the_order() -> None:
    files = valid_files()
    reordered = dict(reversed(list(files.items())))
    assert list(reordered) != list(files)
    assert content_hash(reordered) == content_hash(files)
    assert compile_bundle(reordered).content_hash == compile_bundle(files).content_hash
    assert compile_bundle(files).content_hash == content_hash(files)


def test_one_changed_byte_or_name_changes_the_hash() -> None:
    files = valid_files()
    changed = {**files, "forms/apply_ui.json": files["forms/apply_ui.json"] + b" "}
    renamed = {("forms/ui.json" if k == "forms/apply_ui.json" else k): v for k, v in files.items()}
    assert len({content_hash(files), content_hash(changed), content_hash(renamed)}) == 3


# --------------------------------------------------------------------------- one problem each


PROBLEM_CASES = [
    pytest.param(
        MEDIATION, ' default="to_review"', "", '<bpmn:sequenceFlow id="to_review"', "to_review",
        "sequence flow 'to_review' leaves exclusive gateway 'route' without a condition and is "
        "not its default flow: add a condition or make it the gateway's default",
        id="gateway-flow-without-condition"),
    pytest.param(
        MEDIATION, 'tier == "village"', "${tier == 'village'}", "${tier", "to_register",
        "sequence flow 'to_register': condition ${tier == 'village'} is written in JUEL "
        "(Camunda 7/Activiti); write it as a Python expression, e.g. tier == 'village'",
        id="juel-condition"),
    pytest.param(
        MEDIATION, 'tier == "village"', '= tier = "village"', '= tier', "to_register",
        "sequence flow 'to_register': condition = tier = \"village\" is written in FEEL "
        "(Camunda 8); write it as a Python expression",
        id="feel-condition"),
    pytest.param(
        MEDIATION, 'tier == "village"', "tier ==", "tier ==", "to_register",
        "sequence flow 'to_register': condition tier == is not a valid Python expression: "
        "invalid syntax",
        id="condition-not-python"),
    pytest.param(
        MEDIATION, '"P5D"', "P5D", "P5D", "reminder",
        "boundary event 'reminder': timer expression P5D is not a valid expression; write a "
        "quoted ISO 8601 value such as \"P5D\"",
        id="timer-without-quotes"),
    pytest.param(
        MEDIATION, '"P5D"', '"P5X"', '"P5X"', "reminder",
        "boundary event 'reminder': timer value \"P5X\" is not a valid ISO 8601 duration",
        id="timer-bad-iso"),
    pytest.param(
        MEDIATION, '"P5D"', "0 0 9 * * ?", "0 0 9", "reminder",
        "boundary event 'reminder': timer expression 0 0 9 * * ? is a cron expression; tiaojie "
        "timers take a quoted ISO 8601 value such as \"R/PT5M\"",
        id="timer-cron"),
    pytest.param(
        MEDIATION, "register_count = 1", "register_count = = 1", "register_count", "register",
        "script task 'register': script is not valid Python: invalid syntax (script line 2)",
        id="script-not-python"),
    pytest.param(
        MEDIATION, 'scriptFormat="python"', 'scriptFormat="groovy"', "groovy", "register",
        "script task 'register' is written in groovy (scriptFormat=\"groovy\"); tiaojie runs "
        "Python scripts",
        id="script-not-python-format"),
    pytest.param(
        MEDIATION, 'calledElement="review"', 'calledElement="nowhere"', "nowhere", "call_review",
        "call activity 'call_review' calls process 'nowhere', which is not in the bundle",
        id="missing-called-process"),
    pytest.param(
        MEDIATION, ">tier_decision<", ">no_such_decision<", "no_such_decision", "assess_tier",
        "business rule task 'assess_tier' calls decision 'no_such_decision', which is not in "
        "the bundle",
        id="missing-decision"),
    pytest.param(
        MEDIATION, "<spiffworkflow:calledDecisionId>tier_decision</spiffworkflow:calledDecisionId>",
        "", '<bpmn:businessRuleTask id="assess_tier"', "assess_tier",
        "business rule task 'assess_tier' names no decision: set spiffworkflow:calledDecisionId",
        id="business-rule-without-decision"),
    pytest.param(
        MEDIATION, 'value="forms/apply.json"', 'value="forms/missing.json"', "forms/missing.json",
        "fill_application",
        "user task 'fill_application' uses form 'forms/missing.json', which is not in the bundle",
        id="missing-form"),
    pytest.param(
        MEDIATION, 'value="forms/apply_ui.json"', 'value="forms/ui.json"', "forms/ui.json",
        "fill_application",
        "user task 'fill_application' uses UI schema 'forms/ui.json', which is not in the bundle",
        id="missing-ui-schema"),
    pytest.param(
        "forms/apply.json", '"Mediation application",', '"Mediation application"', '"type"', None,
        "invalid JSON: Expecting ',' delimiter",
        id="form-invalid-json"),
    pytest.param(
        MEDIATION, '<bpmn:manualTask id="remind"', '<bpmn:manualTask colour="red" id="remind"',
        "colour", "remind",
        "does not follow the BPMN 2.0 schema: element bpmn:manualTask, attribute 'colour': The "
        "attribute 'colour' is not allowed.",
        id="schema-error"),
    pytest.param(
        MEDIATION, '<bpmn:sequenceFlow id="to_end_reminded"',
        '<bpmn:sequenceFlow id="extra" sourceRef="remind" targetRef="end_reviewed" />\n'
        '    <bpmn:sequenceFlow id="to_end_reminded"',
        '<bpmn:manualTask id="remind"', "remind",
        "manual task 'remind' has 2 outgoing sequence flows; split the flow with a gateway",
        id="task-with-two-outgoing-flows"),
    pytest.param(
        MEDIATION, 'sourceRef="fill_application" targetRef="assess_tier" />',
        'sourceRef="fill_application" targetRef="assess_tier">\n'
        "      <bpmn:conditionExpression>amount &gt; 0</bpmn:conditionExpression>\n"
        "    </bpmn:sequenceFlow>",
        "amount &gt; 0", "to_assess",
        "the condition on sequence flow 'to_assess' would be ignored: only flows leaving an "
        "exclusive or inclusive gateway can have conditions",
        id="condition-on-task-flow"),
    pytest.param(
        MEDIATION, '<bpmn:process id="mediation"',
        '<bpmn:dataStore id="archive" name="Archive" />\n  <bpmn:process id="mediation"',
        "<bpmn:dataStore", "archive",
        "data store 'Archive' is not supported: tiaojie keeps process data in the instance and "
        "has no data store implementations",
        id="data-store"),
    pytest.param(
        "decisions/tier.dmn", 'hitPolicy="UNIQUE"', 'hitPolicy="PRIORITY"', "<decisionTable",
        "tier_table",
        "hit policy PRIORITY is not supported (tiaojie supports UNIQUE, FIRST, ANY and COLLECT "
        "without aggregation)",
        id="dmn-hit-policy"),
    pytest.param(
        "decisions/tier.dmn", "&lt; 1000", "[0..1000[", '<inputEntry id="small_claim_amount"',
        "small_claim_amount",
        "input entry 'small_claim_amount': [0..1000[ is not a Python expression or comparison "
        "(e.g. \"a\", > 5, 1 <= ? <= 5)",
        id="dmn-feel-range"),
]


@pytest.mark.parametrize(("key", "old", "new", "marker", "element", "reason"), PROBLEM_CASES)
def test_each_kind_of_problem_is_reported_once_where_it_is(
    key: str, old: str, new: str, marker: str, element: str | None, reason: str
) -> None:
    files = edit(valid_files(), key, old, new)
    expected = str(Problem(key, line_of(files, key, marker), element, reason))
    assert [str(p) for p in problems_of(files)] == [expected]


def test_form_that_is_not_a_json_schema() -> None:
    files = edit(valid_files(), "forms/apply.json", '"type": "object"', '"type": "thing"')
    [problem] = problems_of(files)
    assert (problem.file, problem.line, problem.element) == ("forms/apply.json", None, None)
    assert problem.reason.startswith("not a valid JSON Schema at type: 'thing'")


def test_duplicate_process_id_across_files() -> None:
    files = valid_files()
    files["review_copy.bpmn"] = files["review.bpmn"]
    [problem] = problems_of(files)
    assert str(problem) == ("review_copy.bpmn:4: review: process id 'review' is also declared "
                            "in review.bpmn")


def test_non_executable_called_process_reports_the_file_and_the_call() -> None:
    files = edit(valid_files(), "review.bpmn", 'isExecutable="true"', 'isExecutable="false"')
    assert [str(p) for p in problems_of(files)] == [
        f"{MEDIATION}:{line_of(files, MEDIATION, '<bpmn:callActivity')}: call_review: call "
        "activity 'call_review' calls process 'review', which is not executable "
        "(isExecutable=\"false\")",
        "review.bpmn:4: review: process 'review' is not executable (isExecutable=\"false\"): "
        "tiaojie only deploys executable processes",
    ]


# --------------------------------------------------------------------------- vendor extensions


CAMUNDA = 'xmlns:camunda="http://camunda.org/schema/1.0/bpmn"'
ZEEBE = 'xmlns:zeebe="http://camunda.org/schema/zeebe/1.0"'
SPIFF_OPERATOR = re.compile(
    r"<spiffworkflow:serviceTaskOperator.*?</spiffworkflow:serviceTaskOperator>", re.DOTALL)


def with_vendor(namespace: str, operator: str, task_attrs: str = "") -> dict[str, bytes]:
    """The valid bundle with the service task's spiff operator replaced by vendor markup."""
    files = valid_files()
    text = files[MEDIATION].decode().replace(
        'xmlns:xsi=', f"{namespace}\n                  xmlns:xsi=")
    text = SPIFF_OPERATOR.sub(operator, text)
    text = text.replace('<bpmn:serviceTask id="notify_parties"',
                        f'<bpmn:serviceTask id="notify_parties" {task_attrs}')
    return {**files, MEDIATION: text.encode()}


def test_camunda_java_class_is_refused() -> None:
    files = with_vendor(CAMUNDA, "", 'camunda:class="org.example.Notify"')
    assert [str(p) for p in problems_of(files)] == [
        f"{MEDIATION}:{line_of(files, MEDIATION, 'camunda:class')}: notify_parties: service task "
        "'notify_parties' is implemented by Java class \"org.example.Notify\" (camunda:class), "
        "which tiaojie cannot run"]


def test_zeebe_job_worker_is_refused() -> None:
    files = with_vendor(ZEEBE, '<zeebe:taskDefinition type="notify-worker" />')
    assert [str(p) for p in problems_of(files)] == [
        f"{MEDIATION}:{line_of(files, MEDIATION, '<zeebe:taskDefinition')}: notify_parties: "
        "service task 'notify_parties' is implemented by a job worker (zeebe:taskDefinition "
        "type \"notify-worker\"), which tiaojie cannot run"]


def test_service_task_without_implementation_is_refused() -> None:
    files = with_vendor("", "")
    [problem] = problems_of(files)
    assert problem.element == "notify_parties"
    assert problem.reason == ("service task 'notify_parties' has no implementation tiaojie can "
                              "run: add a spiffworkflow:serviceTaskOperator naming a service")


def test_vendor_implementation_next_to_a_spiff_operator_is_ignored_with_a_warning() -> None:
    files = valid_files()
    text = files[MEDIATION].decode().replace(
        'xmlns:xsi=', f"{CAMUNDA}\n                  xmlns:xsi=").replace(
        '<bpmn:serviceTask id="notify_parties"',
        '<bpmn:serviceTask id="notify_parties" camunda:class="org.example.Notify"').replace(
        '<bpmn:userTask id="fill_application"',
        '<bpmn:userTask id="fill_application" camunda:asyncBefore="true" camunda:formKey="x"')
    bundle = compile_bundle({**files, MEDIATION: text.encode()})
    assert [str(w) for w in bundle.warnings] == [
        f"{MEDIATION}: -: vendor extensions ignored (they do not change how the process runs in "
        "tiaojie): camunda:asyncBefore, camunda:class, camunda:formKey"]


def test_unknown_service_operator_is_refused_when_services_are_known() -> None:
    files = valid_files()
    compile_bundle(files, known_services={"notify"})
    [problem] = problems_of(files, known_services={"sms"})
    assert str(problem) == (f"{MEDIATION}:{line_of(files, MEDIATION, '<spiffworkflow:serviceTask')}"
                            ": notify_parties: service task 'notify_parties' calls service "
                            "'notify', which tiaojie does not provide")


def test_non_executable_pool_next_to_an_executable_process_is_ignored_with_a_warning() -> None:
    files = valid_files()
    text = files["review.bpmn"].decode().replace(
        "</bpmn:definitions>",
        '  <bpmn:process id="other_party" isExecutable="false" />\n</bpmn:definitions>')
    bundle = compile_bundle({**files, "review.bpmn": text.encode()})
    assert sorted(bundle.processes) == ["mediation", "review"]
    assert [str(w) for w in bundle.warnings] == [
        "review.bpmn:18: other_party: process 'other_party' is not executable "
        "(isExecutable=\"false\") and is ignored"]


# --------------------------------------------------------------------------- several problems


def test_every_problem_of_a_bundle_is_reported_not_just_the_first() -> None:
    files = valid_files()
    files = edit(files, MEDIATION, 'tier == "village"', "${tier == 'village'}")
    files = edit(files, MEDIATION, '"P5D"', "P5D")
    files = edit(files, MEDIATION, 'calledElement="review"', 'calledElement="nowhere"')
    files = edit(files, MEDIATION, 'value="forms/apply.json"', 'value="forms/missing.json"')
    files = edit(files, "decisions/tier.dmn", 'hitPolicy="UNIQUE"', 'hitPolicy="PRIORITY"')
    files["notes.txt"] = b"remember to ask"
    problems = problems_of(files)
    assert {(p.file, p.element) for p in problems} == {
        (MEDIATION, "to_register"), (MEDIATION, "reminder"), (MEDIATION, "call_review"),
        (MEDIATION, "fill_application"), ("decisions/tier.dmn", "tier_table"),
        ("notes.txt", None),
    }
    assert_plain(problems)
    assert [p.file for p in problems] == sorted(p.file for p in problems)


# --------------------------------------------------------------------------- library errors


LIBRARY_CASES = [
    pytest.param(
        '<bpmn:subProcess id="work"><bpmn:endEvent id="inner_end" /></bpmn:subProcess>',
        "work", "sub-process 'work' must contain exactly one start event (found 0)",
        id="subprocess-without-start"),
    pytest.param(
        '<bpmn:task id="work" />\n'
        '<bpmn:boundaryEvent id="b" attachedToRef="work"><bpmn:outgoing>f3</bpmn:outgoing>'
        '</bpmn:boundaryEvent>\n'
        '<bpmn:sequenceFlow id="f3" sourceRef="b" targetRef="e" />',
        "b", "boundary event 'b' has no event definition tiaojie supports",
        id="boundary-event-without-definition"),
    pytest.param(
        '<bpmn:serviceTask id="work"><bpmn:extensionElements>'
        '<spiffworkflow:serviceTaskOperator id="notify"><spiffworkflow:parameters>'
        '<spiffworkflow:parameter id="to" value="x" /></spiffworkflow:parameters>'
        '</spiffworkflow:serviceTaskOperator></bpmn:extensionElements></bpmn:serviceTask>',
        "work", "service task 'work' lacks something required: 'type'",
        id="operator-parameter-without-type"),
    pytest.param(
        '<bpmn:intermediateCatchEvent id="work">'
        '<bpmn:messageEventDefinition id="md" messageRef="nowhere" />'
        "</bpmn:intermediateCatchEvent>",
        "work", "intermediate catch event 'work' refers to message 'nowhere', which is not "
        "defined in this file",
        id="undefined-message"),
]


@pytest.mark.parametrize(("body", "element", "reason"), LIBRARY_CASES)
def test_library_errors_become_located_plain_problems(body: str, element: str, reason: str) -> None:
    files = {"p.bpmn": bpmn(body)}
    [problem] = problems_of(files)
    assert (problem.file, problem.element, problem.reason) == ("p.bpmn", element, reason)
    assert problem.line == line_of(files, "p.bpmn", f'id="{element}"')


def test_a_bare_key_error_from_the_library_becomes_a_problem(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def explode(self: object, process_id: str) -> None:
        raise KeyError("decisionRef")

    monkeypatch.setattr(definitions.SpiffBpmnParser, "get_spec", explode)
    problems = problems_of(valid_files())
    assert {p.file for p in problems} == {MEDIATION, "review.bpmn"}
    assert_plain(problems)


def test_an_internal_error_still_comes_out_as_a_definition_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(*args: object) -> None:
        raise RuntimeError("bug")

    monkeypatch.setattr(definitions, "_check_bpmn", broken)
    [problem] = problems_of(valid_files())
    assert problem.file == definitions.BUNDLE
    assert "internal error" in problem.reason


# --------------------------------------------------------------------------- hostile files


def test_external_entity_is_refused_before_anything_is_parsed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-MARKER")
    evil = (f'<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY e SYSTEM "file://{secret}">]>\n'
            '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">&e;'
            "</bpmn:definitions>").encode()

    def no_parsing(*args: object, **kwargs: object) -> None:
        raise AssertionError("the parser must not see this file")

    monkeypatch.setattr(xmlsafe.etree, "fromstring", no_parsing)
    with pytest.raises(DefinitionError) as info:
        compile_bundle({"evil.bpmn": evil})
    assert [str(p) for p in info.value.problems] == [
        "evil.bpmn:2: -: file declares a DOCTYPE/entities, which is not allowed"]
    assert "TOP-SECRET-MARKER" not in str(info.value)


def test_passwd_entity_is_refused() -> None:
    evil = (b'<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>\n'
            b"<x>&e;</x>")
    [problem] = problems_of({"evil.dmn": evil})
    assert "DOCTYPE" in problem.reason
    assert "root:" not in problem.reason


def test_billion_laughs_is_refused_quickly() -> None:
    levels = "".join(f'<!ENTITY l{i} "{("&l" + str(i - 1) + ";") * 10}">' for i in range(1, 10))
    bomb = (f'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY l0 "lol">{levels}]>\n'
            "<lolz>&l9;</lolz>").encode()
    started = time.perf_counter()
    [problem] = problems_of({"bomb.bpmn": bomb})
    assert time.perf_counter() - started < 1
    assert (problem.line, problem.reason) == (2, "file declares a DOCTYPE/entities, which is "
                                                 "not allowed")


def test_doctype_hidden_in_utf16_is_refused() -> None:
    evil = ('<?xml version="1.0" encoding="UTF-16"?>\n<!DOCTYPE x [<!ENTITY e "boo">]>\n'
            "<x>&e;</x>").encode("utf-16")
    [problem] = problems_of({"evil.bpmn": evil})
    assert "DOCTYPE" in problem.reason


def test_oversized_file_is_refused_before_parsing() -> None:
    [problem] = problems_of({"big.bpmn": b" " * (MAX_FILE_BYTES + 1)})
    assert str(problem) == "big.bpmn: -: file is 5.0 MiB; the limit is 5 MiB"


def test_oversized_file_on_disk_is_refused(tmp_path: Path) -> None:
    (tmp_path / "big.json").write_bytes(b" " * (MAX_FILE_BYTES + 1))
    with pytest.raises(DefinitionError) as info:
        read_paths([tmp_path])
    assert "the limit is 5 MiB" in str(info.value)


@pytest.mark.parametrize(("key", "content", "reason"), [
    pytest.param("junk.bpmn", bytes(range(256)), "not well-formed XML", id="binary"),
    pytest.param("junk.dmn", b"<definitions><decision></definitions>", "not well-formed XML",
                 id="unclosed"),
    pytest.param("page.bpmn", b"<html><body/></html>", "not a BPMN file: the root element is "
                 "<html>, expected bpmn:definitions (BPMN 2.0)", id="wrong-root"),
    pytest.param("empty.bpmn", b"", "file is empty", id="empty"),
    pytest.param("junk.json", b"\xff\xfe\x00garbage", "invalid JSON", id="json-garbage"),
    pytest.param("notes.txt", b"hello", "unknown file type '.txt': a bundle holds .bpmn, .dmn "
                 "and .json files", id="txt"),
    pytest.param("../up.bpmn", b"<x/>", "a file name may not contain empty, '.' or '..' parts",
                 id="path-escape"),
])
def test_garbage_is_refused_in_plain_words(key: str, content: bytes, reason: str) -> None:
    [problem] = problems_of({key: content})
    assert problem.file == key
    assert problem.reason.startswith(reason)


def test_truncated_and_mangled_files_only_ever_raise_definition_error() -> None:
    files = valid_files()
    rng = random.Random(20240601)
    for key in (MEDIATION, "decisions/tier.dmn", "forms/apply.json"):
        data = files[key]
        variants = [data[:cut] for cut in range(0, len(data), max(1, len(data) // 40))]
        for _ in range(40):
            start = rng.randrange(len(data))
            variants.append(data[:start] + data[start + rng.randint(1, 40):])
        for variant in variants:
            try:
                compile_bundle({**files, key: variant})
            except DefinitionError as error:
                assert_plain(error.problems)


def test_removing_required_attributes_only_ever_raises_definition_error() -> None:
    files = valid_files()
    text = files[MEDIATION].decode()
    for match in re.finditer(r'\s(id|sourceRef|targetRef|attachedToRef|calledElement|name|'
                             r'value|default)="[^"]*"', text):
        variant = text[: match.start()] + text[match.end():]
        try:
            compile_bundle({**files, MEDIATION: variant.encode()})
        except DefinitionError as error:
            assert_plain(error.problems)


# --------------------------------------------------------------------------- xmlsafe


def test_parse_xml_keeps_line_numbers() -> None:
    tree = xmlsafe.parse_xml(b'<?xml version="1.0"?>\n<a>\n  <b id="x"/>\n</a>', filename="a.xml")
    [b] = tree.getroot()
    assert b.sourceline == 3


def test_parse_xml_reports_the_line_of_a_syntax_error() -> None:
    with pytest.raises(DefinitionError) as info:
        xmlsafe.parse_xml(b"<a>\n<b>\n</a>", filename="bad.bpmn")
    [problem] = info.value.problems
    assert (problem.file, problem.line) == ("bad.bpmn", 3)
    assert problem.reason.startswith("not well-formed XML: Opening and ending tag mismatch")


# --------------------------------------------------------------------------- reading paths


def test_read_paths_keys_files_relative_to_the_directory(tmp_path: Path) -> None:
    (tmp_path / "forms").mkdir()
    (tmp_path / ".git").mkdir()
    (tmp_path / "forms" / "a.json").write_text("{}")
    (tmp_path / "main.bpmn").write_text("<x/>")
    (tmp_path / "README.md").write_text("ignored")
    (tmp_path / ".git" / "HEAD.json").write_text("{}")
    single = tmp_path / "forms" / "a.json"
    assert sorted(read_paths([tmp_path])) == ["forms/a.json", "main.bpmn"]
    assert list(read_paths([single])) == ["a.json"]


def test_read_paths_refuses_missing_paths_unknown_types_and_clashes(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("x")
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    (tmp_path / "one" / "p.bpmn").write_text("<x/>")
    (tmp_path / "two" / "p.bpmn").write_text("<y/>")
    with pytest.raises(DefinitionError) as info:
        read_paths([tmp_path / "missing", tmp_path / "notes.txt", tmp_path / "one",
                    tmp_path / "two"])
    reasons = [p.reason for p in info.value.problems]
    assert reasons[0] == "no such file or directory"
    assert reasons[1].startswith("unknown file type '.txt'")
    assert reasons[2].startswith("two files would both be named 'p.bpmn' in the bundle")


def test_check_paths_lists_problems_or_nothing(tmp_path: Path) -> None:
    assert check_paths([VALID]) == []
    broken = tmp_path / "broken.bpmn"
    broken.write_bytes(bpmn('<bpmn:task id="work" />').replace(b'isExecutable="true"',
                                                               b'isExecutable="false"'))
    [problem] = check_paths([broken])
    assert str(problem) == ("broken.bpmn:5: p: process 'p' is not executable "
                            "(isExecutable=\"false\"): tiaojie only deploys executable processes")


def _tiny(body: str) -> dict[str, bytes]:
    return {"tiny.bpmn": (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" '
        'targetNamespace="http://tiaojie.test/tiny">\n'
        '<bpmn:process id="tiny" isExecutable="true">\n' + body + "\n</bpmn:process>\n"
        "</bpmn:definitions>\n"
    ).encode()}


def test_a_start_event_leading_nowhere_is_a_problem_not_a_runtime_stall() -> None:
    files = _tiny(
        '<bpmn:startEvent id="begin" />\n'
        '<bpmn:task id="work" />\n'
        '<bpmn:endEvent id="finish" />\n'
        '<bpmn:sequenceFlow id="f1" sourceRef="work" targetRef="finish" />'
    )
    with pytest.raises(DefinitionError) as err:
        compile_bundle(files)
    assert [str(p) for p in err.value.problems] == [
        "tiny.bpmn:4: begin: start event 'begin' has no outgoing sequence flow, so the process "
        "cannot go on from it"
    ]


def test_an_unreachable_element_is_a_warning_and_the_rest_deploys() -> None:
    bundle = compile_bundle(_tiny(
        '<bpmn:startEvent id="begin" />\n'
        '<bpmn:endEvent id="finish" />\n'
        '<bpmn:sequenceFlow id="f1" sourceRef="begin" targetRef="finish" />\n'
        '<bpmn:userTask id="leftover" />'
    ))
    assert "tiny" in bundle.processes
    assert [str(w) for w in bundle.warnings] == [
        "tiny.bpmn:7: leftover: user task 'leftover' has no incoming sequence flow, so the "
        "process can never reach it"
    ]
