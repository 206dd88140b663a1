"""The report's sections in reading order, and the text they make together."""

from __future__ import annotations

from ._appendix import appendix_section
from ._blog import blog_table_section
from ._claims import claims_detail_section, claims_summary_section
from ._coordination import coordination_section
from ._figures import figures_section
from ._header import header_section
from ._inputs import ReportInputs
from ._measurement import measurement_section
from ._ratios import fastest_section, noise_section, ratios_section, scaling_section, variants_section
from ._user import user_section
from ._warnings import warnings_section

SECTIONS = [
    header_section,
    blog_table_section,
    claims_summary_section,
    user_section,  # the answer for each user workload, after the blog's claims (none: no section)
    figures_section,
    claims_detail_section,
    ratios_section,
    fastest_section,
    scaling_section,
    variants_section,
    noise_section,
    coordination_section,
    measurement_section,
    warnings_section,
    appendix_section,
]


def render(inp: ReportInputs) -> str:
    """The report, top-down: summary on one screen, figures, details, folded appendix."""
    return "\n".join(line for section in SECTIONS for line in section(inp))
