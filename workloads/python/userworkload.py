"""A user's workload folder as a harness Workload: loaded by file, checked, its errors in one line.

The user's workload.py (``task`` and optionally ``setup``, ``expected``,
``SCALING``, ``KIND``, ``MODES``) becomes the same Workload the built-ins are,
so the harness times it with the same code and nothing about it is a special
case there. What is wrong with the folder is found before anything is
measured and raised as WorkloadProblem (the harness exits 2); what the user's
code raises or returns wrongly while running becomes UserCodeError, a
RuntimeError whose message is one line naming the exception and the line of
workload.py it came from (the harness exits 1).

Worker processes are sent a Source (folder and name), not the module: under
spawn and forkserver a child is a fresh interpreter that loads workload.py
again. The state ``setup`` made is sent pickled and unpickled only once the
module is loaded, so objects of classes defined in workload.py can be found.
"""

from __future__ import annotations

import errno
import importlib.util
import inspect
import math
import os
import pickle
import re
import reprlib
import socket
import sys
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from workloads import WORKLOADS, Params, TaskResult, Workload

NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
SOURCE_FILE = "workload.py"
MODES = ("sequential", "threads", "processes")
SCALINGS = ("weak", "strong")
KINDS = ("interpreter", "c_library", "sleep", "coordination")
# Each function of the contract and the parameters it takes, in order.
SIGNATURES = {
    "task": ("params", "index", "workers", "state"),
    "setup": ("params", "workers"),
    "expected": ("params", "workers"),
}
# A user's parameter may be any whole number its Go twin can take: the smallest Go int is the minimum.
NO_MINIMUM = -(1 << 63)
POSITIONAL = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
NOT_ALLOWED = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.KEYWORD_ONLY)


class WorkloadProblem(Exception):
    """What is wrong with a workload folder, found before measuring; the message is one line."""


class UserCodeError(RuntimeError):
    """The user's code raised, or returned what it must not, while running; the message is one line."""


@dataclass(frozen=True)
class Source:
    """Where a user workload comes from: all a worker process needs to load it again."""

    directory: str
    name: str


@dataclass(frozen=True)
class UserWorkload:
    """A loaded user workload: the harness's Workload, where it came from, and its `expected`."""

    workload: Workload
    source: Source
    path: str
    expected: Callable[[Params, int], Any] | None

    def expected_checksum(self, params: Params, workers: int) -> float | None:
        """What `expected` says a correct run's checksum is, or None without one; UserCodeError if it fails."""
        if self.expected is None:
            return None
        value = _call("expected", self.path, self.expected, _viewed(params), workers)
        return _float("expected", value)


class _Reading(dict):
    """The parameters as user code sees them while reads are watched: each name read is noted.

    Only the calibration's cold pass, `setup` and `expected` see this view
    (see watch_reads), so no measured value pays for the bookkeeping; a
    task reads the same names in every loop, so one pass shows them all.
    """

    def __init__(self, params: Params, seen: set[str]):
        super().__init__(params)
        self._seen = seen

    def __getitem__(self, name):
        self._seen.add(name)
        return super().__getitem__(name)

    def get(self, name, default=None):
        self._seen.add(name)
        return super().get(name, default)

    def __contains__(self, name):
        self._seen.add(name)
        return super().__contains__(name)

    def __iter__(self):
        self._seen.update(self.keys())
        return super().__iter__()

    def items(self):
        self._seen.update(self.keys())
        return super().items()

    def values(self):
        self._seen.update(self.keys())
        return super().values()

    # Whatever hands out every name counts as reading them all.
    def keys(self):
        self._seen.update(super().keys())
        return super().keys()

    def copy(self):
        self._seen.update(super().keys())
        return dict(self)

    def __or__(self, other):
        self._seen.update(super().keys())
        return dict(self) | other

    def pop(self, name, *default):
        self._seen.add(name)
        return super().pop(name, *default)

    def setdefault(self, name, default=None):
        self._seen.add(name)
        return super().setdefault(name, default)


_SEEN: set[str] = set()  # parameter names user code has read while watched
_WATCHING = False


def watch_reads(on: bool) -> None:
    """Note (on) or stop noting which parameters user code reads, in this process."""
    global _WATCHING
    _WATCHING = on


def _viewed(params: Params) -> Params:
    return _Reading(params, _SEEN) if _WATCHING else params


def unread_problem(params: Params) -> str | None:
    """A given parameter no watched call read (a name misspelt in the config), as one line, or None."""
    unread = sorted(set(params) - _SEEN)
    if not unread:
        return None
    reads = ", ".join(sorted(_SEEN)) or "none"
    return (
        f"parameter {unread[0]!r} is given but never read by setup, task or expected "
        f"(they read: {reads}): is it misspelt in the config's params?"
    )


# The user workloads this process has loaded, by name: a forked worker finds its own here.
_LOADED: dict[str, UserWorkload] = {}


def name_problem(name: str) -> str | None:
    """What is wrong with a user workload's name, as one line, or None."""
    if not NAME_PATTERN.match(name):
        return f"{name!r} is not a workload name: lower-case letters, digits and _, starting with a letter"
    if name in WORKLOADS:
        return f"{name} is a built-in workload; give yours another name"
    return None


def exception_line(error: BaseException) -> str:
    """The exception's own line of a traceback ("ZeroDivisionError: division by zero"), on one line."""
    lines = traceback.format_exception_only(type(error), error)
    text = next((line for line in lines if not line.startswith(" ")), lines[-1])
    return " ".join(text.split())


# Errors a workload meets in the measuring containers and not on the machine it was written on.
NO_NETWORK = "the measuring containers have no network: read what the task needs from the workload's folder"
READ_ONLY = "the measuring containers can write only under /tmp"
OFFLINE = {errno.ENETUNREACH, errno.EHOSTUNREACH, errno.ENETDOWN}


def sandbox_hint(error: BaseException) -> str:
    """Why an error a container's limits cause happened, in the containers' terms; "" for any other error.

    Libraries wrap the socket's error (urllib's URLError keeps it as `reason`,
    others as the cause), so the chain is followed a few links.
    """
    for _ in range(4):
        if isinstance(error, socket.gaierror) or (isinstance(error, OSError) and error.errno in OFFLINE):
            return f": {NO_NETWORK}"
        if isinstance(error, OSError) and error.errno == errno.EROFS:
            return f": {READ_ONLY}"
        reason = getattr(error, "reason", None)
        error = reason if isinstance(reason, BaseException) else error.__cause__ or error.__context__
        if error is None:
            break
    return ""


def describe(error: BaseException, path: str) -> str:
    """The exception's line and the innermost place in the user's file it passed through, if any."""
    lines = [frame.lineno for frame in traceback.extract_tb(error.__traceback__) if frame.filename == path]
    if isinstance(error, SyntaxError) and error.filename == path and error.lineno:
        lines.append(error.lineno)
    where = f" ({os.path.basename(path)}, line {lines[-1]})" if lines else ""
    return exception_line(error) + where + sandbox_hint(error)


def _call(what: str, path: str, function: Callable, *args: Any) -> Any:
    try:
        return function(*args)
    except (Exception, SystemExit) as error:  # a sys.exit() in user code still ends in one line
        raise UserCodeError(f"{what} raised {describe(error, path)}") from error


def _float(what: str, value: Any) -> float:
    """The value as a plain finite float; an int, None, NaN or anything else is the user's mistake."""
    if isinstance(value, float) and math.isfinite(value):  # numpy.float64 is a float subclass
        return float(value)
    raise UserCodeError(_not_a_float(what, value))


def _not_a_float(what: str, value: Any) -> str:
    if isinstance(value, float):
        return f"{what} returned {value!r}, not a finite float (a checksum must compare equal to itself)"
    return f"{what} returned {type(value).__name__} {reprlib.repr(value)}, not a float (return float(...))"


def _task(task: Callable, path: str) -> Callable[[Params, int, int, Any], TaskResult]:
    """The user's task as the harness calls it, once per task and loop inside the timed section.

    The fast path is one call, one type test and one finiteness test; the
    message of a mistake is only made when there is one.
    """

    def run(params: Params, index: int, workers: int, state: Any) -> TaskResult:
        try:
            value = task(_Reading(params, _SEEN) if _WATCHING else params, index, workers, state)
        except (Exception, SystemExit) as error:  # a sys.exit() in user code still ends in one line
            raise UserCodeError(f"task raised {describe(error, path)}") from error
        if isinstance(value, float) and math.isfinite(value):
            return value, []
        raise UserCodeError(_not_a_float(f"task {index}", value))

    return run


def _setup(setup: Callable | None, path: str) -> Callable[[Params, int, str, Any], Any]:
    def shared(params: Params, workers: int, kind: str, context: Any) -> Any:
        return None if setup is None else _call("setup", path, setup, _viewed(params), workers)

    return shared


def _function(module: Any, name: str) -> Callable | None:
    """The module's contract function `name`, checked for its parameters, or None if absent."""
    function = getattr(module, name, None)
    if function is None:
        return None
    usage = f"define {name}({', '.join(SIGNATURES[name])})"
    if not callable(function):
        raise WorkloadProblem(f"{name} is not a function: {usage}")
    try:
        parameters = list(inspect.signature(function).parameters.values())
    except (TypeError, ValueError):
        raise WorkloadProblem(f"the parameters of {name} cannot be read: {usage}") from None
    positional = [p for p in parameters if p.kind in POSITIONAL]
    if len(positional) != len(SIGNATURES[name]) or any(p.kind in NOT_ALLOWED for p in parameters):
        shown = ", ".join(str(p) for p in parameters)
        raise WorkloadProblem(f"{name}({shown}) has the wrong parameters: {usage}")
    return function


def _choice(module: Any, name: str, default: str, allowed: tuple[str, ...]) -> str:
    value = getattr(module, name, default)
    if not isinstance(value, str) or value not in allowed:
        raise WorkloadProblem(f"{name} = {value!r} is not allowed (allowed: {', '.join(allowed)})")
    return value


def _modes(module: Any) -> tuple[str, ...]:
    value = getattr(module, "MODES", MODES)
    if not isinstance(value, tuple | list) or not value or any(m not in MODES for m in value):
        raise WorkloadProblem(f"MODES = {value!r} must be a tuple or list of some of {', '.join(MODES)}")
    return tuple(m for m in MODES if m in value)


def adapt(module: Any, name: str, path: str, param_names: Iterable[str] = ()) -> Workload:
    """The user's module as a Workload: its task values summed in index order, the same in every loop."""
    task = _function(module, "task")
    if task is None:
        raise WorkloadProblem("workload.py defines no task(params, index, workers, state) function")
    setup = _function(module, "setup")
    scaling = _choice(module, "SCALING", "weak", SCALINGS)
    _choice(module, "KIND", "interpreter", KINDS)  # only checked here: the pipeline decides what it means
    about = (module.__doc__ or "").strip().splitlines()
    return Workload(
        name,
        about[0] if about else f"your workload {name}",
        {param: NO_MINIMUM for param in param_names},
        _task(task, path),
        modes=_modes(module),
        scaling=scaling,
        combine="sum",
        loops="same",
        shared=_setup(setup, path),
    )


def _import(path: str, name: str) -> Any:
    """workload.py executed as a private module, registered so that pickle finds its classes."""
    module_name = f"_parbench_workload_{name}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    folder = os.path.dirname(path)
    if folder not in sys.path:
        sys.path.append(folder)  # workload.py may import modules beside it; after the standard library's
    try:
        spec.loader.exec_module(module)
    except (Exception, SystemExit) as error:
        del sys.modules[module_name]
        raise WorkloadProblem(f"workload.py could not be imported: {describe(error, path)}") from None
    return module


def load(directory: str, name: str, param_names: Iterable[str] = ()) -> UserWorkload:
    """The user workload in `directory`, loaded once per process; WorkloadProblem says what to fix."""
    known = _LOADED.get(name)
    if known is not None:
        return known
    sys.dont_write_bytecode = True  # the folder is mounted read-only: no __pycache__ beside workload.py
    folder = os.path.abspath(directory)
    path = os.path.join(folder, SOURCE_FILE)
    if not os.path.isdir(folder):
        raise WorkloadProblem(f"no folder {folder} (--workload-dir)")
    if not os.path.isfile(path):
        raise WorkloadProblem(f"{folder} has no {SOURCE_FILE}")
    module = _import(path, name)
    workload = adapt(module, name, path, param_names)
    user = UserWorkload(workload, Source(folder, name), path, _function(module, "expected"))
    _LOADED[name] = user
    return user


def for_worker(name: str, state: Any) -> tuple[str | Source, Any]:
    """What a worker process is sent: a built-in's name and state as they are, or a user's Source and state pickled.

    A built-in's state may hold multiprocessing objects that only pass to a
    child while it is created, so it is not touched.
    """
    user = _LOADED.get(name)
    if user is None:
        return name, state
    try:
        return user.source, pickle.dumps(state)
    except Exception as error:
        raise UserCodeError(
            f"setup's state cannot be sent to worker processes: {exception_line(error)} (return something picklable)"
        ) from error


def in_worker(sent: str | Source, state: Any) -> tuple[Workload, Any]:
    """In a worker process: the workload and state that for_worker sent, loading workload.py if needed."""
    if isinstance(sent, str):
        return WORKLOADS[sent], state
    sys.stdout = sys.stderr  # as in the parent: what the user's code prints never lands among the records
    return load(sent.directory, sent.name).workload, pickle.loads(state)
