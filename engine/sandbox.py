"""The sandbox for expressions and scripts in diagrams.

Diagrams are edited by administrators in a browser, so every piece of Python in them is untrusted:
gateway conditions, timer expressions, DMN input and output cells, multi-instance expressions,
pre/post scripts and script tasks.  SpiffWorkflow would hand all of them to ``eval``/``exec``; here
they go through :class:`SandboxedEnvironment` instead, and :class:`SandboxedScriptEngine` plugs it
into a ``BpmnWorkflow``.

What a diagram can use:

* Expressions in ordinary Python syntax, evaluated by ``simpleeval``: arithmetic, comparisons,
  ``and``/``or``/``not``, ``in``, ternaries, subscripts and slices, list/tuple/set/dict literals,
  comprehensions, f-strings.
* Names: the task data, then the external context SpiffWorkflow passes (data objects, a DMN
  input), then the functions — the safe built-ins listed in :func:`builtin_functions` and those the
  application registers.  Nothing else: no Python built-ins, no modules.
* Attributes only from a per-type whitelist: text methods (``strip``, ``startswith``, ...),
  ``dict.get``/``keys``/``values``/``items``, list and set methods, ``year``/``month``/``isoformat``
  and the like on dates.  Methods that change data (``append``, ``update``, ...) only in scripts.
  Any name starting with ``_`` is refused.
* Scripts: assignments (to names, subscripts, and tuples of those), augmented assignments,
  ``if``/``elif``/``else``, ``for`` (with ``break``/``continue``), expression statements, ``pass``
  and ``del``.  Everything else — imports, ``def``, ``lambda``, ``class``, ``while``, ``with``,
  ``try``, ``global``, ... — is refused with the construct and its line.

Every breach raises :class:`~engine.errors.SandboxViolation`; every other failure (a missing key,
a limit hit, a type error) raises :class:`~engine.errors.ExpressionError`, both in plain words.
A failing script leaves the task data exactly as it was.

Resources are capped per evaluation (see :class:`SandboxLimits`): source length, syntax nesting,
evaluation steps and wall-clock time, loop rounds, ``range`` length, text length, items per value,
integer size.  Values the sandbox builds are copied as they are built (a literal, a
comprehension, an operator or function result, whatever is stored into a container), so no two
places in a value share a container: a value's size is what it looks like, and doubling a
structure in a loop costs what it would cost to write out.
"""

from __future__ import annotations

import ast
import builtins
import copy
import functools
import re
import textwrap
import time
import types
from collections import ChainMap
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from decimal import Decimal
from typing import Any, NoReturn, cast
from zoneinfo import ZoneInfo

import simpleeval
from simpleeval import EvalWithCompoundTypes
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import BasePythonScriptEngineEnvironment, PythonScriptEngine
from SpiffWorkflow.dmn.specs.business_rule_task_mixin import BusinessRuleTaskMixin

from engine.errors import ExpressionError, SandboxViolation

__all__ = [
    "LOCAL_ZONE",
    "ExpressionSyntaxError",
    "SandboxLimits",
    "SandboxedEnvironment",
    "SandboxedScriptEngine",
    "builtin_functions",
]

# Dates written in a diagram are Chinese dates: day boundaries are China Standard Time.
LOCAL_ZONE = ZoneInfo("Asia/Shanghai")


class ExpressionSyntaxError(ExpressionError, SyntaxError):
    """An expression or script is not valid Python; also a ``SyntaxError``.

    SpiffWorkflow's DMN engine decides how to read an input cell ("> 1000" or "'a','b'") by
    catching ``SyntaxError`` from ``validate``, so this error must be one.
    """

    def __init__(
        self,
        message: str,
        *,
        expression: str | None = None,
        lineno: int | None = None,
        offset: int | None = None,
    ):
        super().__init__(message, expression=expression)
        # SyntaxError.__str__ appends "(line N)" when lineno is set.
        self.lineno = lineno
        self.offset = offset


@dataclass(frozen=True)
class SandboxLimits:
    """Caps on one evaluation or script run; each breach raises ``ExpressionError``."""

    max_source_length: int = 20_000  # characters in one expression or script
    max_nesting: int = 100  # depth of the syntax tree, and of values the sandbox builds
    max_operations: int = 1_000_000  # evaluation steps, copying a value costs one per item
    max_iterations: int = 50_000  # rounds of all loops and comprehensions together
    max_range: int = 10_000  # numbers in one range()
    max_string_length: int = 100_000  # characters in one text the sandbox builds
    max_items: int = 100_000  # items (nested ones included) in one value the sandbox builds
    max_int_bits: int = 4_096  # size of integers built by *, ** and <<
    time_limit: float = 2.0  # seconds of wall-clock time


Function = Callable[..., Any]
Position = tuple[int, int, int, int]

# --- values -------------------------------------------------------------------------------------

_SCALARS = (type(None), bool, int, float, Decimal)
_TIME_TYPES = (datetime, date, clock_time, timedelta)
_VIEW_TYPES = (type({}.keys()), type({}.values()), type({}.items()))
_CONTAINERS = (list, tuple, dict, set, frozenset)
_ITERABLES = (list, tuple, dict, set, frozenset, str, range, *_VIEW_TYPES)


def _describe(value: Any) -> str:
    """Name the kind of ``value`` for an error message."""
    if isinstance(value, type) or callable(value):
        return "a function"
    return f"a value of type '{type(value).__name__}'"


def _kind(value: Any) -> type | None:
    """The type whose whitelist applies to ``value``; subclasses (OrderedDict) use their base's."""
    for kind in type(value).__mro__:
        if kind in _METHODS or kind in _ATTRIBUTES:
            return kind
    return None


# --- methods and attributes ---------------------------------------------------------------------

Args = list[Any]
Kwargs = dict[str, Any]
Guard = Callable[[Any, Args, Kwargs, SandboxLimits], None]


@dataclass(frozen=True)
class _Method:
    """How the sandbox treats one whitelisted method."""

    mutates: bool = False  # changes its receiver: scripts only
    stores: bool = False  # keeps its arguments inside the receiver: they are copied first
    shares: bool = False  # returns a part of the receiver, which must stay the same object
    guard: Guard | None = None  # refuses arguments that would build something huge


def _too_long_text(limits: SandboxLimits) -> ExpressionError:
    return ExpressionError(f"text would be too long (limit {limits.max_string_length} characters)")


def _guard_width(receiver: Any, args: Args, kwargs: Kwargs, limits: SandboxLimits) -> None:
    """Padding methods (center, zfill, ...) allocate their width up front."""
    width = args[0] if args else kwargs.get("width", 0)
    if isinstance(width, int) and width > limits.max_string_length:
        raise _too_long_text(limits)


def _guard_join(receiver: Any, args: Args, kwargs: Kwargs, limits: SandboxLimits) -> None:
    """A separator repeated between many parts can multiply the length of the result."""
    parts = args[0] if args else ()
    if isinstance(receiver, str) and isinstance(parts, _ITERABLES):
        total = len(receiver) * max(len(parts) - 1, 0)
        total += sum(len(part) for part in parts if isinstance(part, str))
        if total > limits.max_string_length:
            raise _too_long_text(limits)


def _guard_replace(receiver: Any, args: Args, kwargs: Kwargs, limits: SandboxLimits) -> None:
    """Replacing a frequent substring by a long one can multiply the length of the text."""
    if len(args) < 2 or not all(isinstance(a, str) for a in (receiver, args[0], args[1])):
        return
    old, new = args[0], args[1]
    hits = receiver.count(old) if old else len(receiver) + 1
    count = args[2] if len(args) > 2 and isinstance(args[2], int) else -1
    if count >= 0:
        hits = min(hits, count)
    if len(receiver) + hits * (len(new) - len(old)) > limits.max_string_length:
        raise _too_long_text(limits)


def _guard_strftime(receiver: Any, args: Args, kwargs: Kwargs, limits: SandboxLimits) -> None:
    """A date format is short; a huge one only serves to build a huge text."""
    fmt = args[0] if args else kwargs.get("format", "")
    if isinstance(fmt, str) and len(fmt) > 200:
        raise ExpressionError("date format too long (limit 200 characters)")


def _methods(*names: str, **rule: Any) -> dict[str, _Method]:
    return {name: _Method(**rule) for name in names}


_TEXT_METHODS = {
    **_methods(
        "capitalize", "casefold", "count", "endswith", "find", "index", "isalnum", "isalpha",
        "isdecimal", "isdigit", "islower", "isnumeric", "isspace", "istitle", "isupper", "lower",
        "lstrip", "partition", "removeprefix", "removesuffix", "rfind", "rindex", "rpartition",
        "rsplit", "rstrip", "split", "splitlines", "startswith", "strip", "swapcase", "title",
        "upper",
    ),
    **_methods("center", "ljust", "rjust", "zfill", guard=_guard_width),
    "join": _Method(guard=_guard_join),
    "replace": _Method(guard=_guard_replace),
}
_DATE_METHODS = {
    **_methods("isoformat", "weekday", "isoweekday", "toordinal", "replace"),
    "strftime": _Method(guard=_guard_strftime),
}
_SET_READERS = _methods(
    "union", "intersection", "difference", "symmetric_difference", "issubset", "issuperset",
    "isdisjoint", "copy",
)

# Deliberately absent: str.format/format_map (they reach attributes through "{0.__class__}"),
# str.translate/expandtabs/encode, and anything returning types, modules or code.
_METHODS: dict[type, dict[str, _Method]] = {
    str: _TEXT_METHODS,
    dict: {
        **_methods("keys", "values", "items", "get", shares=True),
        "copy": _Method(),
        **_methods("pop", "popitem", mutates=True, shares=True),
        "setdefault": _Method(mutates=True, stores=True, shares=True),
        "update": _Method(mutates=True, stores=True),
        "clear": _Method(mutates=True),
    },
    list: {
        **_methods("index", "count", "copy"),
        **_methods("append", "extend", "insert", mutates=True, stores=True),
        **_methods("remove", "reverse", "sort", "clear", mutates=True),
        "pop": _Method(mutates=True, shares=True),
    },
    set: {
        **_SET_READERS,
        **_methods("add", "update", mutates=True, stores=True),
        **_methods("discard", "remove", "clear", "pop", mutates=True),
    },
    frozenset: _SET_READERS,
    tuple: _methods("index", "count"),
    float: _methods("is_integer"),
    date: _DATE_METHODS,
    datetime: {**_DATE_METHODS, **_methods("date", "time", "timestamp")},
    clock_time: {**_methods("isoformat", "replace"), "strftime": _Method(guard=_guard_strftime)},
    timedelta: _methods("total_seconds"),
}

# Plain (non-callable) attributes.
_ATTRIBUTES: dict[type, frozenset[str]] = {
    date: frozenset({"year", "month", "day"}),
    datetime: frozenset({"year", "month", "day", "hour", "minute", "second", "microsecond"}),
    clock_time: frozenset({"hour", "minute", "second", "microsecond"}),
    timedelta: frozenset({"days", "seconds", "microseconds"}),
}


# --- functions ----------------------------------------------------------------------------------

_SAFE_CLASSES: frozenset[type] = frozenset(
    {int, float, str, bool, list, dict, set, tuple, frozenset, date, datetime, clock_time,
     timedelta, Decimal}
)
# Built-ins an application may register as they are (sum, round and range only come capped).
_SAFE_BUILTINS: frozenset[Any] = frozenset({len, min, max, abs, sorted, any, all})
# Modules whose functions reach the system, the interpreter or arbitrary attributes.
_DANGEROUS_MODULES = frozenset(
    {"os", "posix", "nt", "sys", "subprocess", "shutil", "importlib", "io", "pickle", "marshal",
     "ctypes", "socket", "pty", "runpy", "code", "codeop", "inspect", "gc", "pathlib", "tempfile",
     "multiprocessing", "threading", "signal", "types", "operator", "builtins", "_io", "_thread"}
)


def _contains(collection: frozenset[Any] | set[Any], value: Any) -> bool:
    """Membership that tolerates unhashable callables."""
    try:
        return value in collection
    except TypeError:
        return False


def _function_problem(function: Any) -> str | None:
    """Why ``function`` must not be exposed to diagrams, or None if it may be."""
    if isinstance(function, (types.ModuleType, simpleeval.ModuleWrapper)):
        return "it is a module"
    if not callable(function):
        return "it is not callable"
    if isinstance(function, functools.partial):
        return _function_problem(function.func)
    if isinstance(function, type):
        return None if function in _SAFE_CLASSES else "only data types may be registered as classes"
    if _contains(simpleeval.DISALLOW_FUNCTIONS, function):
        return "it can run code or reach any attribute"
    owner = getattr(function, "__self__", None)
    if owner is builtins:
        return None if _contains(_SAFE_BUILTINS, function) else "this built-in is not allowed"
    if isinstance(owner, types.ModuleType):
        return f"it belongs to the module '{owner.__name__}'"
    module = str(getattr(function, "__module__", None) or "")
    if module.split(".")[0] in _DANGEROUS_MODULES:
        return f"it comes from the module '{module}'"
    return None


def _checked_functions(functions: Mapping[str, Function]) -> dict[str, Function]:
    """Return ``functions`` after refusing names and values that would open the sandbox."""
    checked = {}
    for name, function in functions.items():
        if not isinstance(name, str) or not name.isidentifier() or name.startswith("_"):
            raise ValueError(f"function name {name!r} must be an identifier not starting with '_'")
        problem = _function_problem(function)
        if problem is not None:
            raise ValueError(f"function '{name}' cannot be offered to diagrams: {problem}")
        checked[name] = function
    return checked


def builtin_functions(limits: SandboxLimits | None = None) -> dict[str, Function]:
    """The functions every diagram can call, with ``range``, ``str`` and friends capped."""
    limits = limits or SandboxLimits()

    def capped_range(*args: int) -> range:
        numbers = range(*args)
        try:
            size = len(numbers)
        except OverflowError:
            size = limits.max_range + 1
        if size > limits.max_range:
            raise ExpressionError(f"range too large (limit {limits.max_range} numbers)")
        return numbers

    def text(value: Any = "") -> str:
        result = str(value)
        if len(result) > limits.max_string_length:
            raise _too_long_text(limits)
        return result

    def total(values: Any, start: int | float = 0) -> Any:
        # sum() over lists or texts concatenates quadratically; numbers are all it is for here.
        items = list(values)
        if not all(isinstance(v, (int, float, Decimal)) for v in [start, *items]):
            raise ExpressionError("sum() adds numbers only")
        return sum(items, start)

    def rounded(number: Any, ndigits: int | None = None) -> Any:
        # round(10, -10**9) would compute 10**(10**9).
        if ndigits is not None and isinstance(ndigits, int) and abs(ndigits) > 100:
            raise ExpressionError("round() precision too large (limit 100 digits)")
        return round(number, ndigits)

    return {
        "len": len, "min": min, "max": max, "sum": total, "abs": abs, "round": rounded,
        "int": int, "float": float, "str": text, "bool": bool, "sorted": sorted, "any": any,
        "all": all, "list": list, "dict": dict, "set": set, "tuple": tuple, "range": capped_range,
        "enumerate": lambda values, start=0: list(enumerate(values, start)),
        "zip": lambda *values: list(zip(*values)),
        "reversed": lambda values: list(reversed(values)),
        "date": date, "datetime": make_datetime, "timedelta": timedelta,
        "parse_date": parse_date, "parse_datetime": parse_datetime,
    }


def make_datetime(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    """An aware datetime in China Standard Time."""
    return datetime(year, month, day, hour, minute, second, tzinfo=LOCAL_ZONE)


def parse_datetime(value: str | datetime) -> datetime:
    """Read an ISO 8601 date-time; one without a zone is China Standard Time."""
    result = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return result if result.tzinfo is not None else result.replace(tzinfo=LOCAL_ZONE)


def parse_date(value: str | date) -> date:
    """Read an ISO 8601 date, or the China Standard Time date of an ISO date-time."""
    if isinstance(value, datetime) or (isinstance(value, str) and "T" in value):
        return parse_datetime(value).astimezone(LOCAL_ZONE).date()
    return value if isinstance(value, date) else date.fromisoformat(str(value))


# --- checking the syntax tree -------------------------------------------------------------------

_OPERATOR_NODES = (
    ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow, ast.LShift, ast.RShift,
    ast.BitOr, ast.BitXor, ast.BitAnd, ast.UAdd, ast.USub, ast.Not, ast.Invert, ast.And, ast.Or,
    ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.Is, ast.IsNot, ast.In, ast.NotIn,
)
_EXPRESSION_NODES: frozenset[type] = frozenset({
    ast.Expression, ast.Constant, ast.Name, ast.Load, ast.Store, ast.Del, ast.BinOp, ast.UnaryOp,
    ast.BoolOp, ast.Compare, ast.IfExp, ast.Call, ast.keyword, ast.Attribute, ast.Subscript,
    ast.Slice, ast.List, ast.Tuple, ast.Set, ast.Dict, ast.ListComp, ast.SetComp, ast.DictComp,
    ast.GeneratorExp, ast.comprehension, ast.JoinedStr, ast.FormattedValue, *_OPERATOR_NODES,
})
_STATEMENT_NODES: frozenset[type] = frozenset({
    ast.Module, ast.Assign, ast.AugAssign, ast.If, ast.For, ast.Expr, ast.Pass, ast.Delete,
    ast.Break, ast.Continue,
})
_REFUSED_NAMES = {
    "Import": "imports", "ImportFrom": "imports", "FunctionDef": "function definitions",
    "AsyncFunctionDef": "function definitions", "Lambda": "lambda expressions",
    "ClassDef": "class definitions", "While": "while loops", "With": "with statements",
    "AsyncWith": "with statements", "Try": "try statements", "TryStar": "try statements",
    "Raise": "raise statements", "Assert": "assert statements", "Global": "global declarations",
    "Nonlocal": "nonlocal declarations", "Return": "return statements", "Yield": "generators",
    "YieldFrom": "generators", "Await": "async code", "AsyncFor": "async code",
    "NamedExpr": "assignment expressions (:=)", "Starred": "* and ** unpackings",
    "AnnAssign": "annotated assignments", "Match": "match statements",
    "MatMult": "@ operators",
}
_REFUSED: dict[type, str] = {
    getattr(ast, name): what for name, what in _REFUSED_NAMES.items() if hasattr(ast, name)
}
_TARGETS = (ast.Name, ast.Subscript, ast.Tuple, ast.List)


def _node_word(node: ast.AST) -> str:
    """``ast.Attribute`` -> "attribute", for messages."""
    return type(node).__name__.lower()


def _at(node: ast.AST, script: bool) -> str:
    line = getattr(node, "lineno", None)
    return f" (line {line})" if script and line else ""


def _check_node(
    node: ast.AST, allowed: frozenset[type], limits: SandboxLimits, script: bool
) -> None:
    """Refuse one node that is outside the sandbox's language."""
    kind = type(node)
    where = _at(node, script)
    if kind in _REFUSED:
        raise SandboxViolation(f"{_REFUSED[kind]} are not allowed{where}")
    if kind not in allowed:
        raise SandboxViolation(f"'{kind.__name__}' is not allowed{where}")
    if isinstance(node, ast.Attribute) and node.attr.startswith("_"):
        raise SandboxViolation(f"access to '{node.attr}' is not allowed{where}")
    if isinstance(node, ast.Name) and node.id.startswith("__"):
        raise SandboxViolation(f"name '{node.id}' is not defined or not allowed{where}")
    if isinstance(node, ast.keyword) and node.arg is None:
        raise SandboxViolation(f"* and ** unpackings are not allowed{where}")
    if isinstance(node, ast.comprehension) and node.is_async:
        raise SandboxViolation(f"async code is not allowed{where}")
    if isinstance(node, ast.Constant):
        _check_constant(node, limits, where)
    for target in _targets_of(node):
        if not isinstance(target, _TARGETS):
            raise SandboxViolation(f"assigning to {_node_word(target)} is not allowed{where}")


def _check_constant(node: ast.Constant, limits: SandboxLimits, where: str) -> None:
    value = node.value
    if type(value) not in (str, int, float, bool, type(None)):
        raise SandboxViolation(f"constants of type '{type(value).__name__}' are not allowed{where}")
    if isinstance(value, str) and len(value) > limits.max_string_length:
        raise ExpressionError(f"text too long (limit {limits.max_string_length} characters){where}")


def _targets_of(node: ast.AST) -> list[ast.AST]:
    """The assignment targets a node writes to, nested tuples unfolded."""
    if isinstance(node, ast.Assign):
        found = list(node.targets)
    elif isinstance(node, (ast.AugAssign, ast.For, ast.comprehension)):
        found = [node.target]
    elif isinstance(node, ast.Delete):
        found = list(node.targets)
    else:
        return []
    flat: list[ast.AST] = []
    while found:
        target = found.pop()
        flat.append(target)
        if isinstance(target, (ast.Tuple, ast.List)):
            found.extend(target.elts)
    return flat


def _check_tree(tree: ast.AST, limits: SandboxLimits, script: bool) -> None:
    """Walk the whole tree (without recursion) and refuse anything outside the sandbox.

    Of several problems the one that starts first in the source is reported, so that
    ``().__class__.__base__`` names ``__class__``.
    """
    allowed = _EXPRESSION_NODES | (_STATEMENT_NODES if script else frozenset())
    found: list[tuple[Position, ExpressionError]] = []
    stack: list[tuple[ast.AST, int, bool, Position]] = [(tree, 0, False, (0, 0, 0, 0))]
    while stack:
        node, depth, in_loop, parent_position = stack.pop()
        position = _position(node, parent_position)
        if depth > limits.max_nesting:
            where = _at(node, script)
            message = f"nested too deeply (limit {limits.max_nesting} levels){where}"
            found.append((position, SandboxViolation(message)))
            continue
        try:
            _check_node(node, allowed, limits, script)
            if isinstance(node, (ast.Break, ast.Continue)) and not in_loop:
                where = _at(node, script)
                raise SandboxViolation(f"'break' and 'continue' belong in a loop{where}")
        except ExpressionError as err:
            found.append((position, err))
        loop_body = set(map(id, node.body)) if isinstance(node, ast.For) else set()
        for child in ast.iter_child_nodes(node):
            stack.append((child, depth + 1, in_loop or id(child) in loop_body, position))
    if found:
        raise min(found, key=lambda item: item[0])[1]


def _position(node: ast.AST, default: Position) -> Position:
    """Where ``node`` starts and ends; nodes without a position (operators) take their parent's."""
    if not hasattr(node, "lineno"):
        return default
    return (node.lineno, node.col_offset, node.end_lineno or 0, node.end_col_offset or 0)


def _parse(source: Any, limits: SandboxLimits, *, script: bool) -> ast.AST:
    """Parse and check ``source``; raise ExpressionError in plain words if it cannot run."""
    what = "script" if script else "expression"
    if not isinstance(source, str):
        raise ExpressionError(f"the {what} must be text, not {type(source).__name__}")
    try:
        if len(source) <= _CACHED_SOURCE_LENGTH:
            return _parse_cached(source, limits, script)
        return _parse_checked(source, limits, script)
    except ExpressionError as err:
        if err.expression is None:
            err.expression = source
        raise


# The same conditions and cells are evaluated over and over, so their trees are cached (they are
# never mutated).  Long scripts are not: their trees are large and parsing is cheap next to the
# deep copy of the task data that every script run makes anyway.
_CACHED_SOURCE_LENGTH = 1_000


@functools.lru_cache(maxsize=2048)
def _parse_cached(source: str, limits: SandboxLimits, script: bool) -> ast.AST:
    return _parse_checked(source, limits, script)


def _parse_checked(source: str, limits: SandboxLimits, script: bool) -> ast.AST:
    what = "script" if script else "expression"
    if len(source) > limits.max_source_length:
        raise ExpressionError(
            f"the {what} is too long ({len(source)} characters; limit {limits.max_source_length})",
            expression=source[:200],
        )
    tree = _syntax(textwrap.dedent(source) if script else source.strip(), script, source)
    _check_tree(tree, limits, script)
    return tree


def _syntax(text: str, script: bool, source: str) -> ast.AST:
    """``ast.parse`` with its failures turned into ExpressionSyntaxError."""
    if not script and not text:
        raise ExpressionSyntaxError("the expression is empty", expression=source)
    try:
        return ast.parse(text, mode="exec" if script else "eval")
    except SyntaxError as exc:
        raise ExpressionSyntaxError(
            f"invalid syntax: {exc.msg}", expression=source, lineno=exc.lineno, offset=exc.offset
        ) from None
    except (ValueError, RecursionError, MemoryError) as exc:
        raise ExpressionSyntaxError(f"cannot be read: {exc}", expression=source) from None


def _as_decision_test(tree: ast.Expression) -> ast.Expression:
    """Read a DMN input cell listing values ("'a', 'b'") as "one of", as FEEL does.

    SpiffWorkflow turns such a cell into ``(input) == ('a', 'b')``, which is never true for JSON
    data (it has no tuples).  Nodes are rebuilt, not changed, because parsed trees are cached.
    """
    body = tree.body
    if (
        isinstance(body, ast.Compare)
        and len(body.ops) == 1
        and isinstance(body.ops[0], ast.Eq)
        and isinstance(body.comparators[0], ast.Tuple)
        and not isinstance(body.left, ast.Tuple)
    ):
        test = ast.Compare(left=body.left, ops=[ast.In()], comparators=body.comparators)
        return ast.Expression(body=test)
    return tree


# --- the evaluator ------------------------------------------------------------------------------


class _Break(Exception):
    """Control flow of ``break`` inside the interpreter."""


class _Continue(Exception):
    """Control flow of ``continue`` inside the interpreter."""


class _Run(EvalWithCompoundTypes):
    """One evaluation or script run: the names in scope and the budgets spent so far."""

    def __init__(
        self,
        names: MutableMapping[str, Any],
        functions: Mapping[str, Function],
        limits: SandboxLimits,
        *,
        script: bool,
    ):
        # SimpleEval.__init__ is deliberately not called: it switches the process-wide warning
        # filters (warnings.catch_warnings is not thread-safe) to build a node table that is
        # replaced here anyway.  Its node handlers are reused through inheritance.
        self.operators = self._operators()
        self.functions = dict(functions)
        self.names = names
        self.allowed_attrs = None
        self.ATTR_INDEX_FALLBACK = False
        self.expr = ""
        self.limits = limits
        self.script = script
        self.scopes: list[dict[str, Any]] = []
        self.line: int | None = None
        self.operations = 0
        self.iterations = 0
        self._next_clock_check = 1_000
        self._deadline = time.monotonic() + limits.time_limit
        self.nodes = {
            ast.Constant: self._eval_constant,
            ast.Name: self._eval_name,
            ast.UnaryOp: self._eval_unaryop,
            ast.BinOp: self._eval_binop,
            ast.BoolOp: self._eval_boolop,
            ast.Compare: self._eval_compare,
            ast.IfExp: self._eval_ifexp,
            ast.Call: self._eval_call,
            ast.Subscript: self._eval_subscript,
            ast.Attribute: self._eval_attribute,
            ast.Slice: self._eval_slice,
            ast.JoinedStr: self._eval_joinedstr,
            ast.FormattedValue: self._eval_formattedvalue,
            ast.List: self._eval_list,
            ast.Tuple: self._eval_tuple,
            ast.Set: self._eval_set,
            ast.Dict: self._eval_dict,
            ast.ListComp: self._eval_comprehension,
            ast.SetComp: self._eval_comprehension,
            ast.DictComp: self._eval_comprehension,
            ast.GeneratorExp: self._eval_comprehension,
        }
        self._statements: dict[type, Callable[[Any], None]] = {
            ast.Assign: self._exec_assign,
            ast.AugAssign: self._exec_augassign,
            ast.If: self._exec_if,
            ast.For: self._exec_for,
            ast.Expr: lambda node: self._eval(node.value),
            ast.Pass: lambda node: None,
            ast.Delete: self._exec_delete,
            ast.Break: self._exec_break,
            ast.Continue: self._exec_continue,
        }

    # -- budgets

    def _tick(self, cost: int = 1) -> None:
        self.operations += cost
        if self.operations > self.limits.max_operations:
            raise ExpressionError(f"too many steps (limit {self.limits.max_operations})")
        if self.operations >= self._next_clock_check:
            self._next_clock_check = self.operations + 1_000
            if time.monotonic() > self._deadline:
                raise ExpressionError(f"took longer than {self.limits.time_limit:g} seconds")

    def _count_iteration(self) -> None:
        self.iterations += 1
        if self.iterations > self.limits.max_iterations:
            raise ExpressionError(f"too many loop rounds (limit {self.limits.max_iterations})")

    # -- entry points

    def evaluate(self, tree: ast.Expression) -> Any:
        """Evaluate a checked expression tree and return data."""
        return self._as_data(self._eval(tree.body))

    def run(self, tree: ast.Module) -> None:
        """Run a checked script tree; assignments go into ``names``."""
        self._exec_block(tree.body)

    # -- values

    def _as_data(self, value: Any) -> Any:
        """Return ``value`` fit to store or hand back: views become lists, functions are refused."""
        if isinstance(value, (range, *_VIEW_TYPES)):
            return self._fresh(value)
        if callable(value) or isinstance(value, types.ModuleType):
            raise SandboxViolation(f"{_describe(value)} cannot be used as data")
        return value

    def _fresh(self, value: Any) -> Any:
        """Copy ``value`` so it shares no container with anything, charging each item copied."""
        budget = [self.limits.max_items]
        return self._copy(value, 0, budget)

    def _copy(self, value: Any, depth: int, budget: list[int]) -> Any:
        if isinstance(value, (*_SCALARS, *_TIME_TYPES)):
            return value
        if isinstance(value, str):
            # Texts are immutable and shared freely, but a list of many long texts is as
            # expensive to print or compare as one long text.
            self._spend(len(value) // 100, budget)
            return value
        if not isinstance(value, (*_CONTAINERS, range, *_VIEW_TYPES)):
            raise SandboxViolation(f"{_describe(value)} cannot be used as data")
        if depth >= self.limits.max_nesting:
            limit = self.limits.max_nesting
            raise ExpressionError(f"value nested too deeply (limit {limit} levels)")
        self._spend(len(value), budget)
        if isinstance(value, dict):
            return {
                self._copy(k, depth + 1, budget): self._copy(v, depth + 1, budget)
                for k, v in value.items()
            }
        items = [self._copy(item, depth + 1, budget) for item in value]
        for kind in (tuple, frozenset, set):
            if isinstance(value, kind):
                return kind(items)
        return items

    def _spend(self, items: int, budget: list[int]) -> None:
        budget[0] -= items
        if budget[0] < 0:
            raise ExpressionError(f"value too large (limit {self.limits.max_items} items)")
        self._tick(items)

    def _check_size(self, container: Any) -> None:
        if hasattr(container, "__len__") and len(container) > self.limits.max_items:
            raise ExpressionError(f"value too large (limit {self.limits.max_items} items)")

    def _iterable(self, value: Any) -> Any:
        if not isinstance(value, _ITERABLES):
            raise ExpressionError(f"cannot loop over {_describe(value)}")
        return value

    # -- operators: simpleeval's, with caps that fit these limits

    def _operators(self) -> dict[type, Callable[..., Any]]:
        operators = dict(simpleeval.DEFAULT_OPERATORS)
        operators.update({
            ast.Add: self._add, ast.Mult: self._multiply, ast.Pow: self._power,
            ast.LShift: self._shift_left, ast.Mod: self._modulo,
        })
        return operators

    def _check_length(self, length: int, sample: Any) -> None:
        if isinstance(sample, str) and length > self.limits.max_string_length:
            raise _too_long_text(self.limits)
        if not isinstance(sample, str) and length > self.limits.max_items:
            raise ExpressionError(f"value too large (limit {self.limits.max_items} items)")

    def _add(self, left: Any, right: Any) -> Any:
        if hasattr(left, "__len__") and hasattr(right, "__len__"):
            self._check_length(len(left) + len(right), left)
        return left + right

    def _multiply(self, left: Any, right: Any) -> Any:
        if isinstance(left, int) and isinstance(right, int):
            if left.bit_length() + right.bit_length() > self.limits.max_int_bits:
                raise ExpressionError("number too large")
            return left * right
        for sequence, count in ((left, right), (right, left)):
            if hasattr(sequence, "__len__") and isinstance(count, int):
                self._check_length(len(sequence) * max(count, 0), sequence)
        return left * right

    def _power(self, base: Any, exponent: Any) -> Any:
        if isinstance(base, int) and isinstance(exponent, int) and exponent > 0 and abs(base) > 1:
            bits = self.limits.max_int_bits
            # Checked before multiplying so that a huge exponent costs nothing.
            if exponent > bits or abs(base).bit_length() * exponent > bits:
                raise ExpressionError("exponent too large")
        return base**exponent

    def _shift_left(self, value: Any, bits: Any) -> Any:
        if isinstance(value, int) and isinstance(bits, int) and bits > 0:
            if max(bits, value.bit_length() + bits) > self.limits.max_int_bits:
                raise ExpressionError("number too large")
        return value << bits

    def _modulo(self, left: Any, right: Any) -> Any:
        if isinstance(left, str):
            # "%999999999d" % 1 builds a huge text; f-strings are checked instead.
            raise ExpressionError("the % operator cannot format text; use an f-string")
        return left % right

    # -- expressions

    def _eval(self, node: ast.AST) -> Any:
        self._tick()
        handler = self.nodes.get(type(node))
        if handler is None:
            raise SandboxViolation(f"'{type(node).__name__}' is not allowed")
        return handler(node)

    def _eval_name(self, node: ast.Name) -> Any:
        return self._lookup(node.id)

    def _lookup(self, name: str) -> Any:
        for scope in reversed(self.scopes):
            if name in scope:
                return scope[name]
        try:
            return self.names[name]
        except KeyError:
            pass
        try:
            return self.functions[name]
        except KeyError:
            raise self._undefined(name) from None

    @staticmethod
    def _undefined(name: str) -> ExpressionError:
        message = f"name '{name}' is not defined or not allowed"
        # Reaching for a Python built-in (open, eval, getattr, ...) is an attempt, not a typo.
        if name.startswith("_") or hasattr(builtins, name):
            return SandboxViolation(message)
        return ExpressionError(message)

    def _eval_list(self, node: ast.List) -> Any:
        return self._fresh(super()._eval_list(node))

    def _eval_tuple(self, node: ast.Tuple) -> Any:
        return self._fresh(super()._eval_tuple(node))

    def _eval_set(self, node: ast.Set) -> Any:
        return self._fresh(super()._eval_set(node))

    def _eval_dict(self, node: ast.Dict) -> Any:
        return self._fresh(super()._eval_dict(node))

    def _eval_binop(self, node: ast.BinOp) -> Any:
        return self._fresh(super()._eval_binop(node))

    def _eval_subscript(self, node: ast.Subscript) -> Any:
        container = self._eval(node.value)
        key = self._eval(node.slice)
        if not isinstance(container, (str, list, tuple, dict, range)):
            raise ExpressionError(f"cannot take items of {_describe(container)}")
        value = container[key]
        # A slice is a new list holding the same items: copy, so no item is shared.
        return self._fresh(value) if isinstance(key, slice) else value

    def _eval_attribute(self, node: ast.Attribute) -> Any:
        receiver = self._eval(node.value)
        name = node.attr
        if name not in _ATTRIBUTES.get(_kind(receiver), ()):
            if name in _METHODS.get(_kind(receiver), {}):
                raise SandboxViolation(f"the method '{name}' can only be called")
            raise self._attribute_refused(name, receiver)
        return getattr(receiver, name)

    @staticmethod
    def _attribute_refused(name: str, receiver: Any) -> SandboxViolation:
        if name.startswith("_"):
            return SandboxViolation(f"access to '{name}' is not allowed")
        return SandboxViolation(f"access to '{name}' is not allowed on {_describe(receiver)}")

    def _eval_call(self, node: ast.Call) -> Any:
        if isinstance(node.func, ast.Attribute):
            return self._call_method(node.func, node)
        if not isinstance(node.func, ast.Name):
            raise SandboxViolation("only functions and methods can be called")
        function = self._function(node.func.id)
        args, kwargs = self._arguments(node)
        self._tick()
        return self._fresh(function(*args, **kwargs))

    def _function(self, name: str) -> Callable[..., Any]:
        try:
            return self.functions[name]
        except KeyError:
            pass
        if any(name in scope for scope in self.scopes) or name in self.names:
            raise ExpressionError(f"'{name}' is data, not a function")
        raise self._undefined(name)

    def _arguments(self, node: ast.Call) -> tuple[list[Any], dict[str, Any]]:
        args = [self._eval(arg) for arg in node.args]
        kwargs = {str(kw.arg): self._eval(kw.value) for kw in node.keywords}
        return args, kwargs

    def _call_method(self, func: ast.Attribute, node: ast.Call) -> Any:
        receiver = self._eval(func.value)
        name = func.attr
        rule = _METHODS.get(_kind(receiver), {}).get(name)
        if rule is None:
            raise self._attribute_refused(name, receiver)
        if rule.mutates and not self.script:
            raise SandboxViolation(f"'{name}' changes data, which only scripts may do")
        args, kwargs = self._arguments(node)
        if rule.stores:
            args = [self._fresh(arg) for arg in args]
            kwargs = {key: self._fresh(value) for key, value in kwargs.items()}
        if rule.guard is not None:
            rule.guard(receiver, args, kwargs, self.limits)
        self._tick()
        result = getattr(receiver, name)(*args, **kwargs)
        if rule.stores:
            self._check_size(receiver)
        return result if rule.shares else self._fresh(result)

    def _eval_comprehension(self, node: Any) -> Any:
        # Each comprehension has its own scope for its loop names, as in Python 3.
        out: Any = {} if isinstance(node, ast.DictComp) else []
        self.scopes.append({})
        try:
            self._generate(node, 0, out)
        finally:
            self.scopes.pop()
        if isinstance(node, ast.SetComp):
            out = set(out)
        return self._fresh(out)

    def _generate(self, node: Any, index: int, out: Any) -> None:
        generator = node.generators[index]
        for item in self._iterable(self._eval(generator.iter)):
            self._count_iteration()
            self._bind(generator.target, item, self.scopes[-1])
            if not all(self._eval(test) for test in generator.ifs):
                continue
            if index + 1 < len(node.generators):
                self._generate(node, index + 1, out)
            elif isinstance(out, dict):
                out[self._eval(node.key)] = self._eval(node.value)
            else:
                out.append(self._eval(node.elt))

    def _bind(self, target: ast.AST, value: Any, scope: dict[str, Any]) -> None:
        if isinstance(target, ast.Name):
            scope[target.id] = value
            return
        if not isinstance(target, (ast.Tuple, ast.List)):
            raise SandboxViolation("comprehension variables must be names")
        values = self._unpack(value, len(target.elts))
        for element, item in zip(target.elts, values):
            self._bind(element, item, scope)

    def _unpack(self, value: Any, count: int) -> list[Any]:
        items = list(self._iterable(value))
        self._tick(len(items))
        if len(items) != count:
            raise ExpressionError(f"cannot unpack {len(items)} values into {count} names")
        return items

    def _eval_joinedstr(self, node: ast.JoinedStr) -> str:
        parts = []
        length = 0
        for part in node.values:
            text = str(self._eval(part))
            length += len(text)
            if length > self.limits.max_string_length:
                raise _too_long_text(self.limits)
            parts.append(text)
        return "".join(parts)

    def _eval_formattedvalue(self, node: ast.FormattedValue) -> str:
        value = self._eval(node.value)
        if node.conversion == ord("r"):
            value = repr(value)
        elif node.conversion == ord("a"):
            value = ascii(value)
        elif node.conversion == ord("s"):
            value = str(value)
        spec = str(self._eval(node.format_spec)) if node.format_spec is not None else ""
        # A width or precision is allocated up front: f"{x:>999999999}" would be a huge text.
        if len(spec) > 50 or any(int(n) > 1000 for n in re.findall(r"\d+", spec)):
            raise ExpressionError("format specification too large")
        text = format(value, spec)
        if len(text) > self.limits.max_string_length:
            raise _too_long_text(self.limits)
        return text

    # -- statements

    def _exec_block(self, body: list[ast.stmt]) -> None:
        for statement in body:
            self.line = statement.lineno
            self._tick()
            execute = self._statements.get(type(statement))
            if execute is None:
                raise SandboxViolation(f"'{type(statement).__name__}' is not allowed")
            execute(statement)

    def _exec_assign(self, node: ast.Assign) -> None:
        value = self._eval(node.value)
        for target in node.targets:
            self._assign(target, value)

    def _assign(self, target: ast.AST, value: Any) -> None:
        if isinstance(target, ast.Name):
            self.names[target.id] = self._as_data(value)
        elif isinstance(target, ast.Subscript):
            container = self._eval(target.value)
            key = self._eval(target.slice)
            self._store_item(container, key, self._fresh(value))
        elif isinstance(target, (ast.Tuple, ast.List)):
            for element, item in zip(target.elts, self._unpack(value, len(target.elts))):
                self._assign(element, item)
        else:
            raise SandboxViolation(f"assigning to {_node_word(target)} is not allowed")

    def _store_item(self, container: Any, key: Any, value: Any) -> None:
        if not isinstance(container, (list, dict)):
            raise ExpressionError(f"cannot change items of {_describe(container)}")
        container[key] = value
        self._check_size(container)

    def _exec_augassign(self, node: ast.AugAssign) -> None:
        # Always computed into a new value (x = x + y): an in-place list += would store
        # references to y's items.
        operator = self.operators[type(node.op)]
        target = node.target
        if isinstance(target, ast.Name):
            current = self._lookup(target.id)
            result = operator(current, self._eval(node.value))
            self.names[target.id] = self._as_data(self._fresh(result))
        elif isinstance(target, ast.Subscript):
            container = self._eval(target.value)
            key = self._eval(target.slice)
            if not isinstance(container, (list, dict)):
                raise ExpressionError(f"cannot change items of {_describe(container)}")
            result = operator(container[key], self._eval(node.value))
            self._store_item(container, key, self._fresh(result))
        else:
            raise SandboxViolation(f"assigning to {_node_word(target)} is not allowed")

    def _exec_if(self, node: ast.If) -> None:
        self._exec_block(node.body if self._eval(node.test) else node.orelse)

    def _exec_for(self, node: ast.For) -> None:
        for item in self._iterable(self._eval(node.iter)):
            self._count_iteration()
            self.line = node.lineno
            self._assign(node.target, item)
            try:
                self._exec_block(node.body)
            except _Break:
                break
            except _Continue:
                continue
        else:
            self._exec_block(node.orelse)

    def _exec_delete(self, node: ast.Delete) -> None:
        for target in node.targets:
            if isinstance(target, ast.Name):
                try:
                    del self.names[target.id]
                except KeyError:
                    raise ExpressionError(f"name '{target.id}' is not defined") from None
            elif isinstance(target, ast.Subscript):
                container = self._eval(target.value)
                key = self._eval(target.slice)
                if not isinstance(container, (list, dict)):
                    raise ExpressionError(f"cannot change items of {_describe(container)}")
                del container[key]
            else:
                raise SandboxViolation(f"deleting {_node_word(target)} is not allowed")

    @staticmethod
    def _exec_break(node: ast.Break) -> NoReturn:
        raise _Break

    @staticmethod
    def _exec_continue(node: ast.Continue) -> NoReturn:
        raise _Continue


def _plain_message(exc: Exception) -> str:
    """Describe a Python error from inside an expression in plain words."""
    if isinstance(exc, KeyError) and exc.args:
        return f"key {exc.args[0]!r} not found"
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    if isinstance(exc, MemoryError):
        return "ran out of memory"
    text = str(exc)
    return text if text else type(exc).__name__


@contextmanager
def _plain_errors(source: str, run: _Run) -> Iterator[None]:
    """Turn every failure inside a run into ExpressionError, located at the script line."""
    try:
        yield
    except ExpressionError as err:
        if not run.script or run.line is None:
            if err.expression is None:
                err.expression = source
            raise
        kind = SandboxViolation if isinstance(err, SandboxViolation) else ExpressionError
        raise kind(f"{err} (line {run.line})", expression=source, element=err.element) from err
    except simpleeval.FeatureNotAvailable as exc:
        raise SandboxViolation(f"{exc}{_line(run)}", expression=source) from exc
    except Exception as exc:
        raise ExpressionError(f"{_plain_message(exc)}{_line(run)}", expression=source) from exc


def _line(run: _Run) -> str:
    return f" (line {run.line})" if run.script and run.line else ""


# --- SpiffWorkflow integration ------------------------------------------------------------------


class SandboxedEnvironment(BasePythonScriptEngineEnvironment):
    """A script environment for SpiffWorkflow that evaluates through the sandbox."""

    def __init__(
        self,
        functions: Mapping[str, Function] | None = None,
        *,
        limits: SandboxLimits | None = None,
    ):
        super().__init__()
        self.limits = limits or SandboxLimits()
        self._functions = {**builtin_functions(self.limits), **_checked_functions(functions or {})}

    @property
    def functions(self) -> Mapping[str, Function]:
        """The functions diagrams can call (read-only)."""
        return types.MappingProxyType(self._functions)

    def check_expression(self, expression: str) -> None:
        """Raise ExpressionError/SandboxViolation if ``expression`` cannot run in the sandbox."""
        _parse(expression, self.limits, script=False)

    def check_script(self, script: str) -> None:
        """Raise ExpressionError/SandboxViolation if ``script`` cannot run in the sandbox."""
        _parse(script, self.limits, script=True)

    def evaluate(
        self,
        expression: str,
        context: Mapping[str, Any],
        external_context: Mapping[str, Any] | None = None,
        *,
        decision_cell: bool = False,
    ) -> Any:
        """Evaluate ``expression`` against the task data ``context`` (not changed)."""
        tree = cast(ast.Expression, _parse(expression, self.limits, script=False))
        if decision_cell:
            tree = _as_decision_test(tree)
        names = ChainMap(dict(context), dict(external_context or {}))
        run = _Run(names, self._functions, self.limits, script=False)
        with _plain_errors(expression, run):
            return run.evaluate(tree)

    def execute(
        self,
        script: str,
        context: dict[str, Any],
        external_context: Mapping[str, Any] | None = None,
    ) -> bool:
        """Run ``script`` on a copy of ``context``; apply the result to it only on success."""
        tree = cast(ast.Module, _parse(script, self.limits, script=True))
        work = copy.deepcopy(dict(context))
        names = ChainMap(work, copy.deepcopy(dict(external_context or {})))
        run = _Run(names, self._functions, self.limits, script=True)
        with _plain_errors(script, run):
            run.run(tree)
        context.clear()
        context.update(work)
        return True

    def call_service(self, context: Mapping[str, Any], **kwargs: Any) -> NoReturn:
        """Refuse: diagrams cannot call external services."""
        raise SandboxViolation(
            "service tasks are not supported: a diagram cannot call external services"
        )


class SandboxedScriptEngine(PythonScriptEngine):
    """SpiffWorkflow's script engine with every expression and script run in the sandbox.

    Errors reach SpiffWorkflow as ``WorkflowTaskException`` (so the task goes to ERROR) whose
    ``exception`` attribute and ``__cause__`` are the sandbox's ExpressionError.
    """

    environment: SandboxedEnvironment

    def __init__(
        self,
        environment: SandboxedEnvironment | None = None,
        *,
        functions: Mapping[str, Function] | None = None,
    ):
        if environment is not None and functions is not None:
            raise ValueError("give the functions to the environment, or pass no environment")
        super().__init__(environment=environment or SandboxedEnvironment(functions))

    def validate(self, expression: str) -> None:
        """Check that ``expression`` parses; raises ExpressionSyntaxError (a SyntaxError) if not.

        Only syntax: SpiffWorkflow's DMN engine calls this to tell "> 1000" from "'a','b'", and
        anything the sandbox refuses is refused, with the task, when the cell is evaluated.
        """
        if not isinstance(expression, str):
            raise ExpressionSyntaxError("the expression must be text")
        if len(expression) > self.environment.limits.max_source_length:
            raise ExpressionSyntaxError("the expression is too long", expression=expression[:200])
        _syntax(expression.strip(), False, expression)

    def evaluate(
        self, task: Any, expression: str, external_context: Mapping[str, Any] | None = None
    ) -> Any:
        """Evaluate ``expression`` for ``task``; failures become a WorkflowTaskException."""
        decision_cell = isinstance(task.task_spec, BusinessRuleTaskMixin)
        try:
            return self.environment.evaluate(
                expression, task.data, external_context, decision_cell=decision_cell
            )
        except ExpressionError as err:
            raise _task_error(task, err, f"Error evaluating expression '{expression}'") from err

    def execute(
        self, task: Any, script: str, external_context: Mapping[str, Any] | None = None
    ) -> bool:
        """Run ``script`` on ``task``'s data; failures leave the data unchanged."""
        try:
            return self.environment.execute(script, task.data, external_context)
        except ExpressionError as err:
            raise _task_error(task, err, "Error running script") from err

    def call_service(self, task: Any, **kwargs: Any) -> NoReturn:
        """Refuse: service tasks are not supported."""
        try:
            self.environment.call_service(task.data, **kwargs)
        except ExpressionError as err:
            raise _task_error(task, err, None) from err


def _task_error(task: Any, err: ExpressionError, note: str | None) -> WorkflowTaskException:
    """Wrap a sandbox error for SpiffWorkflow, keeping it reachable for the engine."""
    if err.element is None:
        err.element = getattr(task.task_spec, "bpmn_id", None)
    wrapped = WorkflowTaskException(str(err), task=task, exception=err)
    # WorkflowTaskException keeps only the error's class name; the engine needs the error.
    wrapped.exception = err  # type: ignore[attr-defined]
    if note:
        wrapped.add_note(note)
    return wrapped
