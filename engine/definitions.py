"""Compiling a bundle of definition files (BPMN, DMN, JSON forms) into SpiffWorkflow specs.

A *bundle* maps file keys ('/'-separated relative paths such as ``forms/apply.json``) to bytes.
:func:`compile_bundle` checks every file, hands all of them to one ``SpiffBpmnParser`` (so call
activities and business rule tasks resolve across files) and returns a :class:`CompiledBundle`, or
raises :class:`DefinitionError` listing every problem found, each located as ``FILE:LINE: ELEMENT``.
No library exception escapes.

Rules, in short:

- ``.bpmn`` files: every process whose ``isExecutable`` is true *or absent* (as SpiffWorkflow reads
  it) is startable.  Non-executable processes next to executable ones (descriptive pools of a
  collaboration) are ignored with a warning; a file without any executable process is a problem:
  tiaojie only deploys executable processes.
- ``.dmn`` files: one decision table per file (SpiffWorkflow's limit); cells are Python.
- ``.json`` files: a file named by a task's ``formJsonSchemaFilename`` property is a form and must
  be a valid JSON Schema (Draft 2020-12); one named by ``formUiSchemaFilename`` is a UI schema
  (layout hints for the form renderer, only required to be a JSON object).  Any other JSON file
  must still parse; unless it is a JSON Schema it draws a warning (e.g. spiff-arena's
  ``process_model.json``).
- A form name is resolved against the folder of the BPMN file naming it, then against the bundle
  root.  :attr:`CompiledProcess.forms` maps a task's BPMN id to the *bundle key* of its form.
- Expressions (conditions, timers, loop settings, DMN cells) and scripts must be Python; JUEL
  ``${...}``, FEEL ``=...`` and other languages are reported.  Expressions are checked stripped
  and scripts dedented, as the sandbox (engine/sandbox.py) runs them.
- Vendor extensions (Camunda 7/8, Activiti, Flowable) are ignored with one warning per file where
  they do not change what the process does, and reported as problems where they do
  (see ``_JAVA_ENGINE_RULES`` and ``_ZEEBE_RULES``).
"""

from __future__ import annotations

import ast
import hashlib
import json
import logging
import posixpath
import re
import textwrap
import threading
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.dmn.parser.BpmnDmnParser import SCHEMAS as DMN_SCHEMAS
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser

from .errors import DefinitionError, Problem
from .forms import schema_problem
from .xmlsafe import MAX_FILE_BYTES, parse_xml

__all__ = [
    "BUNDLE",
    "FILE_KINDS",
    "MAX_BUNDLE_BYTES",
    "MAX_BUNDLE_FILES",
    "MAX_FILE_BYTES",
    "CompiledBundle",
    "CompiledProcess",
    "check_paths",
    "compile_bundle",
    "content_hash",
    "read_paths",
]

logger = logging.getLogger(__name__)

MAX_BUNDLE_FILES = 200
MAX_BUNDLE_BYTES = 50 * 1024 * 1024
MAX_SCHEMA_ERRORS_PER_FILE = 10
BUNDLE = "(bundle)"  # Problem.file for problems of the bundle as a whole
FILE_KINDS = {".bpmn": "bpmn", ".dmn": "dmn", ".json": "json"}

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
FORM_PROPERTY = "formJsonSchemaFilename"
UI_SCHEMA_PROPERTY = "formUiSchemaFilename"

_XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
_XML_NS = "http://www.w3.org/XML/1998/namespace"
_DMN_PREFIX = re.compile(r"^https?://www\.omg\.org/spec/DMN/")
# Diagram layout and colour: never meaningful to an engine, so not even worth a warning.
_LAYOUT_NAMESPACES = frozenset({
    "http://www.omg.org/spec/BPMN/20100524/DI",
    "http://www.omg.org/spec/DD/20100524/DC",
    "http://www.omg.org/spec/DD/20100524/DI",
    "https://www.omg.org/spec/DMN/20191111/DMNDI/",
    "http://www.omg.org/spec/DMN/20180521/DMNDI/",
    "http://www.omg.org/spec/DMN/20180521/DC/",
    "http://www.omg.org/spec/DMN/20180521/DI/",
    "http://www.omg.org/spec/BPMN/non-normative/color/1.0",
})
_BPMN_IO_LAYOUT = "http://bpmn.io/schema/"  # bpmn.io's diagram and colour metadata
_PREFIXES = {
    BPMN_NS: "bpmn:",
    SPIFF_NS: "spiffworkflow:",
    "http://www.omg.org/spec/BPMN/20100524/DI": "bpmndi:",
    "http://www.omg.org/spec/DD/20100524/DC": "dc:",
    "http://www.omg.org/spec/DD/20100524/DI": "di:",
}

_XSD_LOCK = threading.Lock()  # an XMLSchema's error_log is shared state
_DMN_VALIDATORS: dict[str, etree.XMLSchema] = {}


@dataclass(frozen=True)
class CompiledProcess:
    """One startable process with everything needed to run an instance of it."""

    process_id: str
    name: str
    spec: BpmnProcessSpec
    subprocess_specs: dict[str, BpmnProcessSpec]
    forms: dict[str, str]
    ui_schemas: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CompiledBundle:
    """A checked bundle: its files, their content hash and the processes it can start."""

    files: dict[str, bytes]
    content_hash: str
    processes: dict[str, CompiledProcess]
    warnings: list[Problem]


# --------------------------------------------------------------------------- public functions


def content_hash(files: Mapping[str, bytes]) -> str:
    """SHA-256 over the sorted (key, sha256(content)) pairs: same content, same hash."""
    pairs = sorted((key, hashlib.sha256(data).hexdigest()) for key, data in files.items())
    # JSON keeps keys unambiguous whatever characters they contain.
    return hashlib.sha256(json.dumps(pairs, ensure_ascii=False).encode("utf-8")).hexdigest()


def compile_bundle(
    files: Mapping[str, bytes], *, known_services: Collection[str] | None = None
) -> CompiledBundle:
    """Check and compile ``files``; raise DefinitionError listing every problem found.

    ``known_services``, when given, are the service-task operators the runtime provides; a service
    task naming any other operator is a problem.
    """
    findings = _Findings()
    try:
        processes = _compile(files, findings, known_services)
    except Exception:
        # A bug of ours must still come out as a DefinitionError, never as a traceback.
        logger.exception("unexpected error while compiling a bundle")
        findings.add(BUNDLE, None, None, "the bundle could not be checked because of an internal "
                     "error in tiaojie; please report it")
        processes = {}
    if not findings.problems and not processes:
        findings.add(BUNDLE, None, None, "the bundle contains no executable BPMN process")
    if findings.problems:
        raise DefinitionError(findings.sorted_problems())
    return CompiledBundle(
        files={key: bytes(data) for key, data in files.items()},
        content_hash=content_hash(files),
        processes=processes,
        warnings=findings.warnings,
    )


def read_paths(paths: Iterable[str | Path]) -> dict[str, bytes]:
    """Read files and (recursively) directories into a bundle keyed by relative '/'-paths."""
    files: dict[str, bytes] = {}
    origins: dict[str, Path] = {}
    problems: list[Problem] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            entries = [(p.relative_to(path).as_posix(), p) for p in _bundle_files_in(path)]
        elif path.is_file():
            if path.suffix.lower() not in FILE_KINDS:
                problems.append(Problem(str(given), None, None, _unknown_kind_reason(path.suffix)))
                continue
            entries = [(path.name, path)]
        else:
            problems.append(Problem(str(given), None, None, "no such file or directory"))
            continue
        for key, file_path in entries:
            problem = _read_into(files, origins, key, file_path)
            if problem is not None:
                problems.append(problem)
    if len(files) > MAX_BUNDLE_FILES:
        problems.append(Problem(BUNDLE, None, None, _too_many_files_reason(len(files))))
    if problems:
        raise DefinitionError(problems)
    return files


def check_paths(paths: Iterable[str | Path]) -> list[Problem]:
    """Everything that keeps ``paths`` from being deployed; an empty list means deployable."""
    try:
        compile_bundle(read_paths(paths))
    except DefinitionError as error:
        return error.problems
    return []


# --------------------------------------------------------------------------- reading paths


def _bundle_files_in(directory: Path) -> list[Path]:
    """Definition files below ``directory``, skipping hidden files and folders (.git, ...)."""
    found = []
    for path in sorted(directory.rglob("*")):
        relative = path.relative_to(directory)
        if any(part.startswith(".") for part in relative.parts):
            continue
        if path.is_file() and path.suffix.lower() in FILE_KINDS:
            found.append(path)
    return found


def _read_into(
    files: dict[str, bytes], origins: dict[str, Path], key: str, path: Path
) -> Problem | None:
    """Add ``path`` to ``files`` under ``key`` unless it clashes or is too large."""
    if key in files:
        return Problem(str(path), None, None, f"two files would both be named '{key}' in the "
                       f"bundle: {origins[key]} and {path}")
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            return Problem(str(path), None, None, _too_large_reason(size))
        files[key] = path.read_bytes()
    except OSError as error:
        return Problem(str(path), None, None, f"cannot be read: {error.strerror or error}")
    origins[key] = path
    return None


def _unknown_kind_reason(suffix: str) -> str:
    """Why a file of an unknown type is refused."""
    shown = suffix or "(none)"
    return f"unknown file type '{shown}': a bundle holds .bpmn, .dmn and .json files"


def _too_large_reason(size: int) -> str:
    """Why an oversized file is refused."""
    return f"file is {size / 1048576:.1f} MiB; the limit is {MAX_FILE_BYTES // 1048576} MiB"


def _too_many_files_reason(count: int) -> str:
    """Why an oversized bundle is refused."""
    return f"the bundle has {count} files; the limit is {MAX_BUNDLE_FILES}"


# --------------------------------------------------------------------------- bookkeeping


class _Findings:
    """Problems and warnings collected while compiling, without duplicates."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []
        self._seen: set[Problem] = set()
        self._located: set[tuple[str, str]] = set()

    def add(self, file: str, line: int | None, element: str | None, reason: str) -> None:
        """Record a problem."""
        problem = Problem(file, line, element, reason)
        if problem not in self._seen:
            self._seen.add(problem)
            self.problems.append(problem)
            if element:
                self._located.add((file, element))

    def at(
        self, doc: _Doc, node: etree._Element, reason: str, *,
        line: int | None = None, owner: etree._Element | None = None,
    ) -> None:
        """Record a problem at ``node``, named by its owner (by default its nearest id)."""
        self.add(doc.key, line or _line(node), _owner_id(node if owner is None else owner),
                 reason)

    def warn(self, file: str, line: int | None, element: str | None, reason: str) -> None:
        """Record a warning: something ignored that does not stop deployment."""
        warning = Problem(file, line, element, reason)
        if warning not in self.warnings:
            self.warnings.append(warning)

    def covers(self, file: str, element: str | None) -> bool:
        """Whether a problem was already recorded for ``element`` of ``file``."""
        return element is not None and (file, element) in self._located

    def sorted_problems(self) -> list[Problem]:
        """Problems in file and line order."""
        return sorted(self.problems, key=lambda p: (p.file, p.line or 0))


@dataclass
class _Doc:
    """One file of the bundle, once read."""

    key: str
    kind: str
    tree: etree._ElementTree | None = None
    data: Any = None
    loadable: bool = True  # may be handed to SpiffWorkflow
    ids: dict[str, etree._Element] = field(default_factory=dict)
    executable: list[etree._Element] = field(default_factory=list)

    @property
    def root(self) -> etree._Element:
        """The document element."""
        assert self.tree is not None, "only XML documents have a root"
        return self.tree.getroot()


@dataclass
class _Index:
    """What the bundle declares, across files."""

    processes: dict[str, tuple[_Doc, etree._Element]] = field(default_factory=dict)
    decisions: dict[str, tuple[_Doc, etree._Element]] = field(default_factory=dict)
    unreadable_bpmn: bool = False
    missing_processes: set[str] = field(default_factory=set)


@dataclass
class _Context:
    """Everything the checks share."""

    files: Mapping[str, bytes]
    findings: _Findings
    docs: dict[str, _Doc]
    index: _Index
    known_services: Collection[str] | None

    def of_kind(self, kind: str) -> list[_Doc]:
        """The readable documents of one kind, in key order."""
        return [doc for key, doc in sorted(self.docs.items()) if doc.kind == kind]


def _q(tag: str, ns: str = BPMN_NS) -> str:
    """Clark notation for a tag in ``ns``."""
    return f"{{{ns}}}{tag}"


def _local(node: etree._Element) -> str:
    """The local name of ``node``'s tag."""
    return etree.QName(node).localname


def _has_model_id(node: etree._Element) -> bool:
    """Whether ``node`` is a BPMN/DMN element with an id (extension elements use 'id' loosely)."""
    if not isinstance(node.tag, str) or not node.get("id"):
        return False
    namespace = etree.QName(node).namespace or ""
    return namespace == BPMN_NS or bool(_DMN_PREFIX.match(namespace))


def _line(node: etree._Element, offset: int = 0) -> int | None:
    """The line ``node`` starts on, moved by ``offset`` lines; None if unknown."""
    line = node.sourceline
    return line + offset if isinstance(line, int) else None


def _owner(node: etree._Element | None) -> etree._Element | None:
    """``node`` or its nearest ancestor that is a BPMN/DMN element with an id."""
    current = node
    while current is not None and not _has_model_id(current):
        current = current.getparent()
    return current


def _owner_id(node: etree._Element | None) -> str | None:
    """The id of ``node``'s owner, if any."""
    owner = _owner(node)
    return owner.get("id") if owner is not None else None


_WORDS = re.compile(r"(?<=[a-z])(?=[A-Z])")
_LABELS = {"subProcess": "sub-process", "adHocSubProcess": "ad-hoc sub-process"}


def _label(node: etree._Element) -> str:
    """Plain words for an element's type: serviceTask -> 'service task'."""
    local = _local(node)
    return _LABELS.get(local) or _WORDS.sub(" ", local).lower()


def _name(node: etree._Element | None) -> str:
    """How an element is named in a reason: service task 'check_claim'."""
    if node is None:
        return "an element"
    owner = _owner(node)
    if owner is None:
        return f"a {_label(node)}"
    return f"{_label(owner)} '{owner.get('id')}'"


def _shorten(text: str, limit: int = 80) -> str:
    """``text`` on one line, cut to ``limit`` characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


# --------------------------------------------------------------------------- compiling


def _compile(
    files: Mapping[str, bytes], findings: _Findings, known_services: Collection[str] | None
) -> dict[str, CompiledProcess]:
    """All the steps of compile_bundle; problems go to ``findings``."""
    kinds = _check_shape(files, findings)
    ctx = _Context(files, findings, {}, _Index(), known_services)
    for key, kind in kinds.items():
        doc = _load(key, kind, files[key], findings)
        if doc is not None:
            ctx.docs[key] = doc
        elif kind == "bpmn":
            ctx.index.unreadable_bpmn = True
    _index_bundle(ctx)
    form_refs: dict[str, set[str]] = {}
    for doc in ctx.of_kind("bpmn"):
        _check_bpmn(ctx, doc, form_refs)
    for doc in ctx.of_kind("dmn"):
        _check_dmn(ctx, doc)
    for doc in ctx.of_kind("json"):
        _check_json(ctx, doc, form_refs.get(doc.key, set()))
    parser = _load_parser(ctx)
    return _compile_processes(ctx, parser)


def _check_shape(files: Mapping[str, bytes], findings: _Findings) -> dict[str, str]:
    """Check count, names, types and sizes; return the kind of every file worth reading."""
    if len(files) > MAX_BUNDLE_FILES:
        findings.add(BUNDLE, None, None, _too_many_files_reason(len(files)))
        return {}
    total = sum(len(data) for data in files.values() if isinstance(data, (bytes, bytearray)))
    if total > MAX_BUNDLE_BYTES:
        findings.add(BUNDLE, None, None, f"the bundle holds {total / 1048576:.1f} MiB; the limit "
                     f"is {MAX_BUNDLE_BYTES // 1048576} MiB")
        return {}
    kinds: dict[str, str] = {}
    for key in sorted(files, key=str):
        reason = _key_problem(key, files[key])
        if reason is not None:
            findings.add(str(key), None, None, reason)
            continue
        kinds[key] = FILE_KINDS[posixpath.splitext(key)[1].lower()]
    return kinds


def _key_problem(key: object, data: object) -> str | None:
    """Why a bundle entry cannot be read, or None."""
    if not isinstance(key, str) or not key:
        return "a file name must be a non-empty string"
    if "\\" in key or key.startswith("/") or any(ord(c) < 32 for c in key):
        return "a file name must be a relative path with '/' separators"
    if any(part in ("", ".", "..") for part in key.split("/")):
        return "a file name may not contain empty, '.' or '..' parts"
    suffix = posixpath.splitext(key)[1].lower()
    if suffix not in FILE_KINDS:
        return _unknown_kind_reason(suffix)
    if not isinstance(data, (bytes, bytearray)):
        return "the file's content is not bytes"
    if len(data) > MAX_FILE_BYTES:
        return _too_large_reason(len(data))
    return None


# --------------------------------------------------------------------------- loading files


def _load(key: str, kind: str, data: bytes, findings: _Findings) -> _Doc | None:
    """Parse one file; None if it cannot be read at all."""
    if kind == "json":
        return _load_json(key, bytes(data), findings)
    try:
        tree = parse_xml(bytes(data), filename=key)
    except DefinitionError as error:
        for problem in error.problems:
            findings.add(problem.file, problem.line, problem.element, problem.reason)
        return None
    doc = _Doc(key, kind, tree=tree)
    if not _root_is(doc, findings):
        return None
    for node in doc.root.iter():
        if _has_model_id(node):
            doc.ids.setdefault(str(node.get("id")), node)
    _validate_schema(doc, findings)
    return doc


def _root_is(doc: _Doc, findings: _Findings) -> bool:
    """Whether the document element fits the file's kind; report it if not."""
    root = doc.root
    qname = etree.QName(root)
    if doc.kind == "bpmn":
        if root.tag == _q("definitions"):
            return True
        expected = "bpmn:definitions (BPMN 2.0)"
    else:
        namespace = qname.namespace or ""
        if qname.localname == "definitions" and _DMN_PREFIX.match(namespace):
            if namespace in (root.nsmap.get(None), root.nsmap.get("dmn")):
                return True
            findings.add(doc.key, _line(root), None, "the DMN namespace must be the file's "
                         f"default namespace (xmlns=\"{namespace}\")")
            return False
        expected = "definitions in a DMN namespace"
    findings.add(doc.key, _line(root), None,
                 f"not a {doc.kind.upper()} file: the root element is <{qname.localname}>, "
                 f"expected {expected}")
    return False


def _schema_for(doc: _Doc) -> etree.XMLSchema | None:
    """The XSD a document is validated against (SpiffWorkflow's own), if any."""
    if doc.kind == "bpmn":
        return VALIDATOR.validator
    namespace = etree.QName(doc.root).namespace or ""
    path = DMN_SCHEMAS.get(namespace)
    if path is None:
        return None
    with _XSD_LOCK:
        if namespace not in _DMN_VALIDATORS:
            _DMN_VALIDATORS[namespace] = BpmnValidator(path).validator
        return _DMN_VALIDATORS[namespace]


def _validate_schema(doc: _Doc, findings: _Findings) -> None:
    """Validate against the XSD, reporting every error (SpiffWorkflow reports only the last)."""
    schema = _schema_for(doc)
    if schema is None:
        return
    if doc.kind == "bpmn":
        # bpmn-js writes correlation expressions in a form the XSD rejects; SpiffWorkflow rewrites
        # them the same way before validating and parsing.
        VALIDATOR.preprocess(doc.tree)
    with _XSD_LOCK:
        entries = [] if schema.validate(doc.root) else list(schema.error_log)
    if not entries:
        return
    doc.loadable = False
    standard = "BPMN 2.0" if doc.kind == "bpmn" else "DMN"
    for entry in entries[:MAX_SCHEMA_ERRORS_PER_FILE]:
        findings.add(doc.key, entry.line or None, _element_at_line(doc, entry.line),
                     f"does not follow the {standard} schema: {_plain_xsd(entry.message)}")
    if len(entries) > MAX_SCHEMA_ERRORS_PER_FILE:
        findings.add(doc.key, None, None, f"{len(entries) - MAX_SCHEMA_ERRORS_PER_FILE} more "
                     f"{standard} schema errors not shown")


def _element_at_line(doc: _Doc, line: int) -> str | None:
    """The id owning the first element that starts on ``line``."""
    for node in doc.root.iter():
        if isinstance(node.tag, str) and node.sourceline == line:
            return _owner_id(node)
    return None


_CLARK = re.compile(r"\{([^}]*)\}([\w.-]+)")


def _plain_xsd(message: str) -> str:
    """An XSD message with namespaces written as prefixes and long lists cut short."""
    text = _CLARK.sub(lambda m: _PREFIXES.get(m[1], "") + m[2], message.strip())
    text = re.sub(r"^Element '([^']*)'", r"element \1", text)
    return _shorten(text, 300)


def _load_json(key: str, data: bytes, findings: _Findings) -> _Doc | None:
    """Parse a JSON file; None if it is not valid JSON."""
    try:
        value = json.loads(data)
    except json.JSONDecodeError as error:
        findings.add(key, error.lineno, None, f"invalid JSON: {error.msg}")
        return None
    except UnicodeDecodeError:
        findings.add(key, None, None, "invalid JSON: the file is not UTF-8 text")
        return None
    except RecursionError:
        findings.add(key, None, None, "invalid JSON: nested too deeply")
        return None
    return _Doc(key, "json", data=value)


# --------------------------------------------------------------------------- bundle index


def _is_executable(process: etree._Element) -> bool:
    """Whether SpiffWorkflow treats ``process`` as executable (an absent attribute counts)."""
    return process.get("isExecutable", "true") == "true"


def _index_bundle(ctx: _Context) -> None:
    """Record every declared process and decision; report duplicate ids."""
    for doc in ctx.of_kind("bpmn"):
        for process in doc.root.iter(_q("process")):
            process_id = process.get("id")
            if not process_id:
                ctx.findings.at(doc, process, "a process has no id")
                doc.loadable = False
            elif process_id in ctx.index.processes:
                other = ctx.index.processes[process_id][0].key
                ctx.findings.at(doc, process,
                                f"process id '{process_id}' is also declared in {other}")
                doc.loadable = False
            else:
                ctx.index.processes[process_id] = (doc, process)
    for doc in ctx.of_kind("dmn"):
        for decision in doc.root.iter(_q("decision", etree.QName(doc.root).namespace or "")):
            decision_id = decision.get("id")
            if decision_id and decision_id in ctx.index.decisions:
                other = ctx.index.decisions[decision_id][0].key
                ctx.findings.at(doc, decision,
                                f"decision id '{decision_id}' is also declared in {other}")
                doc.loadable = False
            elif decision_id:
                ctx.index.decisions[decision_id] = (doc, decision)


# --------------------------------------------------------------------------- BPMN checks


def _check_bpmn(ctx: _Context, doc: _Doc, form_refs: dict[str, set[str]]) -> None:
    """Every check tiaojie makes on a BPMN file beyond what SpiffWorkflow does."""
    if not _classify_processes(ctx, doc):
        return
    _check_data_stores(ctx, doc)
    _check_vendor_extensions(ctx, doc)
    for process in doc.executable:
        _check_data_associations(ctx, doc, process)
        _check_flows(ctx, doc, process)
        _check_expressions(ctx, doc, process)
        _check_timers(ctx, doc, process)
        _check_scripts(ctx, doc, process)
        _check_event_refs(ctx, doc, process)
        _check_call_activities(ctx, doc, process)
        _check_business_rules(ctx, doc, process)
        _check_service_tasks(ctx, doc, process)
        _check_form_refs(ctx, doc, process, form_refs)


def _classify_processes(ctx: _Context, doc: _Doc) -> bool:
    """Find the file's executable processes; report a file with none. True if there are any."""
    processes = list(doc.root.iter(_q("process")))
    if not processes:
        ctx.findings.add(doc.key, _line(doc.root), None, "the file contains no process")
        doc.loadable = False
        return False
    doc.executable = [p for p in processes if _is_executable(p)]
    if not doc.executable:
        first = processes[0]
        if len(processes) == 1:
            reason = (f"process '{first.get('id')}' is not executable (isExecutable=\"false\"): "
                      "tiaojie only deploys executable processes")
        else:
            reason = (f"none of the {len(processes)} processes in this file is executable "
                      "(isExecutable=\"false\"): tiaojie only deploys executable processes")
        ctx.findings.at(doc, first, reason)
        doc.loadable = False
        return False
    for process in processes:
        if not _is_executable(process):
            ctx.findings.warn(doc.key, _line(process), process.get("id"),
                              f"process '{process.get('id')}' is not executable "
                              "(isExecutable=\"false\") and is ignored")
    return True


def _check_data_stores(ctx: _Context, doc: _Doc) -> None:
    """Data stores need an implementation tiaojie does not have (SpiffWorkflow stops on them)."""
    for store in doc.root.iter(_q("dataStore")):
        name = store.get("name") or store.get("id")
        ctx.findings.at(doc, store, f"data store '{name}' is not supported: tiaojie keeps process "
                        "data in the instance and has no data store implementations")
        doc.loadable = False


_ASSOCIATIONS = (("dataInputAssociation", "sourceRef", "reads"),
                 ("dataOutputAssociation", "targetRef", "writes"))


def _check_data_associations(ctx: _Context, doc: _Doc, process: etree._Element) -> None:
    """Activities can only be connected to data objects (SpiffWorkflow resolves nothing else)."""
    for association, end, verb in _ASSOCIATIONS:
        for ref in process.iterfind(f".//{_q(association)}/{_q(end)}"):
            ref_id = (ref.text or "").strip()
            target = doc.ids.get(ref_id)
            if target is not None and _local(target) == "dataObjectReference":
                continue
            association_node = ref.getparent()
            activity = _owner(None if association_node is None else association_node.getparent())
            if target is None:
                what = f"'{ref_id}', which is not defined"
            else:
                what = f"'{target.get('name') or ref_id}', a {_label(target)}"
            ctx.findings.at(doc, ref, f"{_name(activity)} {verb} {what}; tiaojie only connects "
                            "activities to data objects (dataObjectReference)", owner=activity)


def _check_flows(ctx: _Context, doc: _Doc, process: etree._Element) -> None:
    """Gateways' conditions and defaults; conditions or splits SpiffWorkflow would ignore/refuse."""
    nodes = {n.get("id"): n for n in process.iter() if isinstance(n.tag, str) and n.get("id")}
    outgoing: dict[str, list[etree._Element]] = {}
    for flow in process.iter(_q("sequenceFlow")):
        outgoing.setdefault(flow.get("sourceRef") or "", []).append(flow)
    for source_id, flows in outgoing.items():
        source = nodes.get(source_id)
        if source is None:
            continue  # a dangling sourceRef is reported by SpiffWorkflow
        if _local(source) in _CONDITIONAL_GATEWAYS:
            _check_gateway(ctx, doc, source, flows)
            continue
        for flow in flows:
            condition = flow.find(_q("conditionExpression"))
            if condition is not None:
                ctx.findings.at(doc, condition, "the condition on sequence flow "
                                f"'{flow.get('id')}' would be ignored: only flows leaving an "
                                "exclusive or inclusive gateway can have conditions")
        if len(flows) > 1 and _local(source) not in _SPLITTING_NODES:
            ctx.findings.at(doc, source, f"{_name(source)} has {len(flows)} outgoing sequence "
                            "flows; split the flow with a gateway")
    _check_connected(ctx, doc, process, outgoing)


def _check_connected(
    ctx: _Context, doc: _Doc, process: etree._Element, outgoing: dict[str, list[etree._Element]]
) -> None:
    """Elements the flow can never reach, or that lead nowhere where the flow must go on."""
    incoming = {flow.get("targetRef") for flow in process.iter(_q("sequenceFlow"))}
    for container in [process, *process.iter(_q("subProcess"), _q("transaction"))]:
        if container.find(_q("startEvent")) is None:
            continue  # the missing start is reported on its own; all else follows from it
        for node in container:
            if not isinstance(node.tag, str) or node.tag.rpartition("}")[0][1:] != BPMN_NS:
                continue
            kind, node_id = _local(node), node.get("id")
            if kind in _DEAD_END_FORBIDDEN and node_id not in outgoing:
                ctx.findings.at(doc, node, f"{_name(node)} has no outgoing sequence flow, so the "
                                "process cannot go on from it")
            elif (kind in _MUST_BE_REACHED and node_id not in incoming
                  and node.get("isForCompensation") != "true"
                  and node.get("triggeredByEvent") != "true"):
                # Harmless when running (it never runs), but likely a slip: say so, do not refuse.
                ctx.findings.warn(doc.key, _line(node), node_id, f"{_name(node)} has no incoming "
                                  "sequence flow, so the process can never reach it")


# Where the flow has to continue, and what has to be reached by some flow.
_DEAD_END_FORBIDDEN = frozenset({
    "startEvent", "exclusiveGateway", "inclusiveGateway", "parallelGateway", "eventBasedGateway",
    "intermediateCatchEvent", "intermediateThrowEvent",
})
_MUST_BE_REACHED = frozenset({
    "task", "userTask", "manualTask", "scriptTask", "serviceTask", "sendTask", "receiveTask",
    "businessRuleTask", "callActivity", "subProcess", "transaction", "exclusiveGateway",
    "inclusiveGateway", "parallelGateway", "eventBasedGateway", "intermediateCatchEvent",
    "intermediateThrowEvent", "endEvent",
})


_CONDITIONAL_GATEWAYS = frozenset({"exclusiveGateway", "inclusiveGateway"})
# Nodes SpiffWorkflow lets have several outgoing flows (its parsers' handles_multiple_outgoing).
_SPLITTING_NODES = frozenset({
    "exclusiveGateway", "inclusiveGateway", "parallelGateway", "eventBasedGateway",
    "complexGateway", "startEvent",
})


def _check_gateway(
    ctx: _Context, doc: _Doc, gateway: etree._Element, flows: list[etree._Element]
) -> None:
    """Every outgoing flow of a splitting gateway needs a condition or must be the default."""
    default = gateway.get("default")
    if default and default not in {flow.get("id") for flow in flows}:
        ctx.findings.at(doc, gateway, f"{_name(gateway)} names '{default}' as its default flow, "
                        "which does not leave this gateway")
    if len(flows) < 2:
        return  # SpiffWorkflow takes a single unconditional flow as the default
    for flow in flows:
        condition = flow.find(_q("conditionExpression"))
        if flow.get("id") != default and (condition is None or condition.text is None):
            ctx.findings.at(doc, flow, f"sequence flow '{flow.get('id')}' leaves {_name(gateway)} "
                            "without a condition and is not its default flow: add a condition or "
                            "make it the gateway's default")
    if not default and _local(gateway) == "exclusiveGateway":
        ctx.findings.warn(doc.key, _line(gateway), gateway.get("id"),
                          f"{_name(gateway)} has no default flow: an instance stops with an error "
                          "when none of its conditions is true")


# --------------------------------------------------------------------------- expressions


_EXPRESSION_TAGS = {
    _q("conditionExpression"): "condition",
    _q("condition"): "condition",
    _q("loopCondition"): "loop condition",
    _q("loopCardinality"): "loop cardinality",
    _q("completionCondition"): "completion condition",
}
_JUEL = re.compile(r"^\s*[$#]\{(.*)\}\s*$", re.DOTALL)
_FEEL = re.compile(r"^\s*=(?!=)(.*)$", re.DOTALL)
_FOREIGN_LANGUAGES = (
    ("feel", "FEEL"), ("javascript", "JavaScript"), ("ecmascript", "JavaScript"),
    ("groovy", "Groovy"), ("juel", "JUEL"), ("java", "Java"), ("mvel", "MVEL"), ("ruby", "Ruby"),
)
_NOT_PYTHON_NAMES = {"true": "True", "false": "False", "null": "None"}


def _check_expressions(ctx: _Context, doc: _Doc, process: etree._Element) -> None:
    """Conditions and loop settings must be Python expressions."""
    for node in process.iter(*_EXPRESSION_TAGS):
        if node.text is None:
            continue  # absent conditions are the gateway check's business
        what = _EXPRESSION_TAGS[node.tag]
        found = _expression_reason(node.text, what, node.get("language"))
        if found is not None:
            reason, offset = found
            # Expressions may carry ids of their own; name the flow or activity they belong to.
            owner = _owner(node.getparent())
            owner = node if owner is None else owner
            ctx.findings.at(doc, node, f"{_name(owner)}: {reason}",
                            line=_line(node, offset), owner=owner)


def _expression_reason(text: str, what: str, language: str | None) -> tuple[str, int] | None:
    """Why ``text`` is not a usable Python expression (and the line offset), or None."""
    shown = _shorten(text)
    foreign = _foreign_language(language)
    if foreign is not None:
        reason = (f"{what} {shown} is written in {foreign} (language=\"{language}\"); "
                  "tiaojie evaluates Python expressions")
        return reason, 0
    dialect = _dialect(text)
    if dialect is not None:
        return f"{what} {shown} {dialect}", 0
    stripped, offset = _strip(text)
    if not stripped:
        return f"{what} is empty", 0
    try:
        tree = ast.parse(stripped, mode="eval")
    except SyntaxError as error:
        reason = f"{what} {shown} is not a valid Python expression: {error.msg}"
        return reason, offset + (error.lineno or 1) - 1
    foreign_name = _not_python_name(tree)
    if foreign_name is not None:
        return f"{what} {shown} {_not_python_reason(foreign_name)}", 0
    return None


def _foreign_language(language: str | None) -> str | None:
    """A non-Python expression language's name, or None (XPath, the BPMN default, is ignored)."""
    if not language:
        return None
    lowered = language.lower()
    if "python" in lowered:
        return None
    for marker, name in _FOREIGN_LANGUAGES:
        if marker in lowered:
            return name
    return None


def _dialect(text: str) -> str | None:
    """How ``text`` gives itself away as JUEL or FEEL, with a Python hint, or None."""
    juel = _JUEL.match(text)
    if juel:
        return f"is written in JUEL (Camunda 7/Activiti); {_python_hint(juel[1])}"
    feel = _FEEL.match(text)
    if feel:
        return f"is written in FEEL (Camunda 8); {_python_hint(feel[1])}"
    return None


def _python_hint(inner: str) -> str:
    """Suggest the expression inside JUEL/FEEL markers when it happens to be Python already."""
    candidate = inner.strip()
    try:
        tree = ast.parse(candidate, mode="eval")
    except SyntaxError:
        return "write it as a Python expression"
    if not candidate or _not_python_name(tree) is not None:
        return "write it as a Python expression"
    return f"write it as a Python expression, e.g. {_shorten(candidate)}"


def _not_python_name(tree: ast.AST) -> str | None:
    """A JavaScript/FEEL literal name (true, false, null) used in ``tree``, or None."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in _NOT_PYTHON_NAMES:
            return node.id
    return None


def _not_python_reason(name: str) -> str:
    """Why a JavaScript/FEEL literal name is wrong, and what to write instead."""
    return f"uses {name}, which is not Python; write {_NOT_PYTHON_NAMES[name]}"


def _strip(text: str) -> tuple[str, int]:
    """``text`` stripped, and how many lines the stripped prefix spanned."""
    stripped = text.strip()
    if not stripped:
        return "", 0
    return stripped, text[: text.index(stripped[0])].count("\n")


def _script_reason(text: str | None, what: str) -> tuple[str, int] | None:
    """Why a script is not valid Python (and the line offset in the script), or None."""
    if text is None or not text.strip():
        return f"{what} is empty", 0
    try:
        # The runtime dedents scripts (they are often indented inside the XML).
        ast.parse(textwrap.dedent(text), mode="exec")
    except SyntaxError as error:
        line = error.lineno or 1
        return f"{what} is not valid Python: {error.msg} (script line {line})", line - 1
    return None


# --------------------------------------------------------------------------- timers


_TIMER_NOUNS = {"timeDate": "date", "timeDuration": "duration", "timeCycle": "cycle"}
_ISO_DURATION = r"P(?=\d|T\d)(?:\d+(?:[.,]\d+)?[YMWD])*(?:T(?:\d+(?:[.,]\d+)?[HMS])+)?"
_ISO_DATE = r"\d{4}-\d{2}-\d{2}(?:T[\d:.]+(?:Z|[+-]\d{2}:?\d{2})?)?"
_ISO_PART = rf"(?:{_ISO_DURATION}|{_ISO_DATE})"
_UNQUOTED_ISO = re.compile(rf"^(?:R\d*/)?{_ISO_PART}(?:/{_ISO_PART})?$", re.IGNORECASE)
_CRON = re.compile(r"^[\d*?/,\-LW#A-Za-z]+(?:\s+[\d*?/,\-LW#A-Za-z]+){4,6}$")


def _check_timers(ctx: _Context, doc: _Doc, process: etree._Element) -> None:
    """Timer values must be Python expressions yielding ISO 8601 strings."""
    for definition in process.iter(_q("timerEventDefinition")):
        # Definitions and values may carry ids of their own; name the event they belong to.
        event = _owner(definition.getparent())
        event = definition if event is None else event
        values = [n for n in definition if isinstance(n.tag, str) and _local(n) in _TIMER_NOUNS]
        if not values:
            ctx.findings.at(doc, definition, f"{_name(event)} has no timeDate, timeDuration or "
                            "timeCycle", owner=event)
            continue
        for node in values:
            _check_timer_value(ctx, doc, node, event)


def _check_timer_value(
    ctx: _Context, doc: _Doc, node: etree._Element, event: etree._Element
) -> None:
    """Check one timeDate/timeDuration/timeCycle element of ``event``."""
    kind = _local(node)
    text = node.text or ""
    stripped, offset = _strip(text)
    prefix = f"{_name(event)}: "
    line = _line(node, offset)
    if not stripped:
        ctx.findings.at(doc, node, f"{prefix}the timer's {kind} is empty", owner=event)
        return
    reason = _unquoted_timer_reason(stripped) or _foreign_timer_reason(text, node.get("language"))
    if reason is not None:
        ctx.findings.at(doc, node, prefix + reason, line=line, owner=event)
        return
    try:
        tree = ast.parse(stripped, mode="eval")
    except SyntaxError as error:
        ctx.findings.at(doc, node, f"{prefix}timer expression {_shorten(stripped)} is not a valid "
                        f"Python expression: {error.msg}", line=line, owner=event)
        return
    if isinstance(tree.body, ast.Constant) and isinstance(tree.body.value, str):
        _check_timer_literal(ctx, doc, node, event, kind, tree.body.value)


def _unquoted_timer_reason(text: str) -> str | None:
    """The usual mistake: an ISO 8601 or cron value written without quotes."""
    if _UNQUOTED_ISO.match(text):
        return (f"timer expression {text} is not a valid expression; write a quoted ISO 8601 "
                f"value such as \"{text}\"")
    if _CRON.match(text) and any(c in text for c in "*?"):
        return (f"timer expression {text} is a cron expression; tiaojie timers take a quoted "
                "ISO 8601 value such as \"R/PT5M\"")
    return None


def _foreign_timer_reason(text: str, language: str | None) -> str | None:
    """A timer written in JUEL, FEEL or another declared language."""
    found = _expression_reason(text, "timer expression", language)
    if found is not None and ("written in" in found[0]):
        return found[0]
    return None


def _check_timer_literal(
    ctx: _Context, doc: _Doc, node: etree._Element, event: etree._Element, kind: str, value: str
) -> None:
    """A quoted timer value must be ISO 8601 of the right sort."""
    noun = _TIMER_NOUNS[kind]
    if not _valid_iso(kind, value):
        ctx.findings.at(doc, node, f"{_name(event)}: timer value \"{_shorten(value)}\" is not a "
                        f"valid ISO 8601 {noun}", owner=event)
        return
    if kind == "timeDate" and _is_naive(value):
        ctx.findings.warn(doc.key, _line(node), event.get("id"),
                          f"{_name(event)}: timer date \"{value}\" has no time zone and will be "
                          "read in the server's time zone; add one, e.g. +08:00")


def _valid_iso(kind: str, value: str) -> bool:
    """Whether SpiffWorkflow can read ``value`` as this kind of timer."""
    upper = value.strip().upper()
    try:
        if kind == "timeDuration":
            return upper.startswith("P") and bool(TimerEventDefinition.parse_iso_duration(value))
        if kind == "timeCycle":
            TimerEventDefinition.parse_iso_recurring_interval(value)
            return upper.startswith("R")
        if upper.startswith(("P", "R")):
            return False  # a duration where a date is expected fails only when the timer runs
        TimerEventDefinition.parse_time_or_duration(value)
    except Exception:  # the library signals a bad value with assorted exception types
        return False
    return True


def _is_naive(value: str) -> bool:
    """Whether an ISO date-time carries no time zone."""
    try:
        return datetime.fromisoformat(value).tzinfo is None
    except ValueError:
        return False


# --------------------------------------------------------------------------- scripts


def _check_scripts(ctx: _Context, doc: _Doc, process: etree._Element) -> None:
    """Script tasks and SpiffWorkflow pre/post scripts must be Python."""
    for task in process.iter(_q("scriptTask")):
        if ctx.findings.covers(doc.key, task.get("id")):
            continue  # e.g. an external camunda:resource script, already reported
        script_format = task.get("scriptFormat")
        if script_format and "python" not in script_format.lower():
            ctx.findings.at(doc, task, f"{_name(task)} is written in {script_format} "
                            f"(scriptFormat=\"{script_format}\"); tiaojie runs Python scripts")
            continue
        script = task.find(_q("script"))
        _report_script(ctx, doc, task if script is None else script,
                       None if script is None else script.text, "script")
    for tag in ("preScript", "postScript"):
        for node in process.iter(_q(tag, SPIFF_NS)):
            _report_script(ctx, doc, node, node.text, f"spiffworkflow:{tag}")


def _report_script(
    ctx: _Context, doc: _Doc, node: etree._Element, text: str | None, what: str
) -> None:
    """Report a script that is empty or not valid Python."""
    found = _script_reason(text, what)
    if found is not None:
        reason, offset = found
        ctx.findings.at(doc, node, f"{_name(node)}: {reason}", line=_line(node, offset))


# --------------------------------------------------------------------------- references


_EVENT_REFS = {
    "messageEventDefinition": ("messageRef", "message"),
    "sendTask": ("messageRef", "message"),
    "receiveTask": ("messageRef", "message"),
    "signalEventDefinition": ("signalRef", "signal"),
    "errorEventDefinition": ("errorRef", "error"),
    "escalationEventDefinition": ("escalationRef", "escalation"),
}


def _check_event_refs(ctx: _Context, doc: _Doc, process: etree._Element) -> None:
    """Messages, signals, errors and escalations must be defined in the same file."""
    declared = {kind: {n.get("id") for n in doc.root.iter(_q(kind))}
                for kind in ("message", "signal", "error", "escalation")}
    for tag, (attribute, kind) in _EVENT_REFS.items():
        for node in process.iter(_q(tag)):
            ref = node.get(attribute)
            if ref and ref not in declared[kind]:
                owner = _owner(node.getparent() if _local(node).endswith("Definition") else node)
                ctx.findings.at(doc, node, f"{_name(owner)} refers to {kind} '{ref}', which is "
                                "not defined in this file", owner=owner)


def _check_call_activities(ctx: _Context, doc: _Doc, process: etree._Element) -> None:
    """Every call activity must call a process of the bundle that can run."""
    for call in process.iter(_q("callActivity")):
        if ctx.findings.covers(doc.key, call.get("id")):
            continue  # e.g. zeebe:calledElement, already reported
        target = call.get("calledElement")
        if not target:
            ctx.findings.at(doc, call, f"{_name(call)} does not say which process it calls "
                            "(calledElement is missing)")
            continue
        declared = ctx.index.processes.get(target)
        if declared is None:
            ctx.index.missing_processes.add(target)
            unreadable = ctx.index.unreadable_bpmn
            where = " (or it is in a file that could not be read)" if unreadable else ""
            ctx.findings.at(doc, call, f"{_name(call)} calls process '{target}', which is not in "
                            f"the bundle{where}")
        elif not _is_executable(declared[1]):
            ctx.findings.at(doc, call, f"{_name(call)} calls process '{target}', which is not "
                            "executable (isExecutable=\"false\")")


def _spiff_extension(node: etree._Element, name: str) -> etree._Element | None:
    """``node``'s spiffworkflow extension element called ``name``, if any."""
    return node.find(f"{_q('extensionElements')}/{_q(name, SPIFF_NS)}")


def _check_business_rules(ctx: _Context, doc: _Doc, process: etree._Element) -> None:
    """Every business rule task must call a decision of the bundle."""
    for task in process.iter(_q("businessRuleTask")):
        if ctx.findings.covers(doc.key, task.get("id")):
            continue  # e.g. camunda:decisionRef, already reported
        ref = _spiff_extension(task, "calledDecisionId")
        if ref is None or not ref.text:
            ctx.findings.at(doc, task, f"{_name(task)} names no decision: set "
                            "spiffworkflow:calledDecisionId")
            continue
        decision = ref.text
        if decision not in ctx.index.decisions:
            ctx.findings.at(doc, ref, f"{_name(task)} calls decision '{decision}', which is not "
                            "in the bundle")


def _check_service_tasks(ctx: _Context, doc: _Doc, process: etree._Element) -> None:
    """Every service task needs a SpiffWorkflow operator naming a service the runtime has."""
    for task in process.iter(_q("serviceTask")):
        if ctx.findings.covers(doc.key, task.get("id")):
            continue  # a vendor implementation, already reported
        operator = _spiff_extension(task, "serviceTaskOperator")
        if operator is None:
            ctx.findings.at(doc, task, f"{_name(task)} has no implementation tiaojie can run: add "
                            "a spiffworkflow:serviceTaskOperator naming a service")
        elif not operator.get("id"):
            ctx.findings.at(doc, operator, f"{_name(task)}: spiffworkflow:serviceTaskOperator "
                            "does not name a service (id is missing)")
        elif ctx.known_services is not None and operator.get("id") not in ctx.known_services:
            ctx.findings.at(doc, operator, f"{_name(task)} calls service '{operator.get('id')}', "
                            "which tiaojie does not provide")


def _resolve(base_key: str, name: str, files: Mapping[str, bytes]) -> str | None:
    """The bundle key a file name in ``base_key`` refers to: its folder first, then the root."""
    folder = posixpath.dirname(base_key)
    for candidate in (posixpath.join(folder, name), name):
        normal = posixpath.normpath(candidate)
        if normal in files:
            return normal
    return None


def _check_form_refs(
    ctx: _Context, doc: _Doc, process: etree._Element, form_refs: dict[str, set[str]]
) -> None:
    """Form and UI-schema files named by tasks must be JSON files of the bundle."""
    for prop in process.iter(_q("property", SPIFF_NS)):
        name, value = prop.get("name"), prop.get("value")
        if name not in (FORM_PROPERTY, UI_SCHEMA_PROPERTY) or not value:
            continue
        what = "form" if name == FORM_PROPERTY else "UI schema"
        key = _resolve(doc.key, value, ctx.files)
        if key is None:
            ctx.findings.at(doc, prop, f"{_name(prop)} uses {what} '{value}', which is not in the "
                            "bundle")
        elif not key.lower().endswith(".json"):
            ctx.findings.at(doc, prop, f"{_name(prop)} uses {what} '{value}', which is not a "
                            "JSON file")
        else:
            form_refs.setdefault(key, set()).add(name)


# --------------------------------------------------------------------------- vendor extensions


@dataclass(frozen=True)
class _VendorRule:
    """What tiaojie does with one vendor extension attribute or element."""

    changes_meaning: str | None = None  # why it cannot be ignored; None: harmless, ignored
    value_from: str | None = None  # for an element: the attribute quoted as {value}
    unless: str | None = None  # a spiffworkflow extension that takes its place when present
    part_of: str | None = None  # a sibling attribute whose rule already covers this one


_IGNORED = _VendorRule()
_LISTENER = "runs {product} listener code ({q}), which tiaojie cannot run"
_RUNS_CODE = "serviceTaskOperator"

# Camunda 7, Activiti and Flowable share one heritage and one vocabulary.
_JAVA_ENGINE_RULES: dict[str, _VendorRule] = {
    "class": _VendorRule("is implemented by Java class {value} ({q}), which tiaojie cannot run",
                         unless=_RUNS_CODE),
    "delegateExpression": _VendorRule("is implemented by the Java delegate {value} ({q}), which "
                                      "tiaojie cannot run", unless=_RUNS_CODE),
    "expression": _VendorRule("is implemented by the {product} expression {value} ({q}), which "
                              "tiaojie cannot run", unless=_RUNS_CODE),
    "type": _VendorRule("is a {product} task of type {value} ({q}), which tiaojie cannot run",
                        unless=_RUNS_CODE),
    "topic": _VendorRule("is an external task for workers of topic {value} ({q}), which tiaojie "
                         "cannot run", unless=_RUNS_CODE, part_of="type"),
    "connector": _VendorRule("calls a {product} connector ({q}), which tiaojie cannot run",
                             unless=_RUNS_CODE),
    "decisionRef": _VendorRule("calls decision {value} through {q}; tiaojie calls the decision "
                               "named by spiffworkflow:calledDecisionId",
                               unless="calledDecisionId"),
    "resultVariable": _VendorRule("stores its result in variable {value} ({q}), which tiaojie "
                                  "does not do"),
    "mapDecisionResult": _VendorRule("maps the decision result with {q}, which tiaojie does "
                                     "not do"),
    "resource": _VendorRule("runs the external script {value} ({q}), which tiaojie cannot load"),
    "inputOutput": _VendorRule("maps variables with {q}, which tiaojie does not support"),
    "in": _VendorRule("passes variables to the called process with {q}, which tiaojie does not "
                      "support (a called process sees all of the caller's data)"),
    "out": _VendorRule("copies variables back from the called process with {q}, which tiaojie "
                       "does not support (all of the called process's data comes back)"),
    "executionListener": _VendorRule(_LISTENER),
    "taskListener": _VendorRule(_LISTENER),
    "collection": _VendorRule("iterates over {value} with {q}; write the multi-instance loop with "
                              "loopDataInputRef and inputDataItem instead"),
    "errorCodeVariable": _VendorRule("stores the error code in variable {value} ({q}), which "
                                     "tiaojie does not do"),
    "errorMessageVariable": _VendorRule("stores the error message in variable {value} ({q}), "
                                        "which tiaojie does not do"),
    "escalationCodeVariable": _VendorRule("stores the escalation code in variable {value} ({q}), "
                                          "which tiaojie does not do"),
    "variableMappingClass": _VendorRule("maps variables with Java class {value} ({q}), which "
                                        "tiaojie cannot run"),
    "variableMappingDelegateExpression": _VendorRule("maps variables with the Java delegate "
                                                     "{value} ({q}), which tiaojie cannot run"),
    "skipExpression": _VendorRule("can be skipped by the expression {value} ({q}), which tiaojie "
                                  "does not evaluate"),
    **{name: _IGNORED for name in (
        # engine housekeeping: jobs, history, versions, tenants, tasklist
        "async", "asyncBefore", "asyncAfter", "exclusive", "jobPriority", "taskPriority",
        "failedJobRetryTimeCycle", "historyTimeToLive", "isStartableInTasklist", "versionTag",
        "candidateStarterGroups", "candidateStarterUsers", "calledElementBinding",
        "calledElementVersion", "calledElementVersionTag", "calledElementTenantId",
        "decisionRefBinding", "decisionRefVersion", "decisionRefVersionTag", "decisionRefTenantId",
        "diagramRelationId", "properties", "category", "inputVariable", "initiator",
        # forms and assignment: tiaojie takes forms from spiffworkflow properties, people from lanes
        "formKey", "formRef", "formRefBinding", "formRefVersion", "formData", "formProperty",
        "formHandlerClass", "assignee", "candidateUsers", "candidateGroups", "dueDate",
        "followUpDate", "priority", "owner",
        # injected into a Java delegate, which is itself reported
        "field", "elementVariable",
    )},
}

_ZEEBE_RULES: dict[str, _VendorRule] = {
    "taskDefinition": _VendorRule("is implemented by a job worker (zeebe:taskDefinition type "
                                  "{value}), which tiaojie cannot run", value_from="type",
                                  unless=_RUNS_CODE),
    "ioMapping": _VendorRule("maps variables with zeebe:ioMapping, which tiaojie does not support"),
    "calledDecision": _VendorRule("calls decision {value} through zeebe:calledDecision; tiaojie "
                                  "calls the decision named by spiffworkflow:calledDecisionId",
                                  value_from="decisionId", unless="calledDecisionId"),
    "calledElement": _VendorRule("names the called process {value} in zeebe:calledElement; "
                                 "tiaojie reads the BPMN calledElement attribute",
                                 value_from="processId"),
    "loopCharacteristics": _VendorRule("defines its multi-instance loop with "
                                       "zeebe:loopCharacteristics; write it with loopDataInputRef "
                                       "and inputDataItem instead"),
    "subscription": _VendorRule("correlates messages with zeebe:subscription (correlation key "
                                "{value}), which tiaojie does not support",
                                value_from="correlationKey"),
    "script": _VendorRule("is a FEEL script (zeebe:script), which tiaojie cannot run"),
    "executionListeners": _VendorRule("runs job-worker listeners (zeebe:executionListeners), "
                                      "which tiaojie cannot run"),
    "taskListeners": _VendorRule("runs job-worker listeners (zeebe:taskListeners), which tiaojie "
                                 "cannot run"),
    **{name: _IGNORED for name in (
        "userTask", "formDefinition", "userTaskForm", "assignmentDefinition", "taskSchedule",
        "priorityDefinition", "versionTag", "properties", "taskHeaders", "modelerTemplate",
        "modelerTemplateVersion", "modelerTemplateIcon",
    )},
}

# namespace -> (canonical prefix, product name, rules); modeler attributes are tool metadata only.
_VENDORS: dict[str, tuple[str, str, dict[str, _VendorRule]]] = {
    "http://camunda.org/schema/1.0/bpmn": ("camunda", "Camunda 7", _JAVA_ENGINE_RULES),
    "http://camunda.org/schema/1.0/dmn": ("camunda", "Camunda 7", _JAVA_ENGINE_RULES),
    "http://activiti.org/bpmn": ("activiti", "Activiti", _JAVA_ENGINE_RULES),
    "http://flowable.org/bpmn": ("flowable", "Flowable", _JAVA_ENGINE_RULES),
    "http://camunda.org/schema/zeebe/1.0": ("zeebe", "Camunda 8", _ZEEBE_RULES),
    "http://camunda.org/schema/modeler/1.0": ("modeler", "Camunda Modeler", {}),
}


@dataclass
class _VendorScan:
    """Vendor extensions met in one file, for its warnings."""

    ignored: set[str] = field(default_factory=set)
    unknown: set[str] = field(default_factory=set)
    other_namespaces: set[str] = field(default_factory=set)


def _check_vendor_extensions(ctx: _Context, doc: _Doc) -> None:
    """Apply the vendor rules to every element outside ignored (non-executable) processes."""
    skip = {p for p in doc.root.iter(_q("process")) if not _is_executable(p)}
    scan = _VendorScan()
    home = etree.QName(doc.root).namespace or ""
    for node in _walk(doc.root, home, skip):
        for attribute, value in node.attrib.items():
            namespace = etree.QName(attribute).namespace
            if namespace:
                name = etree.QName(attribute).localname
                _vendor_item(ctx, doc, scan, node, namespace, name, str(value))
        namespace = etree.QName(node).namespace
        parent = node.getparent()
        if namespace != home and parent is not None and etree.QName(parent).namespace == home:
            _vendor_item(ctx, doc, scan, node, namespace or "", _local(node), None)
    _warn_vendor_scan(ctx, doc, scan)


def _walk(root: etree._Element, home: str, skip: set[etree._Element]) -> Iterator[etree._Element]:
    """Elements of the document, descending only into its own namespace and not into ``skip``."""
    stack = [root]
    while stack:
        node = stack.pop()
        if not isinstance(node.tag, str) or node in skip:
            continue
        yield node
        if etree.QName(node).namespace == home:
            stack.extend(reversed(node))


def _vendor_item(
    ctx: _Context, doc: _Doc, scan: _VendorScan, node: etree._Element,
    namespace: str, name: str, value: str | None,
) -> None:
    """Judge one foreign attribute (``value`` given) or extension element (``node``)."""
    if namespace in (BPMN_NS, SPIFF_NS, _XSI_NS, _XML_NS) or namespace in _LAYOUT_NAMESPACES:
        return
    if _DMN_PREFIX.match(namespace) or namespace.startswith(_BPMN_IO_LAYOUT):
        return
    vendor = _VENDORS.get(namespace)
    if vendor is None:
        scan.other_namespaces.add(namespace)
        return
    prefix, product, rules = vendor
    qualified = f"{prefix}:{name}"
    rule = rules.get(name)
    if rule is None:
        (scan.ignored if prefix == "modeler" else scan.unknown).add(qualified)
        return
    carrier = node if value is not None else node.getparent()
    if carrier is None:
        return  # the document element: never a vendor extension
    owner = _owner(carrier)
    owner = carrier if owner is None else owner
    if rule.part_of is not None and carrier.get(f"{{{namespace}}}{rule.part_of}") is not None:
        return
    replaced = rule.unless is not None and _spiff_extension(owner, rule.unless) is not None
    if rule.changes_meaning is None or replaced:
        scan.ignored.add(qualified)
        return
    shown = value if value is not None else node.get(rule.value_from or "id", "")
    quoted = f"\"{_shorten(shown)}\""
    reason = rule.changes_meaning.format(q=qualified, product=product, value=quoted)
    ctx.findings.at(doc, node, f"{_name(owner)} {reason}")


def _warn_vendor_scan(ctx: _Context, doc: _Doc, scan: _VendorScan) -> None:
    """One warning per kind of ignored extension in the file."""
    if scan.ignored:
        ctx.findings.warn(doc.key, None, None, "vendor extensions ignored (they do not change how "
                          f"the process runs in tiaojie): {', '.join(sorted(scan.ignored))}")
    if scan.unknown:
        ctx.findings.warn(doc.key, None, None, "vendor extensions tiaojie does not know, ignored: "
                          f"{', '.join(sorted(scan.unknown))}")
    if scan.other_namespaces:
        ctx.findings.warn(doc.key, None, None, "extensions of other tools ignored: "
                          f"{', '.join(sorted(scan.other_namespaces))}")


# --------------------------------------------------------------------------- DMN checks


_SAME_AS_FIRST_MATCH = frozenset({"UNIQUE", "FIRST", "ANY"})


def _check_dmn(ctx: _Context, doc: _Doc) -> None:
    """Decision files: one decision table, supported hit policy, Python cells."""
    _check_vendor_extensions(ctx, doc)
    namespace = etree.QName(doc.root).namespace or ""
    decisions = doc.root.findall(_q("decision", namespace))
    if not decisions:
        ctx.findings.add(doc.key, _line(doc.root), None, "the file contains no decision")
        doc.loadable = False
        return
    if len(decisions) > 1:
        ctx.findings.at(doc, decisions[1], f"the file holds {len(decisions)} decisions (a decision "
                        "requirements graph); tiaojie supports one decision table per DMN file")
        doc.loadable = False
        return
    table = decisions[0].find(_q("decisionTable", namespace))
    if table is None:
        ctx.findings.at(doc, decisions[0], f"decision '{decisions[0].get('id')}' is not a decision "
                        "table; tiaojie supports decision tables only")
        doc.loadable = False
        return
    _check_hit_policy(ctx, doc, table)
    _check_dmn_cells(ctx, doc, table, namespace)


def _check_hit_policy(ctx: _Context, doc: _Doc, table: etree._Element) -> None:
    """SpiffWorkflow takes the first matching rule, or collects all without aggregating."""
    policy = (table.get("hitPolicy") or "UNIQUE").upper()
    if policy == "COLLECT" and table.get("aggregation"):
        ctx.findings.at(doc, table, f"hit policy COLLECT with aggregation "
                        f"{table.get('aggregation')} is not supported")
    elif policy != "COLLECT" and policy not in _SAME_AS_FIRST_MATCH:
        ctx.findings.at(doc, table, f"hit policy {policy} is not supported (tiaojie supports "
                        "UNIQUE, FIRST, ANY and COLLECT without aggregation)")


def _check_dmn_cells(ctx: _Context, doc: _Doc, table: etree._Element, namespace: str) -> None:
    """Input expressions, input entries and output entries must be Python."""
    inputs = f"{_q('input', namespace)}/{_q('inputExpression', namespace)}"
    for expression in table.iterfind(inputs):
        text = expression.findtext(_q("text", namespace))
        if text is not None and text.strip():
            _report_expression(ctx, doc, expression, text, "input expression")
    for output in table.iterfind(_q("output", namespace)):
        if not output.get("name") and not output.get("label"):
            ctx.findings.at(doc, output, f"output column '{output.get('id')}' has no name")
    for entry in table.iter(_q("inputEntry", namespace)):
        text = entry.findtext(_q("text", namespace))
        if text is not None and text.strip() not in ("", "-"):
            reason = _input_entry_reason(text)
            if reason is not None:
                ctx.findings.at(doc, entry, f"input entry '{entry.get('id')}': {reason}")
    for entry in table.iter(_q("outputEntry", namespace)):
        text = entry.findtext(_q("text", namespace))
        if text is not None and text.strip():
            _report_expression(ctx, doc, entry, text, "output")


def _report_expression(
    ctx: _Context, doc: _Doc, node: etree._Element, text: str, what: str
) -> None:
    """Report ``text`` at ``node`` if it is not a Python expression."""
    found = _expression_reason(text, what, None)
    if found is not None:
        ctx.findings.at(doc, node, f"{_name(node)}: {found[0]}")


def _input_entry_reason(text: str) -> str | None:
    """Why a DMN input entry cannot be evaluated the way SpiffWorkflow evaluates it, or None."""
    stripped = text.strip()
    dialect = _dialect(stripped)
    if dialect is not None:
        return f"{_shorten(stripped)} {dialect}"
    # SpiffWorkflow compares `input == entry`, or appends the entry (`input < 5`), or puts the
    # input in place of '?'; the sandbox reads a list of values ('a', 'b') as "one of".
    candidates = [stripped.replace("?", "dmninputexpr"), stripped, f"v {stripped}"]
    for candidate in candidates[0 if "?" in stripped else 1:]:
        try:
            tree = ast.parse(candidate, mode="eval")
        except SyntaxError:
            continue
        foreign_name = _not_python_name(tree)
        if foreign_name is not None:
            return f"{_shorten(stripped)} {_not_python_reason(foreign_name)}"
        return None
    return (f"{_shorten(stripped)} is not a Python expression or comparison (e.g. \"a\", > 5, "
            "1 <= ? <= 5)")


# --------------------------------------------------------------------------- JSON checks


def _check_json(ctx: _Context, doc: _Doc, uses: set[str]) -> None:
    """Forms must be JSON Schemas, UI schemas objects; other JSON draws a warning."""
    data = doc.data
    if FORM_PROPERTY in uses:
        reason = _schema_reason(data)
        if reason is not None:
            ctx.findings.add(doc.key, None, None, reason)
    if UI_SCHEMA_PROPERTY in uses and not isinstance(data, dict):
        ctx.findings.add(doc.key, None, None, "a UI schema must be a JSON object")
    if uses:
        return
    if _looks_like_schema(data) and _schema_reason(data) is None:
        return  # an unused but valid form: harmless
    ctx.findings.warn(doc.key, None, None, "not used by any task as a form or UI schema and not a "
                      "JSON Schema; ignored")


def _looks_like_schema(data: Any) -> bool:
    """Whether a JSON value presents itself as a JSON Schema."""
    return isinstance(data, dict) and any(k in data for k in ("$schema", "type", "properties"))


def _schema_reason(data: Any) -> str | None:
    """Why ``data`` is not a usable form schema, or None."""
    return schema_problem(data)


# --------------------------------------------------------------------------- SpiffWorkflow


def _load_parser(ctx: _Context) -> SpiffBpmnParser:
    """One parser holding every loadable file, so references resolve across files."""
    # Schema validation already ran above, reporting every error rather than only the last.
    parser = SpiffBpmnParser(validator=None)
    for doc in ctx.of_kind("bpmn"):
        if doc.loadable:
            _call_library(ctx, doc, lambda d=doc: parser.add_bpmn_xml(d.tree, filename=d.key))
    for doc in ctx.of_kind("dmn"):
        if doc.loadable:
            _call_library(ctx, doc, lambda d=doc: parser.add_dmn_xml(d.root, filename=d.key))
    for decision_id, dmn_parser in list(parser.dmn_parsers.items()):
        entry = ctx.index.decisions.get(decision_id)
        if entry is not None:
            # SpiffWorkflow parses a decision only when a task calls it; check every one now.
            _call_library(ctx, entry[0], dmn_parser.parse)
    return parser


def _compile_processes(ctx: _Context, parser: SpiffBpmnParser) -> dict[str, CompiledProcess]:
    """Build the spec of every executable process of the loadable files."""
    processes: dict[str, CompiledProcess] = {}
    for doc in ctx.of_kind("bpmn"):
        if not doc.loadable:
            continue
        for process in doc.executable:
            process_id = process.get("id") or ""
            process_parser = parser.process_parsers.get(process_id)
            if process_parser is None or process_parser.filename != doc.key:
                continue  # not loaded because of a problem already reported
            compiled = _compile_process(ctx, doc, parser, process_id)
            if compiled is not None:
                processes[process_id] = compiled
    return processes


def _compile_process(
    ctx: _Context, doc: _Doc, parser: SpiffBpmnParser, process_id: str
) -> CompiledProcess | None:
    """Build one process's spec and the specs it needs; None (and problems) if that fails."""
    try:
        spec = parser.get_spec(process_id)
        subprocess_specs = parser.get_subprocess_specs(process_id)
    except Exception as error:  # every library failure becomes a located Problem
        _report_library_error(ctx, doc, error, compiling=True, about=doc.ids.get(process_id))
        return None
    specs = [spec, *subprocess_specs.values()]
    return CompiledProcess(
        process_id=process_id,
        name=parser.process_parsers[process_id].get_name(),
        spec=spec,
        subprocess_specs=subprocess_specs,
        forms=_task_files(ctx, specs, FORM_PROPERTY),
        ui_schemas=_task_files(ctx, specs, UI_SCHEMA_PROPERTY),
    )


def _task_files(ctx: _Context, specs: list[BpmnProcessSpec], prop: str) -> dict[str, str]:
    """Task BPMN id -> bundle key of the file its ``prop`` property names."""
    found: dict[str, str] = {}
    for spec in specs:
        if spec is None:
            continue
        for task_spec in spec.task_specs.values():
            properties = (getattr(task_spec, "extensions", None) or {}).get("properties") or {}
            name = properties.get(prop)
            key = _resolve(spec.file or "", name, ctx.files) if name else None
            if key is not None:
                found[task_spec.bpmn_id] = key
    return found


def _call_library(ctx: _Context, doc: _Doc, action: Any) -> None:
    """Run a SpiffWorkflow call, turning any failure into a Problem of ``doc``."""
    try:
        action()
    except Exception as error:  # every library failure becomes a located Problem
        _report_library_error(ctx, doc, error, compiling=False)
        doc.loadable = False


def _report_library_error(
    ctx: _Context, doc: _Doc, error: Exception, *,
    compiling: bool, about: etree._Element | None = None,
) -> None:
    """Translate a library exception into a Problem, unless our own checks already cover it.

    ``about`` is the element being compiled, named when the exception does not say where it arose.
    """
    message = _library_message(error)
    target, element = _locate(ctx, doc, error)
    if ctx.findings.covers(target.key, element) or (compiling and _reported_call(ctx, message)):
        return
    node = target.ids.get(element) if element else None
    if node is None and about is not None and target is doc:
        node, element = about, about.get("id")
    if not isinstance(error, SpiffWorkflowException):
        logger.info("SpiffWorkflow failed on %s", target.key, exc_info=error)
    ctx.findings.add(target.key, _line(node) if node is not None else None, element,
                     _translate(message, node))


def _library_message(error: Exception) -> str:
    """The library's own message, or the repr of a bare Python exception (unwrapped later)."""
    if isinstance(error, SpiffWorkflowException) and error.args:
        return str(error.args[0])
    return repr(error)


def _locate(ctx: _Context, doc: _Doc, error: Exception) -> tuple[_Doc, str | None]:
    """The document and element id a library exception is about, as far as it says."""
    element = getattr(error, "id", None) if isinstance(error, ValidationException) else None
    element = element or None  # the library uses '' for "no element"
    file_name = getattr(error, "file_name", None) or None
    target = ctx.docs.get(file_name) if file_name else None
    return (target if target is not None else _doc_holding(ctx, doc, element)), element


def _reported_call(ctx: _Context, message: str) -> bool:
    """Whether ``message`` is about calling a process already reported missing or broken."""
    missing = re.search(r"The process '([^']*)' was not found", message)
    return missing is not None and (missing[1] in ctx.index.processes
                                    or missing[1] in ctx.index.missing_processes)


def _doc_holding(ctx: _Context, default: _Doc, element: str | None) -> _Doc:
    """The document declaring ``element``, preferring ``default``."""
    if element is None or element in default.ids:
        return default
    for doc in ctx.docs.values():
        if element in doc.ids:
            return doc
    return default


_LIBRARY_MESSAGES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.DOTALL), template) for pattern, template in (
        (r"A Service Task must have an operator",
         "{el} has no implementation tiaojie can run: add a spiffworkflow:serviceTaskOperator"),
        (r"Non-default exclusive outgoing sequence flow without condition",
         "{el} leaves a gateway without a condition and is not its default flow"),
        (r"The process '(?P<p>[^']*)' was not found",
         "a call activity calls process '{p}', which is not in the bundle"),
        (r'No DMN Diagram available with id "(?P<d>[^"]*)"',
         "{el} calls decision '{d}', which is not in the bundle"),
        (r"Exactly one start event is required in a SubWorkflow Task; found (?P<n>\d+)",
         "{el} must contain exactly one start event (found {n})"),
        (r"A SubWorkflow Must contain an End event", "{el} has no end event"),
        (r"must specify a cardinality or a loop input data reference",
         "{el} is multi-instance but names neither a number of instances (loopCardinality) nor "
         "a collection to iterate (loopDataInputRef)"),
        (r"must specify exactly one of cardinality or loop input",
         "{el} names both loopCardinality and loopDataInputRef; keep one"),
        (r"The loop (?P<d>input|output) data reference is missing from the IO specification",
         "{el}: the loop {d} data reference is not declared in its ioSpecification"),
        (r"Cannot resolve data(?P<d>Input|Output)Association",
         "{el} uses a data object or data store that cannot be resolved (data stores are not "
         "supported)"),
        (r"Data Store with name (?P<n>.*) has no implementation",
         "data store '{n}' is not supported: tiaojie has no data store implementations"),
        (r"Correlation is missing correlation property retrieval expressions: (?P<c>\S+)",
         "correlation property '{c}' has no retrieval expression, so messages cannot be matched "
         "to instances"),
        (r"Message identifier is missing from correlation property: (?P<c>\S+)",
         "a retrieval expression of correlation property '{c}' names no message"),
        (r"Unknown Time Specification", "{el} has no timeDate, timeDuration or timeCycle"),
        (r"No start event found", "{el} has no start event"),
        (r"Process (?P<p>\S+) is not executable",
         "process '{p}' is not executable (isExecutable=\"false\"): tiaojie only deploys "
         "executable processes"),
        (r"Multiple outgoing flows are not supported",
         "{el} has several outgoing sequence flows; split the flow with a gateway"),
        (r"When looking for a task spec.*\((?P<t>[^)]*)\)",
         "a sequence flow from {el} leads to '{t}', which is not an element of this process"),
        (r"There is no support implemented for this task type", "{el}: this element type is not "
         "supported"),
        (r"No Script Provided", "{el} has no script"),
        (r'No "calledElement" attribute', "{el} does not say which process it calls "
         "(calledElement is missing)"),
        (r"Duplicate process ID: (?P<p>\S+)", "process id '{p}' is declared more than once"),
        (r"Multiple decision tables are not current supported",
         "the file holds several decisions; tiaojie supports one decision table per DMN file"),
        (r"No decisions found", "the file contains no decision"),
        (r"Malformed Output Expression '(?P<e>.*)'\.", "output {e} is not a valid Python "
         "expression"),
        (r"Unknown type in decision table", "{el} contains an element a decision table may not "
         "hold"),
        (r"Expected an? (?P<k>Message|Signal|Error|Escalation) node",
         "{el} refers to a {k} that is not defined"),
        (r"Cancel Events may only be used with transactions",
         "{el}: cancel events are only allowed on transaction sub-processes"),
        (r"A loopMaximum or loopCondition must be specified",
         "{el} is a loop but has neither loopMaximum nor loopCondition"),
        (r"Conditional event definition with missing condition", "{el} has no condition"),
        (r"Sequential ordering for ad hoc subprocesses not supported",
         "{el}: sequential ordering of ad-hoc sub-processes is not supported"),
        (r"Ad hoc subprocesses may not contain start or end events",
         "{el}: an ad-hoc sub-process may not contain start or end events"),
        (r"Could not find messageRef", "a message start event names no message (messageRef)"),
        (r"Unsupported Catch Event", "{el} has no event definition tiaojie supports"),
        (r"(?P<k>Message|Signal|Error|Escalation|Correlation|Data Store) identifier is missing",
         "a {k} has no id"),
        (r"maximum recursion depth exceeded",
         "{el}: the process is chained or nested too deeply to compile"),
    )
)
# Python internals that must not reach an administrator.
_INTERNALS = re.compile(r"Traceback|object has no attribute|NoneType|not subscriptable|"
                        r"unexpected keyword|positional argument|index out of range|\w+Error\b|"
                        r"\w+Exception\b")
_REPR = re.compile(r"^(?P<cls>\w+)\((?P<args>.*)\)$", re.DOTALL)


def _translate(message: str, node: etree._Element | None) -> str:
    """Plain words for a SpiffWorkflow message about ``node``."""
    subject = _name(node) if node is not None else "the element"
    for pattern, template in _LIBRARY_MESSAGES:
        match = pattern.search(message)
        if match:
            words = {k: (v or "").lower() if k == "k" else (v or "")
                     for k, v in match.groupdict().items()}
            return template.format(el=subject, **words)
    return _fallback(message, subject)


def _fallback(message: str, subject: str) -> str:
    """An unknown library message, stripped of Python internals."""
    text = message.strip()
    wrapped = _REPR.match(text)
    if wrapped and wrapped["cls"] == "KeyError":
        return f"{subject} lacks something required: {_shorten(wrapped['args'], 100)}"
    if wrapped:
        text = wrapped["args"].strip().strip("'\"")
    if not text or _INTERNALS.search(text):
        return f"{subject} uses a construct tiaojie cannot compile"
    return f"{subject} could not be compiled: {_shorten(text, 200)}"
