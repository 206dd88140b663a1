"""What parbench asks SLURM, built and parsed by pure functions.

Runs across many machines submit one exclusive measurement session per node
through Snakemake's SLURM executor. Before that, the workflow checks that SLURM
answers, that every requested node exists and can take jobs, and that the
cluster accepts the account. Commands are argument lists built here, parsers take the
commands' text, and the few functions that run anything are thin wrappers with
timeouts, so the unit tests need no cluster.
"""

from __future__ import annotations

import getpass
import shlex
import shutil
import subprocess
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from .errors import ParbenchError

SINFO_FORMAT = "%N|%c|%T|%P"
# Node states in which a node can start a job ("mixed": some CPUs busy).
READY_STATES = frozenset({"idle", "mixed", "allocated", "completing", "planned", "reserved"})
SLURM_HINT = (
    "run where SLURM's client commands reach the cluster (for a local test cluster: scripts/slurm-test-cluster.sh)"
)


@dataclass(frozen=True)
class Node:
    name: str
    cpus: int
    state: str  # as sinfo's %T prints it, e.g. "idle", "down*", "drained"
    partitions: tuple[str, ...]

    @property
    def ready(self) -> bool:
        """Whether the node can start jobs (not down, drained, failing or unreachable)."""
        return self.state.rstrip("*~#!%$@^-+") in READY_STATES and not self.state.endswith("*")


# Commands (pure).


def sinfo_command() -> list[str]:
    """One line per node and partition: name|CPUs|state|partition."""
    return ["sinfo", "-a", "-h", "-N", "-o", SINFO_FORMAT]  # -a: hidden partitions too, which sbatch may take


def assoc_command(account: str, user: str) -> list[str]:
    """The associations that let `user` submit with `account` (none: refused)."""
    return [
        "sacctmgr",
        "-n",
        "-P",
        "show",
        "assoc",
        "where",
        f"account={account}",
        f"user={user}",
        "format=Cluster,Account,User",
    ]


def node_options(host: str | None, exclusive: bool = False) -> str:
    """sbatch options that put a job on `host` (alone on it, for a measurement); none without a host."""
    if not host:
        return ""
    return f"{'--exclusive ' if exclusive else ''}--nodelist={host}"


# Parsers (pure).


def parse_sinfo(text: str) -> dict[str, Node]:
    """Nodes by name from `sinfo -a -h -N -o '%N|%c|%T|%P'`.

    sinfo lists a node once per partition; the lines are merged and the
    default partition's trailing '*' is dropped.
    """
    nodes: dict[str, Node] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        fields = line.strip().split("|")
        if len(fields) != 4:
            raise ParbenchError(f"sinfo line {number} is not name|CPUs|state|partition: {line!r}")
        name, cpus, state, partition = (f.strip() for f in fields)
        try:
            count = int(cpus)
        except ValueError:
            raise ParbenchError(f"sinfo line {number} has CPU count {cpus!r}, not a number") from None
        partition = partition.rstrip("*")
        seen = nodes.get(name)
        partitions = (seen.partitions if seen else ()) + ((partition,) if partition else ())
        nodes[name] = Node(name, count, state, partitions)
    return nodes


def parse_assoc(text: str, account: str, user: str) -> bool:
    """Whether `sacctmgr -n -P show assoc ... format=Cluster,Account,User` lists the pair."""
    for line in text.splitlines():
        fields = line.strip().split("|")
        if len(fields) >= 3 and fields[1] == account and fields[2] == user:
            return True
    return False


# Thin wrappers that run commands.

Runner = Callable[[Sequence[str], float], subprocess.CompletedProcess]


def run_command(cmd: Sequence[str], timeout: float) -> subprocess.CompletedProcess:
    """Run `cmd` capturing text; FileNotFoundError and TimeoutExpired propagate."""
    return subprocess.run(list(cmd), capture_output=True, text=True, timeout=timeout)


# Commands that did not answer within their timeout in this process, by runner and timeout: not waited for again.
_SILENT: set[tuple[Runner, tuple[str, ...], float]] = set()


def command_problem(what: str, cmd: Sequence[str], run: Runner, timeout: float) -> tuple[str | None, str]:
    """(one-line problem or None, stdout) of running `cmd`.

    A command that timed out is not run again by the same process: a dry run
    asks sinfo twice (the plan's node CPUs, then the line a run would stop
    with), and a controller that does not answer would cost the timeout twice.
    """
    if run is run_command and shutil.which(cmd[0]) is None:
        return f"{what}: `{cmd[0]}` is not installed here; {SLURM_HINT}", ""
    silent = f"{what}: `{shlex.join(cmd)}` did not answer within {timeout:g} s; {SLURM_HINT}"
    if (run, tuple(cmd), timeout) in _SILENT:
        return silent, ""
    try:
        done = run(cmd, timeout)
    except FileNotFoundError:
        return f"{what}: `{cmd[0]}` is not installed here; {SLURM_HINT}", ""
    except subprocess.TimeoutExpired:
        _SILENT.add((run, tuple(cmd), timeout))
        return silent, ""
    if done.returncode != 0:
        detail = ((done.stderr or "").strip().splitlines() or ["no message"])[-1]
        return f"{what}: `{shlex.join(cmd)}` failed (exit {done.returncode}: {detail}); {SLURM_HINT}", ""
    return None, done.stdout


def cluster_nodes(run: Runner = run_command, timeout: float = 20) -> dict[str, Node]:
    problem, out = command_problem("SLURM is not reachable", sinfo_command(), run, timeout)
    if problem:
        raise ParbenchError(problem)
    return parse_sinfo(out)


def unknown_node_problem(node: str, names: Iterable[str]) -> str:
    """The line for a host that is none of the cluster's nodes `names` (pure)."""
    known = ", ".join(sorted(names)) or "none"
    fix = "fix the config's hosts (config.yaml or --config)"
    return f"SLURM node '{node}' is not in this cluster (its nodes: {known}); {fix}"


def node_problem(node: str, nodes: Mapping[str, Node]) -> str | None:
    """Why `node` cannot take a measurement session, as one line, or None (pure)."""
    if node not in nodes:
        return unknown_node_problem(node, nodes)
    found = nodes[node]
    if not found.ready:
        return (
            f"SLURM node '{node}' is {found.state}, so it cannot start jobs; "
            f"ask the admin, or `scontrol update NodeName={node} State=RESUME`"
        )
    return None


def partition_problem(node: str, partition: str | None, nodes: Mapping[str, Node]) -> str | None:
    """Why `node` cannot be reached through `partition` (the config's cluster.partition), or None (pure).

    sbatch refuses a partition it does not know, or a node outside it, with a
    page of its own output after Snakemake has started: said here first.
    """
    named = [name.strip() for name in (partition or "").split(",") if name.strip()]  # sbatch takes a list
    if not named or set(named) & set(nodes[node].partitions):
        return None
    known = sorted({name for found in nodes.values() for name in found.partitions})
    fix = "set the config's cluster.partition (`--config 'cluster={account: A, partition: P}'`)"
    if unknown := [name for name in named if name not in known]:
        listed = ", ".join(known) or "none"
        return f"SLURM partition '{unknown[0]}' does not exist (its partitions: {listed}); {fix}"
    inside = ", ".join(nodes[node].partitions) or "none"
    return f"SLURM node '{node}' is not in partition '{partition}' (it is in {inside}); {fix}"


def slurm_problem(
    nodes: Iterable[str],
    account: str,
    user: str | None = None,
    run: Runner = run_command,
    timeout: float = 20,
    partition: str | None = None,
) -> str | None:
    """Why parbench cannot measure on `nodes` with `account` (and `partition`), as one line, or None.

    Checks in order: SLURM answers (sinfo, asked once for all the nodes),
    each node exists, is up and is in the partition, the cluster has an
    association for the account and user (sacctmgr), since with enforced
    associations sbatch refuses any other account.
    """
    user = user or getpass.getuser()
    problem, out = command_problem("SLURM is not reachable", sinfo_command(), run, timeout)
    if problem:
        return problem
    nodes = list(nodes)
    if nodes:
        try:
            found = parse_sinfo(out)
        except ParbenchError as error:
            return f"SLURM answered oddly: {error}"
        for node in nodes:
            problem = node_problem(node, found) or partition_problem(node, partition, found)
            if problem:
                return f"host {node}: {problem}"
    cmd = assoc_command(account, user)
    problem, out = command_problem("cannot check the SLURM account", cmd, run, timeout)
    if problem:
        return problem
    if not parse_assoc(out, account, user):
        return (
            f"SLURM refuses account '{account}' for user '{user}': the cluster has no such association "
            f"(`{shlex.join(cmd)}` lists none); set the config's cluster.account "
            f"(`--config 'cluster={{account: A}}'`) to one `sacctmgr show assoc user={user}` lists"
        )
    return None
