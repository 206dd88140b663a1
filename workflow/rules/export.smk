# Exports for other tools: pyperf JSON (one file per runtime and variant) and
# Go's benchmark format for benchstat, both from results/runs.csv.
from parbench.export import stem

# One pyperf file per runtime and variant the experiment measures, the A/A twin included.
PYPERF_FILES = expand("results/pyperf/{stem}.json", stem=sorted({stem(cell.runtime, cell.variant) for cell in CELLS}))
BENCHFMT_FILE = "results/benchfmt.txt"
EXPORTS = [*PYPERF_FILES, BENCHFMT_FILE]


rule export:
    input:
        runs="results/runs.csv",
    output:
        pyperf=[update(path) for path in PYPERF_FILES],
        benchfmt=update(BENCHFMT_FILE),
    log:
        "logs/export.log",
    shell:
        "{PY} parbench.export --runs {input.runs} --pyperf-dir results/pyperf --benchfmt {output.benchfmt} "
        "> {log} 2>&1 || {{ tail -n1 {log} >&2; exit 1; }}"
