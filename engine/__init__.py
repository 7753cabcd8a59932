"""tiaojie's workflow engine: BPMN and DMN on SpiffWorkflow, persisted one step per transaction.

The engine knows nothing of mediation.  An application deploys bundles of BPMN, DMN and form
files, starts instances, and works their human tasks; a worker fires due timers and routes
messages.  Everything a diagram evaluates runs in a sandbox (diagrams are untrusted input), and
every problem comes out as an :class:`~engine.errors.EngineError` written for people.

    from engine import Database, Engine, EngineConfig

    engine = Engine(Database(url), EngineConfig(functions={...}, resolve_group=...))
    with engine.transaction() as session:
        engine.deploy(session, read_paths(["bpmn/"]), actor="admin")
        view = engine.start(session, "dispute_intake", data={...}, actor="clerk")
"""

from engine.clock import FixedClock, system_clock
from engine.database import Database
from engine.definitions import check_paths, compile_bundle, read_paths
from engine.errors import (
    ConcurrentUpdate,
    DefinitionError,
    EngineError,
    ExpressionError,
    FormValidationError,
    MigrationRefused,
    NotFound,
    Problem,
    SandboxViolation,
    StateConflict,
    TaskLimitExceeded,
    TaskOwnershipError,
)
from engine.runtime import DateMove, Engine, EngineConfig
from engine.views import (
    AuditView,
    DefinitionView,
    DeploymentView,
    InstanceView,
    LaneContext,
    MessageWait,
    TaskBinding,
    TaskView,
    TimerView,
)

__all__ = [
    "AuditView",
    "ConcurrentUpdate",
    "Database",
    "DateMove",
    "DefinitionError",
    "DefinitionView",
    "DeploymentView",
    "Engine",
    "EngineConfig",
    "EngineError",
    "ExpressionError",
    "FixedClock",
    "FormValidationError",
    "InstanceView",
    "LaneContext",
    "MessageWait",
    "MigrationRefused",
    "NotFound",
    "Problem",
    "SandboxViolation",
    "StateConflict",
    "TaskBinding",
    "TaskLimitExceeded",
    "TaskOwnershipError",
    "TaskView",
    "TimerView",
    "check_paths",
    "compile_bundle",
    "read_paths",
    "system_clock",
]
