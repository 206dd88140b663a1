"""Your workloads: the answer for each workload a user brought, in the form of the blog's claims.

The claims come from claims.csv (claims_user decided them; their id in
shown_in names the workload), so this section only groups and renders them:
one table per workload near the top, its scope, rule and every figure folded
below it. Without user workloads there are no such claims and no section.
"""

from __future__ import annotations

import pandas as pd

from ..claim_rules import Claim
from ..claims_user import user_workload_of
from ..labels import KIND_LABELS
from ..specs import USER_WORKLOADS
from ._claims import claim_detail, claim_links
from ._format import folded, markdown_table
from ._inputs import ReportInputs
from ._ratios import fastest_line

INTRO = (
    "Each workload you brought, put to the blog's questions by the same rules and thresholds, with scope and "
    "interval. Only an interpreter-bound workload decides the questions about the interpreter (do its threads "
    "run in parallel without the GIL; what the free-threaded build costs it on one worker); another shows "
    "those figures as context, its kind named. Threads against processes and against a Go twin are your "
    "choices and are decided whatever bounds the work."
)


def user_groups(claims: list[Claim]) -> dict[str, list[Claim]]:
    """Each user workload's claims, in the order claims.csv holds them."""
    groups: dict[str, list[Claim]] = {}
    for claim in claims:
        workload = user_workload_of(claim)
        if workload:
            groups.setdefault(workload, []).append(claim)
    return groups


def about_line(workload: str) -> str:
    """What the workload's folder says it is (its docstring's first line, KIND and SCALING)."""
    spec = USER_WORKLOADS.get(workload)
    if spec is None:
        return f"{workload}: not registered when this report was rendered, so its folder's description is missing."
    twin = ", with a Go twin" if spec.go else ""
    return f"{spec.about} ({KIND_LABELS.get(spec.kind, spec.kind)}, {spec.scaling} scaling{twin})."


def workload_lines(workload: str, claims: list[Claim], inp: ReportInputs) -> list[str]:
    rows = [(n, c.claim, c.verdict, c.key_figure or "–", claim_links(c, inp)) for n, c in enumerate(claims, 1)]
    table = pd.DataFrame(rows, columns=["#", "claim", "verdict", "key figure", "see"])
    details = [line for n, claim in enumerate(claims, 1) for line in claim_detail(n, claim, inp, heading="####")]
    fastest = fastest_line(inp.comparisons, workload)
    return [
        f"### {workload}",
        "",
        about_line(workload),
        "",
        *([fastest, ""] if fastest else []),
        markdown_table(table),
        "",
        *folded(f"{workload}: scope, rule and every figure of each claim", details[:-1]),  # folded ends the block
    ]


def user_section(inp: ReportInputs) -> list[str]:
    groups = user_groups(inp.claims)
    if not groups:
        return []
    lines = ["## Your workloads", "", INTRO, ""]
    for workload, claims in groups.items():
        lines += workload_lines(workload, claims, inp)
    return lines
