"""The sandbox for diagram expressions and scripts, alone and inside real SpiffWorkflow runs."""

from __future__ import annotations

import copy
import functools
import os
import subprocess
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser
from SpiffWorkflow.util.task import TaskState

from engine.errors import ExpressionError, SandboxViolation
from engine.sandbox import (
    LOCAL_ZONE,
    ExpressionSyntaxError,
    SandboxedEnvironment,
    SandboxedScriptEngine,
    SandboxLimits,
)

DATA_DIR = Path(__file__).parent / "data"
# Short names for the attack tables below.
V = SandboxViolation
E = ExpressionError
SAFE_XML = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


def deadline_cd(start: str, days: int) -> str:
    """A stand-in for the application's calendar-day deadline function."""
    return (date.fromisoformat(start) + timedelta(days=days)).isoformat()


FUNCTIONS = {"deadline_cd": deadline_cd}


def sample_data() -> dict[str, Any]:
    return {
        "amount": 1500,
        "type": "labour",
        "name": "  Wang Fang ",
        "claim": {"currency": "CNY", "parts": [300, 700, 500]},
        "items": [
            {"name": " filing ", "qty": 2, "price": 30},
            {"name": "copy", "qty": 10, "price": 1.5},
        ],
        "received": "2024-03-01",
        "tags": ["urgent", "wages"],
    }


@pytest.fixture
def env() -> SandboxedEnvironment:
    return SandboxedEnvironment(FUNCTIONS)


# --- ordinary expressions and scripts -----------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("amount > 1000 and type == 'labour'", True),
        ("amount > 1000 and type == 'contract'", False),
        ("not (amount <= 1000) or missing_is_never_read", True),
        ("claim['currency'] == 'CNY' and claim.get('rate', 1) == 1", True),
        ("sum(claim['parts']) == amount", True),
        ("name.strip().upper()", "WANG FANG"),
        ("name.strip().startswith('Wang')", True),
        ("'wages' in tags and len(tags) == 2", True),
        ("'high' if amount > 1000 else 'low'", "high"),
        ("[i['qty'] * i['price'] for i in items]", [60, 15.0]),
        ("{i['name'].strip(): i['qty'] for i in items if i['qty'] > 1}", {"filing": 2, "copy": 10}),
        ("{t[0] for t in tags}", {"u", "w"}),
        ("max(claim['parts']) - min(claim['parts'])", 400),
        ("sorted(claim['parts'], reverse=True)[0]", 700),
        ("round(amount / 7, 2)", 214.29),
        ("claim['parts'][1:]", [700, 500]),
        ("f'{amount:,} {claim[\"currency\"]}'", "1,500 CNY"),
        ("deadline_cd(received, 15)", "2024-03-16"),
        ("'P5D'", "P5D"),
        ("{**claim, 'rate': 2}['rate']", 2),
        ("list(enumerate(tags))[1]", (1, "wages")),
        ("any(p > 600 for p in claim['parts']) and all(p > 0 for p in claim['parts'])", True),
    ],
)
def test_expressions_evaluate_like_python(
    env: SandboxedEnvironment, expression: str, expected: Any
) -> None:
    assert env.evaluate(expression, sample_data()) == expected


def test_date_helpers_and_date_attributes(env: SandboxedEnvironment) -> None:
    data = {"filed": date(2024, 3, 1), "heard_at": datetime(2024, 3, 5, 9, 30, tzinfo=LOCAL_ZONE)}
    assert env.evaluate("(heard_at.date() - filed).days", data) == 4
    assert env.evaluate("(filed + timedelta(days=30)).isoformat()", data) == "2024-03-31"
    assert env.evaluate("parse_date('2024-03-05') > filed and filed.year == 2024", data) is True
    assert env.evaluate("datetime(2024, 3, 1, 9).isoformat()", data) == "2024-03-01T09:00:00+08:00"
    assert env.evaluate("parse_datetime('2024-03-01T09:00:00').hour", data) == 9
    assert env.evaluate("f'{filed:%Y年%m月%d日}'", data) == "2024年03月01日"


def test_script_with_branches_loops_and_assignments(env: SandboxedEnvironment) -> None:
    data = sample_data()
    env.execute(
        """
invoice = {'lines': [], 'total': 0}
for item in items:
    if item['qty'] <= 0:
        continue
    line = {'name': item['name'].strip(), 'cost': item['qty'] * item['price']}
    invoice['lines'].append(line)
    invoice['total'] += line['cost']
if invoice['total'] > 100:
    band = 'large'
elif invoice['total'] > 50:
    band = 'medium'
else:
    band = 'small'
first, second = claim['parts'][0], claim['parts'][1]
first, second = second, first
claim['parts'][2] = 0
tags += ['reviewed']
due = deadline_cd(received, 15)
del name
""",
        data,
    )
    assert data["invoice"] == {
        "lines": [{"name": "filing", "cost": 60}, {"name": "copy", "cost": 15.0}],
        "total": 75.0,
    }
    assert data["band"] == "medium"
    assert (data["first"], data["second"]) == (700, 300)
    assert data["claim"]["parts"] == [300, 700, 0]
    assert data["tags"] == ["urgent", "wages", "reviewed"]
    assert data["due"] == "2024-03-16"
    assert "name" not in data


def test_loop_variables_reach_the_items_they_name(env: SandboxedEnvironment) -> None:
    data = {"items": [{"n": 1}, {"n": 2}]}
    env.execute("for item in items:\n    item['double'] = item['n'] * 2\n", data)
    assert data["items"] == [{"n": 1, "double": 2}, {"n": 2, "double": 4}]


def test_registered_functions_are_callable_but_not_data(env: SandboxedEnvironment) -> None:
    assert env.evaluate("deadline_cd('2024-01-30', 2)", {}) == "2024-02-01"
    assert "deadline_cd" in env.functions
    with pytest.raises(SandboxViolation, match="cannot be used as data"):
        env.execute("f = deadline_cd", {})


def test_data_names_do_not_hide_functions(env: SandboxedEnvironment) -> None:
    # A form field called "date" is data; date(...) still calls the helper.
    assert env.evaluate("date(2024, 1, 2) > parse_date(date)", {"date": "2024-01-01"}) is True


def test_external_context_is_visible_but_never_written(env: SandboxedEnvironment) -> None:
    external = {"case": {"tier": 1}}
    data: dict[str, Any] = {}
    env.execute("tier = case['tier'] + 1\ncase['tier'] = 9", data, external)
    assert data == {"tier": 2}
    assert external == {"case": {"tier": 1}}


def test_dmn_value_lists_mean_one_of() -> None:
    env = SandboxedEnvironment()
    data = {"kind": "wages"}
    assert env.evaluate("(kind) == ('labour', 'wages')", data, decision_cell=True) is True
    assert env.evaluate("(kind) == ('labour', 'other')", data, decision_cell=True) is False
    # Outside decision tables Python's meaning is kept.
    assert env.evaluate("(kind) == ('labour', 'wages')", data) is False


def test_validate_checks_syntax_the_way_the_dmn_engine_needs() -> None:
    engine = SandboxedScriptEngine()
    engine.validate("amount > 1000")
    engine.validate("'labour', 'wages'")
    with pytest.raises(SyntaxError):
        engine.validate("> 1000")
    with pytest.raises(ExpressionSyntaxError) as caught:
        engine.validate("amount >")
    assert isinstance(caught.value, ExpressionError)
    assert "invalid syntax" in str(caught.value)


def test_checks_for_deployment_refuse_before_running(env: SandboxedEnvironment) -> None:
    env.check_expression("amount > 1000")
    env.check_script("x = 1\nfor i in range(3):\n    x += i")
    with pytest.raises(SandboxViolation, match=r"imports are not allowed \(line 2\)"):
        env.check_script("x = 1\nimport os")
    with pytest.raises(SandboxViolation, match="access to '__class__' is not allowed"):
        env.check_expression("x.__class__")
    with pytest.raises(ExpressionSyntaxError):
        env.check_script("if x\n    pass")


# --- attacks ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "error", "message"),
    [
        ("__import__('os')", V, "name '__import__' is not defined or not allowed"),
        ("open('/etc/passwd')", V, "name 'open' is not defined or not allowed"),
        ("().__class__.__base__.__subclasses__()", V, "access to '__class__' is not allowed"),
        ("amount.__class__", V, "access to '__class__' is not allowed"),
        ("name.__class__.__mro__[-1].__subclasses__()", V, "access to '__class__' is not allowed"),
        ("deadline_cd.__globals__['os']", V, "access to '__globals__' is not allowed"),
        ("deadline_cd.func_globals", V, "access to 'func_globals' is not allowed on a function"),
        ("datetime.sys", V, "access to 'sys' is not allowed on a function"),
        ("date.today()", V, "access to 'today' is not allowed on a function"),
        ("parse_date(received).max", V, "access to 'max' is not allowed"),
        ("str.maketrans", V, "access to 'maketrans' is not allowed on a function"),
        ("'{0.__class__}'.format(amount)", V, "access to 'format' is not allowed"),
        ("getattr(amount, 'real')", V, "name 'getattr' is not defined or not allowed"),
        ("eval('1 + 1')", V, "name 'eval' is not defined or not allowed"),
        ("exec('x = 1')", V, "name 'exec' is not defined or not allowed"),
        ("globals()", V, "name 'globals' is not defined or not allowed"),
        ("(lambda: 1)()", V, "lambda expressions are not allowed"),
        ("[x := 1]", V, "assignment expressions (:=) are not allowed"),
        ("sorted(*tags)", V, "* and ** unpackings are not allowed"),
        ("dict(**claim)", V, "* and ** unpackings are not allowed"),
        ("items.append(1)", V, "'append' changes data, which only scripts may do"),
        ("name.strip", V, "the method 'strip' can only be called"),
        ("tags[0].__len__()", V, "access to '__len__' is not allowed"),
        ("9**9**9", E, "exponent too large"),
        ("'a' * 10**9", E, "text would be too long"),
        ("[0] * 10**9", E, "value too large"),
        ("'%999999999d' % 1", E, "the % operator cannot format text"),
        ("f'{amount:>999999999}'", E, "format specification too large"),
        ("'-'.join(['x' * 90000, 'y' * 90000])", E, "text would be too long"),
        ("('x' * 90000).replace('x', 'yy')", E, "text would be too long"),
        ("name.center(10**9)", E, "text would be too long"),
        ("range(10**9)", E, "range too large"),
        ("list(range(10**12))", E, "range too large"),
        ("[[i * j for i in range(10000)] for j in range(10000)]", E, "too many loop rounds"),
        ("[0 for a in range(10000) for b in range(10000)]", E, "too many loop rounds"),
        ("str([[1] * 1000] * 1000)", E, "value too large"),
        ("round(1, -10**9)", E, "round() precision too large"),
        ("sum([[1], [2]], [])", E, "sum() adds numbers only"),
        ("missing + 1", E, "name 'missing' is not defined or not allowed"),
        ("claim['nope']", E, "key 'nope' not found"),
        ("amount / 0", E, "division by zero"),
        ("b'bytes'", V, "constants of type 'bytes' are not allowed"),
    ],
)
def test_expression_attacks_are_refused_in_plain_words(
    env: SandboxedEnvironment, expression: str, error: type[ExpressionError], message: str
) -> None:
    data = sample_data()
    before = copy.deepcopy(data)
    with pytest.raises(error) as caught:
        env.evaluate(expression, data)
    assert message in str(caught.value)
    assert caught.value.expression == expression
    assert data == before


@pytest.mark.parametrize(
    ("script", "error", "message"),
    [
        ("import os", V, "imports are not allowed (line 1)"),
        ("x = 1\nfrom os import system", V, "imports are not allowed (line 2)"),
        ("x = 1\nos = __import__('os')", V, "name '__import__' is not defined or not allowed"),
        ("x = 1\nkey = open('/etc/passwd').read()", V, "name 'open' is not defined or not allowed"),
        ("while True:\n    pass", V, "while loops are not allowed (line 1)"),
        ("f = lambda: 1", V, "lambda expressions are not allowed (line 1)"),
        ("def f():\n    return 1", V, "function definitions are not allowed (line 1)"),
        ("class A:\n    pass", V, "class definitions are not allowed (line 1)"),
        ("try:\n    x = 1\nexcept Exception:\n    pass", V, "try statements are not allowed"),
        ("with open('x') as f:\n    pass", V, "with statements are not allowed (line 1)"),
        ("global amount", V, "global declarations are not allowed (line 1)"),
        ("raise SystemExit", V, "raise statements are not allowed (line 1)"),
        ("x: int = 1", V, "annotated assignments are not allowed (line 1)"),
        ("claim.currency = 'USD'", V, "assigning to attribute is not allowed (line 1)"),
        ("break", V, "'break' and 'continue' belong in a loop (line 1)"),
        ("x = 1\ny = x.__class__", V, "access to '__class__' is not allowed (line 2)"),
        ("amount = 0\nitems.append(1)\nx = 1 / 0", E, "division by zero (line 3)"),
        ("x = [1]\nfor i in range(100):\n    x = [x, x]", E, "value too large"),
        ("x = [[]]\nfor i in range(100):\n    x.append([x[-1], x[-1]])", E, "value too large"),
        ("tags.extend(tags)\nfor i in range(100):\n    tags.extend(tags)", E, "value too large"),
        ("s = 'ab'\nfor i in range(99):\n    s = s + s", E, "text would be too long (limit 1"),
        ("n = 3\nfor i in range(100):\n    n = n * n", E, "number too large (line 3)"),
        ("x = 1 << 10**6", E, "number too large"),
        ("for i in range(9999):\n    for j in range(9999):\n        pass", E, "too many loop"),
        ("for i in range(10**10):\n    pass", E, "range too large (limit 10000 numbers) (line 1)"),
        ("x = [1]\nfor i in range(200):\n    x = [x]", E, "nested too deeply"),
        ("f = len", V, "a function cannot be used as data (line 1)"),
        ("del nothing_here", E, "name 'nothing_here' is not defined"),
    ],
)
def test_script_attacks_are_refused_and_leave_nothing_behind(
    env: SandboxedEnvironment, script: str, error: type[ExpressionError], message: str
) -> None:
    data = sample_data()
    before = copy.deepcopy(data)
    with pytest.raises(error) as caught:
        env.execute(script, data)
    assert message in str(caught.value)
    assert data == before


def test_a_failing_script_changes_nothing_even_in_nested_data(env: SandboxedEnvironment) -> None:
    data = sample_data()
    before = copy.deepcopy(data)
    script = (
        "claim['parts'].append(1)\nclaim['currency'] = 'USD'\ndel tags[0]\nname = ''\n"
        "boom = claim['nope']"
    )
    with pytest.raises(ExpressionError, match=r"key 'nope' not found \(line 5\)"):
        env.execute(script, data)
    assert data == before


def test_time_and_step_budgets() -> None:
    slow = SandboxedEnvironment(
        limits=SandboxLimits(time_limit=0.05, max_iterations=10**9, max_operations=10**12)
    )
    with pytest.raises(ExpressionError, match="took longer than 0.05 seconds"):
        slow.execute("for i in range(10000):\n    for j in range(10000):\n        x = i * j", {})
    busy = SandboxedEnvironment(limits=SandboxLimits(max_operations=1_000))
    with pytest.raises(ExpressionError, match=r"too many steps \(limit 1000\)"):
        busy.execute("t = 0\nfor i in range(1000):\n    t += i", {})


def test_source_length_is_capped(env: SandboxedEnvironment) -> None:
    with pytest.raises(ExpressionError, match="the script is too long"):
        env.execute("x = 1\n" * 5_000, {})
    with pytest.raises(ExpressionError, match="the expression is too long"):
        env.evaluate("1 + " * 6_000 + "1", {})


@pytest.mark.parametrize(
    "function",
    [os, os.system, subprocess.run, eval, getattr, open, __import__, type,
     functools.partial(os.system, "id")],
    ids=["module", "os.system", "subprocess.run", "eval", "getattr", "open", "__import__",
         "type", "partial"],
)
def test_functions_that_open_the_sandbox_cannot_be_registered(function: Any) -> None:
    with pytest.raises(ValueError, match="cannot be offered to diagrams"):
        SandboxedEnvironment({"f": function})


def test_function_names_must_be_plain() -> None:
    with pytest.raises(ValueError, match="must be an identifier"):
        SandboxedEnvironment({"__import__": deadline_cd})


def test_service_tasks_are_refused() -> None:
    with pytest.raises(SandboxViolation, match="service tasks are not supported"):
        SandboxedEnvironment().call_service({}, operation_name="http/get")


# --- through SpiffWorkflow ----------------------------------------------------------------------


def load_tree(name: str) -> etree._ElementTree:
    return etree.parse(str(DATA_DIR / name), SAFE_XML)


def build_workflow(
    bpmn: etree._ElementTree | None = None,
    dmn: etree._ElementTree | None = None,
    script_engine: PythonScriptEngine | None = None,
) -> BpmnWorkflow:
    parser = SpiffBpmnParser(validator=VALIDATOR)
    bpmn = bpmn or load_tree("sandbox_flow.bpmn")
    dmn = dmn or load_tree("sandbox_tier.dmn")
    parser.add_bpmn_xml(bpmn.getroot(), filename="sandbox_flow.bpmn")
    parser.add_dmn_xml(dmn.getroot(), filename="sandbox_tier.dmn")
    return BpmnWorkflow(
        parser.get_spec("sandbox_flow"),
        parser.get_subprocess_specs("sandbox_flow"),
        script_engine=script_engine or SandboxedScriptEngine(functions=FUNCTIONS),
    )


def start(workflow: BpmnWorkflow, data: dict[str, Any]) -> None:
    workflow.get_next_task(state=TaskState.READY).set_data(**copy.deepcopy(data))
    workflow.do_engine_steps()


def completed(workflow: BpmnWorkflow) -> list[str]:
    tasks = workflow.get_tasks(state=TaskState.COMPLETED)
    return [t.task_spec.bpmn_id for t in tasks if t.task_spec.bpmn_id]


def task_named(workflow: BpmnWorkflow, bpmn_id: str) -> Any:
    return next(t for t in workflow.get_tasks() if t.task_spec.bpmn_id == bpmn_id)


def set_text(tree: etree._ElementTree, xpath: str, text: str) -> etree._ElementTree:
    """A copy of ``tree`` with the text of the one element ``xpath`` finds replaced."""
    changed = copy.deepcopy(tree)
    namespaces = {
        "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
        "dmn": "https://www.omg.org/spec/DMN/20191111/MODEL/",
    }
    (element,) = changed.xpath(xpath, namespaces=namespaces)
    element.text = text
    return changed


PRIORITY_CONDITION = "//bpmn:sequenceFlow[@id='flow_priority']/bpmn:conditionExpression"
PRIORITY_SCRIPT = "//bpmn:scriptTask[@id='mark_priority']/bpmn:script"
BILL_SCRIPT = "//bpmn:scriptTask[@id='bill']/bpmn:script"
PRIORITY_TIER_CELL = "//dmn:outputEntry[@id='rule_priority_tier']/dmn:text"


@pytest.mark.parametrize(
    ("data", "path", "outputs"),
    [
        (
            {"amount": 5000, "kind": " Labour "},
            ["start", "decide_tier", "route", "mark_priority", "end_priority"],
            {"tier": "priority", "fee": 0, "summary": "priority: 0.00", "desk": "labour-desk"},
        ),
        (
            {"amount": 250000, "kind": "wages"},
            ["start", "decide_tier", "route", "mark_priority", "end_priority"],
            {"tier": "priority", "fee": 0, "desk": "labour-desk"},
        ),
        (
            {
                "amount": 5000,
                "kind": "contract",
                "received": "2024-03-01",
                "items": [{"name": " filing ", "qty": 2, "price": 100}],
            },
            ["start", "decide_tier", "route", "bill", "end_billed"],
            {
                "tier": "standard",
                "fee": 50.0,
                "summary": "standard: 50.00",
                "invoice": {
                    "lines": [{"name": "filing", "cost": 200}],
                    "total": 250.0,
                    "band": "medium",
                },
                "due": "2024-03-16",
            },
        ),
        (
            {"amount": 250000, "kind": "contract"},
            ["start", "decide_tier", "route", "end_simple"],
            {"tier": "simple", "fee": 0},
        ),
        (
            {"amount": 800, "kind": "labour"},
            ["start", "decide_tier", "route", "end_simple"],
            {"tier": "simple", "fee": 0},
        ),
    ],
    ids=["labour-priority", "wages-priority", "standard-billed", "large-contract", "small-claim"],
)
def test_workflow_runs_through_the_sandbox(
    data: dict[str, Any], path: list[str], outputs: dict[str, Any]
) -> None:
    workflow = build_workflow()
    start(workflow, data)
    assert workflow.completed
    assert completed(workflow) == path
    for key, value in outputs.items():
        assert workflow.data[key] == value


ATTACKS = [
    ("().__class__.__base__.__subclasses__()", "access to '__class__' is not allowed"),
    ("__import__('os').system('id')", "name '__import__' is not defined or not allowed"),
    ("open('/etc/passwd').read()", "name 'open' is not defined or not allowed"),
    ("deadline_cd.__globals__", "access to '__globals__' is not allowed"),
    ("9**9**9", "exponent too large"),
]


def assert_sandbox_error(
    caught: pytest.ExceptionInfo[WorkflowTaskException], message: str
) -> ExpressionError:
    """The task error carries the sandbox's error, as the engine will look for it."""
    cause = caught.value.exception  # type: ignore[attr-defined]
    assert isinstance(cause, ExpressionError)
    assert caught.value.__cause__ is cause
    assert message in str(cause)
    assert message in str(caught.value)
    return cause


@pytest.mark.parametrize(("attack", "message"), ATTACKS)
def test_attack_in_a_gateway_condition_errors_the_gateway(attack: str, message: str) -> None:
    workflow = build_workflow(set_text(load_tree("sandbox_flow.bpmn"), PRIORITY_CONDITION, attack))
    with pytest.raises(WorkflowTaskException) as caught:
        start(workflow, {"amount": 5000, "kind": "labour"})
    cause = assert_sandbox_error(caught, message)
    assert cause.element == "route"
    assert task_named(workflow, "route").state == TaskState.ERROR
    assert "mark_priority" not in completed(workflow)


@pytest.mark.parametrize(("attack", "message"), ATTACKS)
def test_attack_in_a_script_task_errors_the_task_and_changes_no_data(
    attack: str, message: str
) -> None:
    script = f"desk = 'stolen'\nkind = 'changed'\nloot = {attack}"
    workflow = build_workflow(set_text(load_tree("sandbox_flow.bpmn"), PRIORITY_SCRIPT, script))
    with pytest.raises(WorkflowTaskException) as caught:
        start(workflow, {"amount": 5000, "kind": "labour"})
    cause = assert_sandbox_error(caught, message)
    assert cause.element == "mark_priority"
    task = task_named(workflow, "mark_priority")
    assert task.state == TaskState.ERROR
    assert "desk" not in task.data and "loot" not in task.data
    assert task.data["kind"] == "labour"


def test_attack_in_a_decision_table_cell_errors_the_business_rule_task() -> None:
    dmn = set_text(load_tree("sandbox_tier.dmn"), PRIORITY_TIER_CELL, "__import__('os').getcwd()")
    workflow = build_workflow(dmn=dmn)
    with pytest.raises(WorkflowTaskException) as caught:
        start(workflow, {"amount": 5000, "kind": "labour"})
    assert_sandbox_error(caught, "name '__import__' is not defined or not allowed")
    assert task_named(workflow, "decide_tier").state == TaskState.ERROR


def test_file_writing_attack_runs_under_plain_spiffworkflow_but_not_in_the_sandbox(
    tmp_path: Path,
) -> None:
    target = tmp_path / "written"
    script = f"handle = open({str(target)!r}, 'w')\nhandle.write('x')\nhandle.close()\ndel handle"
    bpmn = set_text(load_tree("sandbox_flow.bpmn"), BILL_SCRIPT, script)
    claim = {"amount": 5000, "kind": "contract"}

    # The control: SpiffWorkflow's own engine executes whatever the diagram says.
    unsafe = build_workflow(bpmn, script_engine=PythonScriptEngine(TaskDataEnvironment()))
    start(unsafe, claim)
    assert "bill" in completed(unsafe)
    assert target.exists()
    target.unlink()

    sandboxed = build_workflow(bpmn)
    with pytest.raises(WorkflowTaskException) as caught:
        start(sandboxed, claim)
    assert_sandbox_error(caught, "name 'open' is not defined or not allowed (line 1)")
    assert not target.exists()


def test_import_in_a_script_task_is_refused_before_anything_runs() -> None:
    script = "desk = 'x'\nimport os\nos.system('id')"
    bpmn = set_text(load_tree("sandbox_flow.bpmn"), PRIORITY_SCRIPT, script)
    workflow = build_workflow(bpmn)
    with pytest.raises(WorkflowTaskException) as caught:
        start(workflow, {"amount": 5000, "kind": "labour"})
    cause = assert_sandbox_error(caught, "imports are not allowed (line 2)")
    assert isinstance(cause, SandboxViolation)
    assert "desk" not in task_named(workflow, "mark_priority").data


def test_service_calls_error_the_task() -> None:
    workflow = build_workflow()
    task = workflow.get_next_task(state=TaskState.READY)
    with pytest.raises(WorkflowTaskException) as caught:
        workflow.script_engine.call_service(task, operation_name="http/get", operation_params={})
    assert_sandbox_error(caught, "service tasks are not supported")
