"""Every name, title, description and choice of the bundled processes and forms is marked for the
catalogue (web/process_texts.py), so it reads in Chinese and in English."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from lxml import etree

from web.composition import BPMN_DIR
from web.process_texts import TEXTS

BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
# Elements whose names people see (task lists, the timeline, the diagram select).
SHOWN = {"userTask", "callActivity", "process", "boundaryEvent", "intermediateCatchEvent",
         "endEvent", "startEvent", "businessRuleTask", "scriptTask"}


def form_texts(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("title", "description", "errorMessage") and isinstance(value, str):
                yield value
            elif key == "errorMessage" and isinstance(value, dict):
                yield from (v for v in value.values() if isinstance(v, str))
            elif key != "if":
                yield from form_texts(value)
    elif isinstance(node, list):
        for item in node:
            yield from form_texts(item)


def diagram_texts() -> Iterator[str]:
    for path in sorted(BPMN_DIR.glob("*.bpmn")):
        for element in etree.parse(str(path)).iter():
            tag = element.tag if isinstance(element.tag, str) else ""
            if tag.startswith(BPMN) and tag[len(BPMN):] in SHOWN and element.get("name"):
                yield element.get("name")


def test_every_text_of_the_bundled_processes_is_marked() -> None:
    found = set(diagram_texts())
    for path in sorted((BPMN_DIR / "forms").glob("*.json")):
        found |= set(form_texts(json.loads(path.read_text(encoding="utf-8"))))
    assert sorted(found - set(TEXTS)) == []
