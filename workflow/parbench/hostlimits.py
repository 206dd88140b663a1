"""Each cluster node's predicted session, and the time limit its SLURM job asks for.

A node plans its own cells from its own CPUs (with `cpusets: auto`, 1, 2, 4,
... of them), so the submitting machine predicts each node's session the way
a local one is predicted (estimate.py): from the cells a machine of that many
CPUs plans and the records that node sent back from earlier sessions. The
job's time limit is that prediction with a margin, instead of one limit for
every node that is too short for a large node and far too long for a small
one (a scheduler starts short jobs sooner).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .estimate import HISTORY, Estimate, estimate_line

# A cell the node measured before is predicted from its own records; the model still misses contention
# that grows faster than linear. A cell predicted from the settings alone can take twice that: the first
# default run on 2 CPUs took about 1.8 x its prediction without history (docs/evidence.md).
HISTORY_MARGIN = 1.5
GUESS_MARGIN = 3.0
SLACK_MINUTES = 10  # the session's own start: reading images, the host's checks, writing its results


@dataclass(frozen=True)
class HostEstimate:
    """One node's predicted session, from its CPU count."""

    host: str
    cpus: int
    estimate: Estimate
    rounds: int  # the most rounds a cell takes there: the config's, or fewer a budget chose
    cut: str = ""  # what a budget cut there, in the words a local run prints
    choice: str = ""  # what the budget decides there, by CPU set size (budget.choice_text)
    respent: str | None = None  # why results its spent budget stopped short are measured again, or None

    @property
    def minutes(self) -> int:
        """The SLURM time limit of the node's measurement job, in minutes.

        `--set-resources measure:runtime=M` overrides it.
        """
        seconds = sum(
            c.seconds * (HISTORY_MARGIN if c.source == HISTORY else GUESS_MARGIN) for c in self.estimate.costs
        )
        return math.ceil(seconds / 60) + SLACK_MINUTES

    def line(self) -> str:
        """What is printed before the jobs are submitted."""
        cut = f"; {self.cut}" if self.cut else ""
        return (
            f"host {self.host} ({self.cpus} CPUs): {estimate_line(self.estimate, self.rounds)}{cut}; "
            f"SLURM time limit {self.minutes} min"
        )
