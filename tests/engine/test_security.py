"""Untrusted diagrams through the whole engine: attacks fail clearly and leave nothing behind.

The sandbox's own tests try each attack on the evaluator; here the same attacks sit in deployed
diagrams (script task, gateway condition, timer expression) and hostile XML goes to ``deploy``.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from sqlalchemy import func, select

from engine import DefinitionError, Engine, EngineConfig, FixedClock
from engine.database import Database
from engine.models import Deployment, DeploymentFile, ProcessDefinition

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)

DIAGRAM = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  id="attack_definitions" targetNamespace="http://tiaojie.test/attack">
  <bpmn:process id="attack" isExecutable="true">
    <bpmn:startEvent id="begin"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="begin" targetRef="prepare" />
    <bpmn:scriptTask id="prepare"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:script>{script}</bpmn:script></bpmn:scriptTask>
    <bpmn:sequenceFlow id="f2" sourceRef="prepare" targetRef="route" />
    <bpmn:exclusiveGateway id="route" default="f4"><bpmn:incoming>f2</bpmn:incoming>
      <bpmn:outgoing>f3</bpmn:outgoing><bpmn:outgoing>f4</bpmn:outgoing></bpmn:exclusiveGateway>
    <bpmn:sequenceFlow id="f3" sourceRef="route" targetRef="wait">
      <bpmn:conditionExpression>{condition}</bpmn:conditionExpression></bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f4" sourceRef="route" targetRef="wait" />
    <bpmn:intermediateCatchEvent id="wait"><bpmn:incoming>f3</bpmn:incoming><bpmn:incoming>f4</bpmn:incoming>
      <bpmn:outgoing>f5</bpmn:outgoing>
      <bpmn:timerEventDefinition><bpmn:timeDate>{timer}</bpmn:timeDate></bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="f5" sourceRef="wait" targetRef="finish" />
    <bpmn:endEvent id="finish"><bpmn:incoming>f5</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>
"""

SAFE = {"script": "ready = True", "condition": "ready == False", "timer": "in_days(start, 2)"}


def diagram(**parts: str) -> bytes:
    values = {**SAFE, **parts}
    return DIAGRAM.format(**{k: escape(v) for k, v in values.items()}).encode()


def in_days(start: str, days: int) -> str:
    return (datetime.fromisoformat(start) + timedelta(days=days)).isoformat()


@pytest.fixture
def engine(db: Database) -> Engine:
    return Engine(db, EngineConfig(clock=FixedClock(T0), functions={"in_days": in_days}))


def run(engine: Engine, content: bytes):
    with engine.transaction() as s:
        engine.deploy(s, {"attack.bpmn": content}, actor="admin")
    with engine.transaction() as s:
        return engine.start(s, "attack", data={"start": T0.isoformat()}, actor="admin")


def test_a_safe_diagram_runs_and_its_timer_calls_a_registered_function(engine: Engine):
    view = run(engine, diagram())
    assert view.status == "running" and view.data["ready"] is True
    assert [(t.element_id, t.due_at) for t in view.timers] == [("wait", T0 + timedelta(days=2))]


@pytest.mark.parametrize(
    ("part", "attack", "element", "phrase"),
    [
        ("script", "x = __import__('os').system('touch /tmp/tiaojie-pwned')", "prepare", "not allowed"),
        ("script", "import os\nos.system('touch /tmp/tiaojie-pwned')", "prepare", "imports are not allowed"),
        ("script", "x = open('/etc/passwd').read()", "prepare", "'open'"),
        ("script", "x = ().__class__.__base__.__subclasses__()", "prepare", "'__class__'"),
        ("script", "x = in_days.__globals__", "prepare", "'__globals__'"),
        ("script", "x = 9 ** 9 ** 9", "prepare", "too large"),
        ("script", "x = 'a' * 10 ** 9", "prepare", "too long"),
        ("condition", "().__class__.__base__.__subclasses__() != []", "route", "'__class__'"),
        ("condition", "__import__('os').getcwd() == '/'", "route", "not allowed"),
        ("timer", "in_days.__globals__['datetime'].now().isoformat()", "wait", "'__globals__'"),
        ("timer", "str(10 ** 100000)", "wait", "too"),
    ],
)
def test_attacks_in_a_deployed_diagram_stop_the_instance_with_a_clear_error(
    engine: Engine, part: str, attack: str, element: str, phrase: str
):
    began = time.perf_counter()
    view = run(engine, diagram(**{part: attack}))
    assert time.perf_counter() - began < 5
    assert view.status == "error"
    assert view.error_element == element
    assert phrase in (view.error_message or ""), view.error_message
    assert "Traceback" not in (view.error_message or "")
    assert not Path("/tmp/tiaojie-pwned").exists()
    if part != "script":
        assert view.data == {"start": T0.isoformat(), "ready": True}
    else:
        assert view.data == {"start": T0.isoformat()}  # the failed script left no trace


@pytest.mark.parametrize(
    ("content", "phrase"),
    [
        (
            b'<?xml version="1.0"?>\n<!DOCTYPE d [<!ENTITY secret SYSTEM "file:///etc/passwd">]>\n'
            + diagram().split(b"\n", 1)[1].replace(b'id="begin"', b'id="begin" name="&secret;"'),
            "DOCTYPE",
        ),
        (
            b'<?xml version="1.0"?>\n<!DOCTYPE d [<!ENTITY a "aaaaaaaaaa">'
            + b"".join(
                f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">'.encode() for i in range(9)
            )
            + b"]>\n"
            + diagram().split(b"\n", 1)[1].replace(b'id="begin"', b'id="begin" name="&j;"'),
            "DOCTYPE",
        ),
    ],
    ids=["external-entity", "entity-expansion"],
)
def test_hostile_xml_is_refused_and_nothing_is_stored(engine: Engine, content: bytes, phrase: str):
    with pytest.raises(DefinitionError) as err:
        with engine.transaction() as s:
            engine.deploy(s, {"attack.bpmn": content}, actor="admin")
    assert phrase in str(err.value)
    assert "root:" not in str(err.value)  # nothing of /etc/passwd was read into the message
    with engine.db.reading() as s:
        for table in (Deployment, DeploymentFile, ProcessDefinition):
            assert s.scalar(select(func.count()).select_from(table)) == 0
