"""What parbench asks SLURM, built and parsed by pure functions.

Runs across many machines submit one exclusive measurement session per node
through Snakemake's SLURM executor. Before that, the workflow checks that SLURM
answers, that every requested node exists and can take jobs, and that the
cluster accepts the account; afterwards it can check that a session really had
its node to itself. Commands are argument lists built here, parsers take the
commands' text, and the few functions that run anything are thin wrappers with
timeouts, so the unit tests need no cluster.
"""

from __future__ import annotations

import getpass
import re
import shlex
import shutil
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from .errors import ParbenchError

SINFO_FORMAT = "%N|%c|%T|%P"
SACCT_FIELDS = ("JobID", "State", "AllocCPUS", "NodeList")
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


@dataclass(frozen=True)
class JobRecord:
    job_id: str
    state: str
    alloc_cpus: int
    nodes: str


# Commands (pure).


def sinfo_command() -> list[str]:
    """One line per node and partition: name|CPUs|state|partition."""
    return ["sinfo", "-h", "-N", "-o", SINFO_FORMAT]


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


def sacct_command(job_id: str) -> list[str]:
    return ["sacct", "-j", str(job_id), f"--format={','.join(SACCT_FIELDS)}", "-P", "-n"]


def scontrol_job_command(job_id: str) -> list[str]:
    return ["scontrol", "show", "job", str(job_id)]


# Parsers (pure).


def parse_sinfo(text: str) -> dict[str, Node]:
    """Nodes by name from `sinfo -h -N -o '%N|%c|%T|%P'`.

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


def parse_sacct(text: str, job_id: str) -> JobRecord:
    """The job's own line (not its steps, `ID.batch`, `ID.0`) from `sacct -P -n`."""
    for line in text.splitlines():
        fields = line.strip().split("|")
        if len(fields) != len(SACCT_FIELDS) or fields[0] != str(job_id):
            continue
        try:
            cpus = int(fields[2] or 0)
        except ValueError:
            raise ParbenchError(f"sacct gave job {job_id} AllocCPUS {fields[2]!r}, not a number") from None
        return JobRecord(fields[0], fields[1], cpus, fields[3])
    raise ParbenchError(f"sacct knows no job {job_id} (is accounting, slurmdbd, running?)")


_FIELD = re.compile(r"(?:^|\s)([A-Za-z][\w:/]*)=(\S*)")


def parse_scontrol_job(text: str) -> dict[str, str]:
    """`scontrol show job ID` as a dict; the first of repeated keys wins."""
    fields: dict[str, str] = {}
    for key, value in _FIELD.findall(text):
        fields.setdefault(key, value)
    return fields


def job_exclusive(
    record: JobRecord | None = None, node_cpus: int | None = None, scontrol: Mapping[str, str] | None = None
) -> bool:
    """Whether a job had its node to itself.

    Either sacct's record shows it allocated every CPU of its one node, or
    scontrol shows it was submitted exclusive (OverSubscribe=NO; older SLURM
    prints Shared=0, some sites Exclusive=...).
    """
    if scontrol is not None:
        if scontrol.get("OverSubscribe", "").upper() == "NO" or scontrol.get("Shared") == "0":
            return True
        if scontrol.get("Exclusive", "").upper() in {"YES", "USER", "MCS", "1"}:
            return True
    if record is not None and node_cpus:
        single_node = record.nodes and "," not in record.nodes and "[" not in record.nodes
        return bool(single_node) and record.alloc_cpus >= node_cpus
    return False


# Thin wrappers that run commands.

Runner = Callable[[Sequence[str], float], subprocess.CompletedProcess]


def run_command(cmd: Sequence[str], timeout: float) -> subprocess.CompletedProcess:
    """Run `cmd` capturing text; FileNotFoundError and TimeoutExpired propagate."""
    return subprocess.run(list(cmd), capture_output=True, text=True, timeout=timeout)


def _failure(what: str, cmd: Sequence[str], run: Runner, timeout: float) -> tuple[str | None, str]:
    """(one-line problem or None, stdout) of running `cmd`."""
    if run is run_command and shutil.which(cmd[0]) is None:
        return f"{what}: `{cmd[0]}` is not installed here; {SLURM_HINT}", ""
    try:
        done = run(cmd, timeout)
    except FileNotFoundError:
        return f"{what}: `{cmd[0]}` is not installed here; {SLURM_HINT}", ""
    except subprocess.TimeoutExpired:
        return f"{what}: `{shlex.join(cmd)}` did not answer within {timeout:g} s; {SLURM_HINT}", ""
    if done.returncode != 0:
        detail = ((done.stderr or "").strip().splitlines() or ["no message"])[-1]
        return f"{what}: `{shlex.join(cmd)}` failed (exit {done.returncode}: {detail}); {SLURM_HINT}", ""
    return None, done.stdout


def cluster_nodes(run: Runner = run_command, timeout: float = 20) -> dict[str, Node]:
    problem, out = _failure("SLURM is not reachable", sinfo_command(), run, timeout)
    if problem:
        raise ParbenchError(problem)
    return parse_sinfo(out)


def node_problem(node: str, nodes: Mapping[str, Node]) -> str | None:
    """Why `node` cannot take a measurement session, as one line, or None (pure)."""
    if node not in nodes:
        known = ", ".join(sorted(nodes)) or "none"
        return f"SLURM node '{node}' is not in this cluster (its nodes: {known}); fix hosts in config.yaml"
    found = nodes[node]
    if not found.ready:
        return (
            f"SLURM node '{node}' is {found.state}, so it cannot start jobs; "
            f"ask the admin, or `scontrol update NodeName={node} State=RESUME`"
        )
    return None


def slurm_problem(
    node: str | None, account: str, user: str | None = None, run: Runner = run_command, timeout: float = 20
) -> str | None:
    """Why parbench cannot measure on `node` with `account`, as one line, or None.

    Checks in order: SLURM answers (sinfo), the node exists and is up, the
    cluster has an association for the account and user (sacctmgr), since
    with enforced associations sbatch refuses any other account.
    """
    user = user or getpass.getuser()
    problem, out = _failure("SLURM is not reachable", sinfo_command(), run, timeout)
    if problem:
        return problem
    if node is not None:
        try:
            nodes = parse_sinfo(out)
        except ParbenchError as error:
            return f"SLURM answered oddly: {error}"
        problem = node_problem(node, nodes)
        if problem:
            return problem
    cmd = assoc_command(account, user)
    problem, out = _failure("cannot check the SLURM account", cmd, run, timeout)
    if problem:
        return problem
    if not parse_assoc(out, account, user):
        return (
            f"SLURM refuses account '{account}' for user '{user}': the cluster has no such association "
            f"(`{shlex.join(cmd)}` lists none); set slurm_account in profiles/slurm/config.yaml "
            f"to one `sacctmgr show assoc user={user}` lists"
        )
    return None


def job_record(job_id: str, run: Runner = run_command, timeout: float = 20) -> JobRecord:
    problem, out = _failure("cannot ask SLURM's accounting", sacct_command(job_id), run, timeout)
    if problem:
        raise ParbenchError(problem)
    return parse_sacct(out, job_id)


def job_fields(job_id: str, run: Runner = run_command, timeout: float = 20) -> dict[str, str]:
    """scontrol's view of a job; SLURM forgets finished jobs after MinJobAge (300 s by default)."""
    problem, out = _failure("cannot ask SLURM about the job", scontrol_job_command(job_id), run, timeout)
    if problem:
        raise ParbenchError(problem)
    return parse_scontrol_job(out)
