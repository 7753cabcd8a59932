"""Deploying bundles of definition files and finding the versions instances run on.

A bundle is compiled as a whole (so call activities across files resolve), then each startable
process in it becomes a definition version.  A process whose compiled content did not change keeps
its version; a changed one gets the next version number; an identical bundle is not deployed again.
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec

from engine.definitions import CompiledBundle, CompiledProcess, compile_bundle
from engine.errors import NotFound
from engine.models import Deployment, DeploymentFile, ProcessDefinition
from engine.serialization import dump_specs, load_specs
from engine.views import DefinitionView, DeploymentView

@dataclass(frozen=True)
class CachedDefinition:
    """What a step needs of a definition: its identity, forms and restored specs."""

    id: int
    process_id: str
    name: str
    version: int
    forms: dict[str, Any]
    spec: BpmnProcessSpec
    subprocess_specs: dict[str, BpmnProcessSpec]

    @property
    def form_by_element(self) -> dict[str, str]:
        """Element id -> form key."""
        return self.forms.get("by_element", {})


class DefinitionCache:
    """Definitions by id, specs restored; definitions never change, so entries never go stale."""

    def __init__(self, size: int = 256):
        self._size = size
        self._entries: OrderedDict[int, CachedDefinition] = OrderedDict()

    def get(self, session: Session, definition_id: int) -> CachedDefinition:
        """Return a definition, reading and restoring it on first use."""
        cached = self._entries.get(definition_id)
        if cached is not None:
            self._entries.move_to_end(definition_id)
            return cached
        row = get_definition(session, definition_id)
        spec, subprocess_specs = load_specs(row.specs)
        cached = CachedDefinition(
            id=row.id, process_id=row.process_id, name=row.name, version=row.version,
            forms=row.forms, spec=spec, subprocess_specs=subprocess_specs,
        )
        self._entries[definition_id] = cached
        if len(self._entries) > self._size:
            self._entries.popitem(last=False)
        return cached


def deploy(
    session: Session, files: Mapping[str, bytes], *, actor: str, note: str, now: datetime
) -> DeploymentView:
    """Compile and store a bundle; raises DefinitionError listing every problem."""
    bundle = compile_bundle(files)
    existing = session.scalar(
        select(Deployment).where(Deployment.content_hash == bundle.content_hash)
    )
    if existing is not None:
        return DeploymentView(
            id=existing.id,
            created=False,
            definitions=tuple(_definitions_of(session, existing.id, bundle)),
            warnings=tuple(str(w) for w in bundle.warnings),
        )
    deployment = Deployment(
        content_hash=bundle.content_hash, created_at=now, created_by=actor, note=note[:500]
    )
    session.add(deployment)
    session.flush()
    session.add_all(
        DeploymentFile(deployment_id=deployment.id, key=key, content=content)
        for key, content in sorted(bundle.files.items())
    )
    definitions = [
        _store_process(session, bundle, process, deployment_id=deployment.id, now=now)
        for process in bundle.processes.values()
    ]
    return DeploymentView(
        id=deployment.id,
        created=True,
        definitions=tuple(definitions),
        warnings=tuple(str(w) for w in bundle.warnings),
    )


def latest_definition(session: Session, process_id: str) -> ProcessDefinition:
    """The newest version of a process; raises NotFound if it was never deployed."""
    definition = session.scalar(
        select(ProcessDefinition)
        .where(ProcessDefinition.process_id == process_id)
        .order_by(ProcessDefinition.version.desc())
        .limit(1)
    )
    if definition is None:
        raise NotFound(f"no process '{process_id}' has been deployed")
    return definition


def get_definition(session: Session, definition_id: int) -> ProcessDefinition:
    """A definition by id; raises NotFound."""
    definition = session.get(ProcessDefinition, definition_id)
    if definition is None:
        raise NotFound(f"no process definition {definition_id}")
    return definition


def view(definition: ProcessDefinition) -> DefinitionView:
    """The plain view of a definition row."""
    return DefinitionView(
        id=definition.id,
        process_id=definition.process_id,
        name=definition.name,
        version=definition.version,
        deployment_id=definition.deployment_id,
        created_at=definition.created_at,
    )


def _store_process(
    session: Session,
    bundle: CompiledBundle,
    process: CompiledProcess,
    *,
    deployment_id: int,
    now: datetime,
) -> DefinitionView:
    specs = dump_specs(process.spec, process.subprocess_specs)
    forms = _forms_document(bundle, process)
    sources = _source_files(bundle, process)
    content_hash = _definition_hash(specs, forms, sources)
    existing = session.scalar(
        select(ProcessDefinition).where(
            ProcessDefinition.process_id == process.process_id,
            ProcessDefinition.content_hash == content_hash,
        )
    )
    if existing is not None:
        return view(existing)
    last = session.scalar(
        select(func.max(ProcessDefinition.version)).where(
            ProcessDefinition.process_id == process.process_id
        )
    )
    definition = ProcessDefinition(
        process_id=process.process_id,
        version=(last or 0) + 1,
        name=process.name,
        content_hash=content_hash,
        deployment_id=deployment_id,
        created_at=now,
        specs=specs,
        forms=forms,
        source_files=sources,
    )
    session.add(definition)
    session.flush()
    return view(definition)


def _definitions_of(
    session: Session, deployment_id: int, bundle: CompiledBundle
) -> list[DefinitionView]:
    found = []
    for process in bundle.processes.values():
        specs = dump_specs(process.spec, process.subprocess_specs)
        content_hash = _definition_hash(
            specs, _forms_document(bundle, process), _source_files(bundle, process)
        )
        definition = session.scalar(
            select(ProcessDefinition).where(
                ProcessDefinition.process_id == process.process_id,
                ProcessDefinition.content_hash == content_hash,
            )
        )
        if definition is not None:
            found.append(view(definition))
    return found


def _forms_document(bundle: CompiledBundle, process: CompiledProcess) -> dict[str, Any]:
    documents = {}
    for key in sorted(set(process.forms.values())):
        documents[key] = json.loads(bundle.files[key])
    return {"by_element": dict(sorted(process.forms.items())), "documents": documents}


def _source_files(bundle: CompiledBundle, process: CompiledProcess) -> dict[str, Any]:
    """The files a process was drawn in, by key and content hash (for showing the diagram)."""
    names = {process.spec.file, *(s.file for s in process.subprocess_specs.values())}
    return {
        name: hashlib.sha256(bundle.files[name]).hexdigest()
        for name in sorted(n for n in names if n in bundle.files)
    }


def _definition_hash(specs: str, forms: dict[str, Any], sources: dict[str, Any]) -> str:
    digest = hashlib.sha256(specs.encode())
    digest.update(json.dumps(forms, sort_keys=True, ensure_ascii=False).encode())
    digest.update(json.dumps(sources, sort_keys=True).encode())
    return digest.hexdigest()
