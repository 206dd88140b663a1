"""A user's workload folder, read without running it: path, contract and identity.

The host never executes what a user wrote (that happens only in a
least-privilege container), so what the pipeline must know before measuring
(the modes, the scaling, the kind, whether `task` has the right shape) is
read from workload.py's syntax tree. What the syntax cannot show (an import
that fails, a task that raises) the harness reports in one line at run time.
"""

from __future__ import annotations

import ast
import difflib
import hashlib
import os
import re
import stat
from collections.abc import Iterable
from pathlib import Path

import yaml

from .errors import ParbenchError
from .names import WORKLOAD_KINDS
from .specs import WORKLOADS, UserWorkload

NAME_PATTERN = "^[a-z][a-z0-9_]*$"
ENTRY_KEYS = ("path", "params", "workers")
SCALINGS = ("weak", "strong")
KINDS = tuple(sorted(set(WORKLOAD_KINDS.values())))
MODES = ("sequential", "threads", "processes")
# Each function of the contract and the parameters it takes, in order.
SIGNATURES = {
    "task": ("params", "index", "workers", "state"),
    "setup": ("params", "workers"),
    "expected": ("params", "workers"),
}
CONTRACT = "docs/workloads.md"


def is_user_entry(entry: dict | None) -> bool:
    """Whether a config entry names a user's folder (`path:`) rather than a built-in."""
    return isinstance(entry, dict) and "path" in entry


def resolve_paths(config: dict, config_files: Iterable[str | Path], cwd: Path) -> dict:
    """The config with every user workload's `path` made absolute, relative to the file that set it.

    Snakemake merges config files key by key and forgets where a key came
    from, so each file is read again: the last one (in merge order) that
    names the workload's path decides its folder. A path given with
    `--config` on the command line is relative to the working directory.
    """
    if not isinstance(config.get("workloads"), dict):
        return config  # the schema says what is wrong with it
    origin: dict[str, Path] = {}
    for file in config_files:
        try:
            loaded = yaml.safe_load(Path(file).read_text()) or {}
        except (OSError, yaml.YAMLError):
            continue  # Snakemake has read it already and reports its own problems
        named = loaded.get("workloads") if isinstance(loaded, dict) else None
        for name, entry in (named if isinstance(named, dict) else {}).items():
            if is_user_entry(entry):
                origin[name] = Path(file).resolve().parent
    workloads = {}
    for name, entry in (config.get("workloads") or {}).items():
        if is_user_entry(entry) and isinstance(entry["path"], str):
            folder = origin.get(name, cwd) / Path(entry["path"]).expanduser()
            entry = {**entry, "path": str(folder.resolve())}
        workloads[name] = entry
    return {**config, "workloads": workloads}


def folder_digest(folder: Path) -> str:
    """sha256 over every file's relative path and content, so a stamp pins the code that ran."""
    digest = hashlib.sha256()
    for path in (p for p in _files(folder) if p.is_file() and not p.is_symlink()):
        digest.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


MISSING = object()  # a constant the module does not set


def _top_level(tree: ast.Module) -> list[ast.stmt]:
    """The module's statements, with those inside top-level if/try blocks (optional imports, fallbacks)."""
    found = []
    for node in tree.body:
        found.append(node)
        if isinstance(node, ast.If | ast.Try):
            found += _top_level(ast.Module(body=node.body + node.orelse, type_ignores=[]))
    return found


def _constant(tree: ast.Module, name: str):
    """A module-level constant's literal value (the last assignment, as when it runs), or MISSING."""
    value = MISSING
    for node in _top_level(tree):
        targets = node.targets if isinstance(node, ast.Assign) else []
        targets = [node.target] if isinstance(node, ast.AnnAssign) else targets
        if any(isinstance(t, ast.Name) and t.id == name for t in targets) and node.value is not None:
            try:
                value = ast.literal_eval(node.value)
            except ValueError:
                raise ParbenchError(f"{name} must be a top-level literal value, not an expression") from None
    return value


def _functions(tree: ast.Module) -> dict[str, ast.FunctionDef]:
    return {node.name: node for node in _top_level(tree) if isinstance(node, ast.FunctionDef)}


def _bound(tree: ast.Module) -> set[str]:
    """Names the module binds otherwise than by `def` (imported or assigned): the harness checks those."""
    names = set()
    for node in _top_level(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            names |= {(alias.asname or alias.name).split(".")[0] for alias in node.names}
        elif isinstance(node, ast.Assign):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    return names


def _signature_problem(name: str, function: ast.FunctionDef) -> str | None:
    """What is wrong with a contract function's parameters, or None."""
    arguments = function.args
    positional = [a.arg for a in arguments.posonlyargs + arguments.args]
    wanted = SIGNATURES[name]
    if len(positional) != len(wanted) or arguments.vararg or arguments.kwonlyargs:
        return (
            f"{name}({', '.join(positional)}) has the wrong parameters: "
            f"define {name}({', '.join(wanted)}) (see {CONTRACT})"
        )
    return None


def _contract(tree: ast.Module) -> dict:
    """The contract's facts from workload.py's syntax, or ParbenchError with what to fix."""
    functions = _functions(tree)
    if "task" not in functions and "task" not in _bound(tree):
        raise ParbenchError(f"workload.py defines no task(params, index, workers, state) function (see {CONTRACT})")
    for name in SIGNATURES:
        problem = name in functions and _signature_problem(name, functions[name])
        if problem:
            raise ParbenchError(problem)
    given = {name: _constant(tree, name) for name in ("SCALING", "KIND", "MODES")}
    scaling = "weak" if given["SCALING"] is MISSING else given["SCALING"]
    kind = "interpreter" if given["KIND"] is MISSING else given["KIND"]
    modes = MODES if given["MODES"] is MISSING else given["MODES"]
    if not isinstance(scaling, str) or scaling not in SCALINGS:
        raise ParbenchError(f"SCALING = {scaling!r} is not allowed (allowed: {', '.join(SCALINGS)})")
    if not isinstance(kind, str) or kind not in KINDS:
        raise ParbenchError(f"KIND = {kind!r} is not allowed (allowed: {', '.join(KINDS)})")
    if not isinstance(modes, list | tuple) or not modes or any(m not in MODES for m in modes):
        raise ParbenchError(f"MODES = {modes!r} must be a list of some of {', '.join(MODES)}")
    about = (ast.get_docstring(tree) or "").strip().splitlines()
    return {"scaling": scaling, "kind": kind, "modes": tuple(m for m in MODES if m in modes), "about": about}


def _files(folder: Path) -> list[Path]:
    """Everything in the folder, symbolic links not followed (a container sees the folder alone)."""
    found = [folder]
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        found += [Path(root, name) for name in dirs + sorted(files)]
    return found


def _unreadable(folder: Path) -> Path | None:
    """A file or folder the container's unprivileged user could not read, if any."""
    for path in _files(folder):
        if path.is_symlink():
            raise ParbenchError(
                f"{path} is a symbolic link, which a container would not follow out of the folder: copy the file in"
            )
        mode = path.stat().st_mode
        needed = stat.S_IROTH | (stat.S_IXOTH if path.is_dir() else 0)
        if mode & needed != needed:
            return path
    return None


def read_user_workload(name: str, folder: Path) -> UserWorkload:
    """The user workload in `folder`, checked against the contract; ParbenchError names what to fix."""
    prefix = f"workload {name!r}"
    if not re.match(NAME_PATTERN, name):
        raise ParbenchError(f"{prefix}: a name is lower-case letters, digits and _, starting with a letter")
    if name in WORKLOADS:
        raise ParbenchError(
            f"{prefix}: the name is taken by a built-in workload; give yours another name in 'workloads'"
        )
    if not folder.is_dir():
        raise ParbenchError(f"{prefix}: no folder {folder} (config key 'workloads.{name}.path')")
    source = folder / "workload.py"
    if not source.is_file():
        raise ParbenchError(f"{prefix}: {folder} has no workload.py (`parbench new-workload` writes one)")
    try:
        tree = ast.parse(source.read_text(), filename=str(source))
    except SyntaxError as error:
        raise ParbenchError(f"{prefix}: workload.py line {error.lineno}: {error.msg}") from None
    try:
        facts = _contract(tree)
    except ParbenchError as error:
        raise ParbenchError(f"{prefix}: {error}") from None
    if "," in str(folder):
        raise ParbenchError(f"{prefix}: the path {folder} holds a comma, which Docker's --mount cannot take; rename it")
    try:
        hidden = _unreadable(folder)
        digest = folder_digest(folder)
    except ParbenchError as error:
        raise ParbenchError(f"{prefix}: {error}") from None
    except OSError as error:
        raise ParbenchError(f"{prefix}: cannot read {error.filename}: {error.strerror}") from None
    if hidden is not None:
        raise ParbenchError(
            f"{prefix}: {hidden} is not readable by other users, and containers run unprivileged: "
            f"chmod -R o+rX {folder}"
        )
    go = folder / "go"
    return UserWorkload(
        name=name,
        path=str(folder),
        about=facts["about"][0] if facts["about"] else f"your workload {name}",
        scaling=facts["scaling"],
        kind=facts["kind"],
        modes=facts["modes"],
        go=go.is_dir() and any(go.glob("*.go")),
        requirements=(folder / "requirements.txt").is_file(),
        sha256=digest,
    )


def entry_problem(name: str, entry: dict) -> str | None:
    """A user workload's config entry with a built-in's name or keys, as one line, or None.

    Snakemake merges a config file over config.yaml key by key, so a folder
    given a built-in's name arrives with that built-in's parameters too.
    """
    if name in WORKLOADS:
        return f"workload {name!r}: the name is taken by a built-in workload; give yours another name in 'workloads'"
    stray = sorted(set(entry) - set(ENTRY_KEYS))
    if stray:
        close = difflib.get_close_matches(stray[0], ENTRY_KEYS, n=1)
        hint = f"did you mean '{close[0]}'?" if close else f"its parameters go under 'params' ({stray[0]}: ...)"
        keys = ", ".join(ENTRY_KEYS)
        return f"config key 'workloads.{name}.{stray[0]}': not a key of a workload with a path ({keys}); {hint}"
    if not isinstance(entry.get("params", {}), dict):
        return f"config key 'workloads.{name}.params': parameters by name, e.g. params: {{lines: 1000}}"
    return None


def user_workloads(workloads: dict[str, dict | None]) -> list[UserWorkload]:
    """Every enabled user workload of a config's `workloads`, read and checked."""
    return [read_user_workload(name, Path(entry["path"])) for name, entry in workloads.items() if is_user_entry(entry)]


def unnamed_params(workloads: dict[str, dict | None]) -> list[str]:
    """A line for each user workload given a parameter its workload.py names nowhere (a misspelling, usually).

    The harness stops on a parameter no code reads, but only in the first
    container, after the images are built. A name that is no string, name or
    argument in the file can be read only by code that takes `params` whole
    (`**params`, `.items()`, a loop) or by another module of the folder; where
    neither is so, it is said before then, as a notice.
    """
    lines = []
    for name, entry in workloads.items():
        params = list((entry or {}).get("params") or {}) if is_user_entry(entry) else []
        folder = Path(entry["path"]) if params else None
        try:
            tree = ast.parse((folder / "workload.py").read_text()) if folder else None
            alone = folder is not None and not [p for p in folder.rglob("*.py") if p.name != "workload.py"]
        except (OSError, SyntaxError, ValueError):
            continue  # read_user_workload says what is wrong with the folder
        named = _names(tree) if tree and alone else None
        for param in [p for p in params if p not in named] if named is not None else []:
            close = _close_key(param, tree)
            hint = f" (did you mean '{close}'?)" if close else ""
            lines.append(
                f"workload {name!r}: parameter {param!r} is named nowhere in workload.py{hint}; "
                "if no code reads it, the first container stops on it"
            )
    return lines


def _names(tree: ast.Module) -> set[str] | None:
    """Every string, name and argument in the module; None where code may take the parameters whole.

    The parameters arrive as the first argument of setup, task and expected
    (`params`): `**params`, `params.items()` (keys, values) or a loop over
    `params` may read any name, so such a file gets no notice.
    """
    functions = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name in SIGNATURES and n.args.args]
    whole = {f.args.args[0].arg for f in functions} or {"params"}
    named: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and node.arg is None and _is_name(node.value, whole):
            return None
        if isinstance(node, ast.Attribute) and node.attr in {"items", "keys", "values"} and _is_name(node.value, whole):
            return None
        if isinstance(node, ast.For | ast.comprehension) and _is_name(node.iter, whole):
            return None
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            named.add(node.value)
        elif isinstance(node, ast.Name):
            named.add(node.id)
        elif isinstance(node, ast.arg | ast.keyword):
            named.add(node.arg)
    return named


def _close_key(param: str, tree: ast.Module) -> str | None:
    """The string in workload.py a misspelt parameter most likely stands for: a key as code reads `params["n"]`.

    Case is ignored (`N` for `n`); names of functions and builtins are not keys.
    """
    keys = {node.value.lower(): node.value for node in ast.walk(tree) if _is_key(node)}
    close = difflib.get_close_matches(param.lower(), sorted(keys), n=1)
    return keys[close[0]] if close else None


def _is_key(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.isidentifier()


def _is_name(node: ast.AST, names: set[str]) -> bool:
    return isinstance(node, ast.Name) and node.id in names
