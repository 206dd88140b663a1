# parbench: CPython 3.13 (GIL), CPython 3.13t (free-threaded) and Go on parallel
# work, measured in containers pinned to CPU sets. `snakemake --cores all`
# builds the images, measures every cell of config.yaml and writes results/.
from snakemake.utils import min_version

min_version("8.0")


configfile: "config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/hooks.smk"
include: "workflow/rules/engines.smk"
include: "workflow/rules/hosts.smk"
include: "workflow/rules/images.smk"
include: "workflow/rules/measure.smk"
include: "workflow/rules/report.smk"
include: "workflow/rules/export.smk"


rule all:
    default_target: True
    input:
        final_targets(),
