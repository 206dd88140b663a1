"""Where a run's files live, and how a rule's command keeps its log: for the Snakefile.

One set of rules serves a run on this machine and a cluster run alike: a
rule names its files through `Layout`, which puts them under results/ here
and under results/hosts/{host}/ (one folder per SLURM node, `host` a
wildcard) on a cluster, so `--forcerun measure` or `--forcerun aggregate`
means the same on both.
"""

from __future__ import annotations

from dataclasses import dataclass

HOST_FOLDER = "hosts/{host}/"


@dataclass(frozen=True)
class Layout:
    cluster: bool

    def result(self, name: str) -> str:
        """The path of result `name` ("runs.csv"): results/runs.csv, or results/hosts/{host}/runs.csv."""
        return f"results/{HOST_FOLDER if self.cluster else ''}{name}"

    def log(self, name: str) -> str:
        """The log of job `name` ("aggregate"): logs/aggregate.log, or logs/hosts/{host}/aggregate.log."""
        return f"logs/{HOST_FOLDER if self.cluster else ''}{name}.log"


def logged(command: str) -> str:
    """A rule's shell command with its output in {log}; on failure the log's last line (the
    `parbench: ...` line) goes to the terminal, and the job fails."""
    return f"{command} > {{log}} 2>&1 || {{{{ tail -n1 {{log}} >&2; exit 1; }}}}"
