"""The claims of the blog: one line each near the top, then each claim's scope, rule and evidence.

A user workload's claims (their id in shown_in, claims_user) are left to § Your workloads (_user).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..claims import CHECK, Claim, average_time_per_thread
from ..claims_user import user_claim_id
from ..flavours import with_flavours
from ..specs import WORKLOADS, workload_kind
from ._format import markdown_table
from ._inputs import ReportInputs


def shown_in(references: tuple[str, ...], figures: dict[str, Path], report_dir: Path) -> str:
    """A claim's references as links to its figures and names of report sections."""
    parts = []
    for reference in references:
        kind, _, name = reference.partition(":")
        if kind == "figure" and name in figures:
            path = figures[name]
            rel = path.relative_to(report_dir) if path.is_relative_to(report_dir) else path
            parts.append(f"[{name} figure]({rel.as_posix()})")
        elif kind == "table":
            parts.append(f"§ {name}")
    return ", ".join(parts) or "–"


def claim_links(claim: Claim, inp: ReportInputs) -> str:
    figures = {path.stem.removesuffix("_scaling"): path for path in inp.figures}
    return shown_in(claim.shown_in, figures, inp.report_dir)


def blog_claims(claims: list[Claim]) -> list[Claim]:
    """The blog's claims, without those answering for a user workload."""
    return [claim for claim in claims if not user_claim_id(claim)]


def claims_summary_section(inp: ReportInputs) -> list[str]:
    if not inp.builtins_measured:
        return []
    rows = [
        (n, c.claim, f"check {c.verdict}" if c.kind == CHECK else c.verdict, c.key_figure or "–", claim_links(c, inp))
        for n, c in enumerate(blog_claims(inp.claims), 1)
    ]
    table = pd.DataFrame(rows, columns=["#", "the blog says", "verdict", "key figure", "see"])
    return [
        "## Claims of the blog, tested",
        "",
        markdown_table(table),
        "",
        "Scope, rule and every deciding figure of each claim: § Claims in detail.",
        "",
    ]


def claim_detail(number: int, claim: Claim, inp: ReportInputs, heading: str = "###") -> list[str]:
    label = "Check" if claim.kind == CHECK else "Verdict"
    lines = [f"{heading} {number}. {claim.claim}", "", f"- **{label}:** {claim.verdict}"]
    for name, value in (
        ("Scope", claim.scope),
        ("Test", claim.test),
        ("Rule", claim.rule),
        ("Evidence", claim.evidence),
        ("Context, not deciding", claim.context),
    ):
        if value:
            lines.append(f"- **{name}:** {value}")
    return lines + [f"- **Shown in:** {claim_links(claim, inp)}", ""]


def claims_detail_section(inp: ReportInputs) -> list[str]:
    if not inp.builtins_measured:
        return []
    lines = [
        "## Claims in detail",
        "",
        "Workloads by kind: interpreter-bound ("
        + ", ".join(w for w in sorted(WORKLOADS) if workload_kind(w) == "interpreter")
        + ") decide claims about the "
        "interpreter; hash (C library code that releases the GIL), io_wait (sleep-bound) and the coordination "
        "workloads (channels, spawn) are context.",
        "",
    ]
    for number, claim in enumerate(blog_claims(inp.claims), 1):
        lines += claim_detail(number, claim, inp)
    explained = average_time_per_thread(with_flavours(inp.summary, inp.config["catalogue"]))
    if explained:
        lines += ['### What "Average Time per Thread" measures', "", explained, ""]
    return lines
