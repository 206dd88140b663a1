"""What the cluster tests ask SLURM about a finished job: did it have its node alone, with what time limit?

Only tests ask this (the pipeline asks SLURM for exclusive jobs and trusts it),
so it lives beside them, not in the package.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass

from parbench import slurm
from parbench.errors import ParbenchError

SACCT_FIELDS = ("JobID", "State", "AllocCPUS", "NodeList")


@dataclass(frozen=True)
class JobRecord:
    job_id: str
    state: str
    alloc_cpus: int
    nodes: str


def sacct_command(job_id: str) -> list[str]:
    return ["sacct", "-j", str(job_id), f"--format={','.join(SACCT_FIELDS)}", "-P", "-n"]


def scontrol_job_command(job_id: str) -> list[str]:
    return ["scontrol", "show", "job", str(job_id)]


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


def job_record(job_id: str, run: slurm.Runner = slurm.run_command, timeout: float = 20) -> JobRecord:
    problem, out = slurm.command_problem("cannot ask SLURM's accounting", sacct_command(job_id), run, timeout)
    if problem:
        raise ParbenchError(problem)
    return parse_sacct(out, job_id)


def job_fields(job_id: str, run: slurm.Runner = slurm.run_command, timeout: float = 20) -> dict[str, str]:
    """scontrol's view of a job; SLURM forgets finished jobs after MinJobAge (300 s by default)."""
    problem, out = slurm.command_problem("cannot ask SLURM about the job", scontrol_job_command(job_id), run, timeout)
    if problem:
        raise ParbenchError(problem)
    return parse_scontrol_job(out)


def time_limit_command(job_id: str) -> list[str]:
    return ["sacct", "-j", str(job_id), "-X", "-n", "-P", "--format=Timelimit"]


def parse_time_limit(text: str) -> int | None:
    """sacct's Timelimit ('[D-]HH:MM:SS') in whole minutes; None for UNLIMITED or a partition's limit."""
    if not text.strip():
        raise ParbenchError("sacct has no record of the job (is accounting, slurmdbd, running?)")
    value = text.strip().splitlines()[0].strip()
    if value in ("UNLIMITED", "Partition_Limit"):
        return None
    found = re.fullmatch(r"(?:(\d+)-)?(\d+):(\d+):(\d+)", value)
    if not found:
        raise ParbenchError(f"sacct gave the time limit {value!r}, not [D-]HH:MM:SS")
    days, hours, minutes, seconds = (int(part or 0) for part in found.groups())
    return (days * 24 + hours) * 60 + minutes + math.ceil(seconds / 60)


def job_time_limit(job_id: str, run: slurm.Runner = slurm.run_command, timeout: float = 20) -> int | None:
    """The time limit SLURM gave the job, in minutes (None: none of its own)."""
    problem, out = slurm.command_problem("cannot ask SLURM's accounting", time_limit_command(job_id), run, timeout)
    if problem:
        raise ParbenchError(problem)
    return parse_time_limit(out)
