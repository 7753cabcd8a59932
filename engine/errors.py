"""The engine's exceptions.

Every error the engine lets out is an :class:`EngineError` whose message is written for the person
who caused it (an administrator, a clerk); no library exception escapes.  None carries an HTTP
status: the web layer maps them to responses in one place.

    EngineError
    ├── DefinitionError          a diagram, decision table or form cannot be deployed (.problems)
    ├── ExpressionError          an expression or script in a diagram failed or was refused
    │   └── SandboxViolation     it tried something the sandbox forbids (imports, dunders, ...)
    ├── NotFound                 no such definition, instance or task
    ├── StateConflict            the action does not fit the current state
    │   ├── TaskOwnershipError   the task is held by someone else
    │   ├── ConcurrentUpdate     someone else changed the instance first; retry
    │   └── MigrationRefused     the instance cannot move to the requested version (.reasons)
    ├── TaskLimitExceeded        an instance ran past its cap on tasks (a loop in the diagram)
    └── FormValidationError      submitted task data does not satisfy the task's form (.field_errors)
"""

from __future__ import annotations

from dataclasses import dataclass


class EngineError(Exception):
    """Base of every error the engine raises."""


@dataclass(frozen=True)
class Problem:
    """One reason a definition file cannot be deployed, located as precisely as known."""

    file: str
    line: int | None
    element: str | None
    reason: str

    def __str__(self) -> str:
        location = self.file if self.line is None else f"{self.file}:{self.line}"
        element = self.element or "-"
        return f"{location}: {element}: {self.reason}"


class DefinitionError(EngineError):
    """Definition files failed validation; ``problems`` lists every reason found."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems) or "invalid definition")


class ExpressionError(EngineError):
    """An expression or script from a diagram could not be evaluated."""

    def __init__(self, message: str, *, expression: str | None = None, element: str | None = None):
        self.expression = expression
        self.element = element
        super().__init__(message)


class SandboxViolation(ExpressionError):
    """An expression tried to reach something outside the data and registered functions."""


class NotFound(EngineError):
    """The named definition, instance or task does not exist."""


class StateConflict(EngineError):
    """The requested action does not fit the current state of the instance or task."""


class TaskOwnershipError(StateConflict):
    """The task is claimed by another user."""


class ConcurrentUpdate(StateConflict):
    """The instance was changed by someone else since it was read; the action can be retried."""


class MigrationRefused(StateConflict):
    """The instance cannot be moved to the requested definition version."""

    def __init__(self, message: str, reasons: list[str] | None = None):
        self.reasons = list(reasons or [])
        super().__init__(message)


class TaskLimitExceeded(EngineError):
    """The instance created more tasks than allowed, which means a loop in the diagram."""


class FormValidationError(EngineError):
    """Task data does not satisfy the form; ``field_errors`` maps a field path to its messages."""

    def __init__(self, field_errors: dict[str, list[str]]):
        self.field_errors = dict(field_errors)
        detail = "; ".join(f"{k}: {', '.join(v)}" for k, v in self.field_errors.items())
        super().__init__(f"the submitted data is not valid: {detail}")
