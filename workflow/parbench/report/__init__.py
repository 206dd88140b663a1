"""results/report.md, results/claims.csv and results/figures/: what a reader needs, top-down.

The report opens with a summary that fits on one screen (the blog's table on
this machine, one line per claim, links to the figures), then the figures, then
details, with the per-cell table, configuration and environment folded in an
appendix. Every ratio it prints is a row of comparisons.csv, every claim a row
of claims.csv, every cell figure a row of summary.csv; provenance and the
measuring machine come from the session stamps (sessions.json) written while
measuring, never from the machine the report runs on. The blog's own figures
are quoted as such, never mixed with ours.

One private module per section (_header, _blog, _claims, _figures, _ratios,
_coordination, _measurement, _provenance, _warnings, _user, _appendix), _format for
what they share, _inputs for what they read, _document for their order, _cli
for the command. It computes nothing: every figure comes from the tables, the
analysis layer (analysis, flavours, runfacts) or the stamps.
"""

from ._appendix import appendix_section, every_cell_table, image_rows, workload_rows
from ._blog import blog_table_section, headline_rows
from ._claims import claims_detail_section, claims_summary_section, shown_in
from ._cli import main
from ._coordination import coordination_rows
from ._document import SECTIONS, render
from ._figures import plot_figures
from ._format import ci_statement, fmt_ci, fmt_seconds, folded, markdown_table
from ._header import several_values
from ._inputs import ReportInputs, prepare, read_stamps, stamp_environment
from ._measurement import cpuset_rows, loops_rows, stamp_totals, startup_lines, timed_section_lines, values_sentence
from ._provenance import stamp_rows
from ._warnings import WARNINGS, warning_lines, warnings_section

__all__ = [
    "SECTIONS",
    "WARNINGS",
    "ReportInputs",
    "appendix_section",
    "blog_table_section",
    "ci_statement",
    "claims_detail_section",
    "claims_summary_section",
    "coordination_rows",
    "cpuset_rows",
    "every_cell_table",
    "fmt_ci",
    "fmt_seconds",
    "folded",
    "headline_rows",
    "image_rows",
    "loops_rows",
    "main",
    "markdown_table",
    "plot_figures",
    "prepare",
    "read_stamps",
    "render",
    "several_values",
    "shown_in",
    "stamp_environment",
    "stamp_rows",
    "stamp_totals",
    "startup_lines",
    "timed_section_lines",
    "values_sentence",
    "warning_lines",
    "warnings_section",
    "workload_rows",
]
